package log

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vltava/vltava/internal/record"
	"github.com/vltava/vltava/internal/vfs"
)

// File name extensions.
const (
	extLog       = ".log"
	extIndex     = ".index"
	extTimeIndex = ".timeindex"
	extSnapshot  = ".snapshot"
	extDeleted   = ".deleted"
	extTmp       = ".tmp"
)

// fileName is the name of the file for offset with extension ext.
func fileName(dir string, offset int64, ext string) string {
	return filepath.Join(dir, fmt.Sprintf("%020d%s", offset, ext))
}

// segment is one .log file and its indexes.
type segment struct {
	base int64
	fs   vfs.FS
	dir  string
	refs atomic.Int32 // the log's own reference plus one per reader

	mu      sync.Mutex
	file    vfs.File     // opened lazily; read-write for a segment created by this process
	pending bool         // createLater: the file does not exist yet; handle creates it
	ib      indexBuilder // the indexes; entries never change once visible
	loaded  bool         // ib holds the indexes
	removed bool         // files renamed to .deleted: remove them on last release

	// Guarded by Log.rw; written only under Log.mu.
	size int64

	// Active segment only, guarded by Log.mu.
	created time.Time // broker time of the first append (for segment.ms)
	jitter  int64     // ms taken off segment.ms for this segment (segment.jitter.ms)
}

// newSegment returns a segment with the log's reference taken.
func newSegment(fsys vfs.FS, dir string, base, size int64) *segment {
	s := &segment{base: base, fs: fsys, dir: dir, size: size}
	s.refs.Store(1)
	return s
}

func (s *segment) path(ext string) string { return fileName(s.dir, s.base, ext) }

// create creates the segment's file for appending, empty, and marks its
// indexes as loaded (empty).
func (s *segment) create() error {
	f, err := s.fs.OpenFile(s.path(extLog), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return storageErr("create segment", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.file, s.loaded = f, true
	s.ib = indexBuilder{}
	return nil
}

// createLater is create without creating the file: handle creates it on
// first use (the first append). A new partition that is never written
// costs no segment file, and creating a topic with many partitions makes
// one directory per partition and nothing else.
func (s *segment) createLater() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending, s.loaded = true, true
	s.ib = indexBuilder{}
}

// handle returns the open file, opening it read-write on first use (the
// file of a recovered active segment is appended to), and creating it
// for a segment started with createLater.
func (s *segment) handle() (vfs.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handleLocked()
}

// handleLocked is handle. Lock should be held.
func (s *segment) handleLocked() (vfs.File, error) {
	if s.file != nil {
		return s.file, nil
	}
	if s.pending && !s.removed {
		f, err := s.fs.OpenFile(s.path(extLog), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, storageErr("create segment", err)
		}
		s.file, s.pending = f, false
		return f, nil
	}
	f, err := s.fs.OpenFile(s.path(extLog), os.O_RDWR, 0)
	if err != nil {
		return nil, storageErr("open segment", err)
	}
	s.file = f
	return f, nil
}

// acquire takes a reader's reference. The caller must know that the
// segment is still referenced (it holds Log.rw and found it in the list).
func (s *segment) acquire() { s.refs.Add(1) }

// release drops a reference; the last one closes the file and, for a
// removed segment, deletes its files.
func (s *segment) release() {
	if s.refs.Add(-1) != 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file != nil {
		s.file.Close()
		s.file = nil
	}
	if s.removed {
		for _, ext := range []string{extLog, extIndex, extTimeIndex} {
			s.fs.Remove(s.path(ext) + extDeleted)
		}
	}
}

// remove renames the segment's files to .deleted; they are removed when
// the last reference goes. The caller then drops the log's reference.
func (s *segment) remove() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removed = true
	for _, ext := range []string{extLog, extIndex, extTimeIndex} {
		err := s.fs.Rename(s.path(ext), s.path(ext)+extDeleted)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return storageErr("delete segment", err)
		}
	}
	return nil
}

// indexes returns the segment's indexes, loading them from the files or
// rebuilding them from the data on first use. size is the segment's
// published size.
func (s *segment) indexes(size, interval int64) ([]indexEntry, []timeEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadLocked(size, interval); err != nil {
		return nil, nil, err
	}
	return s.ib.idx, s.ib.tidx, nil
}

// loadLocked makes sure the indexes are in memory. Lock should be held.
func (s *segment) loadLocked(size, interval int64) error {
	if s.loaded {
		return nil
	}
	idx, okI := s.readIndexFile(extIndex, size)
	tidx, okT := s.readTimeIndexFile()
	if okI && okT && (len(tidx) > 0 || size == 0) {
		s.ib = indexBuilder{idx: idx, tidx: tidx}
		if n := len(tidx); n > 0 {
			s.ib.maxTs, s.ib.maxRel, s.ib.any = tidx[n-1].ts, tidx[n-1].rel, true
		}
		s.loaded = true
		return nil
	}
	return s.rebuildLocked(size, interval)
}

