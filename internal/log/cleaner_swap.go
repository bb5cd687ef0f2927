package log

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"path/filepath"

	"github.com/vltava/vltava/internal/vfs"
)

// Files of the cleaner (see doc.go, "Cleaning").
const (
	extCleaned        = ".cleaned"
	swapManifestFile  = "cleaner-swap"
	swapManifestMagic = "VCS1"
	cleanerCkptFile   = "cleaner-checkpoint"
	cleanerCkptMagic  = "VCC1"
	cleanerCkptSize   = 32
)

// segExts are a segment's files, the .log last: a swap renames the indexes
// first, so that a .log.cleaned still present means nothing of the new
// segment is in place yet.
var segExts = []string{extIndex, extTimeIndex, extLog}

// swapManifest is the commit record of a swap: the cleaned segment at
// newBase (-1: the group cleaned to nothing) replaces the segments at
// oldBases.
type swapManifest struct {
	newBase  int64
	oldBases []int64
}

func (m swapManifest) encode() []byte {
	b := append([]byte(swapManifestMagic), 0, 0, 0, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(m.newBase))
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.oldBases)))
	for _, o := range m.oldBases {
		b = binary.BigEndian.AppendUint64(b, uint64(o))
	}
	binary.BigEndian.PutUint32(b[4:], crc32.Checksum(b[8:], castagnoli))
	return b
}

var errBadManifest = errors.New("log: corrupt cleaner swap manifest")

func decodeSwapManifest(b []byte) (swapManifest, error) {
	if len(b) < 20 || string(b[:4]) != swapManifestMagic || binary.BigEndian.Uint32(b[4:]) != crc32.Checksum(b[8:], castagnoli) {
		return swapManifest{}, errBadManifest
	}
	m := swapManifest{newBase: int64(binary.BigEndian.Uint64(b[8:]))}
	n := binary.BigEndian.Uint32(b[16:])
	if uint64(len(b)) != 20+8*uint64(n) {
		return swapManifest{}, errBadManifest
	}
	for i := uint32(0); i < n; i++ {
		m.oldBases = append(m.oldBases, int64(binary.BigEndian.Uint64(b[20+8*i:])))
	}
	return m, nil
}

// recoverSwap finishes a swap that a crash interrupted after its commit
// point (the manifest is durable): the old segments go and the cleaned
// one takes their place. Without a manifest, leftover .cleaned files are
// an unfinished clean and list removes them.
func (l *Log) recoverSwap() error {
	name := filepath.Join(l.dir, swapManifestFile)
	b, err := vfs.ReadFile(l.fs, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return storageErr("read cleaner swap manifest", err)
	}
	m, err := decodeSwapManifest(b)
	if err != nil {
		l.logger.Error("ignoring corrupt cleaner swap manifest: the old segments stay", "err", err)
		return l.removeSynced(name)
	}
	pending := m.newBase >= 0 && l.exists(fileName(l.dir, m.newBase, extLog)+extCleaned)
	if pending || m.newBase < 0 {
		l.logger.Warn("finishing an interrupted cleaner swap", "new_base", m.newBase, "old_segments", len(m.oldBases))
		if err := l.removeOldFiles(m.oldBases); err != nil {
			return err
		}
	}
	if pending {
		if err := l.renameCleaned(m.newBase); err != nil {
			return err
		}
	}
	return l.removeSynced(name)
}

// exists reports whether a file exists.
func (l *Log) exists(name string) bool {
	_, err := l.fs.Stat(name)
	return err == nil
}

// removeOldFiles removes the files of replaced segments and syncs the
// directory.
func (l *Log) removeOldFiles(bases []int64) error {
	for _, base := range bases {
		for _, ext := range segExts {
			err := l.fs.Remove(fileName(l.dir, base, ext))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return storageErr("remove replaced segment", err)
			}
		}
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return storageErr("sync partition dir", err)
	}
	return nil
}

// renameCleaned moves a cleaned segment's files into place, indexes first
// (a missing .cleaned index was never written or is in place already).
func (l *Log) renameCleaned(base int64) error {
	for _, ext := range segExts {
		from := fileName(l.dir, base, ext) + extCleaned
		err := l.fs.Rename(from, fileName(l.dir, base, ext))
		if err != nil && (ext == extLog || !errors.Is(err, fs.ErrNotExist)) {
			return storageErr("install cleaned segment", err)
		}
	}
	return nil
}

