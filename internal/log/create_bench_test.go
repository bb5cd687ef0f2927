package log

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vltava/vltava/internal/vfs"
)

// BenchmarkCreatePartitions creates 1,000 new partitions on the real file
// system, eight at a time as replica.Manager.Apply does (the log side of
// CreateTopics); with "/written" it then appends one batch to each, and
// reports how long the manager's clean Close took (close-ms/op).
func BenchmarkCreatePartitions(b *testing.B) {
	for _, written := range []bool{false, true} {
		name := "empty"
		if written {
			name = "written"
		}
		b.Run(name, func(b *testing.B) {
			var closing time.Duration
			for range b.N {
				closing += benchCreate(b, 1000, written)
			}
			b.ReportMetric(float64(closing.Milliseconds())/float64(b.N), "close-ms/op")
		})
	}
}

func benchCreate(b *testing.B, parts int32, written bool) time.Duration {
	b.StopTimer()
	dir := b.TempDir()
	m, err := NewManager(ManagerOptions{FS: vfs.OS{}, Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	batch := plain(4, 0).build()
	b.StartTimer()
	forEachPartition(parts, func(p int32) {
		if _, err := m.GetOrCreate(TopicPartition{"bench", p}, DefaultConfig()); err != nil {
			panic(fmt.Sprint(p, err))
		}
	})
	b.StopTimer()
	if written {
		forEachPartition(parts, func(p int32) {
			l, _ := m.Get(TopicPartition{"bench", p})
			if _, err := l.AppendAsLeader(append([]byte(nil), batch...), 0); err != nil {
				panic(fmt.Sprint(p, err))
			}
		})
	}
	t0 := time.Now()
	if err := m.Close(); err != nil {
		b.Fatal(err)
	}
	return time.Since(t0)
}

// forEachPartition calls f for partitions 0..n-1 on eight goroutines.
func forEachPartition(n int32, f func(p int32)) {
	work := make(chan int32)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				f(p)
			}
		}()
	}
	for p := range n {
		work <- p
	}
	close(work)
	wg.Wait()
}
