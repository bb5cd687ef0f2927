package config

import (
	"errors"
	"strconv"
	"strings"
)

// topicDef is a topic config definition; topic configs are all alterable.
func topicDef(name string, t Type, dflt string, check func(any) error, doc string) Def {
	return Def{Name: name, Type: t, Default: dflt, check: check, Doc: doc}
}

// topicDefs lists the topic configs of Kafka 4.x, less tiered storage's
// local.retention.* and remote.log.* (remote.storage.enable is accepted as
// false only).
func topicDefs() []Def {
	return []Def{
		topicDef("cleanup.policy", List, "delete", listOf("compact", "delete"),
			"delete, compact or both: what happens to segments past retention."),
		topicDef("compression.type", String, "producer", oneOf(compressionTypes...),
			"Compression of stored batches; producer keeps what the producer sent."),
		topicDef("compression.gzip.level", Int, "-1", gzipLevel, "gzip level when compression.type is gzip."),
		topicDef("compression.lz4.level", Int, "9", between(1, 17), "lz4 level when compression.type is lz4: 9 is LZ4's fast compressor, any other level its high compressor (pierrec/lz4 levels go to 9)."),
		topicDef("compression.zstd.level", Int, "3", between(-131072, 22), "zstd level when compression.type is zstd, mapped to klauspost/compress's four speeds (below 3, 3-5, 6-9, 10 and up)."),
		topicDef("delete.retention.ms", Long, "86400000", atLeast(0), "How long tombstones are kept when compacting."),
		topicDef("file.delete.delay.ms", Long, "60000", atLeast(0), "Kafka waits this long before deleting a removed segment's files, so that reads under way finish. Accepted and ignored: Vltava renames a removed segment away at once and deletes its files when its last reader is done."),
		topicDef("flush.messages", Long, maxLong, atLeast(1),
			"fsync after this many records; 1 syncs every append before it is acknowledged."),
		topicDef("flush.ms", Long, maxLong, atLeast(0), "fsync when the oldest unsynced record is this old."),
		topicDef("follower.replication.throttled.replicas", List, "", throttledReplicas,
			"Replicas whose follower traffic is throttled. Accepted; Vltava does not throttle replication yet."),
		topicDef("index.interval.bytes", Int, "4096", atLeast(0), "Bytes of batches between two offset index entries."),
		topicDef("leader.replication.throttled.replicas", List, "", throttledReplicas,
			"Replicas whose leader traffic is throttled. Accepted; Vltava does not throttle replication yet."),
		topicDef("max.compaction.lag.ms", Long, maxLong, atLeast(1), "The greatest age of a record before it must be compacted."),
		topicDef("max.message.bytes", Int, "1048588", atLeast(0), "The largest record batch accepted, after compression."),
		topicDef("message.timestamp.after.max.ms", Long, "3600000", atLeast(0),
			"With CreateTime, reject a batch whose timestamp is further in the future than this."),
		topicDef("message.timestamp.before.max.ms", Long, maxLong, atLeast(0),
			"With CreateTime, reject a batch whose timestamp is further in the past than this."),
		topicDef("message.timestamp.type", String, "CreateTime", oneOf("CreateTime", "LogAppendTime"),
			"Whether stored timestamps are the producer's (CreateTime) or the broker's (LogAppendTime)."),
		topicDef("min.cleanable.dirty.ratio", Double, "0.5", between(0, 1), "Dirty fraction of a log that makes it eligible for cleaning."),
		topicDef("min.compaction.lag.ms", Long, "0", atLeast(0), "The least age of a record before it may be compacted."),
		topicDef("min.insync.replicas", Int, "1", atLeast(1), "With acks=all, the fewest in-sync replicas that must have a write."),
		topicDef("preallocate", Boolean, "false", nil, "Kafka preallocates a new segment's file. Accepted and ignored: on Linux file systems preallocating (fallocate) made appends no cheaper in our benchmarks."),
		topicDef("remote.storage.enable", Boolean, "false", remoteStorage, "Tiered storage; Vltava does not support it, so only false is accepted."),
		topicDef("retention.bytes", Long, "-1", nil, "Delete old segments while a partition is larger than this; -1 for no limit."),
		topicDef("retention.ms", Long, "604800000", atLeast(-1), "Delete a segment once its newest record is this old; -1 keeps forever."),
		topicDef("segment.bytes", Int, "1073741824", atLeast(1048576), "The size at which a segment is rolled."),
		topicDef("segment.index.bytes", Int, "10485760", atLeast(4), "The largest size of an offset or time index."),
		topicDef("segment.jitter.ms", Long, "0", atLeast(0), "The most jitter subtracted from segment.ms."),
		topicDef("segment.ms", Long, "604800000", atLeast(1), "The age at which a segment is rolled."),
		topicDef("unclean.leader.election.enable", Boolean, "false", nil, "Allow a replica outside the ISR to become leader, losing data. A single node has no other replica to elect: this takes effect with replication."),
	}
}

// remoteStorage refuses remote.storage.enable=true.
func remoteStorage(x any) error {
	if x.(bool) {
		return errors.New("tiered storage is not supported by Vltava")
	}
	return nil
}

// throttledReplicas accepts "", "*" or partition:broker pairs.
func throttledReplicas(x any) error {
	list := x.([]string)
	if len(list) == 1 && (list[0] == "*") {
		return nil
	}
	for _, s := range list {
		p, b, ok := strings.Cut(s, ":")
		if _, err := strconv.ParseInt(p, 10, 32); !ok || err != nil {
			return errors.New("must be * or a list of partition:broker pairs")
		}
		if _, err := strconv.ParseInt(b, 10, 32); err != nil {
			return errors.New("must be * or a list of partition:broker pairs")
		}
	}
	return nil
}

// topicSynonyms returns the broker configs that default topic config name,
// in precedence order (log.retention.ms, log.retention.minutes,
// log.retention.hours for retention.ms).
func topicSynonyms(name string) []Def { return synonymTable[name] }

// synonymTable maps each topic config to its broker synonyms; built once at
// package initialisation, never mutated.
var synonymTable = buildSynonyms(brokerRegistry)

// buildSynonyms groups broker defs by TopicName, in definition order, which
// is precedence order.
func buildSynonyms(r *Registry) map[string][]Def {
	m := make(map[string][]Def)
	for _, d := range brokerDefs() {
		if d.TopicName != "" {
			full, _ := r.Lookup(d.Name)
			m[d.TopicName] = append(m[d.TopicName], full)
		}
	}
	return m
}

// brokerSynonyms returns the names Kafka reports as synonyms of broker
// config name, in precedence order (DynamicBrokerConfig.brokerConfigSynonyms):
// the group of log.roll.*, log.roll.jitter.*, log.retention.* and
// log.flush.interval.ms; name alone otherwise.
func brokerSynonyms(name string) []string {
	d, ok := brokerRegistry.Lookup(name)
	group := synonymTable[d.TopicName]
	if !ok || d.TopicName == "" || len(group) < 2 || name == "log.flush.scheduler.interval.ms" {
		return []string{name}
	}
	names := make([]string, len(group))
	for i, g := range group {
		names[i] = g.Name
	}
	return names
}