// removeSynced removes a file and syncs the directory, so that a later
// clean never meets a stale manifest.
func (l *Log) removeSynced(name string) error {
	if err := l.fs.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return storageErr("remove "+filepath.Base(name), err)
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return storageErr("sync partition dir", err)
	}
	return nil
}

// removeCleanedFiles removes the files of an abandoned cleaned segment.
func (l *Log) removeCleanedFiles(base int64) {
	for _, ext := range segExts {
		l.fs.Remove(fileName(l.dir, base, ext) + extCleaned)
	}
}

// swapCleaned replaces the group's segments by the cleaned segment ns (nil:
// they cleaned to nothing), atomically across a crash: the manifest is the
// commit point, recoverSwap finishes what a crash interrupts after it. It
// fails with errCleanRaced, changing nothing, when the group's segments
// changed since the plan (retention, truncation).
func (l *Log) swapCleaned(g []segView, ns *segment) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writableLocked(); err != nil {
		return err
	}
	i, ok := l.groupIndexLocked(g)
	if !ok {
		return errCleanRaced
	}
	if err := l.markDirtyLocked(); err != nil {
		return err
	}
	m := swapManifest{newBase: -1}
	if ns != nil {
		m.newBase = ns.base
	}
	for _, v := range g {
		m.oldBases = append(m.oldBases, v.s.base)
	}
	if err := vfs.WriteFileAtomic(l.fs, l.dir, filepath.Join(l.dir, swapManifestFile), m.encode()); err != nil {
		return l.failLocked(storageErr("write cleaner swap manifest", err))
	}
	if err := l.installLocked(i, g, ns); err != nil {
		return l.failLocked(err)
	}
	return nil
}

// errCleanRaced: the segments a clean rewrote changed under it.
var errCleanRaced = errors.New("log: segments changed during cleaning")

// groupIndexLocked finds the group in the segment list: its segments,
// unchanged, consecutive, and not the active one. Lock should be held.
func (l *Log) groupIndexLocked(g []segView) (int, bool) {
	i := -1
	for j, s := range l.segs {
		if s == g[0].s {
			i = j
			break
		}
	}
	if i < 0 || i+len(g) >= len(l.segs) {
		return 0, false
	}
	for k, v := range g {
		if l.segs[i+k] != v.s || v.s.size != v.size {
			return 0, false
		}
	}
	return i, true
}

// installLocked carries out a committed swap: old segments out, cleaned
// files in, the segment list updated, the manifest removed. Lock should be
// held.
func (l *Log) installLocked(i int, g []segView, ns *segment) error {
	for _, v := range g {
		if err := l.removeSegmentLocked(v.s); err != nil {
			return err
		}
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return storageErr("sync partition dir", err)
	}
	var repl []*segment
	if ns != nil {
		if err := l.renameCleaned(ns.base); err != nil {
			return err
		}
		repl = []*segment{ns}
	}
	segs := make([]*segment, 0, len(l.segs)-len(g)+len(repl))
	segs = append(append(append(segs, l.segs[:i]...), repl...), l.segs[i+len(g):]...)
	l.rw.Lock()
	l.segs = segs
	l.rw.Unlock()
	return l.removeSynced(filepath.Join(l.dir, swapManifestFile))
}

// cleanerCheckpoint is what the cleaner remembers of a partition across
// restarts (see doc.go).
type cleanerCheckpoint struct {
	firstDirty  int64 // offsets below were cleaned
	lastCleanMs int64 // broker time of the last clean, 0: never
	horizon     int64 // latest delete horizon of a kept tombstone, 0: none
}

func (c cleanerCheckpoint) encode() []byte {
	b := make([]byte, cleanerCkptSize)
	copy(b, cleanerCkptMagic)
	for i, v := range []int64{c.firstDirty, c.lastCleanMs, c.horizon} {
		binary.BigEndian.PutUint64(b[8+8*i:], uint64(v))
	}
	binary.BigEndian.PutUint32(b[4:], crc32.Checksum(b[8:], castagnoli))
	return b
}

func decodeCleanerCheckpoint(b []byte) (cleanerCheckpoint, error) {
	if len(b) != cleanerCkptSize || string(b[:4]) != cleanerCkptMagic ||
		binary.BigEndian.Uint32(b[4:]) != crc32.Checksum(b[8:], castagnoli) {
		return cleanerCheckpoint{}, fmt.Errorf("log: corrupt %s", cleanerCkptFile)
	}
	v := func(i int) int64 { return int64(binary.BigEndian.Uint64(b[8+8*i:])) }
	return cleanerCheckpoint{firstDirty: v(0), lastCleanMs: v(1), horizon: v(2)}, nil
}
