package log

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/record"
	"github.com/vltava/vltava/internal/vfs"
)

// cleaner is one cleaner thread's working set: its share of the dedupe
// buffer, codecs for recompression, scratch buffers. It cleans one log at
// a time.
type cleaner struct {
	offsets  *offsetMap
	codecs   *record.Codecs
	throttle *throttler // shared by the threads; nil: unthrottled
	clk      clock.Clock
	logger   *slog.Logger

	win     []byte                // walker window
	wbuf    []byte                // segment writers' buffer, reused (up to segWriterFlush plus a batch)
	dec     []byte                // decompressed records of the current batch
	kept    []keptRecord          // survivors of the current batch
	hdrs    []record.RecordHeader // their headers
	recs    []record.Record       // survivors handed to BuildBatch
	plan    *cleanPlan
	stats   CleanStats
	horizon int64 // latest delete horizon of a kept tombstone

	afterSwap func() // tests: called after each group's swap
}

// keptRecord is a surviving record; its headers are hdrs[h0:h1].
type keptRecord struct {
	rec    record.Record
	h0, h1 int
}

// cleanerWindow is the read window of the cleaner's walkers.
const cleanerWindow = 1 << 20

// newCleaner returns a cleaner whose dedupe map may use mapBytes.
func newCleaner(mapBytes int64, load float64, t *throttler, clk clock.Clock, logger *slog.Logger) *cleaner {
	return &cleaner{
		offsets: newOffsetMap(mapBytes, load), codecs: record.NewCodecs(), throttle: t,
		clk: clk, logger: logger, win: make([]byte, cleanerWindow),
	}
}

// clean cleans l once if it is eligible (always, with force); cleaned
// reports whether it did.
func (c *cleaner) clean(ctx context.Context, l *Log, force bool) (st CleanStats, cleaned bool, err error) {
	l.cleanMu.Lock()
	defer l.cleanMu.Unlock()
	now := c.clk.Now()
	p, ok, err := l.planClean(now.UnixMilli(), force)
	if err != nil || !ok {
		return CleanStats{}, false, err
	}
	defer releaseViews(p.views)
	l.cst.mu.Lock()
	l.cst.cleaning = true
	l.cst.mu.Unlock()
	c.plan, c.horizon = p, 0
	c.stats = CleanStats{Start: now, FirstDirty: p.c.firstDirty}
	err = c.run(ctx, l)
	c.stats.Duration = c.clk.Now().Sub(now)
	c.plan = nil
	return c.stats, err == nil, l.finishClean(c.stats, c.horizon, err)
}

// run builds the offset map and rewrites the segments below its end.
func (c *cleaner) run(ctx context.Context, l *Log) error {
	end, err := c.buildOffsetMap(ctx)
	if err != nil {
		return err
	}
	c.stats.EndOffset = end
	for _, g := range groupSegments(c.plan.views, end, &c.plan.cfg) {
		if err := c.cleanGroup(ctx, l, g); err != nil {
			return err
		}
	}
	l.logger.Info("cleaned log", "first_dirty", c.stats.FirstDirty, "end", end,
		"segments", c.stats.SegmentsBefore, "into", c.stats.SegmentsAfter,
		"bytes_read", c.stats.BytesRead, "bytes_written", c.stats.BytesWritten)
	return nil
}

// buildOffsetMap reads the dirty range into the offset map and returns
// where it stopped: the uncleanable point, or the first batch that might
// not fit.
func (c *cleaner) buildOffsetMap(ctx context.Context) (int64, error) {
	c.offsets.reset()
	p := c.plan
	for _, v := range p.views {
		if v.next <= p.c.firstDirty || v.s.base >= p.c.uncleanable {
			continue
		}
		end, full, err := c.mapSegment(ctx, v)
		if err != nil || full {
			return end, err
		}
	}
	return p.c.uncleanable, nil
}

// mapSegment adds one dirty segment's keys to the map; full reports that
// the map stopped at end.
func (c *cleaner) mapSegment(ctx context.Context, v segView) (end int64, full bool, err error) {
	err = c.walk(ctx, v, func(h *record.Header, b []byte, pos int64) error {
		if h.LastOffset() < c.plan.c.firstDirty || h.IsControl() || c.isAborted(h) {
			return nil
		}
		if c.offsets.size()+int(h.NumRecords) > c.offsets.capacity() {
			if h.BaseOffset <= c.plan.c.firstDirty {
				return fmt.Errorf("log cleaner: dedupe buffer too small for a batch of %d records at offset %d", h.NumRecords, h.BaseOffset)
			}
			end, full = h.BaseOffset, true
			return errStopWalk
		}
		return c.eachRecord(h, b, func(r *record.Record) {
			if off := h.BaseOffset + int64(r.OffsetDelta); r.Key != nil && off >= c.plan.c.firstDirty {
				c.offsets.put(r.Key, off)
			}
		})
	})
	return end, full, err
}

