package log

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/vltava/vltava/internal/record"
)

// recStrings renders records for comparison.
func recStrings(rs []readRec) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

func TestCleanKeepsLatestPerKey(t *testing.T) {
	e := compactEnv(t)
	l := e.open()
	appendKV(t, l, plainOpts(1000), put("a", "1"), put("b", "1"), put("c", "1")) // 0-2
	appendKV(t, l, plainOpts(2000), put("a", "2"), del("b"))                     // 3-4
	rollNow(t, l)
	appendKV(t, l, plainOpts(3000), put("c", "2"), put("d", "1")) // 5-6
	rollNow(t, l)
	appendKV(t, l, plainOpts(4000), put("a", "3")) // 7: active segment, not cleaned
	c := e.testCleaner(1 << 20)
	st := cleanNow(t, c, l)
	want := []string{"3:a=2", "4:b=<nil>", "5:c=2", "6:d=1", "7:a=3"}
	if got := recStrings(readKeyed(t, l)); !slices.Equal(got, want) {
		t.Fatalf("after clean: %v, want %v", got, want)
	}
	if st.EndOffset != 7 || st.SegmentsBefore != 2 || st.SegmentsAfter != 1 || st.RecordsKept != 4 {
		t.Fatalf("stats %+v", st)
	}
	if n := l.NumSegments(); n != 2 {
		t.Fatalf("segments after merge: %d, want 2", n)
	}
	if l.LogStartOffset() != 0 || l.LogEndOffset() != 8 {
		t.Fatalf("start %d end %d", l.LogStartOffset(), l.LogEndOffset())
	}
}

func TestCleanTombstoneDeleteHorizon(t *testing.T) {
	e := compactEnv(t)
	e.cfg.DeleteRetentionMs = 60_000
	l := e.open()
	appendKV(t, l, plainOpts(1000), put("a", "1"), put("b", "1"))
	appendKV(t, l, plainOpts(2000), del("a"))
	rollNow(t, l)
	appendKV(t, l, plainOpts(3000), put("c", "1"))
	c := e.testCleaner(1 << 20)
	cleanNow(t, c, l)
	got := readKeyed(t, l)
	if s := recStrings(got); !slices.Equal(s, []string{"1:b=1", "2:a=<nil>", "3:c=1"}) {
		t.Fatalf("first clean: %v", s)
	}
	tomb := got[1]
	horizon := t0.UnixMilli() + 60_000
	if tomb.batch.Attributes&record.AttrDeleteHorizon == 0 || tomb.batch.FirstTimestamp != horizon {
		t.Fatalf("tombstone batch attrs %#x first ts %d, want horizon %d", tomb.batch.Attributes, tomb.batch.FirstTimestamp, horizon)
	}
	if tomb.ts != 2000 {
		t.Fatalf("tombstone timestamp %d, want 2000 (unchanged by the horizon)", tomb.ts)
	}
	if st := l.CleanerStatus(); st.LastCleanTime.UnixMilli() != t0.UnixMilli() || st.FirstDirtyOffset != 3 {
		t.Fatalf("status %+v", st)
	}
	e.clk.Advance(59 * time.Second)
	cleanNow(t, c, l)
	if s := recStrings(readKeyed(t, l)); !slices.Equal(s, []string{"1:b=1", "2:a=<nil>", "3:c=1"}) {
		t.Fatalf("before the horizon: %v", s)
	}
	if sc, ok := l.cleanScore(e.clk.Now().UnixMilli()); ok {
		t.Fatalf("eligible (score %v) before the horizon", sc)
	}
	e.clk.Advance(time.Second)
	if _, ok := l.cleanScore(e.clk.Now().UnixMilli()); !ok {
		t.Fatal("not eligible once the delete horizon passed")
	}
	cleanNow(t, c, l)
	if s := recStrings(readKeyed(t, l)); !slices.Equal(s, []string{"1:b=1", "3:c=1"}) {
		t.Fatalf("after the horizon: %v", s)
	}
}

func TestCleanKeepsAttributesTimestampsHeadersAndCodec(t *testing.T) {
	for _, codec := range []int{record.CodecNone, record.CodecGzip, record.CodecSnappy, record.CodecLZ4, record.CodecZstd} {
		t.Run(fmt.Sprint(codec), func(t *testing.T) {
			e := compactEnv(t)
			l := e.open()
			o := plainOpts(5000)
			o.codec, o.headers = codec, true
			appendKV(t, l, o, put("a", "1"), put("b", "1"), put("c", "1"), put("d", "1"))
			o.ts = 7000
			appendKV(t, l, o, put("b", "2"), put("d", "2"))
			rollNow(t, l)
			before := readKeyed(t, l)
			cleanNow(t, e.testCleaner(1<<20), l)
			after := readKeyed(t, l)
			if s := recStrings(after); !slices.Equal(s, []string{"0:a=1", "2:c=1", "4:b=2", "5:d=2"}) {
				t.Fatalf("after clean: %v", s)
			}
			first := after[0].batch
			if first.Codec() != codec || first.BaseOffset != 0 || first.LastOffsetDelta != 3 || first.NumRecords != 2 {
				t.Fatalf("rebuilt batch header %+v", first)
			}
			for _, r := range after {
				orig := before[slices.IndexFunc(before, func(b readRec) bool { return b.offset == r.offset })]
				if r.ts != orig.ts || len(r.hdrs) != 1 || !bytes.Equal(r.hdrs[0].Value, []byte(r.key)) {
					t.Fatalf("record %v: ts %d (was %d) headers %v", r, r.ts, orig.ts, r.hdrs)
				}
			}
			if after[2].batch != before[4].batch {
				t.Fatalf("untouched batch changed: %+v vs %+v", after[2].batch, before[4].batch)
			}
			if first.MaxTimestamp != 5002 {
				t.Fatalf("max timestamp %d, want 5002 (the survivors')", first.MaxTimestamp)
			}
		})
	}
}

