package log

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/record"
	"github.com/vltava/vltava/internal/vfs"
)

// spec describes a test batch.
type spec struct {
	n         int     // records
	ts        int64   // first record's timestamp; record i gets ts+i unless tss is set
	tss       []int64 // per-record timestamps
	valSize   int
	pid       int64 // -1: not idempotent
	epoch     int16
	seq       int32
	attrs     int16
	fillValue byte
}

func plain(n int, ts int64) spec { return spec{n: n, ts: ts, valSize: 10, pid: -1, epoch: -1, seq: -1} }

func idem(pid int64, epoch int16, seq int32, n int) spec {
	return spec{n: n, ts: t0.UnixMilli(), valSize: 10, pid: pid, epoch: epoch, seq: seq}
}

// build encodes a v2 batch with base offset 0 and a valid CRC.
func (s spec) build() []byte {
	var recs []byte
	tss := s.tss
	if tss == nil {
		for i := 0; i < s.n; i++ {
			tss = append(tss, s.ts+int64(i))
		}
	}
	maxTs := tss[0]
	for i := 0; i < s.n; i++ {
		maxTs = max(maxTs, tss[i])
		var body []byte
		body = append(body, 0)
		body = binary.AppendVarint(body, tss[i]-tss[0])
		body = binary.AppendVarint(body, int64(i))
		body = binary.AppendVarint(body, -1)
		body = binary.AppendVarint(body, int64(s.valSize))
		for j := 0; j < s.valSize; j++ {
			body = append(body, s.fillValue+byte(i))
		}
		body = binary.AppendVarint(body, 0)
		recs = binary.AppendVarint(recs, int64(len(body)))
		recs = append(recs, body...)
	}
	b := make([]byte, record.HeaderSize, record.HeaderSize+len(recs))
	binary.BigEndian.PutUint32(b[8:], uint32(record.HeaderSize-record.LogOverhead+len(recs)))
	binary.BigEndian.PutUint32(b[12:], 0xffffffff)
	b[16] = 2
	binary.BigEndian.PutUint16(b[21:], uint16(s.attrs))
	binary.BigEndian.PutUint32(b[23:], uint32(s.n-1))
	binary.BigEndian.PutUint64(b[27:], uint64(tss[0]))
	binary.BigEndian.PutUint64(b[35:], uint64(maxTs))
	binary.BigEndian.PutUint64(b[43:], uint64(s.pid))
	binary.BigEndian.PutUint16(b[51:], uint16(s.epoch))
	binary.BigEndian.PutUint32(b[53:], uint32(s.seq))
	binary.BigEndian.PutUint32(b[57:], uint32(s.n))
	b = append(b, recs...)
	binary.BigEndian.PutUint32(b[17:], record.ComputeCRC(b))
	return b
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// env is a test log's world.
type env struct {
	t   testing.TB
	fs  *vfs.Mem
	clk *clock.Manual
	dir string
	cfg Config
	// pidExpiration is Options.ProducerIDExpiration (0: the default).
	pidExpiration time.Duration
}

func newEnv(t testing.TB) *env {
	fs := vfs.NewMem()
	return &env{t: t, fs: fs, clk: clock.NewManual(t0), dir: "/data/topic-0", cfg: DefaultConfig()}
}

func (e *env) open() *Log {
	e.t.Helper()
	l, err := e.tryOpen()
	if err != nil {
		e.t.Fatalf("Open: %v", err)
	}
	e.t.Cleanup(func() { l.Close() })
	return l
}

func (e *env) tryOpen() (*Log, error) {
	return Open(Options{FS: e.fs, Dir: e.dir, Config: e.cfg, Clock: e.clk, Topic: "topic", ProducerIDExpiration: e.pidExpiration})
}

// stop ends l: with crash, a flush and then a crash that loses nothing
// flushed; otherwise a clean close.
func (e *env) stop(l *Log, crash bool) {
	e.t.Helper()
	if crash {
		if err := l.Flush(l.LogEndOffset()); err != nil {
			e.t.Fatal(err)
		}
		e.fs.Crash()
	} else if err := l.Close(); err != nil {
		e.t.Fatal(err)
	}
}

// appendN appends batches of n records each and returns their infos.
func appendN(t testing.TB, l *Log, batches, n int) []AppendInfo {
	t.Helper()
	var out []AppendInfo
	for i := 0; i < batches; i++ {
		info, err := l.AppendAsLeader(plain(n, 1000+int64(i)*10).build(), 1)
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		out = append(out, info)
	}
	return out
}

// got is a batch seen by a read.
type got struct{ base, last int64 }

// readBatches reads and splits the result into batches, checking CRCs.
func readBatches(t testing.TB, l *Log, offset int64, maxBytes int, maxOffset int64) ([]got, int) {
	t.Helper()
	res, err := l.Read(offset, maxBytes, maxOffset)
	if err != nil {
		t.Fatalf("Read(%d, %d, %d): %v", offset, maxBytes, maxOffset, err)
	}
	defer res.Release()
	b, err := res.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return splitBatches(t, b), res.Size
}

func splitBatches(t testing.TB, b []byte) []got {
	t.Helper()
	var out []got
	for len(b) > 0 {
		h, err := record.ParseHeader(b)
		if err != nil || h.Size() > len(b) {
			t.Fatalf("read returned a partial batch: %v", err)
		}
		if err := record.CheckCRC(b[:h.Size()]); err != nil {
			t.Fatalf("batch %d: %v", h.BaseOffset, err)
		}
		out = append(out, got{h.BaseOffset, h.LastOffset()})
		b = b[h.Size():]
	}
	return out
}

// readAll reads everything from offset to the end, following segments.
func readAll(t testing.TB, l *Log, offset int64) []got {
	t.Helper()
	var all []got
	for offset < l.LogEndOffset() {
		bs, _ := readBatches(t, l, offset, 1<<30, l.LogEndOffset())
		if len(bs) == 0 {
			t.Fatalf("empty read at %d below end %d", offset, l.LogEndOffset())
		}
		all = append(all, bs...)
		offset = bs[len(bs)-1].last + 1
	}
	return all
}

// wantContiguous checks that batches of n records cover [from, to).
func wantContiguous(t testing.TB, bs []got, from, to int64, n int) {
	t.Helper()
	next := from
	for _, b := range bs {
		if b.base != next || b.last != b.base+int64(n)-1 {
			t.Fatalf("batch %+v, want base %d with %d records", b, next, n)
		}
		next = b.last + 1
	}
	if next != to {
		t.Fatalf("batches end at %d, want %d", next, to)
	}
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
}

// idemAt is a one-record idempotent batch with maxTimestamp ts.
func idemAt(pid int64, epoch int16, seq int32, ts int64) spec {
	s := idem(pid, epoch, seq, 1)
	s.ts = ts
	return s
}

// txnAt is a one-record transactional batch with maxTimestamp ts.
func txnAt(pid int64, epoch int16, seq int32, ts int64) spec {
	s := idemAt(pid, epoch, seq, ts)
	s.attrs = record.AttrTransactional
	return s
}

// markerAt is a transaction marker of the producer (a control batch; the
// log reads only its header) with maxTimestamp ts.
func markerAt(pid int64, epoch int16, ts int64) spec {
	return spec{n: 1, ts: ts, pid: pid, epoch: epoch, seq: -1, attrs: record.AttrTransactional | record.AttrControl}
}

func mustAppend(t *testing.T, l *Log, s spec) AppendInfo {
	t.Helper()
	info, err := l.AppendAsLeader(s.build(), 0)
	if err != nil {
		t.Fatalf("append %+v: %v", s, err)
	}
	return info
}