// errStopWalk ends a walk early without error.
var errStopWalk = errors.New("stop walk")

// walk calls fn for each batch of v, CRC-checked; a torn or corrupt batch
// is a corruption.
func (c *cleaner) walk(ctx context.Context, v segView, fn func(h *record.Header, b []byte, pos int64) error) error {
	f, err := v.s.handle()
	if err != nil {
		return err
	}
	w := &walker{f: f, end: v.size, buf: c.win}
	for n := 0; ; n++ {
		h, pos, err := w.next()
		switch {
		case err == io.EOF:
			return nil
		case errors.Is(err, errTorn):
			return corruptAt(v.s.base, w.pos, err)
		case err != nil:
			return err
		}
		b, err := w.batch(pos, h.Size())
		if err != nil {
			return corruptAt(v.s.base, pos, err)
		}
		if err := record.CheckCRC(b); err != nil {
			return corruptAt(v.s.base, pos, err)
		}
		c.stats.BytesRead += int64(len(b))
		if err := fn(&h, b, pos); err != nil {
			if errors.Is(err, errStopWalk) {
				return nil
			}
			return err
		}
		if err := c.pace(ctx, n, len(b)); err != nil {
			return err
		}
	}
}

// pace applies the I/O throttle and checks for cancellation.
func (c *cleaner) pace(ctx context.Context, n, bytes int) error {
	if n%64 == 0 && ctx.Err() != nil {
		return ctx.Err()
	}
	return c.throttle.wait(ctx, int64(bytes))
}

// eachRecord decodes the records of the batch b (decompressing it
// into c.dec) and calls fn for each; the record's slices stay valid until
// the next batch. Undecodable records are a corruption.
func (c *cleaner) eachRecord(h *record.Header, b []byte, fn func(r *record.Record)) error {
	recs := b[record.HeaderSize:]
	if h.Codec() != record.CodecNone {
		var err error
		if c.dec, err = c.codecs.Decompress(h.Codec(), recs, c.dec[:0]); err != nil {
			return corruptBatch(h.BaseOffset, err)
		}
		recs = c.dec
	}
	err := record.IterRecords(recs, h.NumRecords, func(r *record.Record) error {
		c.stats.RecordsRead++
		fn(r)
		return nil
	})
	if err != nil {
		return corruptBatch(h.BaseOffset, err)
	}
	return nil
}

// isAborted reports whether h is data of an aborted transaction, which a
// clean drops. Hook for transactions: nothing is aborted yet.
func (c *cleaner) isAborted(h *record.Header) bool { return false }

// keepControl reports whether a control batch stays. Hook for
// transactions: Kafka drops a marker once its transaction has no data
// left and the marker's delete horizon has passed; until transactions
// exist every marker stays.
func (c *cleaner) keepControl(h *record.Header) bool { return true }

// groupSegments groups the views below end into runs of consecutive
// segments that fit in one segment (segment.bytes, relative offsets).
func groupSegments(views []segView, end int64, cfg *Config) [][]segView {
	limit := min(cfg.SegmentBytes, maxSegmentSize)
	var groups [][]segView
	for i := 0; i < len(views) && views[i].s.base < end; {
		j, size := i+1, views[i].size
		for j < len(views) && views[j].s.base < end &&
			size+views[j].size <= limit && views[j].next-1-views[i].s.base <= maxRelOffset {
			size += views[j].size
			j++
		}
		groups = append(groups, views[i:j])
		i = j
	}
	return groups
}

