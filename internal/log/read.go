package log

import (
	"errors"
	"fmt"
	"io"

	"github.com/vltava/vltava/internal/vfs"
)

// Chunk is a byte range of a segment file holding whole batches. File
// stays valid until the ReadResult is released.
type Chunk struct {
	File vfs.File
	Pos  int64
	Size int
}

// ReadResult is what Read found: log bytes to send as they are.
type ReadResult struct {
	Chunks []Chunk
	Size   int
	segs   []*segment
}

// Release lets the log close and delete the segment files the chunks
// refer to. It is safe to call more than once.
func (r *ReadResult) Release() {
	for _, s := range r.segs {
		s.release()
	}
	r.segs = nil
}

// Bytes copies the result's bytes into memory (for tests and callers that
// cannot send from files).
func (r *ReadResult) Bytes() ([]byte, error) {
	b := make([]byte, 0, r.Size)
	for _, c := range r.Chunks {
		n := len(b)
		b = b[:n+c.Size]
		if _, err := c.File.ReadAt(b[n:], c.Pos); err != nil && !errors.Is(err, io.EOF) {
			return nil, storageErr("read segment", err)
		}
	}
	return b, nil
}

// segView is a segment picked for a read with what readers may see of it.
type segView struct {
	s     *segment
	size  int64 // published size
	next  int64 // offsets at or above this are not in the segment
	ringP int64 // end position for maxOffset from the ring, or -1
}

// Read returns the batches from the one holding offset, stopping before
// the first batch whose last offset is at or above maxOffset (the high
// watermark), and after at most maxBytes bytes, except that the first batch
// is returned whole even if it is bigger (KIP-74). offset must be within
// [log start, log end]; at the log end the result is empty. The caller
// must Release the result.
func (l *Log) Read(offset int64, maxBytes int, maxOffset int64) (ReadResult, error) {
	views, err := l.pickSegments(offset, maxOffset)
	if err != nil || len(views) == 0 {
		return ReadResult{}, err
	}
	res := ReadResult{segs: make([]*segment, 0, len(views))}
	for _, v := range views {
		res.segs = append(res.segs, v.s)
	}
	if err := l.fillChunks(&res, views, offset, maxBytes, maxOffset); err != nil {
		res.Release()
		return ReadResult{}, err
	}
	return res, nil
}

// pickSegments checks the range and references the segments a read may
// use. Readers hold rw only here.
func (l *Log) pickSegments(offset, maxOffset int64) ([]segView, error) {
	l.rw.RLock()
	defer l.rw.RUnlock()
	if l.closed.Load() {
		return nil, ErrClosed
	}
	if offset < l.logStart || offset > l.leo {
		return nil, fmt.Errorf("%w: offset %d not in [%d, %d]", ErrOffsetOutOfRange, offset, l.logStart, l.leo)
	}
	maxOffset = min(maxOffset, l.leo)
	if offset >= maxOffset {
		return nil, nil
	}
	i := l.segIndexLocked(offset)
	var views []segView
	for ; i < len(l.segs) && l.segs[i].base < maxOffset; i++ {
		s := l.segs[i]
		v := segView{s: s, size: s.size, next: l.leo, ringP: -1}
		if i+1 < len(l.segs) {
			v.next = l.segs[i+1].base
		} else if maxOffset < l.leo {
			if p, ok := l.ends.lookup(maxOffset); ok {
				v.ringP = p
			}
		}
		s.acquire()
		views = append(views, v)
		if len(views) == 4 { // enough for any read; the rest comes with the next fetch
			break
		}
	}
	return views, nil
}

