// Package replica serves a partition as a replica: it validates and appends
// produced batches through the partition's log as leader, owns the high
// watermark, and wakes fetches parked on the partition when it moves.
//
// Today every partition has one replica (a cluster of one): the ISR is the
// leader alone and the high watermark follows the log end offset. Follower
// fetchers and ISR tracking plug in at advanceHighWatermark.
package replica

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/vltava/vltava/internal/clock"
	vlog "github.com/vltava/vltava/internal/log"
	"github.com/vltava/vltava/internal/metadata/image"
	"github.com/vltava/vltava/internal/record"
)

// Config is a partition's topic configuration as the replica needs it.
type Config struct {
	Log                  vlog.Config
	MaxMessageBytes      int
	TimestampBeforeMaxMs int64
	TimestampAfterMaxMs  int64
	LogAppendTime        bool
	Compact              bool
	MinInsyncReplicas    int32
	// Codec is the codec batches are stored with (compression.type), or
	// -1 to keep them as the producer sent them.
	Codec int
	// Levels are the compression levels of recompressed batches
	// (compression.gzip.level, .lz4.level, .zstd.level).
	Levels record.Levels
}

// Partition is one partition hosted by this broker.
type Partition struct {
	Topic   string
	TopicID image.Uuid
	Index   int32

	log    *vlog.Log
	clock  clock.Clock
	codecs *record.Codecs
	cfg    atomic.Pointer[Config]
	epoch  atomic.Int32 // leader epoch

	mu      sync.Mutex
	waiters map[Waiter]struct{}
}

// Waiter is a parked fetch. Notify is called when a partition it waits on
// gets new data (its high watermark moves), by the goroutine that moved it
// and without the partition's lock held, so that the fetch can be answered
// at once, with no hand-off to another goroutine.
type Waiter interface{ Notify() }

// Log is the partition's log.
func (p *Partition) Log() *vlog.Log { return p.log }

// Config returns the partition's current config.
func (p *Partition) Config() *Config { return p.cfg.Load() }

// LeaderEpoch is the current leader epoch.
func (p *Partition) LeaderEpoch() int32 { return p.epoch.Load() }

// EndOffsetForEpoch answers OffsetForLeaderEpoch as the leader: the end
// offset of epoch and the largest epoch at or below it that the log knows,
// counting the current leader epoch as started even before its first batch;
// (-1, -1) when epoch is unknown or above the current one.
func (p *Partition) EndOffsetForEpoch(epoch int32) (endOffset int64, epochFound int32) {
	return p.log.EndOffsetForEpochAsLeader(epoch, p.epoch.Load())
}

// Producers returns the producers the partition keeps state for, by id.
func (p *Partition) Producers() []vlog.ProducerInfo { return p.log.Producers() }

// HighWatermark is the offset below which records are committed and visible.
func (p *Partition) HighWatermark() int64 { return p.log.HighWatermark() }

// ErrNotEnoughReplicas is returned for acks=all when the ISR is smaller
// than min.insync.replicas.
var ErrNotEnoughReplicas = errors.New("not enough in-sync replicas")

// AppendResult is the outcome of a produce to this partition.
type AppendResult struct {
	vlog.AppendInfo
}

// Append validates one produced batch and appends it as leader. The caller
// must call Flush(info.LastOffset+1) before answering when FlushNeeded.
func (p *Partition) Append(batch []byte, acks int16) (AppendResult, error) {
	cfg := p.cfg.Load()
	if acks == -1 && cfg.MinInsyncReplicas > 1 {
		return AppendResult{}, ErrNotEnoughReplicas
	}
	vr, err := record.ValidateProduce(batch, record.ValidateOptions{
		MaxBatchBytes:        cfg.MaxMessageBytes,
		Now:                  p.clock.Now().UnixMilli(),
		TimestampBeforeMaxMs: cfg.TimestampBeforeMaxMs,
		TimestampAfterMaxMs:  cfg.TimestampAfterMaxMs,
		LogAppendTime:        cfg.LogAppendTime,
		RequireKeys:          cfg.Compact,
		Codecs:               p.codecs,
	})
	if err != nil {
		return AppendResult{}, err
	}
	if vr.RewriteMaxTimestamp {
		record.SetCreateTime(batch, vr.MaxTimestamp)
	}
	if cfg.Codec >= 0 && vr.Header.Codec() != cfg.Codec {
		if batch, err = recompress(batch, cfg.Codec, cfg.Levels, p.codecs); err != nil {
			return AppendResult{}, err
		}
		// As Kafka, check the size again: recompressing may have grown
		// the batch past max.message.bytes.
		if cfg.MaxMessageBytes > 0 && len(batch) > cfg.MaxMessageBytes {
			return AppendResult{}, fmt.Errorf("%w: the batch is %d bytes after recompression, the maximum is %d",
				record.ErrTooLarge, len(batch), cfg.MaxMessageBytes)
		}
	}
	info, err := p.log.AppendAsLeader(batch, p.epoch.Load())
	if err != nil {
		return AppendResult{}, err
	}
	if !info.Duplicate {
		p.advanceHighWatermark()
	}
	return AppendResult{AppendInfo: info}, nil
}

// advanceHighWatermark moves the high watermark to the smallest log end
// offset in the ISR. With one replica that is our own log end offset.
func (p *Partition) advanceHighWatermark() {
	p.log.SetHighWatermark(p.log.LogEndOffset())
	p.wake()
}

// wake signals every parked fetch on this partition.
func (p *Partition) wake() {
	var buf [8]Waiter
	ws := buf[:0]
	p.mu.Lock()
	for w := range p.waiters {
		ws = append(ws, w)
	}
	p.mu.Unlock()
	for _, w := range ws {
		w.Notify()
	}
}

// Park registers w to be signalled on new data.
func (p *Partition) Park(w Waiter) {
	p.mu.Lock()
	if p.waiters == nil {
		p.waiters = map[Waiter]struct{}{}
	}
	p.waiters[w] = struct{}{}
	p.mu.Unlock()
}

// Unpark removes w.
func (p *Partition) Unpark(w Waiter) {
	p.mu.Lock()
	delete(p.waiters, w)
	p.mu.Unlock()
}

// DeleteRecordsBefore moves the log start offset (DeleteRecords). offset -1
// means the high watermark.
func (p *Partition) DeleteRecordsBefore(offset int64) (int64, error) {
	if offset == -1 {
		offset = p.HighWatermark()
	}
	if offset < 0 || offset > p.HighWatermark() {
		return 0, vlog.ErrOffsetOutOfRange
	}
	lso, err := p.log.DeleteRecordsBefore(offset)
	if err == nil {
		p.wake()
	}
	return lso, err
}
