package config

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// ConfigError is a broker configuration that cannot be used: an unknown key,
// a bad value, or keys that contradict each other. Its message is one line
// naming the key, for the command line.
type ConfigError struct {
	Key string
	msg string
}

func (e *ConfigError) Error() string { return e.msg }

func unknownKey(key string) *ConfigError {
	return &ConfigError{Key: key, msg: fmt.Sprintf("unknown configuration key %q", key)}
}

func invalidValue(key, value string, reason error) *ConfigError {
	return &ConfigError{Key: key, msg: fmt.Sprintf("invalid value %q for configuration %q: %v", value, key, reason)}
}

// inconsistent reports a value of key that is valid alone but not together
// with the rest of the configuration.
func inconsistent(key, value, format string, args ...any) *ConfigError {
	return invalidValue(key, value, fmt.Errorf(format, args...))
}

// TopicConfigError is a topic (or group) configuration that Kafka refuses
// with INVALID_CONFIG. Its message follows Kafka's wording, since clients
// show it.
type TopicConfigError struct {
	Key string
	msg string
}

func (e *TopicConfigError) Error() string { return e.msg }

func unknownTopicKey(key string) *TopicConfigError {
	return &TopicConfigError{Key: key, msg: "Unknown topic config name: " + key}
}

func invalidTopicValue(key, value string, reason error) *TopicConfigError {
	return &TopicConfigError{Key: key, msg: fmt.Sprintf("Invalid value %s for configuration %s: %s", value, key, capitalize(reason.Error()))}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
