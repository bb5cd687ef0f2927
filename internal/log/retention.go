package log

import (
	"errors"
	"fmt"
	"io/fs"
)

// EnforceRetention deletes the oldest segments that are entirely below
// the log start offset, older than retention.ms (by their largest
// timestamp) or beyond retention.bytes, as Kafka does: only whole segments
// entirely below the high watermark, and when every segment goes, the
// active one is rolled first so that the log keeps an (empty) active
// segment.
func (l *Log) EnforceRetention() (deletedSegments int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writableLocked(); err != nil {
		return 0, err
	}
	cfg := l.config()
	n, err := l.deleteLeadingLocked(l.belowLogStart)
	if err != nil {
		return n, err
	}
	total := n
	if !cfg.retainsByTime() { // cleanup.policy=compact: the cleaner keeps the log small
		return total, nil
	}
	if cfg.RetentionMs >= 0 {
		n, err = l.deleteLeadingLocked(l.olderThan(l.nowMs() - cfg.RetentionMs))
		total += n
		if err != nil {
			return total, err
		}
	}
	if cfg.RetentionBytes >= 0 {
		n, err = l.deleteLeadingLocked(l.beyondSize(cfg.RetentionBytes))
		total += n
	}
	return total, err
}

// segPredicate decides whether a leading segment may go; upper is the
// offset after the segment.
type segPredicate func(s *segment, upper int64) (bool, error)

func (l *Log) belowLogStart(s *segment, upper int64) (bool, error) {
	return upper <= l.logStart, nil
}

// olderThan deletes segments whose largest timestamp is below limit, and
// closed segments left empty by the cleaner.
func (l *Log) olderThan(limit int64) segPredicate {
	interval := l.config().IndexIntervalBytes
	return func(s *segment, upper int64) (bool, error) {
		ts, _, ok, err := s.maxTimestamp(s.size, interval)
		return !ok || ts < limit, err
	}
}

// beyondSize deletes segments while the log stays above limit bytes
// without them.
func (l *Log) beyondSize(limit int64) segPredicate {
	var total int64
	for _, s := range l.segs {
		total += s.size
	}
	diff := total - limit
	return func(s *segment, upper int64) (bool, error) {
		if diff-s.size < 0 {
			return false, nil
		}
		diff -= s.size
		return true, nil
	}
}

// deleteLeadingLocked deletes the leading segments that pred accepts.
// Lock should be held.
func (l *Log) deleteLeadingLocked(pred segPredicate) (int, error) {
	l.rw.RLock()
	hw := l.hw // SetHighWatermark writes it under rw only
	l.rw.RUnlock()
	n := 0
	for i, s := range l.segs {
		upper := l.leo
		if i+1 < len(l.segs) {
			upper = l.segs[i+1].base
		}
		if upper > hw || (i == len(l.segs)-1 && s.size == 0) {
			break
		}
		ok, err := pred(s, upper)
		if err != nil {
			return 0, l.failLocked(err)
		}
		if !ok {
			break
		}
		n++
	}
	if n == 0 {
		return 0, nil
	}
	return n, l.deleteFirstLocked(n)
}

// deleteFirstLocked deletes the first n segments, rolling first if that is
// all of them, and moves the log start up. Lock should be held.
func (l *Log) deleteFirstLocked(n int) error {
	if err := l.markDirtyLocked(); err != nil {
		return err
	}
	if n == len(l.segs) {
		if err := l.rollLocked(l.leo); err != nil {
			return err
		}
	}
	gone := append([]*segment(nil), l.segs[:n]...)
	l.rw.Lock()
	l.segs = append([]*segment(nil), l.segs[n:]...)
	l.logStart = max(l.logStart, l.segs[0].base)
	l.hw = max(l.hw, l.logStart)
	l.rw.Unlock()
	l.dirDirty = true
	for _, s := range gone {
		l.logger.Info("deleting segment", "base", s.base, "bytes", s.size)
		if err := l.removeSegmentLocked(s); err != nil {
			return l.failLocked(err)
		}
	}
	if l.epochs.truncateBefore(l.logStart) {
		if err := saveEpochs(l.fs, l.dir, &l.epochs); err != nil {
			return l.failLocked(err)
		}
	}
	return l.deleteSnapshotsBelowLocked(l.segs[0].base)
}

// deleteSnapshotsBelowLocked removes producer snapshots older than the
// first segment. Lock should be held.
func (l *Log) deleteSnapshotsBelowLocked(offset int64) error {
	snaps, err := l.listSnapshots()
	if err != nil {
		return l.failLocked(err)
	}
	for _, off := range snaps {
		if off >= offset {
			continue
		}
		if err := l.fs.Remove(fileName(l.dir, off, extSnapshot)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return l.failLocked(storageErr("remove snapshot", err))
		}
	}
	return nil
}

// DeleteRecordsBefore moves the log start offset up to offset (-1: the high
// watermark), persists it, and deletes the segments entirely below it.
// An offset above the high watermark is ErrOffsetOutOfRange.
func (l *Log) DeleteRecordsBefore(offset int64) (newLogStart int64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writableLocked(); err != nil {
		return 0, err
	}
	l.rw.Lock()
	if offset == -1 {
		offset = l.hw
	}
	if offset < 0 || offset > l.hw {
		hw := l.hw
		l.rw.Unlock()
		return 0, fmt.Errorf("%w: delete before %d but the high watermark is %d", ErrOffsetOutOfRange, offset, hw)
	}
	if offset <= l.logStart {
		start := l.logStart
		l.rw.Unlock()
		return start, nil
	}
	l.logStart = offset
	l.rw.Unlock()
	if err := l.markDirtyLocked(); err != nil {
		return 0, err
	}
	c := l.checkpointStateLocked()
	if err := l.writeCheckpointIfChanged(c); err != nil {
		return 0, l.failLocked(err)
	}
	if _, err := l.deleteLeadingLocked(l.belowLogStart); err != nil {
		return 0, err
	}
	if l.epochs.truncateBefore(offset) {
		if err := saveEpochs(l.fs, l.dir, &l.epochs); err != nil {
			return 0, l.failLocked(err)
		}
	}
	return offset, nil
}

// listSnapshots returns the offsets of the producer snapshots, increasing.
func (l *Log) listSnapshots() ([]int64, error) {
	d, err := l.fs.ReadDir(l.dir)
	if err != nil {
		return nil, storageErr("list partition dir", err)
	}
	var snaps []int64
	for _, e := range d {
		if off, ok := parseOffsetName(e.Name(), extSnapshot); ok {
			snaps = append(snaps, off)
		}
	}
	return snaps, nil
}

// removeSegmentLocked deletes a segment that is no longer in the list: it
// is renamed away now and removed when its last reader is done; a pending
// fsync of it is dropped. Lock should be held.
func (l *Log) removeSegmentLocked(s *segment) error {
	for i, u := range l.unsynced {
		if u == s {
			l.unsynced = append(l.unsynced[:i:i], l.unsynced[i+1:]...)
			s.release()
			break
		}
	}
	err := s.remove()
	s.release()
	return err
}