func TestCleanKeepsLastBatchOfProducer(t *testing.T) {
	e := compactEnv(t)
	l := e.open()
	// A recent timestamp: a producer idle for producer.id.expiration.ms
	// by it would be dropped when the log reopens.
	o := batchOpts{ts: t0.UnixMilli(), pid: 7, epoch: 0, seq: 0}
	appendKV(t, l, o, put("a", "1"), put("b", "1")) // 0-1
	o.seq = 2
	appendKV(t, l, o, put("a", "2")) // 2: the producer's last batch
	appendKV(t, l, plainOpts(2000), put("a", "3"), put("b", "2"))
	rollNow(t, l)
	cleanNow(t, e.testCleaner(1<<20), l)
	got := readKeyed(t, l)
	if s := recStrings(got); !slices.Equal(s, []string{"3:a=3", "4:b=2"}) {
		t.Fatalf("records: %v", s)
	}
	b := readBytes(t, l)
	h, _ := record.ParseHeader(b)
	if h.BaseOffset != 2 || h.NumRecords != 0 || h.ProducerID != 7 || h.BaseSequence != 2 || h.LastOffset() != 2 || h.Codec() != 0 {
		t.Fatalf("first batch %+v, want the producer's empty last batch at 2", h)
	}
	// The producer continues with its next sequence, after a restart too.
	l.Close()
	l = e.open()
	o.seq = 3
	if info := appendKV(t, l, o, put("c", "1")); info.FirstOffset != 5 || info.Duplicate {
		t.Fatalf("next append %+v", info)
	}
	o.seq = 2
	if info, err := l.AppendAsLeader(keyedBatch(t, o, put("a", "2")), 1); err != nil || !info.Duplicate || info.FirstOffset != 2 {
		t.Fatalf("retry of the emptied batch: %+v %v", info, err)
	}
}

func TestCleanCorruptSegmentStopsCleaning(t *testing.T) {
	e := compactEnv(t)
	l := e.open()
	appendKV(t, l, plainOpts(1000), put("a", "1"))
	appendKV(t, l, plainOpts(1000), put("a", "2"))
	rollNow(t, l)
	appendKV(t, l, plainOpts(1000), put("b", "1"))
	// Flip a byte in the second batch of the closed segment.
	f, err := l.segs[0].handle()
	if err != nil {
		t.Fatal(err)
	}
	size := int64(len(keyedBatch(t, plainOpts(1000), put("a", "1"))))
	if _, err := f.WriteAt([]byte{0xff}, size+record.HeaderSize+3); err != nil {
		t.Fatal(err)
	}
	before := readBytes(t, l)
	c := e.testCleaner(1 << 20)
	if _, cleaned, err := c.clean(t.Context(), l, true); cleaned || err == nil {
		t.Fatalf("clean of a corrupt segment: cleaned %v err %v", cleaned, err)
	}
	st := l.CleanerStatus()
	if st.Err == nil || st.LastCleanTime != (time.Time{}) {
		t.Fatalf("status after corruption: %+v", st)
	}
	if _, cleaned, err := c.clean(t.Context(), l, true); cleaned || err == nil {
		t.Fatalf("second clean: cleaned %v err %v", cleaned, err)
	}
	if !bytes.Equal(readBytes(t, l), before) {
		t.Fatal("the log changed")
	}
	if _, err := l.AppendAsLeader(keyedBatch(t, plainOpts(1000), put("c", "1")), 1); err != nil {
		t.Fatalf("append after corruption: %v", err)
	}
	if _, ok := l.cleanScore(e.clk.Now().UnixMilli()); ok {
		t.Fatal("a partition with a corrupt segment is still eligible")
	}
}

