package replica

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// TestRunParallelBound: runParallel runs n jobs at once, never more, runs
// every job, and returns the first error.
func TestRunParallelBound(t *testing.T) {
	const n, jobs = 3, 40
	var (
		running, peak, done atomic.Int32
		barrier             sync.WaitGroup
	)
	barrier.Add(n) // the first n jobs meet: fewer workers would deadlock here
	boom := errors.New("boom")
	var list []func() error
	for i := range jobs {
		list = append(list, func() error {
			r := running.Add(1)
			for p := peak.Load(); r > p && !peak.CompareAndSwap(p, r); p = peak.Load() {
			}
			if i < n {
				barrier.Done()
				barrier.Wait()
			}
			running.Add(-1)
			done.Add(1)
			if i == jobs-1 {
				return boom
			}
			return nil
		})
	}
	if err := runParallel(list, n); !errors.Is(err, boom) {
		t.Fatalf("runParallel = %v, want the failing job's error", err)
	}
	if done.Load() != jobs || peak.Load() != n {
		t.Fatalf("%d jobs ran, at most %d at once; want %d, %d", done.Load(), peak.Load(), jobs, n)
	}
}
