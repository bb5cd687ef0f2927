package log

import (
	"bytes"
	"path/filepath"

	"github.com/vltava/vltava/internal/vfs"
)

// Close shuts the log down cleanly: it flushes, writes the active
// segment's indexes, a producer snapshot, the leader-epoch and partition
// checkpoints and the clean-shutdown marker, so that the next Open need
// not scan. Readers holding results keep their files until they release
// them.
func (l *Log) Close() error {
	l.fmu.Lock()
	defer l.fmu.Unlock()
	l.mu.Lock()
	if l.closed.Load() {
		l.mu.Unlock()
		return nil
	}
	l.closed.Store(true)
	needFlush := l.failed == nil && l.dirty
	l.mu.Unlock()
	var err error
	if needFlush {
		err = l.flushLocked()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err != nil || l.failed != nil:
	case !l.dirty: // untouched since a clean Open: the files still say so
		err = l.writeCheckpointIfChanged(l.checkpointStateLocked())
	default:
		err = l.writeCleanStateLocked()
	}
	l.releaseAll()
	return err
}

// writeCleanStateLocked writes what a clean Open trusts. Lock should be
// held.
func (l *Log) writeCleanStateLocked() error {
	act := l.active()
	act.mu.Lock()
	act.ib.finish()
	var err error
	if act.pending { // started with createLater and never written: give it its file
		_, err = act.handleLocked()
	}
	if err == nil {
		err = act.writeIndexesLocked()
	}
	act.mu.Unlock()
	if err != nil {
		return l.failLocked(err)
	}
	if err := l.writeSnapshotLocked(); err != nil {
		return l.failLocked(err)
	}
	if err := l.saveEpochsIfChanged(); err != nil {
		return l.failLocked(err)
	}
	l.rw.RLock()
	c := checkpoint{logStart: l.logStart, recoveryPoint: l.leo, hw: l.hw, leo: l.leo, activeBase: act.base, activeSize: act.size}
	l.rw.RUnlock()
	if err := l.writeCheckpointIfChanged(c); err != nil {
		return l.failLocked(err)
	}
	if err := writeSynced(l.fs, filepath.Join(l.dir, cleanMarkerFile), nil); err != nil {
		return l.failLocked(err)
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return l.failLocked(storageErr("sync partition dir", err))
	}
	return nil
}

// saveEpochsIfChanged writes the leader-epoch checkpoint unless the file
// already holds the cache, as it does unless it was missing or unreadable
// at Open: every change to the cache is saved at once. Lock should be
// held.
func (l *Log) saveEpochsIfChanged() error {
	if b, err := vfs.ReadFile(l.fs, filepath.Join(l.dir, epochFile)); err == nil && bytes.Equal(b, l.epochs.encode()) {
		return nil
	}
	return saveEpochs(l.fs, l.dir, &l.epochs)
}

// Delete closes the log without the clean-shutdown state and removes the
// partition directory.
func (l *Log) Delete() error {
	l.fmu.Lock()
	defer l.fmu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed.Store(true)
	l.releaseAll()
	if err := l.fs.RemoveAll(l.dir); err != nil {
		return storageErr("delete partition dir", err)
	}
	return nil
}
