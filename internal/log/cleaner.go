package log

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sync"
	"time"

	"github.com/vltava/vltava/internal/record"
	"github.com/vltava/vltava/internal/vfs"
)

// The cleaner (log compaction) keeps the latest record of every key of a
// log with cleanup.policy=compact, as Kafka's LogCleaner does:
//
//   - Only closed segments entirely below the high watermark are cleaned,
//     and not those whose newest record is younger than
//     min.compaction.lag.ms. The first such offset is the uncleanable
//     point. Offsets below the first dirty offset (the end of the last
//     clean) are clean; [first dirty, uncleanable) is dirty.
//   - A log is eligible when its dirty ratio, dirty bytes / (clean + dirty
//     bytes), passes min.cleanable.dirty.ratio, or when its oldest dirty
//     record is older than max.compaction.lag.ms, or when a kept
//     tombstone's delete horizon has passed. The filthiest log goes first.
//   - A clean first reads the dirty range into the offset map (key hash ->
//     latest offset), stopping early when the map is full. Then every
//     segment below where the map stopped is rewritten, consecutive
//     segments merged while they fit in segment.bytes: a record stays when
//     it has a key, no later offset for its key is in the map, and it is
//     not a tombstone whose delete horizon has passed.
//   - Survivors keep their offsets, timestamps and headers and stay in
//     their batch, whose header (base offset, last offset, producer id,
//     epoch and base sequence, attributes, leader epoch) is kept; a batch
//     that lost records is rebuilt and recompressed with its codec, a
//     batch that lost none is copied as it is. A batch left empty goes,
//     unless it is the last batch of a producer: its header stays, empty,
//     so that the producer's sequence state survives a rebuild from the
//     log (Kafka: RETAIN_EMPTY).
//   - Tombstones (KIP-534): the first clean that keeps a tombstone sets
//     its batch's delete horizon, now + delete.retention.ms, in the
//     batch's firstTimestamp, marked by attribute bit 6 (record timestamp
//     deltas are rebased, so timestamps do not change). A clean at or
//     after the horizon drops the tombstone.
//   - Transactions hook in at filterBatch: control batches are kept as they
//     are and no data is treated as aborted until transactions exist.
//   - A corrupt batch (bad CRC, torn, undecodable records) stops cleaning
//     the partition: it is logged, reported by CleanerStatus, and nothing
//     is deleted; the partition keeps serving.

// CleanStats describes one clean.
type CleanStats struct {
	Start          time.Time
	Duration       time.Duration
	FirstDirty     int64 // where the clean's dirty range began
	EndOffset      int64 // offsets below are now clean (the next first dirty offset)
	BytesRead      int64
	BytesWritten   int64
	RecordsRead    int64
	RecordsKept    int64
	SegmentsBefore int // segments rewritten
	SegmentsAfter  int // segments they became
}

// CleanerStatus is the cleaner's view of one partition, for
// `topic describe --verbose` and metrics.
type CleanerStatus struct {
	Compacted        bool  // cleanup.policy has compact
	FirstDirtyOffset int64 // offsets below were cleaned
	CleanBytes       int64 // bytes of segments below the first dirty offset
	DirtyBytes       int64 // bytes of cleanable segments from the first dirty offset on
	// DirtyRatio is DirtyBytes / (CleanBytes + DirtyBytes), 0 when both are
	// 0; the log is cleaned when it passes min.cleanable.dirty.ratio.
	DirtyRatio    float64
	LastCleanTime time.Time  // zero if never cleaned
	LastClean     CleanStats // of the last clean since the log was opened
	Cleaning      bool       // a clean is running now
	// Err is the corruption that stopped cleaning this partition, if any.
	// Cleaning resumes after the broker restarts.
	Err error
}

// cleanerState is a log's cleaning bookkeeping, guarded by its mutex.
type cleanerState struct {
	mu       sync.Mutex
	loaded   bool // ckpt read from the file
	ckpt     cleanerCheckpoint
	last     CleanStats
	cleaning bool
	err      error
}

// errCorruptSegment marks corruption found by the cleaner.
var errCorruptSegment = errors.New("log: corrupt segment found by the cleaner")

// corruptBatch reports a batch whose records do not decode.
func corruptBatch(offset int64, err error) error {
	return fmt.Errorf("%w: batch at offset %d: %w", errCorruptSegment, offset, err)
}

// corruptAt reports a corrupt batch.
func corruptAt(base, pos int64, err error) error {
	return fmt.Errorf("%w: segment %d at position %d: %w", errCorruptSegment, base, pos, err)
}

