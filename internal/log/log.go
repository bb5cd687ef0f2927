package log

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/vfs"
)

// Log is one partition's log. All methods are safe for concurrent use.
type Log struct {
	fs         vfs.FS
	dir        string
	clk        clock.Clock
	logger     *slog.Logger
	cfg        atomic.Pointer[Config]
	dirFailed  *atomic.Bool
	decompress func(codec int, data []byte) ([]byte, error)
	closed     atomic.Bool
	bufs       sync.Pool // *[]byte window buffers for readers' batch walks

	pidExpirationMs int64 // producer.id.expiration.ms (Options); fixed at Open

	fmu         sync.Mutex   // serialises fsyncs: group commit
	flushed     atomic.Int64 // recovery point: every offset below is durable
	lastFlushMs atomic.Int64 // broker time of the last flush

	ckmu     sync.Mutex // serialises checkpoint writes
	lastCkpt checkpoint // guarded by ckmu: what the file holds

	mu        sync.Mutex // writers: append, roll, retention, truncate, close
	producers producers  // guarded by mu
	epochs    epochCache // guarded by mu
	unsynced  []*segment // guarded by mu: rolled segments whose .log is not fsynced yet
	dirDirty  bool       // guarded by mu: directory entries changed since the last SyncDir
	// parentDirty: the partition directory may be new, so its entry in the
	// log dir is synced with the first flush. Guarded by mu.
	parentDirty bool
	failed      error // guarded by mu: the I/O error that stopped appends
	// dirty is false while the directory still matches the clean-shutdown
	// state Open found (marker present), or the empty state of a new log;
	// the first change removes the marker. Guarded by mu.
	dirty  bool
	marker bool // guarded by mu: the clean-shutdown marker Open found is still on disk

	cleanMu sync.Mutex   // serialises cleans of this log
	cst     cleanerState // the cleaner's bookkeeping (own mutex)
	// cleanerWake, if set, wakes the manager's cleaner when a compacted
	// log rolls a segment.
	cleanerWake func()
	flushLater  func(func()) // see Options

	rw       sync.RWMutex // what readers see; written under mu too
	segs     []*segment   // by base offset; the last is the active segment
	logStart int64
	leo      int64
	hw       int64
	ends     endRing // end positions of the active segment's recent batches
}

// Open opens the partition's log in o.Dir, creating it if needed and
// recovering it after a crash (see doc.go).
func Open(o Options) (*Log, error) {
	if o.FS == nil || o.Dir == "" {
		return nil, errors.New("log: Open needs FS and Dir")
	}
	l := &Log{fs: o.FS, dir: o.Dir, clk: o.Clock, logger: o.Logger, dirFailed: o.DirFailed, decompress: o.Decompress,
		cleanerWake: o.cleanerWake, flushLater: o.flushLater}
	if l.clk == nil {
		l.clk = clock.Real{}
	}
	l.pidExpirationMs = o.ProducerIDExpiration.Milliseconds()
	if l.pidExpirationMs <= 0 {
		l.pidExpirationMs = defaultProducerIDExpiration.Milliseconds()
	}
	if l.logger == nil {
		l.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	l.logger = l.logger.With("topic", o.Topic, "partition", o.Partition)
	if l.dirFailed == nil {
		l.dirFailed = new(atomic.Bool)
	}
	cfg := o.Config.withDefaults()
	l.cfg.Store(&cfg)
	l.producers = producers{}
	if err := o.FS.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, storageErr("create partition dir", err)
	}
	if err := claimTopicID(o.FS, o.Dir, o.TopicID); err != nil {
		return nil, fmt.Errorf("open log %s: %w", filepath.Base(o.Dir), err)
	}
	if err := l.load(); err != nil {
		l.releaseAll()
		return nil, fmt.Errorf("open log %s: %w", filepath.Base(o.Dir), err)
	}
	l.lastFlushMs.Store(l.nowMs())
	return l, nil
}

func (l *Log) nowMs() int64 { return l.clk.Now().UnixMilli() }

func (l *Log) config() *Config { return l.cfg.Load() }

// SetConfig applies a dynamic config change; it takes effect with the
// next append, roll or retention check.
func (l *Log) SetConfig(c Config) {
	c = c.withDefaults()
	l.cfg.Store(&c)
}

// Config returns the log's current config.
func (l *Log) Config() Config { return *l.config() }

// LogStartOffset is the first offset a consumer can read.
func (l *Log) LogStartOffset() int64 {
	l.rw.RLock()
	defer l.rw.RUnlock()
	return l.logStart
}

// LogEndOffset is the offset the next appended record gets.
func (l *Log) LogEndOffset() int64 {
	l.rw.RLock()
	defer l.rw.RUnlock()
	return l.leo
}

// HighWatermark is the offset below which records are committed.
func (l *Log) HighWatermark() int64 {
	l.rw.RLock()
	defer l.rw.RUnlock()
	return l.hw
}

// SetHighWatermark moves the high watermark, clamped to [log start, log
// end]. It is persisted lazily, by Checkpoint and Close.
func (l *Log) SetHighWatermark(o int64) {
	l.rw.Lock()
	defer l.rw.Unlock()
	l.hw = min(max(o, l.logStart), l.leo)
}

// Size is the number of bytes of the log's segments.
func (l *Log) Size() int64 {
	l.rw.RLock()
	defer l.rw.RUnlock()
	var n int64
	for _, s := range l.segs {
		n += s.size
	}
	return n
}

// NumSegments is the number of segments.
func (l *Log) NumSegments() int {
	l.rw.RLock()
	defer l.rw.RUnlock()
	return len(l.segs)
}

// Dir is the partition directory.
func (l *Log) Dir() string { return l.dir }

