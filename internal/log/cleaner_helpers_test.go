package log

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/vltava/vltava/internal/record"
)

// kv is a test record: a nil val is a tombstone.
type kv struct {
	key string
	val []byte
}

func put(key, val string) kv { return kv{key: key, val: []byte(val)} }
func del(key string) kv      { return kv{key: key} }

// batchOpts describe a test batch's header.
type batchOpts struct {
	codec   int
	ts      int64
	pid     int64
	epoch   int16
	seq     int32
	headers bool // give each record a header
}

func plainOpts(ts int64) batchOpts { return batchOpts{ts: ts, pid: -1, epoch: -1, seq: -1} }

var testCodecs = record.NewCodecs()

// keyedBatch builds a v2 batch of keyed records; record i has timestamp
// o.ts+i.
func keyedBatch(t testing.TB, o batchOpts, kvs ...kv) []byte {
	t.Helper()
	h := record.Header{
		PartitionLeaderEpoch: -1, Attributes: int16(o.codec), FirstTimestamp: o.ts,
		LastOffsetDelta: int32(len(kvs) - 1), ProducerID: o.pid, ProducerEpoch: o.epoch, BaseSequence: o.seq,
	}
	recs := make([]record.Record, len(kvs))
	for i, r := range kvs {
		recs[i] = record.Record{OffsetDelta: int32(i), TimestampDelta: int64(i), Key: []byte(r.key), Value: r.val}
		if o.headers {
			recs[i].Headers = []record.RecordHeader{{Key: "h", Value: []byte(r.key)}}
		}
	}
	b, err := record.BuildBatch(nil, h, recs, testCodecs)
	if err != nil {
		t.Fatalf("build batch: %v", err)
	}
	return b
}

// appendKV appends one batch and publishes it (high watermark = end).
func appendKV(t testing.TB, l *Log, o batchOpts, kvs ...kv) AppendInfo {
	t.Helper()
	info, err := l.AppendAsLeader(keyedBatch(t, o, kvs...), 1)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	l.SetHighWatermark(l.LogEndOffset())
	return info
}

// rollNow closes the active segment.
func rollNow(t testing.TB, l *Log) {
	t.Helper()
	l.mu.Lock()
	err := l.rollLocked(l.leo)
	l.mu.Unlock()
	if err != nil {
		t.Fatalf("roll: %v", err)
	}
}

// readRec is a record read back from the log.
type readRec struct {
	offset int64
	key    string
	val    []byte
	ts     int64
	hdrs   []record.RecordHeader
	batch  record.Header
}

func (r readRec) String() string {
	if r.val == nil {
		return fmt.Sprintf("%d:%s=<nil>", r.offset, r.key)
	}
	return fmt.Sprintf("%d:%s=%s", r.offset, r.key, r.val)
}

// readKeyed reads every record from the log start to the end.
func readKeyed(t testing.TB, l *Log) []readRec {
	t.Helper()
	b := readBytes(t, l)
	var out []readRec
	for len(b) > 0 {
		n := record.BatchSize(b)
		h, err := record.ParseHeader(b)
		if err != nil || n > len(b) {
			t.Fatalf("bad batch in log: %v", err)
		}
		if err := record.CheckCRC(b[:n]); err != nil {
			t.Fatalf("batch at %d: %v", h.BaseOffset, err)
		}
		err = record.IterBatch(b[:n], testCodecs, func(r *record.Record) error {
			rr := readRec{offset: h.BaseOffset + int64(r.OffsetDelta), key: string(r.Key), ts: h.FirstTimestamp + r.TimestampDelta, batch: h}
			if r.Value != nil {
				rr.val = append([]byte{}, r.Value...)
			}
			for _, hd := range r.Headers {
				rr.hdrs = append(rr.hdrs, record.RecordHeader{Key: hd.Key, Value: append([]byte{}, hd.Value...)})
			}
			out = append(out, rr)
			return nil
		})
		if err != nil {
			t.Fatalf("iterate batch at %d: %v", h.BaseOffset, err)
		}
		b = b[n:]
	}
	return out
}

// readBytes returns the log's bytes from the start to the end.
func readBytes(t testing.TB, l *Log) []byte {
	t.Helper()
	var all []byte
	for off := l.LogStartOffset(); off < l.LogEndOffset(); {
		res, err := l.Read(off, 64<<20, l.LogEndOffset())
		if err != nil {
			t.Fatalf("read at %d: %v", off, err)
		}
		b, err := res.Bytes()
		res.Release()
		if err != nil {
			t.Fatalf("read bytes: %v", err)
		}
		if len(b) == 0 {
			break
		}
		all = append(all, b...)
		h, _ := record.ParseHeader(b[len(b)-lastBatchSize(b):])
		off = h.LastOffset() + 1
	}
	return all
}

// lastBatchSize returns the size of the last batch in b.
func lastBatchSize(b []byte) int {
	last := 0
	for p := 0; p < len(b); {
		n := record.BatchSize(b[p:])
		last = n
		p += n
	}
	return last
}

// testCleaner returns a cleaner with a map of mapBytes.
func (e *env) testCleaner(mapBytes int64) *cleaner {
	return newCleaner(mapBytes, 0.9, nil, e.clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// cleanNow runs one forced clean.
func cleanNow(t testing.TB, c *cleaner, l *Log) CleanStats {
	t.Helper()
	st, _, err := c.clean(context.Background(), l, true)
	if err != nil {
		t.Fatalf("clean: %v", err)
	}
	return st
}

// compactEnv is an env whose log is compacted.
func compactEnv(t testing.TB) *env {
	e := newEnv(t)
	e.cfg.Compact, e.cfg.Delete = true, false
	return e
}
