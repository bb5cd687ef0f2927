package log

import (
	"math"
	"reflect"
	"testing"
)

func TestIdempotentProducer(t *testing.T) {
	e := newEnv(t)
	l := e.open()
	must := func(s spec) AppendInfo {
		t.Helper()
		info, err := l.AppendAsLeader(s.build(), 0)
		if err != nil {
			t.Fatalf("append %+v: %v", s, err)
		}
		return info
	}
	must(plain(1, 0)) // offset 0: not idempotent
	a := must(idem(42, 0, 0, 3))
	b := must(idem(42, 0, 3, 2))
	if a.FirstOffset != 1 || a.LastOffset != 3 || b.FirstOffset != 4 || b.LastOffset != 5 {
		t.Fatalf("offsets %+v %+v", a, b)
	}
	// A retry of either of the last batches is a duplicate with the original offsets.
	d := must(idem(42, 0, 0, 3))
	if !d.Duplicate || d.FirstOffset != 1 || d.LastOffset != 3 {
		t.Fatalf("duplicate: %+v", d)
	}
	if l.LogEndOffset() != 6 {
		t.Fatalf("duplicate appended: LEO %d", l.LogEndOffset())
	}
	// A gap is out of order.
	_, err := l.AppendAsLeader(idem(42, 0, 7, 1).build(), 0)
	wantErr(t, err, ErrOutOfOrderSequence)
	// An unknown producer may start at any sequence (KIP-360).
	if u := must(idem(43, 0, 5, 1)); u.FirstOffset != 6 {
		t.Fatalf("unknown producer at sequence 5: %+v", u)
	}
	// A new epoch must start at 0; then the old epoch is fenced.
	_, err = l.AppendAsLeader(idem(42, 1, 5, 1).build(), 0)
	wantErr(t, err, ErrOutOfOrderSequence)
	c := must(idem(42, 1, 0, 1))
	if c.FirstOffset != 7 {
		t.Fatalf("new epoch: %+v", c)
	}
	_, err = l.AppendAsLeader(idem(42, 0, 5, 1).build(), 0)
	wantErr(t, err, ErrInvalidProducerEpoch)
	if ep, seq, ok := l.ProducerState(42); !ok || ep != 1 || seq != 0 {
		t.Fatalf("state %d %d %v", ep, seq, ok)
	}
	if l.LogEndOffset() != 8 {
		t.Fatalf("LEO %d", l.LogEndOffset())
	}
}

func TestIdempotentOnlyLastFiveAreDuplicates(t *testing.T) {
	l := newEnv(t).open()
	for i := int32(0); i < 7; i++ {
		if _, err := l.AppendAsLeader(idem(1, 0, i, 1).build(), 0); err != nil {
			t.Fatal(err)
		}
	}
	info, err := l.AppendAsLeader(idem(1, 0, 2, 1).build(), 0) // among the last five
	if err != nil || !info.Duplicate || info.FirstOffset != 2 {
		t.Fatalf("%+v %v", info, err)
	}
	_, err = l.AppendAsLeader(idem(1, 0, 1, 1).build(), 0) // too old to tell
	wantErr(t, err, ErrOutOfOrderSequence)
}

func TestSequenceWraparound(t *testing.T) {
	l := newEnv(t).open()
	if _, err := l.AppendAsLeader(idem(9, 0, 0, 1).build(), 0); err != nil {
		t.Fatal(err)
	}
	// Force the state to just below the wrap, as if MaxInt32 records had gone by.
	l.mu.Lock()
	l.producers[9].batches[0].lastSeq = math.MaxInt32 - 2
	l.mu.Unlock()
	if _, err := l.AppendAsLeader(idem(9, 0, math.MaxInt32-1, 2).build(), 0); err != nil {
		t.Fatalf("up to MaxInt32: %v", err)
	}
	if _, err := l.AppendAsLeader(idem(9, 0, 0, 3).build(), 0); err != nil {
		t.Fatalf("wrapped to 0: %v", err)
	}
	if _, seq, _ := l.ProducerState(9); seq != 2 {
		t.Fatalf("last seq %d", seq)
	}
	// A batch that itself wraps: MaxInt32-1 .. 1.
	l.mu.Lock()
	l.producers[9].batches[len(l.producers[9].batches)-1].lastSeq = math.MaxInt32 - 2
	l.mu.Unlock()
	if _, err := l.AppendAsLeader(idem(9, 0, math.MaxInt32-1, 4).build(), 0); err != nil {
		t.Fatal(err)
	}
	if _, seq, _ := l.ProducerState(9); seq != 1 {
		t.Fatalf("last seq after wrapping batch %d", seq)
	}
}

func TestProducerStateSurvivesReopen(t *testing.T) {
	for _, crash := range []bool{false, true} {
		e := newEnv(t)
		e.cfg.SegmentBytes = 300 // several rolls, so snapshots at rolls are used
		l := e.open()
		for i := int32(0); i < 10; i++ {
			if _, err := l.AppendAsLeader(idem(5, 2, i*2, 2).build(), 0); err != nil {
				t.Fatal(err)
			}
		}
		e.stop(l, crash)
		l = e.open()
		info, err := l.AppendAsLeader(idem(5, 2, 16, 2).build(), 0)
		if err != nil || !info.Duplicate || info.FirstOffset != 16 {
			t.Fatalf("crash=%v: retry after reopen: %+v %v", crash, info, err)
		}
		_, err = l.AppendAsLeader(idem(5, 2, 21, 1).build(), 0)
		wantErr(t, err, ErrOutOfOrderSequence)
		if info, err := l.AppendAsLeader(idem(5, 2, 20, 1).build(), 0); err != nil || info.FirstOffset != 20 {
			t.Fatalf("crash=%v: next: %+v %v", crash, info, err)
		}
	}
}

func TestProducerSnapshotCodec(t *testing.T) {
	ps := producers{
		1: {epoch: 3, txnFirstOffset: -1, lastTimestamp: 100, batches: []batchMeta{{0, 4, 10, 14, 99}, {5, 5, 20, 20, 100}}},
		2: {epoch: 0, txnFirstOffset: 7, lastTimestamp: 250}, // no batch: lastTimestamp is its own field
	}
	b := ps.encode()
	if string(b[:4]) != "VPS2" {
		t.Fatalf("magic %q", b[:4])
	}
	got, err := decodeProducers(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ps) {
		t.Fatalf("round trip:\n got %s\nwant %s", dumpProducers(got), dumpProducers(ps))
	}
	b[len(b)-1] ^= 1
	if _, err := decodeProducers(b, 0); err == nil {
		t.Fatal("corrupt snapshot accepted")
	}
	b = ps.encode()
	copy(b, "VPS3")
	if _, err := decodeProducers(b, 0); err == nil {
		t.Fatal("unknown version accepted")
	}
}
