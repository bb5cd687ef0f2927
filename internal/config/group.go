package config

import (
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Group is the effective configuration of one consumer group: the dynamic
// group configs of Kafka 4 (GROUP config resource, kafka-configs.sh
// --entity-type groups) over the broker's group.consumer.* settings.
type Group struct {
	ConsumerSessionTimeoutMs    int32
	ConsumerHeartbeatIntervalMs int32
}

// groupConfigDefs are the group configs Vltava takes: those of consumer
// groups (KIP-848). Kafka's share.* group configs are for share groups,
// which Vltava does not have; they are unknown here.
func groupConfigDefs() []Def {
	return []Def{
		def("consumer.session.timeout.ms", Int, "45000", atLeast(1),
			"The timeout to detect client failures when using the consumer group protocol.").dynamic(),
		def("consumer.heartbeat.interval.ms", Int, "5000", atLeast(1),
			"The heartbeat interval given to the members.").dynamic(),
	}
}

// groupRegistry is built once at package initialisation, never mutated.
var groupRegistry = newRegistry(groupConfigDefs())

// GroupDefs returns the group configuration keys Vltava accepts.
func GroupDefs() *Registry { return groupRegistry }

// groupDefaults are the values of a group without configs of its own: the
// broker's, as Kafka takes them from its group coordinator settings.
func (b *Broker) groupDefaults() map[string]string {
	return map[string]string{
		"consumer.session.timeout.ms":    fmt.Sprint(b.Group.ConsumerSessionTimeoutMs),
		"consumer.heartbeat.interval.ms": fmt.Sprint(b.Group.ConsumerHeartbeatIntervalMs),
	}
}

// ValidateGroupConfigs checks a group's configs as Kafka's GroupConfig
// does: every key known, every value valid and within the broker's
// group.consumer.min/max bounds, and the heartbeat interval below the
// session timeout, unset keys taking the broker's values. The error is a
// *TopicConfigError (INVALID_CONFIG) in Kafka's words.
func ValidateGroupConfigs(b *Broker, configs map[string]string) error {
	keys := make([]string, 0, len(configs))
	for k := range configs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		d, ok := groupRegistry.Lookup(k)
		if !ok {
			return &TopicConfigError{Key: k, msg: "Unknown group config name: " + k}
		}
		if err := d.Validate(configs[k]); err != nil {
			return invalidTopicValue(k, configs[k], err)
		}
	}
	g := ResolveGroup(b, configs)
	for _, c := range []struct {
		name      string
		v, lo, hi int32
		loName    string
		hiName    string
	}{
		{"consumer.heartbeat.interval.ms", g.ConsumerHeartbeatIntervalMs, b.Group.ConsumerMinHeartbeatIntervalMs, b.Group.ConsumerMaxHeartbeatIntervalMs,
			"group.consumer.min.heartbeat.interval.ms", "group.consumer.max.heartbeat.interval.ms"},
		{"consumer.session.timeout.ms", g.ConsumerSessionTimeoutMs, b.Group.ConsumerMinSessionTimeoutMs, b.Group.ConsumerMaxSessionTimeoutMs,
			"group.consumer.min.session.timeout.ms", "group.consumer.max.session.timeout.ms"},
	} {
		if c.v < c.lo {
			return &TopicConfigError{Key: c.name, msg: c.name + " must be greater than or equal to " + c.loName}
		}
		if c.v > c.hi {
			return &TopicConfigError{Key: c.name, msg: c.name + " must be less than or equal to " + c.hiName}
		}
	}
	if g.ConsumerSessionTimeoutMs <= g.ConsumerHeartbeatIntervalMs {
		return &TopicConfigError{Key: "consumer.session.timeout.ms", msg: "consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms"}
	}
	return nil
}

// ResolveGroup returns a group's configuration: its configs over the
// broker's. As in Kafka, stored configs are used as they are even if the
// broker's bounds have changed since; a value that does not parse (which
// the controller never stores) is ignored.
func ResolveGroup(b *Broker, configs map[string]string) Group {
	defaults := b.groupDefaults()
	v := make(values, len(groupRegistry.defs))
	for _, d := range groupRegistry.defs {
		s, ok := configs[d.Name]
		if !ok || d.Validate(s) != nil {
			s = defaults[d.Name]
		}
		v[d.Name] = d.value(s, true)
	}
	return Group{
		ConsumerSessionTimeoutMs:    v.i32("consumer.session.timeout.ms"),
		ConsumerHeartbeatIntervalMs: v.i32("consumer.heartbeat.interval.ms"),
	}
}

// DescribeGroup returns every group config of a group with these configs,
// sorted by name, as Kafka describes a GROUP resource: the value in effect,
// source GROUP_CONFIG when the group sets it, else DEFAULT_CONFIG (with the
// broker's value); one synonym, of that source.
func DescribeGroup(b *Broker, configs map[string]string) []Entry {
	defaults := b.groupDefaults()
	out := make([]Entry, 0, len(groupRegistry.defs))
	for _, d := range groupRegistry.defs {
		value, source := defaults[d.Name], kmsg.ConfigSourceDefaultConfig
		if s, ok := configs[d.Name]; ok {
			value, source = d.canonical(s), kmsg.ConfigSourceGroupConfig
		}
		out = append(out, entry(d, value, false, []Synonym{{Name: d.Name, Value: value, Source: source}}))
	}
	return out
}
