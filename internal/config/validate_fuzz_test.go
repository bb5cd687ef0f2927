package config

import (
	"errors"
	"testing"
)

// FuzzParseBroker checks that any single key and value either parses or
// fails with a *ConfigError, and that a parsed broker can be described.
func FuzzParseBroker(f *testing.F) {
	f.Add("listeners", "PLAINTEXT://[::1]:0")
	f.Add("log.retention.minutes", "-3")
	f.Add("log.cleaner.min.cleanable.ratio", "1e-3")
	f.Add("advertised.listeners", "PLAINTEXT://:1")
	f.Add("listener.security.protocol.map", "plaintext:plaintext")
	f.Fuzz(func(t *testing.T, key, value string) {
		b, err := ParseBroker(map[string]string{key: value})
		if err != nil {
			if ce := (*ConfigError)(nil); !errors.As(err, &ce) {
				t.Fatalf("%s=%q: error of type %T: %v", key, value, err, err)
			}
			return
		}
		if len(DescribeBroker(b, Dynamic{})) != len(BrokerDefs().All()) || len(DescribeTopic(b, Dynamic{}, nil)) != len(TopicDefs().All()) {
			t.Fatal("describe lost entries")
		}
	})
}

// FuzzValidateTopicConfigs checks that an override ValidateTopicConfigs
// accepts resolves against a default broker, and that describing it shows
// the override as a dynamic topic config.
func FuzzValidateTopicConfigs(f *testing.F) {
	f.Add("retention.ms", "-1")
	f.Add("cleanup.policy", "compact, delete")
	f.Add("min.cleanable.dirty.ratio", "0.75")
	f.Add("max.compaction.lag.ms", "1")
	b, err := ParseBroker(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		overrides := map[string]string{key: value}
		if err := ValidateTopicConfigs(overrides); err != nil {
			if te := (*TopicConfigError)(nil); !errors.As(err, &te) {
				t.Fatalf("%s=%q: error of type %T: %v", key, value, err, err)
			}
			return
		}
		if _, err := ResolveTopic(b, Dynamic{}, overrides); err != nil {
			t.Fatalf("%s=%q validates but does not resolve: %v", key, value, err)
		}
		if e := findEntry(t, DescribeTopic(b, Dynamic{}, overrides), key); e.Source != srcTopic {
			t.Fatalf("%s: source %v", key, e.Source)
		}
	})
}
