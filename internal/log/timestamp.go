package log

import (
	"encoding/binary"
	"errors"

	"github.com/vltava/vltava/internal/record"
)

// OffsetForTimestamp answers ListOffsets by timestamp as Kafka does: the
// offset and timestamp of the first record at or above the log start whose
// timestamp is at least ts. The segment and batch are found through the
// time index and batch maxTimestamps; inside the batch the records are
// read: exactly for uncompressed batches, for LogAppendTime batches (all
// records share the time) and, with Options.Decompress, for compressed
// ones; without it a compressed batch answers with its base offset and
// maxTimestamp. ok is false when no record is that recent. The caller
// drops answers at or above the high watermark (or last stable offset).
func (l *Log) OffsetForTimestamp(ts int64) (offset int64, timestamp int64, ok bool) {
	views, logStart := l.allSegments()
	defer releaseViews(views)
	interval := l.config().IndexIntervalBytes
	for _, v := range views {
		maxTs, _, any, err := v.s.maxTimestamp(v.size, interval)
		if err != nil || !any || maxTs < ts {
			continue
		}
		if off, t, found := l.searchSegment(v, ts, logStart, interval); found {
			return off, t, true
		}
	}
	return -1, -1, false
}

// allSegments references every segment with its published size.
func (l *Log) allSegments() ([]segView, int64) {
	l.rw.RLock()
	defer l.rw.RUnlock()
	views := make([]segView, 0, len(l.segs))
	for i, s := range l.segs {
		next := l.leo
		if i+1 < len(l.segs) {
			next = l.segs[i+1].base
		}
		s.acquire()
		views = append(views, segView{s: s, size: s.size, next: next})
	}
	return views, l.logStart
}

func releaseViews(views []segView) {
	for _, v := range views {
		v.s.release()
	}
}

// searchSegment finds the first record with timestamp >= ts in one
// segment.
func (l *Log) searchSegment(v segView, ts, logStart, interval int64) (int64, int64, bool) {
	idx, tidx, err := v.s.indexes(v.size, interval)
	if err != nil {
		return 0, 0, false
	}
	f, err := v.s.handle()
	if err != nil {
		return 0, 0, false
	}
	var pos int64
	if rel, ok := timeFloorRel(tidx, ts); ok {
		pos = floorPos(idx, rel)
	}
	w := newWalker(f, pos, v.size, 64<<10)
	for {
		h, p, err := w.next()
		if err != nil {
			return 0, 0, false
		}
		if h.MaxTimestamp < ts || h.LastOffset() < logStart {
			continue
		}
		b, err := w.batch(p, h.Size())
		if err != nil {
			return 0, 0, false
		}
		if off, t, ok := l.findRecord(&h, b, logStart, func(t int64) bool { return t >= ts }); ok {
			return off, t, true
		}
	}
}

// MaxTimestamp answers ListOffsets MAX_TIMESTAMP: the largest timestamp in
// the log and the offset of the first record holding it ((-1, -1) for an
// empty log). Inside compressed batches without Options.Decompress the
// batch's base offset stands for the record.
func (l *Log) MaxTimestamp() (timestamp int64, offset int64) {
	views, logStart := l.allSegments()
	defer releaseViews(views)
	interval := l.config().IndexIntervalBytes
	best, bestTs, bestRel := -1, int64(-1), uint32(0)
	for i, v := range views {
		ts, rel, ok, err := v.s.maxTimestamp(v.size, interval)
		if err == nil && ok && (best < 0 || ts > bestTs) {
			best, bestTs, bestRel = i, ts, rel
		}
	}
	if best < 0 {
		return -1, -1
	}
	v := views[best]
	base := v.s.base + int64(bestRel)
	off, ok := l.recordWithTimestamp(v, base, bestTs, logStart, interval)
	if !ok {
		return bestTs, base
	}
	return bestTs, off
}

// recordWithTimestamp finds the first record with timestamp ts in the
// batch whose base offset is base.
func (l *Log) recordWithTimestamp(v segView, base, ts, logStart, interval int64) (int64, bool) {
	idx, _, err := v.s.indexes(v.size, interval)
	if err != nil {
		return 0, false
	}
	f, err := v.s.handle()
	if err != nil {
		return 0, false
	}
	w := newWalker(f, floorPos(idx, v.s.relOf(base)), v.size, 64<<10)
	for {
		h, p, err := w.next()
		if err != nil || h.BaseOffset > base {
			return 0, false
		}
		if h.BaseOffset < base {
			continue
		}
		b, err := w.batch(p, h.Size())
		if err != nil {
			return 0, false
		}
		off, _, ok := l.findRecord(&h, b, logStart, func(t int64) bool { return t == ts })
		return off, ok
	}
}

// findRecord returns the first record of the batch b (at or above
// logStart) whose timestamp satisfies match.
func (l *Log) findRecord(h *record.Header, b []byte, logStart int64, match func(int64) bool) (int64, int64, bool) {
	if h.LogAppendTime() {
		return max(h.BaseOffset, logStart), h.MaxTimestamp, match(h.MaxTimestamp)
	}
	recs := b[record.HeaderSize:]
	if h.Codec() != record.CodecNone {
		if l.decompress == nil {
			return max(h.BaseOffset, logStart), h.MaxTimestamp, true
		}
		d, err := l.decompress(h.Codec(), recs)
		if err != nil {
			return max(h.BaseOffset, logStart), h.MaxTimestamp, true
		}
		recs = d
	}
	off, t, ok, err := scanRecords(recs, h, logStart, match)
	if err != nil { // unreadable records: answer at batch level
		return max(h.BaseOffset, logStart), h.MaxTimestamp, true
	}
	return off, t, ok
}

var errBadRecord = errors.New("log: unreadable record")

// scanRecords walks the records' headers (length, attributes, timestamp
// delta, offset delta) for the first match.
func scanRecords(recs []byte, h *record.Header, logStart int64, match func(int64) bool) (int64, int64, bool, error) {
	for i := int32(0); i < h.NumRecords && len(recs) > 0; i++ {
		length, n := binary.Varint(recs)
		if n <= 0 || length < 0 || int64(len(recs)-n) < length {
			return 0, 0, false, errBadRecord
		}
		body := recs[n : n+int(length)]
		recs = recs[n+int(length):]
		if len(body) < 1 {
			return 0, 0, false, errBadRecord
		}
		tsDelta, n1 := binary.Varint(body[1:])
		if n1 <= 0 {
			return 0, 0, false, errBadRecord
		}
		offDelta, n2 := binary.Varint(body[1+n1:])
		if n2 <= 0 {
			return 0, 0, false, errBadRecord
		}
		off, ts := h.BaseOffset+offDelta, h.FirstTimestamp+tsDelta
		if off >= logStart && match(ts) {
			return off, ts, true, nil
		}
	}
	return 0, 0, false, nil
}
