package log

import (
	"bytes"
	"testing"

	"github.com/vltava/vltava/internal/record"
)

func TestAppendReadRoundTrip(t *testing.T) {
	e := newEnv(t)
	l := e.open()
	var sent [][]byte
	for i := 0; i < 10; i++ {
		b := plain(3, 1000+int64(i)).build()
		info, err := l.AppendAsLeader(b, 7)
		if err != nil {
			t.Fatal(err)
		}
		if info.FirstOffset != int64(i*3) || info.LastOffset != int64(i*3+2) || info.LogAppendTime != -1 || info.Duplicate || info.FlushNeeded {
			t.Fatalf("append %d: %+v", i, info)
		}
		sent = append(sent, b)
	}
	if l.LogEndOffset() != 30 || l.LogStartOffset() != 0 {
		t.Fatalf("LEO %d start %d", l.LogEndOffset(), l.LogStartOffset())
	}
	res, err := l.Read(0, 1<<20, 30)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := res.Bytes()
	res.Release()
	if !bytes.Equal(b, bytes.Join(sent, nil)) {
		t.Fatal("read bytes differ from the appended (rewritten) batches")
	}
	h, _ := record.ParseHeader(b)
	if h.PartitionLeaderEpoch != 7 || h.BaseOffset != 0 {
		t.Fatalf("header %+v", h)
	}
	bs, _ := readBatches(t, l, 4, 1<<20, 30)
	wantContiguous(t, bs, 3, 30, 3)
	if bs, size := readBatches(t, l, 30, 1<<20, 30); len(bs) != 0 || size != 0 {
		t.Fatalf("read at LEO: %v", bs)
	}
	_, err = l.Read(31, 1<<20, 30)
	wantErr(t, err, ErrOffsetOutOfRange)
}

func TestReadLimits(t *testing.T) {
	e := newEnv(t)
	l := e.open()
	appendN(t, l, 10, 2) // offsets 0..19, batches of 2
	size := len(plain(2, 0).build())

	// maxOffset (high watermark) stops before batches not below it.
	bs, _ := readBatches(t, l, 0, 1<<20, 6)
	wantContiguous(t, bs, 0, 6, 2)
	bs, _ = readBatches(t, l, 0, 1<<20, 7) // batch 6-7 is not wholly below 7
	wantContiguous(t, bs, 0, 6, 2)
	bs, _ = readBatches(t, l, 6, 1<<20, 6)
	if len(bs) != 0 {
		t.Fatalf("read at maxOffset: %v", bs)
	}
	// maxBytes: whole batches only.
	bs, n := readBatches(t, l, 0, 3*size+size/2, 20)
	wantContiguous(t, bs, 0, 6, 2)
	if n != 3*size {
		t.Fatalf("size %d, want %d", n, 3*size)
	}
	// KIP-74: the first batch comes whole even if bigger than maxBytes.
	bs, _ = readBatches(t, l, 8, 1, 20)
	wantContiguous(t, bs, 8, 10, 2)
}

func TestReadAcrossSegments(t *testing.T) {
	e := newEnv(t)
	size := int64(len(plain(2, 0).build()))
	e.cfg.SegmentBytes = 3 * size // three batches per segment
	l := e.open()
	appendN(t, l, 20, 2)
	if got := l.NumSegments(); got != 7 {
		t.Fatalf("%d segments, want 7", got)
	}
	wantContiguous(t, readAll(t, l, 0), 0, 40, 2)
	// A read that starts mid-segment continues into the next segments.
	bs, _ := readBatches(t, l, 5, 1<<20, 40)
	if bs[0].base != 4 || len(bs) < 3 {
		t.Fatalf("read from 5: %v", bs)
	}
	wantContiguous(t, bs, 4, bs[len(bs)-1].last+1, 2)
	// maxOffset inside a later segment.
	bs, _ = readBatches(t, l, 0, 1<<20, 14)
	wantContiguous(t, bs, 0, 14, 2)
	// Reopen cleanly: the segments are listed, not scanned, and read the same.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = e.open()
	if l.LogEndOffset() != 40 || l.NumSegments() != 7 {
		t.Fatalf("after reopen LEO %d segments %d", l.LogEndOffset(), l.NumSegments())
	}
	wantContiguous(t, readAll(t, l, 0), 0, 40, 2)
	appendN(t, l, 1, 2)
	wantContiguous(t, readAll(t, l, 30), 30, 42, 2)
}

func TestSparseIndexLookups(t *testing.T) {
	e := newEnv(t)
	e.cfg.IndexIntervalBytes = 100
	l := e.open()
	appendN(t, l, 200, 1)
	for _, off := range []int64{0, 1, 57, 123, 198, 199} {
		bs, _ := readBatches(t, l, off, 1, 200)
		if len(bs) != 1 || bs[0].base != off {
			t.Fatalf("read %d: %v", off, bs)
		}
	}
	bs, _ := readBatches(t, l, 10, 1<<20, 150)
	wantContiguous(t, bs, 10, 150, 1)
}

func TestLogAppendTime(t *testing.T) {
	e := newEnv(t)
	e.cfg.MessageTimestampLogAppendTime = true
	l := e.open()
	info, err := l.AppendAsLeader(plain(2, 5).build(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if info.LogAppendTime != t0.UnixMilli() {
		t.Fatalf("LogAppendTime %d", info.LogAppendTime)
	}
	res, _ := l.Read(0, 1000, 2)
	b, _ := res.Bytes()
	res.Release()
	h, _ := record.ParseHeader(b)
	if !h.LogAppendTime() || h.MaxTimestamp != t0.UnixMilli() || record.CheckCRC(b) != nil {
		t.Fatalf("header %+v", h)
	}
}

func TestAppendRejectsBadBatch(t *testing.T) {
	l := newEnv(t).open()
	b := plain(1, 0).build()
	_, err := l.AppendAsLeader(b[:len(b)-1], 0)
	wantErr(t, err, ErrCorruptBatch)
	_, err = l.AppendAsLeader([]byte{1, 2, 3}, 0)
	wantErr(t, err, ErrCorruptBatch)
	if l.LogEndOffset() != 0 {
		t.Fatal("bad batch appended")
	}
}
