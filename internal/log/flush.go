package log

import (
	"fmt"
	"path/filepath"
)

// Flush makes every offset below upTo durable: it fsyncs the segments
// written since the last flush and, when entries changed, the directory.
// Concurrent callers are coalesced (group commit): a caller waits for the
// fsync in progress, and the next fsync serves every caller whose data
// was written before it started.
func (l *Log) Flush(upTo int64) error {
	if l.flushed.Load() >= upTo {
		return nil
	}
	l.fmu.Lock()
	defer l.fmu.Unlock()
	if l.flushed.Load() >= upTo {
		return nil
	}
	return l.flushLocked()
}

// flushLocked fsyncs everything appended so far. Log.fmu should be held.
func (l *Log) flushLocked() error {
	l.mu.Lock()
	if l.closed.Load() && l.segs == nil {
		l.mu.Unlock()
		return ErrClosed
	}
	if l.failed != nil {
		l.mu.Unlock()
		return fmt.Errorf("%w: log failed earlier: %w", ErrStorage, l.failed)
	}
	target := l.leo
	segs := append(l.unsynced, l.active())
	l.active().acquire()
	dirDirty, parentDirty := l.dirDirty, l.parentDirty
	l.unsynced, l.dirDirty, l.parentDirty = nil, false, false
	l.mu.Unlock()

	err := syncSegments(segs)
	if err == nil && dirDirty {
		if e := l.fs.SyncDir(l.dir); e != nil {
			err = storageErr("sync partition dir", e)
		}
	}
	if err == nil && parentDirty {
		if e := l.fs.SyncDir(filepath.Dir(l.dir)); e != nil {
			err = storageErr("sync log dir", e)
		}
	}
	if err != nil {
		return l.fail(err)
	}
	if target > l.flushed.Load() {
		l.flushed.Store(target)
	}
	l.lastFlushMs.Store(l.nowMs())
	return nil
}

// syncSegments fsyncs the segments' files and drops the references the
// caller took on them.
func syncSegments(segs []*segment) error {
	var first error
	for _, s := range segs {
		s.mu.Lock()
		f, removed := s.file, s.removed
		s.mu.Unlock()
		if f != nil && !removed && first == nil {
			if err := f.Sync(); err != nil {
				first = storageErr("sync segment", err)
			}
		}
		s.release()
	}
	return first
}

// FlushIfDue flushes when flush.ms has passed since the last flush and
// something is unflushed (the manager calls it on a timer).
func (l *Log) FlushIfDue() error {
	if l.closed.Load() || l.LogEndOffset() <= l.flushed.Load() {
		return nil
	}
	if l.nowMs()-l.lastFlushMs.Load() < l.config().FlushMs {
		return nil
	}
	return l.Flush(l.LogEndOffset())
}

// RecoveryPoint is the offset below which everything is durable.
func (l *Log) RecoveryPoint() int64 { return l.flushed.Load() }

// Checkpoint persists the log start offset, recovery point and high
// watermark if they changed since the last checkpoint (the manager calls
// it every few seconds).
func (l *Log) Checkpoint() error {
	l.mu.Lock()
	if l.closed.Load() || l.failed != nil {
		l.mu.Unlock()
		return nil
	}
	c := l.checkpointStateLocked()
	l.mu.Unlock()
	if err := l.writeCheckpointIfChanged(c); err != nil {
		return l.fail(err)
	}
	return nil
}

// writeCheckpointIfChanged writes c unless the file already holds it. The
// caller marks the log failed on error.
func (l *Log) writeCheckpointIfChanged(c checkpoint) error {
	l.ckmu.Lock()
	defer l.ckmu.Unlock()
	if c == l.lastCkpt {
		return nil
	}
	if err := writeCheckpoint(l.fs, l.dir, c); err != nil {
		return err
	}
	l.lastCkpt = c
	return nil
}

// flushRolled flushes everything below upTo, the base of a segment just
// rolled, unless the log closed meanwhile (Close flushed it) or a flush got
// there first. An I/O error fails the log, as any flush does.
func (l *Log) flushRolled(upTo int64) {
	if l.closed.Load() {
		return
	}
	_ = l.Flush(upTo)
}
