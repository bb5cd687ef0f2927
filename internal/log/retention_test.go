package log

import (
	"fmt"
	"testing"
	"time"

	"github.com/vltava/vltava/internal/clock"
)

func TestRetentionByTime(t *testing.T) {
	e := newEnv(t)
	size := int64(len(plain(1, 0).build()))
	e.cfg.SegmentBytes = 2 * size
	e.cfg.RetentionMs = 60_000
	l := e.open()
	now := t0.UnixMilli()
	for i := 0; i < 6; i++ { // record timestamps: now-120s .. now-70s, 10 s apart
		if _, err := l.AppendAsLeader(plain(1, now-120_000+int64(i)*10_000).build(), 0); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ { // fresh ones
		if _, err := l.AppendAsLeader(plain(1, now).build(), 0); err != nil {
			t.Fatal(err)
		}
	}
	l.SetHighWatermark(l.LogEndOffset())
	// Segments: [0,1] [2,3] [4,5] [6,7]: the first three are older than 60 s.
	n, err := l.EnforceRetention()
	if err != nil || n != 3 {
		t.Fatalf("deleted %d, %v", n, err)
	}
	if l.LogStartOffset() != 6 || l.NumSegments() != 1 {
		t.Fatalf("start %d segments %d", l.LogStartOffset(), l.NumSegments())
	}
	_, err = l.Read(5, 100, 8)
	wantErr(t, err, ErrOffsetOutOfRange)
	wantContiguous(t, readAll(t, l, 6), 6, 8, 1)
	// The active segment expires too: it is rolled first and the log stays usable.
	e.clk.Advance(2 * time.Minute)
	n, err = l.EnforceRetention()
	if err != nil || n != 1 {
		t.Fatalf("deleted %d, %v", n, err)
	}
	if l.LogStartOffset() != 8 || l.LogEndOffset() != 8 || l.NumSegments() != 1 || l.Size() != 0 {
		t.Fatalf("start %d end %d segments %d size %d", l.LogStartOffset(), l.LogEndOffset(), l.NumSegments(), l.Size())
	}
	info, err := l.AppendAsLeader(plain(1, e.clk.Now().UnixMilli()).build(), 0)
	if err != nil || info.FirstOffset != 8 {
		t.Fatalf("%+v %v", info, err)
	}
	// Deleted segments' files are gone once no reader holds them.
	ents, _ := e.fs.ReadDir(e.dir)
	for _, en := range ents {
		if b, ok := parseOffsetName(en.Name(), extLog); ok && b < 8 {
			t.Fatalf("segment file %s left", en.Name())
		}
	}
}

func TestRetentionRespectsHighWatermark(t *testing.T) {
	e := newEnv(t)
	e.cfg.SegmentBytes = int64(len(plain(1, 0).build()))
	e.cfg.RetentionMs = 0
	l := e.open()
	appendN(t, l, 4, 1)
	l.SetHighWatermark(2)
	n, err := l.EnforceRetention()
	if err != nil || n != 2 || l.LogStartOffset() != 2 {
		t.Fatalf("deleted %d start %d %v", n, l.LogStartOffset(), err)
	}
}

func TestRetentionBySize(t *testing.T) {
	e := newEnv(t)
	size := int64(len(plain(1, 0).build()))
	e.cfg.SegmentBytes = 2 * size
	e.cfg.RetentionBytes = 3 * size
	e.cfg.RetentionMs = -1
	l := e.open()
	appendN(t, l, 7, 1) // segments [0,1] [2,3] [4,5] [6]
	l.SetHighWatermark(7)
	n, err := l.EnforceRetention()
	// 7 batches; dropping [0,1] leaves 5 > 3, dropping [2,3] leaves 3.
	if err != nil || n != 2 || l.LogStartOffset() != 4 || l.Size() != 3*size {
		t.Fatalf("deleted %d start %d size %d %v", n, l.LogStartOffset(), l.Size(), err)
	}
}

func TestRetentionWaitsForReaders(t *testing.T) {
	e := newEnv(t)
	size := int64(len(plain(1, 0).build()))
	e.cfg.SegmentBytes = size
	e.cfg.RetentionMs = 0
	l := e.open()
	appendN(t, l, 3, 1)
	l.SetHighWatermark(3)
	res, err := l.Read(0, 100, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.EnforceRetention(); err != nil {
		t.Fatal(err)
	}
	b, err := res.Bytes() // the deleted segment's file is still readable
	if err != nil || len(splitBatches(t, b)) == 0 {
		t.Fatalf("read after delete: %v", err)
	}
	if _, err := e.fs.Stat(fileName(e.dir, 0, extLog) + extDeleted); err != nil {
		t.Fatalf("held segment should be renamed, not removed: %v", err)
	}
	res.Release()
	if _, err := e.fs.Stat(fileName(e.dir, 0, extLog) + extDeleted); err == nil {
		t.Fatal("released segment not removed")
	}
}

func TestDeleteRecordsBefore(t *testing.T) {
	e := newEnv(t)
	size := int64(len(plain(2, 0).build()))
	e.cfg.SegmentBytes = 2 * size
	l := e.open()
	appendN(t, l, 6, 2) // segments [0..3] [4..7] [8..11]
	l.SetHighWatermark(10)
	_, err := l.DeleteRecordsBefore(11)
	wantErr(t, err, ErrOffsetOutOfRange)
	start, err := l.DeleteRecordsBefore(5)
	if err != nil || start != 5 || l.LogStartOffset() != 5 || l.NumSegments() != 2 {
		t.Fatalf("start %d segments %d %v", start, l.NumSegments(), err)
	}
	_, err = l.Read(4, 100, 10)
	wantErr(t, err, ErrOffsetOutOfRange)
	bs, _ := readBatches(t, l, 5, 1<<20, 10) // the batch holding 5 starts at 4
	wantContiguous(t, bs, 4, 10, 2)
	if s, _ := l.DeleteRecordsBefore(3); s != 5 {
		t.Fatalf("moving back: %d", s)
	}
	// Persisted at once: survives a crash.
	if err := l.Flush(l.LogEndOffset()); err != nil {
		t.Fatal(err)
	}
	e.fs.Crash()
	l = e.open()
	if l.LogStartOffset() != 5 {
		t.Fatalf("log start after crash %d", l.LogStartOffset())
	}
	// -1 means the high watermark.
	l.SetHighWatermark(l.LogEndOffset())
	if s, err := l.DeleteRecordsBefore(-1); err != nil || s != 12 {
		t.Fatalf("delete to HW: %d %v", s, err)
	}
	if l.LogStartOffset() != 12 || l.Size() != 0 {
		t.Fatalf("start %d size %d", l.LogStartOffset(), l.Size())
	}
	info, err := l.AppendAsLeader(plain(1, 0).build(), 0)
	if err != nil || info.FirstOffset != 12 || info.LogStartOffset != 12 {
		t.Fatalf("%+v %v", info, err)
	}
}

func TestSegmentMsRoll(t *testing.T) {
	e := newEnv(t)
	e.cfg.SegmentMs = 1000
	l := e.open()
	appendN(t, l, 1, 1)
	if err := l.MaybeRoll(); err != nil || l.NumSegments() != 1 {
		t.Fatalf("early roll: %d %v", l.NumSegments(), err)
	}
	e.clk.Advance(time.Second)
	if err := l.MaybeRoll(); err != nil || l.NumSegments() != 2 {
		t.Fatalf("no roll: %d %v", l.NumSegments(), err)
	}
	if err := l.MaybeRoll(); err != nil || l.NumSegments() != 2 {
		t.Fatalf("empty segment rolled: %d %v", l.NumSegments(), err)
	}
	e.clk.Advance(time.Second)
	appendN(t, l, 1, 1)
	e.clk.Advance(time.Second)
	appendN(t, l, 1, 1) // the append itself rolls an old active segment
	if l.NumSegments() != 3 {
		t.Fatalf("%d segments", l.NumSegments())
	}
	// After a restart the active segment's age counts from the restart.
	l.Close()
	e.clk.Advance(time.Hour)
	l = e.open()
	appendN(t, l, 1, 1)
	if err := l.MaybeRoll(); err != nil || l.NumSegments() != 3 {
		t.Fatalf("rolled right after restart: %d %v", l.NumSegments(), err)
	}
}

// TestSegmentJitterMs: segment.jitter.ms takes a random amount below
// min(segment.jitter.ms, segment.ms) off each segment's segment.ms, so
// that of many partitions created together some roll early and all by
// segment.ms.
func TestSegmentJitterMs(t *testing.T) {
	const logs = 100
	clk := clock.NewManual(t0)
	var ls []*Log
	for i := range logs {
		e := newEnv(t)
		e.clk = clk
		e.dir = fmt.Sprintf("/data/topic-%d", i)
		e.cfg.SegmentMs = 1000
		e.cfg.SegmentJitterMs = 1 << 40 // capped at segment.ms
		l := e.open()
		appendN(t, l, 1, 1)
		ls = append(ls, l)
	}
	rolled := func() int {
		t.Helper()
		n := 0
		for _, l := range ls {
			if err := l.MaybeRoll(); err != nil {
				t.Fatal(err)
			}
			if l.NumSegments() == 2 {
				n++
			}
		}
		return n
	}
	if n := rolled(); n != 0 {
		t.Fatalf("%d of %d logs rolled at once", n, logs)
	}
	clk.Advance(500 * time.Millisecond)
	if n := rolled(); n == 0 || n == logs {
		t.Fatalf("%d of %d logs rolled half way through segment.ms: the jitter is not spread", n, logs)
	}
	clk.Advance(500 * time.Millisecond)
	if n := rolled(); n != logs {
		t.Fatalf("%d of %d logs rolled at segment.ms", n, logs)
	}
}

func TestIndexFullRoll(t *testing.T) {
	e := newEnv(t)
	e.cfg.IndexIntervalBytes = 0 // an entry for every batch after the first
	e.cfg.SegmentIndexBytes = 3 * timeEntrySize
	l := e.open()
	appendN(t, l, 10, 1)
	if l.NumSegments() < 3 {
		t.Fatalf("%d segments: index-full rolls missing", l.NumSegments())
	}
	wantContiguous(t, readAll(t, l, 0), 0, 10, 1)
}
