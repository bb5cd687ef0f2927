package log

import (
	"testing"
	"time"

	"github.com/vltava/vltava/internal/vfs"
)

// TestCleanRestartManyPartitions opens 200 partitions with 5 segments each
// (1,000 segments) on the real file system after a clean shutdown and
// checks every log reopened at its end; it logs the time (speed is
// measured by make bench's restart scenario, not asserted here).
func TestCleanRestartManyPartitions(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1,000 segments")
	}
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.SegmentBytes = 4 * int64(len(plain(4, 0).build()))
	m, err := NewManager(ManagerOptions{FS: vfs.OS{}, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	batch := plain(4, 0).build()
	for p := int32(0); p < 200; p++ {
		l, err := m.GetOrCreate(TopicPartition{"bench-topic", p}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 17; i++ {
			if _, err := l.AppendAsLeader(append([]byte(nil), batch...), 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	m, err = NewManager(ManagerOptions{FS: vfs.OS{}, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	openAll(t, m, m.Existing(), cfg)
	took := time.Since(start)
	segs := 0
	for _, l := range m.Logs() {
		segs += l.NumSegments()
		if l.LogEndOffset() != 68 {
			t.Fatalf("LEO %d", l.LogEndOffset())
		}
	}
	t.Logf("clean restart of %d partitions, %d segments: %v", len(m.Logs()), segs, took)
	if segs != 1000 {
		t.Fatalf("%d segments, want 1000", segs)
	}
}
