package config

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestDynamicPrecedence(t *testing.T) {
	b := mustBroker(t, map[string]string{"log.retention.ms": "1000", "log.segment.bytes": "2000000"})
	byBroker := map[string]map[string]string{
		"":  {"log.retention.ms": "2000", "log.segment.bytes": "3000000"},
		"1": {"log.retention.ms": "3000"},
		"2": {"log.retention.ms": "4000"},
	}
	d := DynamicFor(byBroker, 1)
	got := b.TopicDefaults(d)
	if got["retention.ms"] != "3000" || got["segment.bytes"] != "3000000" {
		t.Fatalf("node 1: retention.ms %s, segment.bytes %s", got["retention.ms"], got["segment.bytes"])
	}
	if got := b.TopicDefaults(DynamicFor(byBroker, 3)); got["retention.ms"] != "2000" {
		t.Fatalf("node 3 (no own configs): retention.ms %s", got["retention.ms"])
	}
	if got := b.TopicDefaults(Dynamic{}); got["retention.ms"] != "1000" || got["segment.bytes"] != "2000000" {
		t.Fatalf("static: %s %s", got["retention.ms"], got["segment.bytes"])
	}
	if b.Raw["log.retention.ms"] != "1000" || len(b.Raw) != 2 {
		t.Fatalf("the static configuration changed: %v", b.Raw)
	}
	e := findEntry(t, DescribeBroker(b, d), "log.segment.bytes")
	if e.Value != "3000000" || e.Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig || len(e.Synonyms) != 3 {
		t.Fatalf("log.segment.bytes: %+v", e)
	}
	cd := DescribeClusterDefaults(b, d)
	if len(cd) != 2 || cd[0].Name != "log.retention.ms" || cd[1].Name != "log.segment.bytes" ||
		len(cd[0].Synonyms) != 1 || cd[0].Synonyms[0].Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
		t.Fatalf("cluster defaults: %+v", cd)
	}
}

func TestValidateDynamic(t *testing.T) {
	b := mustBroker(t, map[string]string{"log.cleaner.max.compaction.lag.ms": "5000"})
	for _, tc := range []struct {
		perBroker bool
		next      map[string]string
		err       string // substring; "" for none
	}{
		{false, map[string]string{"log.retention.ms": "1000", "compression.type": "zstd"}, ""},
		{true, map[string]string{"num.io.threads": "16"}, ""},
		{false, map[string]string{"log.roll.hours": "1", "log.dirs": "/x", "log.retention.ms": "1"}, "Cannot update these configs dynamically: Set(log.dirs, log.roll.hours)"},
		{false, map[string]string{"compression.type": "brotli"}, "Invalid value brotli for configuration compression.type"},
		{false, map[string]string{"nope": "1"}, "unknown broker config nope"},
		// Valid alone, but above the static max.compaction.lag.ms.
		{false, map[string]string{"log.cleaner.min.compaction.lag.ms": "6000"}, "min.compaction.lag.ms"},
	} {
		err := ValidateDynamic(b, Dynamic{}, tc.perBroker, tc.next)
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%v: %v, want %q", tc.next, err, tc.err)
		}
	}
}
