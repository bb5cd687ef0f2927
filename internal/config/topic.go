package config

import (
	"fmt"
	"slices"
	"sort"
)

// Timestamp types of message.timestamp.type.
const (
	CreateTime    = "CreateTime"
	LogAppendTime = "LogAppendTime"
)

// Topic is the effective configuration of one topic.
type Topic struct {
	Compact bool // cleanup.policy has compact
	Delete  bool // cleanup.policy has delete

	RetentionMs        int64 // -1: forever
	RetentionBytes     int64 // -1: no limit
	SegmentBytes       int64
	SegmentMs          int64
	SegmentJitterMs    int64
	SegmentIndexBytes  int64
	IndexIntervalBytes int64
	FileDeleteDelayMs  int64
	Preallocate        bool

	MaxMessageBytes      int32
	TimestampType        string // CreateTime or LogAppendTime
	TimestampBeforeMaxMs int64
	TimestampAfterMaxMs  int64
	MinInsyncReplicas    int32
	FlushMessages        int64
	FlushMs              int64

	CompressionType      string // uncompressed, zstd, lz4, snappy, gzip or producer
	CompressionGzipLevel int32
	CompressionLz4Level  int32
	CompressionZstdLevel int32

	MinCleanableDirtyRatio float64
	MinCompactionLagMs     int64
	MaxCompactionLagMs     int64
	DeleteRetentionMs      int64

	UncleanLeaderElection bool
}

// TopicDefaults returns the value of every topic config for a topic without
// overrides: each taken from its broker synonym (retention.ms from
// log.retention.ms, .minutes, .hours; segment.ms from log.roll.ms, .hours;
// max.message.bytes from message.max.bytes...) as the static and dynamic
// broker configs d set it, else Kafka's topic default.
func (b *Broker) TopicDefaults(d Dynamic) map[string]string {
	vals := rawValues(b.raw(d))
	out := make(map[string]string, len(topicRegistry.defs))
	for _, d := range topicRegistry.defs {
		if x, ok := vals.synonym(d.Name); ok {
			out[d.Name] = formatValue(x)
			continue
		}
		out[d.Name], _ = d.defaultString()
	}
	return out
}

// ValidateTopicConfigs checks topic config overrides alone, as CreateTopics
// and AlterConfigs must: every key known, every value valid, and
// min.compaction.lag.ms <= max.compaction.lag.ms given Kafka's defaults. The
// error is a *TopicConfigError naming the first bad key, in key order.
func ValidateTopicConfigs(overrides map[string]string) error {
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		d, ok := topicRegistry.Lookup(k)
		if !ok {
			return unknownTopicKey(k)
		}
		if err := d.Validate(overrides[k]); err != nil {
			return invalidTopicValue(k, overrides[k], err)
		}
	}
	defaults := make(map[string]string, len(topicRegistry.defs))
	for _, d := range topicRegistry.defs {
		defaults[d.Name], _ = d.defaultString()
	}
	return checkTopicCross(topicValues(defaults, overrides))
}

// ResolveTopic validates overrides and returns the topic's configuration:
// overrides over the broker's topic defaults, dynamic broker configs d
// included.
func ResolveTopic(b *Broker, d Dynamic, overrides map[string]string) (Topic, error) {
	if err := ValidateTopicConfigs(overrides); err != nil {
		return Topic{}, err
	}
	v := topicValues(b.TopicDefaults(d), overrides)
	if err := checkTopicCross(v); err != nil {
		return Topic{}, err
	}
	return topicFrom(v), nil
}

// ResolveStoredTopic returns a topic's configuration from the overrides the
// metadata log holds, as Kafka's brokers load them: values as they are,
// without the checks across keys that creation and alteration make (a
// broker config changed since may contradict them), and any key that is
// unknown or does not parse (which the controller never stores) left out
// and named in ignored. It never fails: a hosted partition always gets a
// configuration.
func ResolveStoredTopic(b *Broker, d Dynamic, overrides map[string]string) (t Topic, ignored []string) {
	valid := make(map[string]string, len(overrides))
	for k, v := range overrides {
		if def, ok := topicRegistry.Lookup(k); ok && def.Validate(v) == nil {
			valid[k] = v
		} else {
			ignored = append(ignored, k)
		}
	}
	sort.Strings(ignored)
	return topicFrom(topicValues(b.TopicDefaults(d), valid)), ignored
}

// topicValues parses every topic config from overrides, else defaults.
func topicValues(defaults, overrides map[string]string) values {
	v := make(values, len(topicRegistry.defs))
	for _, d := range topicRegistry.defs {
		s, ok := overrides[d.Name]
		if !ok {
			s = defaults[d.Name]
		}
		v[d.Name] = d.value(s, true)
	}
	return v
}

// checkTopicCross checks the constraint between topic configs, in Kafka's
// words.
func checkTopicCross(v values) error {
	lo, hi := v.i64("min.compaction.lag.ms"), v.i64("max.compaction.lag.ms")
	if lo > hi {
		return &TopicConfigError{Key: "min.compaction.lag.ms", msg: fmt.Sprintf(
			"conflict topic config setting min.compaction.lag.ms (%d) > max.compaction.lag.ms (%d)", lo, hi)}
	}
	return nil
}

func topicFrom(v values) Topic {
	policy := v.list("cleanup.policy")
	return Topic{
		Compact:                slices.Contains(policy, "compact"),
		Delete:                 slices.Contains(policy, "delete"),
		RetentionMs:            v.i64("retention.ms"),
		RetentionBytes:         v.i64("retention.bytes"),
		SegmentBytes:           int64(v.i32("segment.bytes")),
		SegmentMs:              v.i64("segment.ms"),
		SegmentJitterMs:        v.i64("segment.jitter.ms"),
		SegmentIndexBytes:      int64(v.i32("segment.index.bytes")),
		IndexIntervalBytes:     int64(v.i32("index.interval.bytes")),
		FileDeleteDelayMs:      v.i64("file.delete.delay.ms"),
		Preallocate:            v.bool("preallocate"),
		MaxMessageBytes:        v.i32("max.message.bytes"),
		TimestampType:          v.str("message.timestamp.type"),
		TimestampBeforeMaxMs:   v.i64("message.timestamp.before.max.ms"),
		TimestampAfterMaxMs:    v.i64("message.timestamp.after.max.ms"),
		MinInsyncReplicas:      v.i32("min.insync.replicas"),
		FlushMessages:          v.i64("flush.messages"),
		FlushMs:                v.i64("flush.ms"),
		CompressionType:        v.str("compression.type"),
		CompressionGzipLevel:   v.i32("compression.gzip.level"),
		CompressionLz4Level:    v.i32("compression.lz4.level"),
		CompressionZstdLevel:   v.i32("compression.zstd.level"),
		MinCleanableDirtyRatio: v.f64("min.cleanable.dirty.ratio"),
		MinCompactionLagMs:     v.i64("min.compaction.lag.ms"),
		MaxCompactionLagMs:     v.i64("max.compaction.lag.ms"),
		DeleteRetentionMs:      v.i64("delete.retention.ms"),
		UncleanLeaderElection:  v.bool("unclean.leader.election.enable"),
	}
}
