package log

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
