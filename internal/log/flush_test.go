package log

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/vfs"
)

// TestGroupCommit: many producers append with flush.messages=1 and flush
// before acknowledging; every acknowledged batch survives a crash, and
// fsyncs are shared (never more than one per append).
func TestGroupCommit(t *testing.T) {
	e := newEnv(t)
	e.cfg.FlushMessages = 1
	e.cfg.SegmentBytes = 8 << 10
	l := e.open()
	var syncs atomic.Int64
	e.fs.InjectError(func(op, path string) error {
		if op == "sync" && strings.HasSuffix(path, extLog) {
			syncs.Add(1)
		}
		return nil
	})
	const writers, perWriter = 16, 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[int64]bool{}
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				info, err := l.AppendAsLeader(idem(int64(w), 0, int32(i), 1).build(), 0)
				if err != nil {
					t.Error(err)
					return
				}
				if !info.FlushNeeded {
					t.Error("FlushNeeded not set with flush.messages=1")
				}
				if err := l.Flush(info.LastOffset + 1); err != nil {
					t.Error(err)
					return
				}
				if l.RecoveryPoint() <= info.LastOffset {
					t.Errorf("Flush(%d) returned with recovery point %d", info.LastOffset+1, l.RecoveryPoint())
				}
				mu.Lock()
				acked[info.FirstOffset] = true
				mu.Unlock()
			}
		}(w)
	}
	// Concurrent readers.
	stop := make(chan struct{})
	var rwg sync.WaitGroup
	rwg.Add(1)
	go func() {
		defer rwg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if res, err := l.Read(0, 4096, l.LogEndOffset()); err == nil {
				res.Bytes()
				res.Release()
			}
		}
	}()
	wg.Wait()
	close(stop)
	rwg.Wait()
	t.Logf("%d appends, %d segment fsyncs", writers*perWriter, syncs.Load())
	if syncs.Load() > writers*perWriter+int64(l.NumSegments()) {
		t.Fatalf("%d fsyncs for %d appends", syncs.Load(), writers*perWriter)
	}
	e.fs.InjectError(nil)
	e.fs.Crash()
	l2 := e.open()
	if l2.LogEndOffset() != writers*perWriter || len(acked) != writers*perWriter {
		t.Fatalf("LEO after crash %d, acked %d", l2.LogEndOffset(), len(acked))
	}
	wantContiguous(t, readAll(t, l2, 0), 0, writers*perWriter, 1)
	for w := 0; w < writers; w++ {
		if ep, seq, ok := l2.ProducerState(int64(w)); !ok || ep != 0 || seq != perWriter-1 {
			t.Fatalf("producer %d: %d %d %v", w, ep, seq, ok)
		}
	}
}

func TestFlushIfDue(t *testing.T) {
	e := newEnv(t)
	e.cfg.FlushMs = 1000
	l := e.open()
	appendN(t, l, 3, 1)
	if err := l.FlushIfDue(); err != nil || l.RecoveryPoint() != 0 {
		t.Fatalf("flushed early: %d %v", l.RecoveryPoint(), err)
	}
	e.clk.Advance(time.Second)
	if err := l.FlushIfDue(); err != nil || l.RecoveryPoint() != 3 {
		t.Fatalf("not flushed: %d %v", l.RecoveryPoint(), err)
	}
}

// activeBase is the base offset of the log's active segment.
func activeBase(l *Log) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.active().base
}

// A rolled segment is flushed off the appending goroutine, as Kafka
// schedules a flush of the old segment on every roll: after a crash the
// log keeps everything below the active segment, with no flush asked for.
func TestRolledSegmentsAreFlushedLater(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	var later []func()
	o := Options{FS: e.fs, Dir: e.dir, Config: e.cfg, Clock: e.clk, Topic: "topic",
		flushLater: func(f func()) { mu.Lock(); later = append(later, f); mu.Unlock() }}
	o.Config.SegmentBytes = 1000
	l, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 30, 3)
	if n := l.NumSegments(); n < 3 {
		t.Fatalf("%d segments; the test wants several rolls", n)
	}
	mu.Lock()
	if len(later) != l.NumSegments()-1 {
		t.Fatalf("%d flushes scheduled for %d rolls", len(later), l.NumSegments()-1)
	}
	if rp := l.RecoveryPoint(); rp != 0 {
		t.Fatalf("recovery point %d before any flush ran", rp)
	}
	for _, f := range later {
		f()
	}
	mu.Unlock()
	base := activeBase(l)
	if rp := l.RecoveryPoint(); rp < base {
		t.Fatalf("recovery point %d after the rolls' flushes, below the active segment at %d", rp, base)
	}
	appendN(t, l, 1, 3) // in the active segment, not flushed
	e.fs.Crash()
	l2 := e.open()
	if leo := l2.LogEndOffset(); leo != 90 {
		t.Fatalf("end offset %d after a crash, want the 90 flushed with the rolls", leo)
	}
	wantContiguous(t, readAll(t, l2, 0), 0, 90, 3)
}

// The manager runs those flushes.
func TestManagerFlushesRolledSegments(t *testing.T) {
	fs := vfs.NewMem()
	m := newManager(t, fs, clock.NewManual(t0), "/data")
	cfg := DefaultConfig()
	cfg.SegmentBytes = 1000
	l, err := m.GetOrCreate(TopicPartition{"t", 0}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 30, 3)
	base := activeBase(l)
	m.flushes.close() // waits for the flushes the rolls started
	if rp := l.RecoveryPoint(); rp < base {
		t.Fatalf("recovery point %d, active segment at %d: the rolled segments were not flushed", rp, base)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Failed(); err != nil {
		t.Fatalf("log failed: %v", err)
	}
}
