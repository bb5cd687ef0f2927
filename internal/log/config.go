package log

import (
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/vfs"
)

// Config holds a partition's topic-level settings, already resolved from
// broker defaults by the caller. Zero or negative values where Kafka has no
// "disabled" meaning fall back to Kafka's defaults (see withDefaults).
type Config struct {
	SegmentBytes                  int64 // segment.bytes
	SegmentMs                     int64 // segment.ms: roll when the active segment is older than this
	SegmentJitterMs               int64 // segment.jitter.ms: the most taken off segment.ms, at random per segment
	SegmentIndexBytes             int64 // segment.index.bytes: roll when the index would be full
	IndexIntervalBytes            int64 // index.interval.bytes: sparse index spacing
	RetentionMs                   int64 // retention.ms, -1 = forever
	RetentionBytes                int64 // retention.bytes, -1 = unlimited
	FlushMessages                 int64 // flush.messages: fsync once this many messages are unflushed
	FlushMs                       int64 // flush.ms
	MessageTimestampLogAppendTime bool  // message.timestamp.type=LogAppendTime

	// Compact is cleanup.policy with compact: the cleaner keeps the latest
	// record per key (see cleaner.go).
	Compact bool
	// Delete is cleanup.policy with delete: retention.ms and retention.bytes
	// apply. A log that is not Compact is always treated as Delete, so that
	// the zero Config keeps Kafka's default policy.
	Delete bool
	// MinCleanableDirtyRatio is min.cleanable.dirty.ratio: the dirty share
	// of the cleanable bytes that makes the log eligible for cleaning.
	MinCleanableDirtyRatio float64
	// MinCompactionLagMs is min.compaction.lag.ms: a segment whose newest
	// record is younger than this is not cleaned yet.
	MinCompactionLagMs int64
	// MaxCompactionLagMs is max.compaction.lag.ms: dirty records older than
	// this make the log eligible whatever its dirty ratio, and the active
	// segment of a compacted log rolls at this age (Kafka: KIP-354).
	MaxCompactionLagMs int64
	// DeleteRetentionMs is delete.retention.ms: how long a tombstone stays
	// after the clean that first kept it (its delete horizon).
	DeleteRetentionMs int64
}

// DefaultConfig returns Kafka's topic defaults.
func DefaultConfig() Config {
	return Config{
		SegmentBytes:       1 << 30,
		SegmentMs:          7 * 24 * 3600 * 1000,
		SegmentIndexBytes:  10 << 20,
		IndexIntervalBytes: 4096,
		RetentionMs:        7 * 24 * 3600 * 1000,
		RetentionBytes:     -1,
		FlushMessages:      math.MaxInt64,
		FlushMs:            math.MaxInt64,
		Delete:             true,

		MinCleanableDirtyRatio: 0.5,
		MaxCompactionLagMs:     math.MaxInt64,
		DeleteRetentionMs:      24 * 3600 * 1000,
	}
}

// withDefaults replaces values that cannot be meant literally by Kafka's
// defaults.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.SegmentBytes <= 0 {
		c.SegmentBytes = d.SegmentBytes
	}
	if c.SegmentMs <= 0 {
		c.SegmentMs = d.SegmentMs
	}
	if c.SegmentIndexBytes < indexEntrySize+timeEntrySize {
		c.SegmentIndexBytes = d.SegmentIndexBytes
	}
	if c.IndexIntervalBytes < 0 {
		c.IndexIntervalBytes = d.IndexIntervalBytes
	}
	if c.FlushMessages <= 0 {
		c.FlushMessages = d.FlushMessages
	}
	if c.FlushMs <= 0 {
		c.FlushMs = d.FlushMs
	}
	if c.MaxCompactionLagMs <= 0 {
		c.MaxCompactionLagMs = d.MaxCompactionLagMs
	}
	c.MinCompactionLagMs = max(c.MinCompactionLagMs, 0)
	c.DeleteRetentionMs = max(c.DeleteRetentionMs, 0)
	return c
}

// retainsByTime reports whether retention.ms and retention.bytes apply:
// cleanup.policy has delete, or is not compact.
func (c *Config) retainsByTime() bool { return c.Delete || !c.Compact }

// rollMs is the active segment's greatest age: segment.ms, or for a
// compacted log max.compaction.lag.ms when that is smaller, so that dirty
// records in the active segment become cleanable in time (Kafka: KIP-354).
func (c *Config) rollMs() int64 {
	if c.Compact {
		return min(c.SegmentMs, c.MaxCompactionLagMs)
	}
	return c.SegmentMs
}

// defaultProducerIDExpiration is Kafka's producer.id.expiration.ms.
const defaultProducerIDExpiration = 24 * time.Hour

// Options configure Open.
type Options struct {
	FS        vfs.FS
	Dir       string // the partition directory, <data dir>/<topic>-<partition>
	Config    Config
	Clock     clock.Clock
	Logger    *slog.Logger
	Topic     string
	Partition int32
	// TopicID, unless zero, is the topic's id: Open writes it to the
	// directory's partition.metadata, or fails with ErrInconsistentTopicID
	// if that names another id.
	TopicID TopicID

	// DirFailed, if set, is shared by every log of one data directory: a
	// log sets it on an I/O error and refuses appends once it is set.
	DirFailed *atomic.Bool
	// Decompress, if set, decompresses a compressed batch's records (codec
	// as in record.Codec*), so that OffsetForTimestamp and MaxTimestamp can
	// find the exact record inside compressed batches; without it they
	// answer with the batch's base offset for those.
	Decompress func(codec int, data []byte) ([]byte, error)
	// ProducerIDExpiration is producer.id.expiration.ms (default 24 h,
	// Kafka's): RemoveExpiredProducers forgets a producer idle this long
	// with no open transaction.
	ProducerIDExpiration time.Duration

	cleanerWake func() // set by the Manager: a compacted log rolled
	// flushLater, set by the Manager, runs a flush off the appending
	// goroutine. Without it (tests of one log) a rolled segment waits for
	// the next flush.
	flushLater func(func())
}
