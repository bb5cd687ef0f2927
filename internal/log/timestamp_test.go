package log

import (
	"testing"

	"github.com/vltava/vltava/internal/record"
)

func TestOffsetForTimestamp(t *testing.T) {
	e := newEnv(t)
	e.cfg.SegmentBytes = 400
	e.cfg.IndexIntervalBytes = 100
	l := e.open()
	// Batches of 3 records; batch i has timestamps 1000+100i, +10, +20,
	// except batch 4 whose records go back in time: 1450, 1300, 1460.
	for i := 0; i < 10; i++ {
		s := plain(3, 0)
		base := 1000 + int64(i)*100
		s.tss = []int64{base, base + 10, base + 20}
		if i == 4 {
			s.tss = []int64{1450, 1300, 1460}
		}
		if _, err := l.AppendAsLeader(s.build(), 0); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		ts, off, gotTs int64
		ok             bool
	}{
		{0, 0, 1000, true},
		{1000, 0, 1000, true},
		{1005, 1, 1010, true},
		{1021, 3, 1100, true},
		{1300, 9, 1300, true},  // batch 3 (1300..1320) comes first
		{1321, 12, 1450, true}, // first record of batch 4
		{1455, 14, 1460, true}, // third record of batch 4
		{1920, 29, 1920, true},
		{1921, -1, -1, false},
	}
	for _, c := range cases {
		off, ts, ok := l.OffsetForTimestamp(c.ts)
		if off != c.off || ts != c.gotTs || ok != c.ok {
			t.Errorf("OffsetForTimestamp(%d) = %d, %d, %v; want %d, %d, %v", c.ts, off, ts, ok, c.off, c.gotTs, c.ok)
		}
	}
	if ts, off := l.MaxTimestamp(); ts != 1920 || off != 29 {
		t.Fatalf("MaxTimestamp = %d, %d", ts, off)
	}
	// Records below the log start are not answers.
	l.SetHighWatermark(30)
	if _, err := l.DeleteRecordsBefore(13); err != nil {
		t.Fatal(err)
	}
	if off, ts, ok := l.OffsetForTimestamp(0); off != 13 || ts != 1300 || !ok {
		t.Fatalf("after DeleteRecords: %d %d %v", off, ts, ok)
	}
	// Reopened cleanly, the answers come from the index files.
	l.Close()
	l = e.open()
	if off, _, _ := l.OffsetForTimestamp(1455); off != 14 {
		t.Fatalf("after reopen: %d", off)
	}
}

func TestMaxTimestampInsideBatch(t *testing.T) {
	l := newEnv(t).open()
	if ts, off := l.MaxTimestamp(); ts != -1 || off != -1 {
		t.Fatalf("empty log: %d %d", ts, off)
	}
	s := plain(4, 0)
	s.tss = []int64{500, 900, 700, 900}
	appendN(t, l, 2, 1) // offsets 0, 1 with timestamps 1000, 1010
	if _, err := l.AppendAsLeader(s.build(), 0); err != nil {
		t.Fatal(err)
	}
	if ts, off := l.MaxTimestamp(); ts != 1010 || off != 1 {
		t.Fatalf("MaxTimestamp = %d, %d", ts, off)
	}
	s.tss = []int64{500, 2000, 700, 2000}
	if _, err := l.AppendAsLeader(s.build(), 0); err != nil {
		t.Fatal(err)
	}
	if ts, off := l.MaxTimestamp(); ts != 2000 || off != 7 {
		t.Fatalf("MaxTimestamp = %d, %d; want 2000, 7", ts, off)
	}
}

func TestCompressedBatchTimestamps(t *testing.T) {
	l := newEnv(t).open()
	s := plain(3, 100)
	s.attrs = record.CodecGzip // records are not really gzip: without Decompress they are not read
	if _, err := l.AppendAsLeader(s.build(), 0); err != nil {
		t.Fatal(err)
	}
	if off, ts, ok := l.OffsetForTimestamp(101); off != 0 || ts != 102 || !ok {
		t.Fatalf("compressed: %d %d %v", off, ts, ok)
	}
	l.decompress = func(codec int, data []byte) ([]byte, error) { return data, nil }
	if off, ts, ok := l.OffsetForTimestamp(101); off != 1 || ts != 101 || !ok {
		t.Fatalf("with Decompress: %d %d %v", off, ts, ok)
	}
}
