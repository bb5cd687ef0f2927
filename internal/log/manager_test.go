package log

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/vfs"
)

func TestParseDirName(t *testing.T) {
	for name, want := range map[string]TopicPartition{
		"orders-0":        {"orders", 0},
		"my.topic_a-b-12": {"my.topic_a-b", 12},
		"x--3":            {"x-", 3},
	} {
		got, ok := ParseDirName(name)
		if !ok || got != want || got.DirName() != name {
			t.Errorf("ParseDirName(%q) = %+v %v", name, got, ok)
		}
	}
	for _, bad := range []string{"orders", "orders-", "-1", "t-01", "t-x", "t-+1"} {
		if _, ok := ParseDirName(bad); ok {
			t.Errorf("ParseDirName(%q) accepted", bad)
		}
	}
}

func newManager(t *testing.T, fs vfs.FS, clk clock.Clock, dir string) *Manager {
	t.Helper()
	m, err := NewManager(ManagerOptions{FS: fs, Dir: dir, Clock: clk, RetentionCheckInterval: time.Minute, FlushCheckInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestManagerLifecycle(t *testing.T) {
	fs := vfs.NewMem()
	clk := clock.NewManual(t0)
	m := newManager(t, fs, clk, "/data")
	if _, err := NewManager(ManagerOptions{FS: fs, Dir: "/data"}); err == nil {
		t.Fatal("second manager on the same dir")
	}
	tps := []TopicPartition{{"a.b-c", 0}, {"a.b-c", 1}, {"z", 7}}
	for _, tp := range tps {
		l, err := m.GetOrCreate(tp, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, l, 2, 1)
	}
	if l, ok := m.Get(tps[0]); !ok || l.LogEndOffset() != 2 {
		t.Fatal("Get")
	}
	if err := m.Delete(tps[2]); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat("/data/z-7"); err == nil {
		t.Fatal("deleted partition dir still there")
	}
	fs.MkdirAll("/data/not a partition", 0o755)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m = newManager(t, fs, clk, "/data")
	defer m.Close()
	if got := m.Existing(); len(got) != 2 || got[0] != tps[0] || got[1] != tps[1] {
		t.Fatalf("Existing = %v", got)
	}
	openAll(t, m, m.Existing(), DefaultConfig())
	if l, ok := m.Get(tps[1]); !ok || l.LogEndOffset() != 2 {
		t.Fatal("reopened partition")
	}
}

func TestManagerLockOnRealFS(t *testing.T) {
	dir := t.TempDir()
	m, err := NewManager(ManagerOptions{FS: vfs.OS{}, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewManager(ManagerOptions{FS: vfs.OS{}, Dir: dir}); err == nil {
		t.Fatal("second manager took the lock")
	}
	l, err := m.GetOrCreate(TopicPartition{"t", 0}, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 3, 2)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "t-0", cleanMarkerFile)); err != nil {
		t.Fatal("no clean marker on disk")
	}
	m, err = NewManager(ManagerOptions{FS: vfs.OS{}, Dir: dir})
	if err != nil {
		t.Fatalf("lock not released: %v", err)
	}
	defer m.Close()
	l, err = m.GetOrCreate(TopicPartition{"t", 0}, DefaultConfig())
	if err != nil || l.LogEndOffset() != 6 {
		t.Fatalf("%v", err)
	}
	wantContiguous(t, readAll(t, l, 0), 0, 6, 2)
}

func TestManagerRunEnforcesRetentionAndFlush(t *testing.T) {
	fs := vfs.NewMem()
	clk := clock.NewManual(t0)
	m := newManager(t, fs, clk, "/data")
	defer m.Close()
	cfg := DefaultConfig()
	cfg.SegmentBytes = int64(len(plain(1, 0).build()))
	cfg.RetentionMs = 30_000
	cfg.FlushMs = 500
	l, err := m.GetOrCreate(TopicPartition{"t", 0}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	now := t0.UnixMilli()
	for i := 0; i < 3; i++ {
		if _, err := l.AppendAsLeader(plain(1, now).build(), 0); err != nil {
			t.Fatal(err)
		}
	}
	l.SetHighWatermark(3)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); m.Run(ctx) }()
	// Advance until Run has registered its timers and they fire.
	waitFor(t, func() bool { clk.Advance(time.Second); return l.RecoveryPoint() == 3 })
	if l.LogStartOffset() != 0 {
		t.Fatal("retention ran early")
	}
	clk.Advance(time.Minute)
	waitFor(t, func() bool { clk.Advance(time.Minute); return l.LogStartOffset() == 3 })
	cancel()
	wg.Wait()
	ck, ok := readCheckpoint(fs, "/data/t-0")
	if !ok || ck.recoveryPoint != 3 || ck.hw != 3 {
		t.Fatalf("checkpoint %+v %v", ck, ok)
	}
}

// waitFor polls cond with a deadline.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestManagerOfflineAfterIOError(t *testing.T) {
	fs := vfs.NewMem()
	m := newManager(t, fs, clock.NewManual(t0), "/data")
	defer m.Close()
	a, _ := m.GetOrCreate(TopicPartition{"a", 0}, DefaultConfig())
	b, _ := m.GetOrCreate(TopicPartition{"b", 0}, DefaultConfig())
	fs.InjectError(func(op, path string) error {
		if op == "write" && filepath.Dir(path) == "/data/a-0" {
			return errors.New("ENOSPC")
		}
		return nil
	})
	_, err := a.AppendAsLeader(plain(1, 0).build(), 0)
	wantErr(t, err, ErrStorage)
	if !m.Offline() {
		t.Fatal("manager not offline")
	}
	_, err = b.AppendAsLeader(plain(1, 0).build(), 0)
	wantErr(t, err, ErrStorage)
	_, err = m.GetOrCreate(TopicPartition{"c", 0}, DefaultConfig())
	wantErr(t, err, ErrStorage)
}

// openAll opens the partitions at once, as the broker does at start, and
// opens each a second time meanwhile: the second call must get the same
// log, not a second open of the same directory.
func openAll(t testing.TB, m *Manager, tps []TopicPartition, cfg Config) {
	t.Helper()
	var wg sync.WaitGroup
	logs := make([][2]*Log, len(tps))
	errs := make([]error, 2*len(tps))
	for i, tp := range tps {
		for k := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				logs[i][k], errs[2*i+k] = m.GetOrCreate(tp, cfg)
			}()
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for i, l := range logs {
		if l[0] != l[1] {
			t.Fatalf("%s opened twice", tps[i])
		}
	}
}

// TestCloseWhileOpening: Close waits for opens under way; each of them
// returns its log or ErrClosed, and a new manager can take the directory
// at once.
func TestCloseWhileOpening(t *testing.T) {
	fs := vfs.NewMem()
	m := newManager(t, fs, clock.NewManual(t0), "/data")
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = m.GetOrCreate(TopicPartition{"t", int32(i)}, DefaultConfig())
		}()
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil && !errors.Is(err, ErrClosed) {
			t.Fatalf("open %d: %v", i, err)
		}
	}
	m = newManager(t, fs, clock.NewManual(t0), "/data")
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}