func TestCleanEligibility(t *testing.T) {
	e := compactEnv(t)
	e.cfg.MinCleanableDirtyRatio = 0.5
	l := e.open()
	for i := range 4 {
		appendKV(t, l, plainOpts(1000), put("k", fmt.Sprint(i)))
	}
	now := func() int64 { return e.clk.Now().UnixMilli() }
	if _, ok := l.cleanScore(now()); ok {
		t.Fatal("eligible with only an active segment")
	}
	rollNow(t, l)
	if sc, ok := l.cleanScore(now()); !ok || sc != 1 {
		t.Fatalf("all dirty: score %v ok %v", sc, ok)
	}
	cleanNow(t, e.testCleaner(1<<20), l)
	st := l.CleanerStatus()
	if st.DirtyRatio != 0 || st.DirtyBytes != 0 || st.CleanBytes == 0 || st.FirstDirtyOffset != 4 {
		t.Fatalf("after clean: %+v", st)
	}
	appendKV(t, l, plainOpts(1000), put("k", "x"))
	rollNow(t, l)
	st = l.CleanerStatus()
	if st.DirtyRatio != 0.5 {
		t.Fatalf("dirty ratio %v, want 0.5 (one dirty batch, one clean)", st.DirtyRatio)
	}
	if _, ok := l.cleanScore(now()); ok {
		t.Fatal("eligible at ratio 0.5 with min.cleanable.dirty.ratio 0.5 (Kafka needs more)")
	}
	cfg := l.Config()
	cfg.MinCleanableDirtyRatio = 0.4
	l.SetConfig(cfg)
	if _, ok := l.cleanScore(now()); !ok {
		t.Fatal("not eligible at ratio 0.5 > 0.4")
	}
}

func TestCleanCompactionLags(t *testing.T) {
	e := compactEnv(t)
	e.cfg.MinCompactionLagMs = 10_000
	e.cfg.MinCleanableDirtyRatio = 0.99
	l := e.open()
	now := e.clk.Now().UnixMilli()
	appendKV(t, l, plainOpts(now-20_000), put("k", "old"))
	rollNow(t, l)
	appendKV(t, l, plainOpts(now-1_000), put("k", "new"))
	rollNow(t, l)
	appendKV(t, l, plainOpts(now), put("x", "active"))
	c := e.testCleaner(1 << 20)
	st := cleanNow(t, c, l)
	if st.EndOffset != 1 {
		t.Fatalf("min lag: cleaned to %d, want 1 (the young segment waits)", st.EndOffset)
	}
	if s := recStrings(readKeyed(t, l)); !slices.Equal(s, []string{"0:k=old", "1:k=new", "2:x=active"}) {
		t.Fatalf("min lag: %v", s)
	}
	e.clk.Advance(10 * time.Second)
	cleanNow(t, c, l)
	if s := recStrings(readKeyed(t, l)); !slices.Equal(s, []string{"1:k=new", "2:x=active"}) {
		t.Fatalf("after the min lag: %v", s)
	}
	// max.compaction.lag.ms makes a log eligible below the dirty ratio and
	// rolls its active segment.
	cfg := l.Config()
	cfg.MinCompactionLagMs, cfg.MaxCompactionLagMs = 0, 30_000
	l.SetConfig(cfg)
	e.clk.Advance(31 * time.Second)
	if err := l.MaybeRoll(); err != nil {
		t.Fatal(err)
	}
	if sc, ok := l.cleanScore(e.clk.Now().UnixMilli()); !ok || sc <= 1 {
		t.Fatalf("max lag: score %v ok %v", sc, ok)
	}
}

func TestCompactOnlyKeepsOldSegmentsCompactDeleteDropsThem(t *testing.T) {
	for _, del := range []bool{false, true} {
		e := compactEnv(t)
		e.cfg.Delete, e.cfg.RetentionMs = del, 1000
		l := e.open()
		appendKV(t, l, plainOpts(e.clk.Now().UnixMilli()), put("a", "1"))
		rollNow(t, l)
		appendKV(t, l, plainOpts(e.clk.Now().UnixMilli()), put("b", "1"))
		e.clk.Advance(time.Hour)
		n, err := l.EnforceRetention()
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 0, true: 2}[del]; n != want {
			t.Fatalf("delete=%v: retention deleted %d segments, want %d", del, n, want)
		}
	}
}

func TestCleanedEmptySegmentDoesNotBlockRetention(t *testing.T) {
	e := compactEnv(t)
	e.cfg.Delete, e.cfg.RetentionMs = true, 1000
	l := e.open()
	ts := e.clk.Now().UnixMilli()
	appendKV(t, l, plainOpts(ts), put("a", "1"))
	rollNow(t, l)
	appendKV(t, l, plainOpts(ts), put("b", "1"))
	rollNow(t, l)
	appendKV(t, l, plainOpts(ts), put("a", "2"))
	rollNow(t, l)
	cleanNow(t, e.testCleaner(1<<20), l)
	if s := recStrings(readKeyed(t, l)); !slices.Equal(s, []string{"1:b=1", "2:a=2"}) {
		t.Fatalf("after clean: %v", s)
	}
	e.clk.Advance(time.Hour)
	if _, err := l.EnforceRetention(); err != nil {
		t.Fatal(err)
	}
	if l.LogStartOffset() != 3 || len(readKeyed(t, l)) != 0 {
		t.Fatalf("log start %d after retention", l.LogStartOffset())
	}
}
