package log

import (
	"errors"
	"sync"
	"testing"
)

// TestConcurrentReadsAppendsRetention runs readers against an appender
// that rolls often and a retention loop that deletes segments under them;
// every read must return whole, valid, contiguous batches or
// ErrOffsetOutOfRange.
func TestConcurrentReadsAppendsRetention(t *testing.T) {
	e := newEnv(t)
	size := int64(len(plain(1, 0).build()))
	e.cfg.SegmentBytes = 4 * size
	e.cfg.RetentionBytes = 12 * size
	e.cfg.RetentionMs = -1
	e.cfg.IndexIntervalBytes = size
	l := e.open()
	const total = 2000
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // appender + retention
		defer wg.Done()
		defer close(done)
		for i := 0; i < total; i++ {
			if _, err := l.AppendAsLeader(plain(1, int64(i)).build(), 0); err != nil {
				t.Error(err)
				return
			}
			l.SetHighWatermark(l.LogEndOffset())
			if i%7 == 0 {
				if _, err := l.EnforceRetention(); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				start, hw := l.LogStartOffset(), l.HighWatermark()
				res, err := l.Read(start, int(6*size), hw)
				if errors.Is(err, ErrOffsetOutOfRange) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				b, err := res.Bytes()
				res.Release()
				if err != nil {
					t.Error(err)
					return
				}
				bs := splitBatches(t, b)
				for i := 1; i < len(bs); i++ {
					if bs[i].base != bs[i-1].last+1 {
						t.Errorf("gap in read: %v", bs)
						return
					}
				}
				if len(bs) > 0 && bs[len(bs)-1].last >= hw {
					t.Errorf("read past the high watermark %d: %v", hw, bs)
					return
				}
			}
		}()
	}
	wg.Wait()
	if l.LogEndOffset() != total || l.Size() > 16*size {
		t.Fatalf("LEO %d size %d", l.LogEndOffset(), l.Size())
	}
}
