package log

import (
	"fmt"
	"math/rand/v2"

	"github.com/vltava/vltava/internal/record"
)

// AppendInfo describes an append.
type AppendInfo struct {
	FirstOffset, LastOffset int64 // assigned offsets (for a duplicate: the original batch's)
	LogAppendTime           int64 // -1 unless message.timestamp.type=LogAppendTime
	LogStartOffset          int64
	Duplicate               bool // idempotent retry of a batch already in the log: nothing was appended
	FlushNeeded             bool // flush.messages reached: call Flush(LastOffset+1) before acknowledging
}

// AppendAsLeader appends one v2 batch, already validated by the caller
// (CRC, record count, sizes). The log rewrites the batch in place: it
// assigns offsets from the log end, stamps leaderEpoch and, with
// LogAppendTime, the broker's time. Idempotent batches are checked against
// the producer's state: a retry of one of its last five batches is
// answered with the original offsets and not appended again.
func (l *Log) AppendAsLeader(batch []byte, leaderEpoch int32) (AppendInfo, error) {
	h, err := parseWhole(batch)
	if err != nil {
		return AppendInfo{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writableLocked(); err != nil {
		return AppendInfo{}, err
	}
	cfg := l.config()
	if h.HasProducerID() && !h.IsControl() {
		dup, isDup, err := l.producers.check(&h)
		if err != nil {
			return AppendInfo{}, err
		}
		if isDup {
			return l.duplicateInfo(dup, cfg), nil
		}
	}
	now := l.nowMs()
	h.BaseOffset, h.PartitionLeaderEpoch = l.leo, leaderEpoch
	record.SetBaseOffset(batch, h.BaseOffset)
	record.SetPartitionLeaderEpoch(batch, leaderEpoch)
	appendTime := int64(-1)
	if cfg.MessageTimestampLogAppendTime {
		record.SetLogAppendTime(batch, now)
		appendTime, h.MaxTimestamp = now, now
		h.Attributes |= record.AttrTimestampType
	}
	if err := l.appendBatchLocked(batch, &h, now); err != nil {
		return AppendInfo{}, err
	}
	return AppendInfo{
		FirstOffset: h.BaseOffset, LastOffset: h.LastOffset(), LogAppendTime: appendTime,
		LogStartOffset: l.logStart, FlushNeeded: l.flushNeededLocked(cfg),
	}, nil
}

// duplicateInfo answers a duplicate batch. Lock should be held.
func (l *Log) duplicateInfo(dup batchMeta, cfg *Config) AppendInfo {
	ts := int64(-1)
	if cfg.MessageTimestampLogAppendTime {
		ts = dup.timestamp
	}
	return AppendInfo{
		FirstOffset: dup.firstOffset, LastOffset: dup.lastOffset, LogAppendTime: ts,
		LogStartOffset: l.logStart, Duplicate: true,
		FlushNeeded: l.flushed.Load() <= dup.lastOffset && l.flushNeededLocked(cfg),
	}
}

// AppendAsFollower appends batches as they are, keeping their offsets and
// leader epochs (for replication). Producer state is updated without the
// leader's checks.
func (l *Log) AppendAsFollower(batches []byte) (AppendInfo, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writableLocked(); err != nil {
		return AppendInfo{}, err
	}
	info := AppendInfo{FirstOffset: -1, LastOffset: -1, LogAppendTime: -1}
	now := l.nowMs()
	for len(batches) > 0 {
		n := record.BatchSize(batches)
		if n < record.HeaderSize || n > len(batches) {
			return info, fmt.Errorf("%w: batch size %d with %d bytes left", ErrCorruptBatch, n, len(batches))
		}
		h, err := parseWhole(batches[:n])
		if err != nil {
			return info, err
		}
		if h.BaseOffset < l.leo {
			return info, fmt.Errorf("%w: batch at offset %d is below the log end %d", ErrCorruptBatch, h.BaseOffset, l.leo)
		}
		if err := l.appendBatchLocked(batches[:n], &h, now); err != nil {
			return info, err
		}
		if info.FirstOffset < 0 {
			info.FirstOffset = h.BaseOffset
		}
		info.LastOffset = h.LastOffset()
		batches = batches[n:]
	}
	info.LogStartOffset = l.logStart
	info.FlushNeeded = l.flushNeededLocked(l.config())
	return info, nil
}

// parseWhole parses a batch's header and checks that b is exactly the
// batch.
func parseWhole(b []byte) (record.Header, error) {
	h, err := record.ParseHeader(b)
	if err != nil {
		return h, fmt.Errorf("%w: %w", ErrCorruptBatch, err)
	}
	if h.Size() != len(b) || h.LastOffsetDelta < 0 {
		return h, fmt.Errorf("%w: batch length %d does not match %d bytes", ErrCorruptBatch, h.Size(), len(b))
	}
	return h, nil
}

// flushNeededLocked reports whether flush.messages unflushed messages have
// accumulated. Lock should be held.
func (l *Log) flushNeededLocked(cfg *Config) bool {
	return l.leo-l.flushed.Load() >= cfg.FlushMessages
}

// appendBatchLocked writes a batch whose header h already holds its final
// offsets, rolling first if needed, and publishes it to readers. Lock
// should be held.
func (l *Log) appendBatchLocked(batch []byte, h *record.Header, now int64) error {
	cfg := l.config()
	if err := l.markDirtyLocked(); err != nil {
		return err
	}
	if l.shouldRollLocked(h, len(batch), now, cfg) {
		if err := l.rollLocked(h.BaseOffset); err != nil {
			return err
		}
	}
	if l.epochs.assign(h.PartitionLeaderEpoch, h.BaseOffset) {
		if err := saveEpochs(l.fs, l.dir, &l.epochs); err != nil {
			return l.failLocked(err)
		}
	}
	s := l.active()
	f, err := s.handle()
	if err != nil {
		return l.failLocked(err)
	}
	pos := s.size
	if _, err := f.WriteAt(batch, pos); err != nil {
		return l.failLocked(storageErr("write segment", err))
	}
	if pos == 0 {
		l.startAgeLocked(s)
	}
	s.mu.Lock()
	s.ib.add(s.base, h, pos, cfg.IndexIntervalBytes)
	s.mu.Unlock()
	l.producers.update(h)
	end := pos + int64(len(batch))
	l.rw.Lock()
	s.size = end
	l.leo = h.LastOffset() + 1
	l.ends.push(l.leo, end)
	l.rw.Unlock()
	return nil
}

// shouldRollLocked applies the roll rules (see doc.go) to the next batch.
// Lock should be held.
func (l *Log) shouldRollLocked(h *record.Header, size int, now int64, cfg *Config) bool {
	s := l.active()
	if h.LastOffset()-s.base > maxRelOffset || h.BaseOffset < s.base {
		return true
	}
	if s.size == 0 {
		return false
	}
	if s.size+int64(size) > cfg.SegmentBytes || s.size+int64(size) > maxSegmentSize {
		return true
	}
	if now-s.created.UnixMilli() >= cfg.rollMs()-s.jitter {
		return true
	}
	s.mu.Lock()
	full := int64(len(s.ib.idx)+1)*indexEntrySize > cfg.SegmentIndexBytes ||
		int64(len(s.ib.tidx)+1)*timeEntrySize > cfg.SegmentIndexBytes
	s.mu.Unlock()
	return full
}

// startAgeLocked starts s's age for segment.ms now, with a roll jitter
// drawn for it: as Kafka, at random below min(segment.jitter.ms,
// segment.ms), so that partitions created together do not all roll at
// once. Lock should be held.
func (l *Log) startAgeLocked(s *segment) {
	s.created = l.clk.Now()
	s.jitter = 0
	cfg := l.config()
	if j := min(cfg.SegmentJitterMs, cfg.SegmentMs); j > 0 {
		s.jitter = rand.Int64N(j)
	}
}

// maxSegmentSize keeps positions within the index's uint32 (and Kafka's
// int32 segment.bytes).
const maxSegmentSize = 1<<31 - 1

// MaybeRoll rolls the active segment if segment.ms has passed since its
// first append (the manager calls it on a timer).
func (l *Log) MaybeRoll() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writableLocked(); err != nil {
		return err
	}
	s := l.active()
	if s.size == 0 || l.nowMs()-s.created.UnixMilli() < l.config().rollMs()-s.jitter {
		return nil
	}
	if err := l.markDirtyLocked(); err != nil {
		return err
	}
	return l.rollLocked(l.leo)
}

// rollLocked closes the active segment and starts a new one at base: the
// old segment's indexes are written and fsynced and a producer snapshot is
// taken; the old .log is fsynced by the next Flush. Lock should be held.
func (l *Log) rollLocked(base int64) error {
	old := l.active()
	base = max(base, l.leo)
	if old.size == 0 && old.base == base {
		return nil
	}
	old.mu.Lock()
	old.ib.finish()
	err := old.writeIndexesLocked()
	old.mu.Unlock()
	if err != nil {
		return l.failLocked(err)
	}
	if err := l.writeSnapshotLocked(); err != nil {
		return l.failLocked(err)
	}
	s := newSegment(l.fs, l.dir, base, 0)
	if err := s.create(); err != nil {
		return l.failLocked(err)
	}
	l.startAgeLocked(s)
	old.acquire()
	l.unsynced = append(l.unsynced, old)
	l.dirDirty = true
	l.rw.Lock()
	if old.size == 0 { // an empty segment is replaced, not kept
		l.segs[len(l.segs)-1] = s
	} else {
		l.segs = append(l.segs, s)
	}
	l.ends.reset()
	l.rw.Unlock()
	if old.size == 0 {
		if err := old.remove(); err != nil {
			return l.failLocked(err)
		}
		old.release()
	}
	l.logger.Debug("rolled segment", "base", base)
	if l.flushLater != nil {
		// As Kafka does: the closed segment is made durable soon, so that
		// a clean shutdown and the recovery after a crash deal only with
		// the active segment.
		l.flushLater(func() { l.flushRolled(base) })
	}
	if l.cleanerWake != nil && l.config().Compact {
		l.cleanerWake()
	}
	return nil
}

// writeSnapshotLocked writes the producer state as of the log end. Lock
// should be held.
func (l *Log) writeSnapshotLocked() error {
	l.dirDirty = true
	return writeSynced(l.fs, fileName(l.dir, l.leo, extSnapshot), l.producers.encode())
}

// endRing remembers the end positions of the active segment's most recent
// batches, so that a read up to the high watermark finds where to stop
// without scanning.
type endRing struct {
	next [ringSize]int64 // offset after the batch
	pos  [ringSize]int64 // position after the batch
	n    int
	head int // index of the next slot
}

const ringSize = 32

func (r *endRing) reset() { r.n, r.head = 0, 0 }

func (r *endRing) push(next, pos int64) {
	r.next[r.head], r.pos[r.head] = next, pos
	r.head = (r.head + 1) % ringSize
	r.n = min(r.n+1, ringSize)
}

// lookup returns the end position of the last batch whose end offset is at
// most off; ok is false when the ring does not reach back that far.
func (r *endRing) lookup(off int64) (pos int64, ok bool) {
	for i := 0; i < r.n; i++ {
		j := (r.head - 1 - i + ringSize) % ringSize
		if r.next[j] <= off {
			return r.pos[j], true
		}
	}
	return 0, false
}