// LatestEpoch is the latest leader epoch in the log, or -1.
func (l *Log) LatestEpoch() int32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.epochs.latest()
}

// EndOffsetForEpoch answers OffsetForLeaderEpoch: the end offset of the
// requested epoch (the start of the next one, or the log end for the
// latest) and the largest epoch at or below it; (-1, -1) when unknown.
func (l *Log) EndOffsetForEpoch(epoch int32) (endOffset int64, epochFound int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.epochs.endOffsetFor(epoch, l.leo)
}

// EndOffsetForEpochAsLeader is EndOffsetForEpoch on the leader of
// leaderEpoch. Kafka caches (leaderEpoch, log end offset) when a replica
// becomes leader; this log records an epoch with its first batch, so until
// that batch comes the answer is computed as if the entry were there (no
// batch of leaderEpoch yet means it started at the log end). No I/O.
func (l *Log) EndOffsetForEpochAsLeader(epoch, leaderEpoch int32) (endOffset int64, epochFound int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.epochs
	if leaderEpoch > c.latest() {
		n := len(c.entries)
		c.entries = append(c.entries[:n:n], epochEntry{epoch: leaderEpoch, start: l.leo})
	}
	return c.endOffsetFor(epoch, l.leo)
}

// ProducerInfo is one active producer of a partition, as DescribeProducers
// reports it.
type ProducerInfo struct {
	ID    int64
	Epoch int16
	// LastSequence is the last sequence number appended; -1 when the
	// producer has state but no batch left (its epoch was bumped).
	LastSequence int32
	// LastTimestamp is the maxTimestamp of its last batch or transaction
	// marker, from which its idle time counts (producer.id.expiration.ms).
	// For a producer loaded from a VPS1 snapshot, which did not record it,
	// it may be the time the snapshot was read (see decodeProducers).
	LastTimestamp int64
	// TxnStartOffset is the first offset of its open transaction, or -1.
	TxnStartOffset int64
}

// Producers returns the producers the log keeps state for, by id.
func (l *Log) Producers() []ProducerInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]ProducerInfo, 0, len(l.producers))
	for id, e := range l.producers {
		out = append(out, ProducerInfo{ID: id, Epoch: e.epoch, LastSequence: e.lastSeq(), LastTimestamp: e.lastTimestamp, TxnStartOffset: e.txnFirstOffset})
	}
	slices.SortFunc(out, func(a, b ProducerInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// RemoveExpiredProducers forgets the producers that, at nowMs, have had no
// open transaction and no batch for producer.id.expiration.ms, and returns
// how many (Kafka: UnifiedLog.removeExpiredProducers, run by the Manager
// every producer.id.expiration.check.interval.ms). A later batch from one
// of them is an unknown producer's, accepted at any sequence (KIP-360).
// It holds the lock only to walk the producers and does no I/O; a snapshot
// taken before may still hold them, and loading it leaves them out.
func (l *Log) RemoveExpiredProducers(nowMs int64) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.producers.removeExpired(nowMs, l.pidExpirationMs)
}

// ProducerState returns a producer's epoch and last sequence.
func (l *Log) ProducerState(pid int64) (epoch int16, lastSeq int32, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.producers[pid]
	if !ok {
		return -1, -1, false
	}
	return e.epoch, e.lastSeq(), true
}

// active is the active segment. Log.rw or Log.mu should be held.
func (l *Log) active() *segment { return l.segs[len(l.segs)-1] }

// writableLocked reports why appends are refused. Lock should be held.
func (l *Log) writableLocked() error {
	switch {
	case l.closed.Load():
		return ErrClosed
	case l.failed != nil:
		return fmt.Errorf("%w: log failed earlier: %w", ErrStorage, l.failed)
	case l.dirFailed.Load():
		return fmt.Errorf("%w: log directory is offline", ErrStorage)
	}
	return nil
}

// failLocked records an I/O error: the log refuses appends from now on and
// the data directory is marked offline. Lock should be held.
func (l *Log) failLocked(err error) error {
	if l.failed == nil {
		l.failed = err
		l.logger.Error("log storage error: partition goes offline", "err", err)
	}
	l.dirFailed.Store(true)
	return err
}

// fail is failLocked for callers without the lock.
func (l *Log) fail(err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failLocked(err)
}

// Failed reports the I/O error that stopped the log, if any.
func (l *Log) Failed() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}

// releaseAll drops the log's reference on every segment.
func (l *Log) releaseAll() {
	l.rw.Lock()
	segs := l.segs
	l.segs = nil
	l.rw.Unlock()
	for _, s := range segs {
		s.release()
	}
}

// markDirtyLocked removes the clean-shutdown marker before the first change
// to the directory since a clean Open. Lock should be held.
func (l *Log) markDirtyLocked() error {
	if l.dirty {
		return nil
	}
	if l.marker {
		if err := l.fs.Remove(filepath.Join(l.dir, cleanMarkerFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return l.failLocked(storageErr("remove clean-shutdown marker", err))
		}
		if err := l.fs.SyncDir(l.dir); err != nil {
			return l.failLocked(storageErr("sync partition dir", err))
		}
		l.marker = false
	}
	l.dirty = true
	return nil
}

// checkpointStateLocked is what partition.checkpoint should hold now. Lock
// should be held.
func (l *Log) checkpointStateLocked() checkpoint {
	l.rw.RLock()
	defer l.rw.RUnlock()
	c := checkpoint{logStart: l.logStart, recoveryPoint: l.flushed.Load(), hw: l.hw}
	if !l.dirty { // keep the clean-shutdown fields valid while the marker exists
		act := l.active()
		c.leo, c.activeBase, c.activeSize = l.leo, act.base, act.size
	}
	return c
}