// cleanGroup rewrites one group of segments into a cleaned segment and
// swaps it in.
func (c *cleaner) cleanGroup(ctx context.Context, l *Log, g []segView) error {
	base := g[0].s.base
	w, err := newSegWriter(l.fs, fileName(l.dir, base, extLog)+extCleaned, base, c.plan.cfg.IndexIntervalBytes)
	if err != nil {
		return err
	}
	// The buffer passes from writer to writer, so that a clean of many
	// segments grows it once instead of once per segment.
	w.buf = c.wbuf[:0]
	defer func() { c.wbuf = w.buf[:0] }()
	ns, err := c.writeGroup(ctx, w, g)
	if err != nil {
		w.f.Close()
		l.removeCleanedFiles(base)
		return err
	}
	if err := l.swapCleaned(g, ns); err != nil {
		if ns != nil {
			ns.release()
		}
		if errors.Is(err, errCleanRaced) {
			l.removeCleanedFiles(base)
			return nil // the next clean starts over from a fresh plan
		}
		return err
	}
	c.stats.SegmentsBefore += len(g)
	if ns != nil {
		c.stats.SegmentsAfter++
	}
	if c.afterSwap != nil {
		c.afterSwap()
	}
	return nil
}

// writeGroup filters the group's batches into w and finishes the cleaned
// segment: nil when it came out empty and is not the log's first segment
// (an empty first segment stays, to keep the log start).
func (c *cleaner) writeGroup(ctx context.Context, w *segWriter, g []segView) (*segment, error) {
	for _, v := range g {
		err := c.walk(ctx, v, func(h *record.Header, b []byte, pos int64) error {
			return c.filterBatch(w, h, b)
		})
		if err != nil {
			return nil, err
		}
	}
	if w.size() == 0 && g[0].s != c.plan.views[0].s {
		w.f.Close()
		w.fsys.Remove(w.path)
		return nil, nil
	}
	c.stats.BytesWritten += w.size()
	return w.finish()
}

// filterBatch writes what survives of one batch to w.
func (c *cleaner) filterBatch(w *segWriter, h *record.Header, b []byte) error {
	if h.IsControl() {
		if c.keepControl(h) {
			return w.add(b)
		}
		return nil
	}
	if c.isAborted(h) {
		return nil
	}
	tombstones, err := c.survivors(h, b)
	if err != nil {
		return err
	}
	needHorizon := tombstones && h.Attributes&record.AttrDeleteHorizon == 0
	switch {
	case len(c.kept) == 0:
		if last, ok := c.plan.lastOf[h.ProducerID]; ok && h.HasProducerID() && last == h.LastOffset() {
			if h.NumRecords == 0 {
				return w.add(b) // emptied by an earlier clean
			}
			return c.writeEmpty(w, h)
		}
		return nil
	case len(c.kept) == int(h.NumRecords) && !needHorizon:
		c.noteHorizon(h, tombstones, false)
		return w.add(b)
	default:
		return c.rebuild(w, h, needHorizon, tombstones)
	}
}

// survivors collects the batch's surviving records into c.kept and
// reports whether a tombstone is among them.
func (c *cleaner) survivors(h *record.Header, b []byte) (tombstones bool, err error) {
	c.kept, c.hdrs = c.kept[:0], c.hdrs[:0]
	err = c.eachRecord(h, b, func(r *record.Record) {
		if !c.retain(h, r) {
			return
		}
		c.stats.RecordsKept++
		tombstones = tombstones || r.Value == nil
		k := keptRecord{rec: *r, h0: len(c.hdrs)}
		c.hdrs = append(c.hdrs, r.Headers...)
		k.h1 = len(c.hdrs)
		k.rec.Headers = nil
		c.kept = append(c.kept, k)
	})
	return tombstones, err
}

// retain decides one record: it needs a key, no later offset for its key
// in the map, and, for a tombstone, a delete horizon not yet reached. A
// tombstone past its horizon stays when it lies beyond the map's end:
// older records of its key there were not looked at and would resurface.
func (c *cleaner) retain(h *record.Header, r *record.Record) bool {
	if r.Key == nil {
		return false
	}
	off := h.BaseOffset + int64(r.OffsetDelta)
	if latest, ok := c.offsets.get(r.Key); ok && off < latest {
		return false
	}
	expired := h.Attributes&record.AttrDeleteHorizon != 0 && c.plan.now >= h.FirstTimestamp
	return r.Value != nil || !expired || off >= c.stats.EndOffset
}

// noteHorizon remembers the delete horizon of a batch keeping tombstones:
// one this clean set, or an older one still ahead (an older one already
// passed belongs to a tombstone beyond the map's end, which the next clean
// reaches anyway; counting it would make the log eligible at once, again
// and again).
func (c *cleaner) noteHorizon(h *record.Header, tombstones, set bool) {
	if tombstones && h.Attributes&record.AttrDeleteHorizon != 0 && (set || h.FirstTimestamp > c.plan.now) {
		c.horizon = max(c.horizon, h.FirstTimestamp)
	}
}