// cleanerCheckpointLocked returns the cleaner's checkpoint, reading it on
// first use. cst.mu should be held.
func (l *Log) cleanerCheckpointLocked() cleanerCheckpoint {
	if !l.cst.loaded {
		l.cst.loaded = true
		if b, err := vfs.ReadFile(l.fs, filepath.Join(l.dir, cleanerCkptFile)); err == nil {
			if c, err := decodeCleanerCheckpoint(b); err == nil {
				l.cst.ckpt = c
			} else {
				l.logger.Warn("ignoring corrupt cleaner checkpoint: the whole log counts as dirty", "err", err)
			}
		}
	}
	return l.cst.ckpt
}

// truncateCleaner moves the first dirty offset down to end after a
// truncation, so that offsets written again count as dirty.
func (l *Log) truncateCleaner(end int64) {
	l.cst.mu.Lock()
	defer l.cst.mu.Unlock()
	c := l.cleanerCheckpointLocked()
	l.cst.ckpt.firstDirty = min(c.firstDirty, end)
}

// cleanable is a log's cleanable range at some time.
type cleanable struct {
	firstDirty, uncleanable int64
	cleanBytes, dirtyBytes  int64
	needNow                 bool // max.compaction.lag.ms passed for a dirty record
	horizonDue              bool // a kept tombstone's delete horizon passed
}

// ratio is the dirty ratio.
func (c *cleanable) ratio() float64 {
	if c.cleanBytes+c.dirtyBytes == 0 {
		return 0
	}
	return float64(c.dirtyBytes) / float64(c.cleanBytes+c.dirtyBytes)
}

// eligible reports whether the log should be cleaned now.
func (c *cleanable) eligible(cfg *Config) bool {
	if c.dirtyBytes > 0 && (c.needNow || c.ratio() > cfg.MinCleanableDirtyRatio) {
		return true
	}
	return c.horizonDue
}

// closedViews references the closed segments entirely below the high
// watermark; with open, their files are opened so that they stay readable
// after a swap renames them. Release them with releaseViews.
func (l *Log) closedViews(open bool) ([]segView, int64, error) {
	l.rw.RLock()
	var views []segView
	for i := 0; i+1 < len(l.segs); i++ {
		s, next := l.segs[i], l.segs[i+1].base
		if next > l.hw {
			break
		}
		s.acquire()
		views = append(views, segView{s: s, size: s.size, next: next})
	}
	logStart := l.logStart
	l.rw.RUnlock()
	for _, v := range views {
		if !open {
			break
		}
		if _, err := v.s.handle(); err != nil {
			releaseViews(views)
			return nil, 0, err
		}
	}
	return views, logStart, nil
}

// cleanableRange computes the cleanable range of the closed views.
func (l *Log) cleanableRange(views []segView, logStart int64, cfg *Config, now int64) (cleanable, error) {
	l.cst.mu.Lock()
	ck := l.cleanerCheckpointLocked()
	l.cst.mu.Unlock()
	var c cleanable
	c.horizonDue = ck.horizon > 0 && now >= ck.horizon
	if len(views) == 0 {
		return c, nil
	}
	c.firstDirty = max(ck.firstDirty, logStart, views[0].s.base)
	c.uncleanable = max(views[len(views)-1].next, c.firstDirty)
	if err := l.applyMinLag(&c, views, cfg, now); err != nil {
		return c, err
	}
	for _, v := range views {
		if v.s.base < c.firstDirty {
			c.cleanBytes += v.size
		}
		if v.next > c.firstDirty && v.s.base < c.uncleanable {
			c.dirtyBytes += v.size
		}
	}
	return c, l.applyMaxLag(&c, views, cfg, now)
}

// applyMinLag moves the uncleanable point down to the first dirty segment
// holding a record younger than min.compaction.lag.ms.
func (l *Log) applyMinLag(c *cleanable, views []segView, cfg *Config, now int64) error {
	if cfg.MinCompactionLagMs <= 0 {
		return nil
	}
	for _, v := range views {
		if v.next <= c.firstDirty {
			continue
		}
		ts, _, ok, err := v.s.maxTimestamp(v.size, cfg.IndexIntervalBytes)
		if err != nil {
			return err
		}
		if ok && ts > now-cfg.MinCompactionLagMs {
			c.uncleanable = max(v.s.base, c.firstDirty)
			return nil
		}
	}
	return nil
}