// segIndexLocked returns the index of the segment that may hold offset.
// Log.rw should be held.
func (l *Log) segIndexLocked(offset int64) int {
	lo, hi := 0, len(l.segs)
	for lo < hi {
		m := (lo + hi) / 2
		if l.segs[m].base <= offset {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return max(lo-1, 0)
}

// fillChunks turns the picked segments into chunks.
func (l *Log) fillChunks(res *ReadResult, views []segView, offset int64, maxBytes int, maxOffset int64) error {
	interval := l.config().IndexIntervalBytes
	for _, v := range views {
		budget := maxBytes - res.Size
		if len(res.Chunks) > 0 && budget <= 0 {
			return nil
		}
		c, full, err := l.segmentChunk(v, offset, budget, maxOffset, len(res.Chunks) == 0, interval)
		if err != nil {
			return err
		}
		if c.Size > 0 {
			res.Chunks = append(res.Chunks, c)
			res.Size += c.Size
		}
		if !full || v.next > maxOffset {
			return nil
		}
		offset = v.next
	}
	return nil
}

// segmentChunk returns the chunk of one segment for a read. full reports
// that the chunk reaches the segment's end, so the read may go on into
// the next segment.
func (l *Log) segmentChunk(v segView, offset int64, budget int, maxOffset int64, first bool, interval int64) (Chunk, bool, error) {
	if v.size == 0 { // nothing to read, and perhaps no file yet (createLater)
		return Chunk{}, true, nil
	}
	f, err := v.s.handle()
	if err != nil {
		return Chunk{}, false, err
	}
	idx, _, err := v.s.indexes(v.size, interval)
	if err != nil {
		return Chunk{}, false, err
	}
	start, ok, err := l.findBatch(v, idx, f, offset, interval)
	if err != nil || !ok {
		return Chunk{}, !ok && err == nil, err
	}
	end, err := l.endFor(v, idx, f, start, maxOffset)
	if err != nil {
		return Chunk{}, false, err
	}
	full := end == v.size
	if end-start > int64(budget) {
		end, err = l.cutAtBudget(f, idx, start, end, budget, first)
		if err != nil {
			return Chunk{}, false, err
		}
		full = false
	}
	return Chunk{File: f, Pos: start, Size: int(end - start)}, full, nil
}

// findBatch returns the position of the first batch in v whose last
// offset is at or above offset; ok is false when there is none. An index
// entry that does not point at a batch with the expected offset makes the
// segment rebuild its indexes.
func (l *Log) findBatch(v segView, idx []indexEntry, f vfs.File, offset, interval int64) (int64, bool, error) {
	e, indexed := floorEntry(idx, v.s.relOf(offset))
	w := l.readWalker(f, int64(e.pos), v.size)
	defer l.putWalker(w)
	for first := true; ; first = false {
		h, p, err := w.next()
		if err == io.EOF {
			return 0, false, nil
		}
		if err != nil && !errors.Is(err, errTorn) {
			return 0, false, err
		}
		if errors.Is(err, errTorn) || (first && indexed && h.BaseOffset-v.s.base != int64(e.rel)) {
			if !indexed {
				return 0, false, fmt.Errorf("%w: segment %d unreadable at %d", ErrStorage, v.s.base, p)
			}
			l.logger.Warn("index does not match segment: rebuilding it", "segment", v.s.base)
			if err := v.s.invalidate(v.size, interval); err != nil {
				return 0, false, err
			}
			return l.findBatchFromZero(v, f, offset)
		}
		if h.LastOffset() >= offset {
			return p, true, nil
		}
	}
}

// findBatchFromZero walks the whole segment (after an index mismatch).
func (l *Log) findBatchFromZero(v segView, f vfs.File, offset int64) (int64, bool, error) {
	w := newWalker(f, 0, v.size, 64<<10)
	for {
		h, p, err := w.next()
		if err == io.EOF {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, fmt.Errorf("%w: segment %d: %w", ErrStorage, v.s.base, err)
		}
		if h.LastOffset() >= offset {
			return p, true, nil
		}
	}
}

// endFor returns where the read stops in v: before the first batch whose
// last offset is at or above maxOffset.
func (l *Log) endFor(v segView, idx []indexEntry, f vfs.File, start, maxOffset int64) (int64, error) {
	if v.next <= maxOffset {
		return v.size, nil
	}
	if v.ringP >= start {
		return v.ringP, nil
	}
	pos := max(floorPos(idx, v.s.relOf(maxOffset)), start)
	w := l.readWalker(f, pos, v.size)
	defer l.putWalker(w)
	for {
		h, p, err := w.next()
		if err == io.EOF {
			return v.size, nil
		}
		if err != nil {
			return 0, fmt.Errorf("%w: segment %d: %w", ErrStorage, v.s.base, err)
		}
		if h.LastOffset() >= maxOffset {
			return p, nil
		}
	}
}

// cutAtBudget returns the end of the last whole batch in [start, end) that
// fits in budget bytes; when none fits, the first batch's end if first
// (KIP-74), else start.
func (l *Log) cutAtBudget(f vfs.File, idx []indexEntry, start, end int64, budget int, first bool) (int64, error) {
	limit := start + int64(max(budget, 0))
	pos := max(floorPosByPos(idx, limit), start)
	w := l.readWalker(f, pos, end)
	defer l.putWalker(w)
	cut := pos
	for {
		h, p, err := w.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("%w: %w", ErrStorage, err)
		}
		batchEnd := p + int64(h.Size())
		if batchEnd > limit {
			if cut == start && first {
				return batchEnd, nil
			}
			break
		}
		cut = batchEnd
	}
	return cut, nil
}