// rebuild writes a new batch holding the survivors, with the original
// header fields and last offset, recompressed with the batch's codec; with
// needHorizon it sets the delete horizon (KIP-534).
func (c *cleaner) rebuild(w *segWriter, h *record.Header, needHorizon, tombstones bool) error {
	nh := *h
	if needHorizon {
		nh.Attributes |= record.AttrDeleteHorizon
		nh.FirstTimestamp = c.plan.now + c.plan.cfg.DeleteRetentionMs
	}
	c.noteHorizon(&nh, tombstones, needHorizon)
	recs := c.recs[:0]
	for _, k := range c.kept {
		r := k.rec
		r.Headers = c.hdrs[k.h0:k.h1]
		r.TimestampDelta += h.FirstTimestamp - nh.FirstTimestamp
		recs = append(recs, r)
	}
	c.recs = recs
	return w.build(nh, recs, c.codecs)
}

// writeEmpty keeps an emptied batch's header, as Kafka does for the last
// batch of a producer: no records, uncompressed, no first timestamp; the
// max timestamp and offsets as they were.
func (c *cleaner) writeEmpty(w *segWriter, h *record.Header) error {
	nh := *h
	nh.Attributes &^= record.AttrCompressionMask | record.AttrDeleteHorizon
	nh.FirstTimestamp = -1
	return w.build(nh, nil, nil)
}

// segWriter writes a cleaned segment's data, buffered, and builds its
// indexes.
type segWriter struct {
	f        vfs.File
	base     int64
	interval int64
	written  int64  // bytes in the file
	buf      []byte // bytes not written yet
	ib       indexBuilder
	path     string
	fsys     vfs.FS
}

// segWriterFlush is how much a segWriter buffers before writing.
const segWriterFlush = 1 << 20

func newSegWriter(fsys vfs.FS, path string, base, interval int64) (*segWriter, error) {
	f, err := fsys.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, storageErr("create cleaned segment", err)
	}
	return &segWriter{f: f, base: base, interval: interval, path: path, fsys: fsys}, nil
}

// size is the segment's size so far.
func (w *segWriter) size() int64 { return w.written + int64(len(w.buf)) }

// add appends a whole batch.
func (w *segWriter) add(b []byte) error {
	return w.appended(append(w.buf, b...))
}

// build appends a batch built from h and recs.
func (w *segWriter) build(h record.Header, recs []record.Record, codecs *record.Codecs) error {
	out, err := record.BuildBatch(w.buf, h, recs, codecs)
	if err != nil {
		return fmt.Errorf("log cleaner: rebuild batch at offset %d: %w", h.BaseOffset, err)
	}
	return w.appended(out)
}

// appended indexes the batch just appended to the buffer (now buf) and
// writes the buffer out when it is large.
func (w *segWriter) appended(buf []byte) error {
	pos := w.size()
	w.buf = buf
	h, err := record.ParseHeader(buf[pos-w.written:])
	if err != nil {
		return err
	}
	if w.size() > maxSegmentSize {
		return fmt.Errorf("log cleaner: cleaned segment %d would pass %d bytes", w.base, int64(maxSegmentSize))
	}
	w.ib.add(w.base, &h, pos, w.interval)
	if len(w.buf) >= segWriterFlush {
		return w.flush()
	}
	return nil
}

// flush writes the buffer to the file.
func (w *segWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.f.WriteAt(w.buf, w.written); err != nil {
		return storageErr("write cleaned segment", err)
	}
	w.written += int64(len(w.buf))
	w.buf = w.buf[:0]
	return nil
}

// finish writes and fsyncs the data and the indexes (as .cleaned files)
// and returns the new segment, its file open and its indexes loaded.
func (w *segWriter) finish() (*segment, error) {
	if err := w.flush(); err != nil {
		return nil, err
	}
	if err := w.f.Sync(); err != nil {
		return nil, storageErr("sync cleaned segment", err)
	}
	w.ib.finish()
	if err := writeSynced(w.fsys, fileName(filepath.Dir(w.path), w.base, extIndex)+extCleaned, encodeIndex(w.ib.idx)); err != nil {
		return nil, err
	}
	if err := writeSynced(w.fsys, fileName(filepath.Dir(w.path), w.base, extTimeIndex)+extCleaned, encodeTimeIndex(w.ib.tidx)); err != nil {
		return nil, err
	}
	s := newSegment(w.fsys, filepath.Dir(w.path), w.base, w.written)
	s.file, s.ib, s.loaded = w.f, w.ib, true
	return s, nil
}