// invalidate drops the in-memory indexes of a closed segment after a
// lookup found them inconsistent with the data, so that the next use
// rebuilds them.
func (s *segment) invalidate(size, interval int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rebuildLocked(size, interval)
}

// readIndexFile reads and checks the offset index. Lock should be held.
func (s *segment) readIndexFile(ext string, size int64) ([]indexEntry, bool) {
	b, err := vfs.ReadFile(s.fs, s.path(ext))
	if err != nil {
		return nil, false
	}
	return decodeIndex(b, size)
}

// readTimeIndexFile reads and checks the time index. Lock should be held.
func (s *segment) readTimeIndexFile() ([]timeEntry, bool) {
	b, err := vfs.ReadFile(s.fs, s.path(extTimeIndex))
	if err != nil {
		return nil, false
	}
	return decodeTimeIndex(b)
}

// rebuildLocked rebuilds both indexes by walking the batch headers, and
// writes them unless the segment was removed. Lock should be held.
func (s *segment) rebuildLocked(size, interval int64) error {
	f, err := s.handleLocked()
	if err != nil {
		return err
	}
	var b indexBuilder
	w := newWalker(f, 0, size, 64<<10)
	for {
		h, pos, err := w.next()
		if err == io.EOF || errors.Is(err, errTorn) {
			break
		}
		if err != nil {
			return err
		}
		b.add(s.base, &h, pos, interval)
	}
	s.ib, s.loaded = b, true
	s.ib.finish()
	if s.removed {
		return nil
	}
	return s.writeIndexesLocked()
}

// writeIndexesLocked writes and fsyncs both index files. Lock should be
// held.
func (s *segment) writeIndexesLocked() error {
	if err := writeSynced(s.fs, s.path(extIndex), encodeIndex(s.ib.idx)); err != nil {
		return err
	}
	return writeSynced(s.fs, s.path(extTimeIndex), encodeTimeIndex(s.ib.tidx))
}

// writeSynced replaces a file's contents and fsyncs it.
func writeSynced(fsys vfs.FS, name string, data []byte) error {
	f, err := vfs.Create(fsys, name)
	if err != nil {
		return storageErr("create "+filepath.Base(name), err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return storageErr("write "+filepath.Base(name), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return storageErr("sync "+filepath.Base(name), err)
	}
	if err := f.Close(); err != nil {
		return storageErr("close "+filepath.Base(name), err)
	}
	return nil
}

// maxTimestamp returns the segment's largest batch timestamp and the
// relative base offset of the batch holding it; ok is false for an empty
// segment.
func (s *segment) maxTimestamp(size, interval int64) (ts int64, rel uint32, ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadLocked(size, interval); err != nil {
		return -1, 0, false, err
	}
	if !s.ib.any {
		return -1, 0, false, nil
	}
	return s.ib.maxTs, s.ib.maxRel, true, nil
}

// relOf is offset relative to the segment's base, clamped to the index's
// range.
func (s *segment) relOf(offset int64) uint32 {
	switch d := offset - s.base; {
	case d < 0:
		return 0
	case d > maxRelOffset:
		return maxRelOffset
	default:
		return uint32(d)
	}
}

// indexBuilder accumulates index entries while batches are appended or
// walked.
type indexBuilder struct {
	idx        []indexEntry
	tidx       []timeEntry
	sinceIndex int64
	maxTs      int64
	maxRel     uint32
	any        bool
}

// add accounts for the batch h at pos, adding index entries as Kafka
// does: when more than interval bytes were appended since the last one.
func (b *indexBuilder) add(base int64, h *record.Header, pos, interval int64) {
	rel := uint32(h.BaseOffset - base)
	if b.sinceIndex > interval {
		b.idx = append(b.idx, indexEntry{rel: rel, pos: uint32(pos)})
		b.sinceIndex = 0
		if b.any && (len(b.tidx) == 0 || b.tidx[len(b.tidx)-1].ts < b.maxTs) {
			b.tidx = append(b.tidx, timeEntry{ts: b.maxTs, rel: b.maxRel})
		}
	}
	b.sinceIndex += int64(h.Size())
	if !b.any || h.MaxTimestamp > b.maxTs {
		b.maxTs, b.maxRel, b.any = h.MaxTimestamp, rel, true
	}
}

// finish adds the final time index entry holding the largest timestamp.
func (b *indexBuilder) finish() {
	if b.any && (len(b.tidx) == 0 || b.tidx[len(b.tidx)-1].ts < b.maxTs) {
		b.tidx = append(b.tidx, timeEntry{ts: b.maxTs, rel: b.maxRel})
	}
}