// applyMaxLag sets needNow when the first dirty batch is older than
// max.compaction.lag.ms.
func (l *Log) applyMaxLag(c *cleanable, views []segView, cfg *Config, now int64) error {
	if cfg.MaxCompactionLagMs == math.MaxInt64 || c.dirtyBytes == 0 {
		return nil
	}
	for _, v := range views {
		if v.next <= c.firstDirty || v.size == 0 {
			continue
		}
		f, err := v.s.handle()
		if err != nil {
			return err
		}
		hb := make([]byte, record.HeaderSize)
		if _, err := f.ReadAt(hb, 0); err != nil && !errors.Is(err, io.EOF) {
			return storageErr("read segment", err)
		}
		h, err := record.ParseHeader(hb)
		c.needNow = err == nil && h.MaxTimestamp < now-cfg.MaxCompactionLagMs
		return nil
	}
	return nil
}

// CleanerStatus reports the cleaner's view of the log now.
func (l *Log) CleanerStatus() CleanerStatus {
	cfg := l.config()
	st := CleanerStatus{Compacted: cfg.Compact}
	views, logStart, err := l.closedViews(false)
	if err == nil {
		defer releaseViews(views)
		c, cerr := l.cleanableRange(views, logStart, cfg, l.nowMs())
		if cerr == nil {
			st.FirstDirtyOffset, st.CleanBytes, st.DirtyBytes, st.DirtyRatio = c.firstDirty, c.cleanBytes, c.dirtyBytes, c.ratio()
		}
	}
	l.cst.mu.Lock()
	defer l.cst.mu.Unlock()
	ck := l.cleanerCheckpointLocked()
	if st.FirstDirtyOffset == 0 {
		st.FirstDirtyOffset = ck.firstDirty
	}
	if ck.lastCleanMs > 0 {
		st.LastCleanTime = time.UnixMilli(ck.lastCleanMs)
	}
	st.LastClean, st.Cleaning, st.Err = l.cst.last, l.cst.cleaning, l.cst.err
	return st
}

// cleanPlan is what one clean works on.
type cleanPlan struct {
	views  []segView // closed segments below the high watermark, referenced
	c      cleanable
	cfg    Config
	now    int64
	lastOf map[int64]int64 // producer id -> last offset of its last batch
}

// planClean snapshots what a clean needs; ok is false when the log need
// not be cleaned (unless force). The caller releases p.views.
func (l *Log) planClean(now int64, force bool) (p *cleanPlan, ok bool, err error) {
	if err := l.cleanBlocked(); err != nil {
		return nil, false, err
	}
	cfg := *l.config()
	if !cfg.Compact {
		return nil, false, nil
	}
	views, logStart, err := l.closedViews(true)
	if err != nil {
		return nil, false, err
	}
	p = &cleanPlan{views: views, cfg: cfg, now: now, lastOf: l.lastBatchOfProducers()}
	if p.c, err = l.cleanableRange(views, logStart, &cfg, now); err != nil {
		releaseViews(views)
		return nil, false, err
	}
	if len(views) == 0 || (!force && !p.c.eligible(&cfg)) {
		releaseViews(views)
		return nil, false, nil
	}
	return p, true, nil
}

// cleanBlocked reports why the log may not be cleaned.
func (l *Log) cleanBlocked() error {
	l.mu.Lock()
	err := l.writableLocked()
	l.mu.Unlock()
	if err != nil {
		return err
	}
	l.cst.mu.Lock()
	defer l.cst.mu.Unlock()
	return l.cst.err
}

// lastBatchOfProducers maps each producer to the last offset of its last
// batch.
func (l *Log) lastBatchOfProducers() map[int64]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[int64]int64, len(l.producers))
	for pid, e := range l.producers {
		if n := len(e.batches); n > 0 {
			out[pid] = e.batches[n-1].lastOffset
		}
	}
	return out
}

// finishClean records a clean's outcome: on success the new first dirty
// offset, time and delete horizon, persisted; a corruption stops cleaning.
func (l *Log) finishClean(st CleanStats, horizon int64, err error) error {
	l.cst.mu.Lock()
	defer l.cst.mu.Unlock()
	l.cst.cleaning = false
	if err != nil {
		if errors.Is(err, errCorruptSegment) {
			l.cst.err = err
			l.logger.Error("corrupt segment: cleaning of this partition stops, its data stays", "err", err)
		}
		return err
	}
	l.cst.last = st
	l.cst.ckpt = cleanerCheckpoint{firstDirty: st.EndOffset, lastCleanMs: st.Start.UnixMilli(), horizon: horizon}
	data := l.cst.ckpt.encode()
	if err := vfs.WriteFileAtomic(l.fs, l.dir, filepath.Join(l.dir, cleanerCkptFile), data); err != nil {
		return storageErr("write cleaner checkpoint", err)
	}
	return nil
}
