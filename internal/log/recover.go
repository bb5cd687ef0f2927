package log

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/vltava/vltava/internal/record"
	"github.com/vltava/vltava/internal/vfs"
)

// dirListing is what Open found in the partition directory.
type dirListing struct {
	segs      []*segment
	snaps     []int64 // snapshot offsets, increasing
	hasIdx    map[int64]bool
	clean     bool
	hasCkpt   bool // partition.checkpoint exists
	hasEpochs bool // leader-epoch-checkpoint exists
}

// parseOffsetName parses "<20 digits><ext>".
func parseOffsetName(name, ext string) (int64, bool) {
	digits, ok := strings.CutSuffix(name, ext)
	if !ok || len(digits) != 20 {
		return 0, false
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	return v, err == nil && v >= 0
}

// list reads the directory, finishing an interrupted cleaner swap and
// removing leftovers of interrupted deletes, atomic writes and cleans.
func (l *Log) list() (dirListing, error) {
	ents, err := l.fs.ReadDir(l.dir)
	if err != nil {
		return dirListing{}, storageErr("list partition dir", err)
	}
	if slices.ContainsFunc(ents, func(e os.DirEntry) bool { return e.Name() == swapManifestFile }) {
		if err := l.recoverSwap(); err != nil {
			return dirListing{}, err
		}
		if ents, err = l.fs.ReadDir(l.dir); err != nil {
			return dirListing{}, storageErr("list partition dir", err)
		}
	}
	d := dirListing{hasIdx: map[int64]bool{}}
	for _, e := range ents {
		name := e.Name()
		if base, ok := parseOffsetName(name, extLog); ok {
			info, err := e.Info()
			if err != nil {
				return d, storageErr("stat segment", err)
			}
			d.segs = append(d.segs, newSegment(l.fs, l.dir, base, info.Size()))
			continue
		}
		if off, ok := parseOffsetName(name, extSnapshot); ok {
			d.snaps = append(d.snaps, off)
			continue
		}
		if base, ok := parseOffsetName(name, extIndex); ok {
			d.hasIdx[base] = true
		}
		switch {
		case name == cleanMarkerFile:
			d.clean = true
		case name == checkpointFile:
			d.hasCkpt = true
		case name == epochFile:
			d.hasEpochs = true
		case strings.HasSuffix(name, extDeleted), strings.HasSuffix(name, extTmp), strings.HasSuffix(name, extCleaned):
			if err := l.fs.Remove(filepath.Join(l.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return d, storageErr("remove leftover", err)
			}
		}
	}
	sort.Slice(d.segs, func(i, j int) bool { return d.segs[i].base < d.segs[j].base })
	sort.Slice(d.snaps, func(i, j int) bool { return d.snaps[i] < d.snaps[j] })
	return d, nil
}

// load builds the log's state from the directory: quickly after a clean
// shutdown, by recovery otherwise.
func (l *Log) load() error {
	d, err := l.list()
	if err != nil {
		return err
	}
	// Files the listing lacks are not read: a new partition's empty
	// directory costs one ReadDir.
	var ck checkpoint
	ckOK := false
	if d.hasCkpt {
		ck, ckOK = readCheckpoint(l.fs, l.dir)
	}
	l.segs = d.segs
	fresh := len(l.segs) == 0 && !ckOK
	if len(l.segs) == 0 {
		l.createFirstSegment(ck.logStart)
	}
	act := l.active()
	clean := d.clean && ckOK && act.base == ck.activeBase && act.size == ck.activeSize && ck.leo >= act.base
	if d.hasEpochs {
		l.epochs = loadEpochs(l.fs, l.dir)
	}
	switch {
	case fresh: // a new log: the empty segment just created is all there is
	case clean:
		err = l.loadClean(ck)
	default:
		err = l.recover(ck, ckOK)
	}
	if err != nil {
		return err
	}
	return l.finishLoad(ck, d, clean, fresh)
}

// createFirstSegment starts an empty log at base. Its file is created by
// the first append (see createLater).
func (l *Log) createFirstSegment(base int64) {
	s := newSegment(l.fs, l.dir, base, 0)
	s.createLater()
	l.segs = []*segment{s}
	l.leo = base
	l.dirDirty = true
}

// loadClean trusts the checkpoint written by Close.
func (l *Log) loadClean(ck checkpoint) error {
	act := l.active()
	l.leo = ck.leo
	l.flushed.Store(ck.leo)
	_, _, err := act.indexes(act.size, l.config().IndexIntervalBytes)
	return err
}

// recover scans the segments from the one holding the recovery point to
// the end, truncating at the first invalid batch.
func (l *Log) recover(ck checkpoint, ckOK bool) error {
	rp := int64(0)
	if ckOK {
		rp = ck.recoveryPoint
	}
	i := sort.Search(len(l.segs), func(i int) bool { return l.segs[i].base > rp })
	i = max(i-1, 0)
	l.logger.Info("recovering log", "from_segment", l.segs[i].base, "recovery_point", rp)
	prevLast := l.segs[i].base - 1
	for j := i; j < len(l.segs); j++ {
		s := l.segs[j]
		end, last, err := l.recoverSegment(s, prevLast, j == len(l.segs)-1)
		if err != nil {
			return err
		}
		if end < s.size {
			return l.truncateRecovered(j, end, last)
		}
		prevLast = last
	}
	l.setRecoveredEnd(prevLast)
	return nil
}

// setRecoveredEnd sets the log end after recovery: after the last valid
// batch, or the active segment's base when it is empty.
func (l *Log) setRecoveredEnd(prevLast int64) {
	l.leo = max(prevLast+1, l.active().base)
}

// truncateRecovered cuts segment j at end and deletes the segments after
// it: everything from the first invalid batch on is gone.
func (l *Log) truncateRecovered(j int, end, last int64) error {
	s := l.segs[j]
	l.logger.Warn("truncating corrupt or torn log tail", "segment", s.base, "valid_bytes", end, "had_bytes", s.size)
	f, err := s.handle()
	if err != nil {
		return err
	}
	if err := f.Truncate(end); err != nil {
		return storageErr("truncate segment", err)
	}
	s.size = end
	for _, later := range l.segs[j+1:] {
		if err := later.remove(); err != nil {
			return err
		}
		later.release()
	}
	l.segs = l.segs[:j+1]
	l.dirDirty = true
	l.setRecoveredEnd(last)
	return nil
}

// recoverSegment validates the batches of s and rebuilds its indexes. It
// returns the end of the valid data and the last valid offset.
func (l *Log) recoverSegment(s *segment, prevLast int64, isActive bool) (end, last int64, err error) {
	f, err := s.handle()
	if err != nil {
		return 0, 0, err
	}
	interval := l.config().IndexIntervalBytes
	var b indexBuilder
	w := newWalker(f, 0, s.size, 1<<20)
	last = prevLast
	for {
		h, pos, err := w.next()
		if err == io.EOF || errors.Is(err, errTorn) {
			break
		}
		if err != nil {
			return 0, 0, err
		}
		if !l.validRecovered(w, &h, pos, s.base, last) {
			break
		}
		b.add(s.base, &h, pos, interval)
		l.epochs.assign(h.PartitionLeaderEpoch, h.BaseOffset)
		last, end = h.LastOffset(), pos+int64(h.Size())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ib, s.loaded = b, true
	if isActive && end == s.size {
		return end, last, nil
	}
	s.ib.finish()
	return end, last, s.writeIndexesLocked()
}

// validRecovered checks one batch found by recovery: offsets increasing
// and within the segment's range, and the CRC.
func (l *Log) validRecovered(w *walker, h *record.Header, pos, base, prevLast int64) bool {
	if h.BaseOffset <= prevLast || h.BaseOffset < base || h.LastOffset()-base > maxRelOffset {
		return false
	}
	b, err := w.batch(pos, h.Size())
	return err == nil && record.CheckCRC(b) == nil
}

// finishLoad settles log start, high watermark, epochs and producer state,
// removes the clean marker and, after recovery, makes the result durable.
func (l *Log) finishLoad(ck checkpoint, d dirListing, clean, fresh bool) error {
	l.logStart = max(ck.logStart, l.segs[0].base)
	if l.logStart > l.leo {
		clean = false
		if err := l.restartAtLocked(l.logStart); err != nil {
			return err
		}
	}
	l.hw = min(max(ck.hw, l.logStart), l.leo)
	l.startAgeLocked(l.active()) // segment.ms counts from the restart
	if l.epochs.truncateFrom(l.leo) || (!clean && !fresh) {
		if err := saveEpochs(l.fs, l.dir, &l.epochs); err != nil {
			return err
		}
	}
	if err := l.loadProducers(d.snaps, clean); err != nil {
		return err
	}
	if clean {
		// The marker stays until the first change (markDirtyLocked), so
		// that closing an untouched log costs nothing.
		l.lastCkpt, l.marker = ck, true
		return nil
	}
	if fresh {
		// A new, empty log: nothing to make durable yet, and nothing to
		// write on Close while it stays empty (dirty stays false; no
		// marker to remove). A crash or a clean shutdown before the first
		// append leaves an empty directory (or none: Open creates it) and
		// the next Open finds a new log again. The first flush syncs the
		// directory and its entry in the log dir, so that flushed data
		// cannot be lost with a directory entry that was not.
		l.dirDirty, l.parentDirty = true, true
		return nil
	}
	l.dirty = true
	if err := l.fs.Remove(filepath.Join(l.dir, cleanMarkerFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return storageErr("remove clean-shutdown marker", err)
	}
	l.dirDirty = true
	if err := l.syncRecovered(); err != nil {
		return err
	}
	l.lastCkpt = l.checkpointStateLocked()
	return writeCheckpoint(l.fs, l.dir, l.lastCkpt)
}

// syncRecovered fsyncs the recovered segments' data and the directory, so
// that the recovery point can move to the recovered end.
func (l *Log) syncRecovered() error {
	for _, s := range l.segs {
		s.mu.Lock()
		f := s.file
		s.mu.Unlock()
		if f == nil {
			continue // not touched by recovery: below the recovery point
		}
		if err := f.Sync(); err != nil {
			return storageErr("sync segment", err)
		}
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return storageErr("sync partition dir", err)
	}
	l.dirDirty = false
	l.flushed.Store(l.leo)
	return nil
}

// loadProducers restores producer state from the latest usable snapshot at
// or below the log end and replays the batches after it; it deletes
// snapshots above the log end.
//
// As Kafka, it leaves out the snapshot's producers that are expired by
// now; those of the batches replayed after the snapshot are left to the
// Manager's next expiry pass.
func (l *Log) loadProducers(snaps []int64, clean bool) error {
	from := l.segs[0].base
	l.producers = producers{}
	for i := len(snaps) - 1; i >= 0; i-- {
		off := snaps[i]
		if off > l.leo {
			if err := l.fs.Remove(fileName(l.dir, off, extSnapshot)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return storageErr("remove snapshot", err)
			}
			continue
		}
		b, err := vfs.ReadFile(l.fs, fileName(l.dir, off, extSnapshot))
		if err != nil {
			continue
		}
		ps, err := decodeProducers(b, l.nowMs())
		if err != nil {
			l.logger.Warn("ignoring corrupt producer snapshot", "offset", off)
			continue
		}
		ps.removeExpired(l.nowMs(), l.pidExpirationMs)
		l.producers, from = ps, off
		break
	}
	if from >= l.leo {
		return nil
	}
	return l.replayProducers(from)
}

// replayProducers applies the batch headers from offset from to the end
// to the producer state.
func (l *Log) replayProducers(from int64) error {
	interval := l.config().IndexIntervalBytes
	for i, s := range l.segs {
		if i+1 < len(l.segs) && l.segs[i+1].base <= from {
			continue
		}
		idx, _, err := s.indexes(s.size, interval)
		if err != nil {
			return err
		}
		f, err := s.handle()
		if err != nil {
			return err
		}
		w := newWalker(f, floorPos(idx, s.relOf(from)), s.size, 256<<10)
		for {
			h, _, err := w.next()
			if err == io.EOF || errors.Is(err, errTorn) {
				break
			}
			if err != nil {
				return err
			}
			if h.BaseOffset >= from {
				l.producers.update(&h)
			}
		}
	}
	return nil
}

// restartAtLocked deletes every segment and starts the log empty at
// offset. Lock should be held.
func (l *Log) restartAtLocked(offset int64) error {
	old := l.segs
	for _, s := range old {
		if err := s.remove(); err != nil {
			return err
		}
	}
	s := newSegment(l.fs, l.dir, offset, 0)
	if err := s.create(); err != nil {
		return err
	}
	for _, o := range old {
		for i, u := range l.unsynced {
			if u == o {
				l.unsynced = append(l.unsynced[:i:i], l.unsynced[i+1:]...)
				o.release()
				break
			}
		}
	}
	l.rw.Lock()
	l.segs = []*segment{s}
	l.leo, l.logStart = offset, offset
	l.hw = offset
	l.ends.reset()
	l.rw.Unlock()
	for _, o := range old {
		o.release()
	}
	l.dirDirty = true
	return nil
}
