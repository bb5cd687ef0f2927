package log

import (
	"errors"
	"io"
)

// TruncateTo removes every record at or above offset (for followers that
// diverged from the leader). A batch holding offset goes whole, so the log
// end may end up below offset. Truncating below the log start empties the
// log and restarts it at offset.
func (l *Log) TruncateTo(offset int64) error {
	l.fmu.Lock()
	defer l.fmu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writableLocked(); err != nil {
		return err
	}
	if offset >= l.leo {
		return nil
	}
	if err := l.markDirtyLocked(); err != nil {
		return err
	}
	var err error
	if offset < l.logStart || offset <= l.segs[0].base {
		err = l.restartAtLocked(offset)
	} else {
		err = l.truncateSegmentsLocked(offset)
	}
	if err != nil {
		return l.failLocked(err)
	}
	return l.afterTruncateLocked()
}

// truncateSegmentsLocked cuts the log at the batch holding offset, which
// is above the first segment's base. Lock should be held.
func (l *Log) truncateSegmentsLocked(offset int64) error {
	j := l.segIndexLocked(offset - 1)
	s := l.segs[j]
	pos, last, err := l.cutPoint(s, offset)
	if err != nil {
		return err
	}
	f, err := s.handle()
	if err != nil {
		return err
	}
	if err := f.Truncate(pos); err != nil {
		return storageErr("truncate segment", err)
	}
	if err := f.Sync(); err != nil {
		return storageErr("sync segment", err)
	}
	gone := l.segs[j+1:]
	l.rw.Lock()
	l.segs = append([]*segment(nil), l.segs[:j+1]...)
	s.size = pos
	l.leo = max(last+1, s.base)
	l.hw = min(l.hw, l.leo)
	l.ends.reset()
	l.rw.Unlock()
	for _, g := range gone {
		if err := l.removeSegmentLocked(g); err != nil {
			return err
		}
	}
	return l.reindexActiveLocked()
}

// cutPoint finds the position of the first batch of s whose last offset
// is at or above offset, and the last offset before it.
func (l *Log) cutPoint(s *segment, offset int64) (pos, last int64, err error) {
	f, err := s.handle()
	if err != nil {
		return 0, 0, err
	}
	w := newWalker(f, 0, s.size, 256<<10)
	last = s.base - 1
	for {
		h, p, err := w.next()
		if err == io.EOF || errors.Is(err, errTorn) {
			return w.pos, last, nil
		}
		if err != nil {
			return 0, 0, err
		}
		if h.LastOffset() >= offset {
			return p, last, nil
		}
		last = h.LastOffset()
	}
}

// reindexActiveLocked rebuilds the active segment's in-memory indexes
// after a truncation. Lock should be held.
func (l *Log) reindexActiveLocked() error {
	s := l.active()
	f, err := s.handle()
	if err != nil {
		return err
	}
	var b indexBuilder
	interval := l.config().IndexIntervalBytes
	w := newWalker(f, 0, s.size, 256<<10)
	for {
		h, pos, err := w.next()
		if err != nil {
			break
		}
		b.add(s.base, &h, pos, interval)
	}
	s.mu.Lock()
	s.ib, s.loaded = b, true
	s.mu.Unlock()
	l.startAgeLocked(s)
	return nil
}

// afterTruncateLocked brings the recovery point, epochs and producer
// state down to the new log end. Lock should be held (and Log.fmu).
func (l *Log) afterTruncateLocked() error {
	l.dirDirty = true
	l.truncateCleaner(l.leo)
	if l.flushed.Load() > l.leo {
		l.flushed.Store(l.leo)
	}
	if l.epochs.truncateFrom(l.leo) {
		if err := saveEpochs(l.fs, l.dir, &l.epochs); err != nil {
			return l.failLocked(err)
		}
	}
	snaps, err := l.listSnapshots()
	if err != nil {
		return l.failLocked(err)
	}
	if err := l.loadProducers(snaps, false); err != nil {
		return l.failLocked(err)
	}
	return nil
}
