package coord

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/record"
)

// memPartition is an in-memory Partition.
type memPartition struct {
	mu        sync.Mutex
	batches   [][]byte
	end       int64
	flushed   int64
	flushAll  bool  // every append asks for a flush
	failNext  error // the next Append fails with it
	scanGate  chan struct{}
	appendCnt int
}

func (m *memPartition) Append(b []byte) (int64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failNext; err != nil {
		m.failNext = nil
		return 0, false, err
	}
	c := append([]byte(nil), b...)
	record.SetBaseOffset(c, m.end)
	h, _ := record.ParseHeader(c)
	m.end = h.LastOffset() + 1
	m.batches = append(m.batches, c)
	m.appendCnt++
	return m.end, m.flushAll, nil
}

func (m *memPartition) Flush(upTo int64) error {
	m.mu.Lock()
	m.flushed = max(m.flushed, upTo)
	m.mu.Unlock()
	return nil
}

func (m *memPartition) Scan(fn func([]byte) error) error {
	if m.scanGate != nil {
		<-m.scanGate
	}
	m.mu.Lock()
	bs := append([][]byte(nil), m.batches...)
	m.mu.Unlock()
	for _, b := range bs {
		if err := fn(b); err != nil {
			return err
		}
	}
	return nil
}

// kv is a test shard: a map of string keys to values.
type kv struct {
	env    Env
	m      map[string]string
	loaded bool
}

func (k *kv) Replay(_ int64, r Record) error {
	if r.Value == nil {
		delete(k.m, string(r.Key))
	} else {
		k.m[string(r.Key)] = string(r.Value)
	}
	return nil
}

func (k *kv) Loaded() { k.loaded = true }

// put is an operation that sets a key and answers once written.
func put(key, val string, out chan<- error) func(*kv) Result {
	return func(k *kv) Result {
		k.m[key] = val
		return Result{Records: []Record{{Key: []byte(key), Value: []byte(val)}}, Done: func(err error) { out <- err }}
	}
}

func newTestRuntime(t *testing.T, clk clock.Clock, parts map[int32]*memPartition) *Runtime[*kv] {
	rt := New(Options[*kv]{
		Name: "test",
		Partition: func(p int32) Partition {
			if m := parts[p]; m != nil {
				return m
			}
			return nil
		},
		NewShard: func(_ int32, env Env) *kv { return &kv{env: env, m: map[string]string{}} },
		Clock:    clk,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	t.Cleanup(rt.Close)
	return rt
}

// call runs a read-only op and returns what it saw.
func call[T any](t *testing.T, rt *Runtime[*kv], p int32, f func(*kv) T) (T, error) {
	t.Helper()
	type res struct {
		v   T
		err error
	}
	ch := make(chan res, 1)
	rt.Submit(context.Background(), p, func(k *kv) Result {
		v := f(k)
		return Result{Done: func(err error) { ch <- res{v, err} }}
	}, func(err error) { ch <- res{err: err} })
	r := <-ch
	return r.v, r.err
}

// waitReady polls until partition p's shard answers.
func waitReady(t *testing.T, rt *Runtime[*kv], p int32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := call(t, rt, p, func(*kv) int { return 0 })
		if err == nil {
			return
		}
		if !errors.Is(err, ErrLoading) || time.Now().After(deadline) {
			t.Fatalf("shard %d not ready: %v", p, err)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWriteReplayAndReload(t *testing.T) {
	part := &memPartition{}
	parts := map[int32]*memPartition{0: part}
	rt := newTestRuntime(t, clock.Real{}, parts)
	rt.Reconcile([]int32{0})
	waitReady(t, rt, 0)
	out := make(chan error, 3)
	rt.Submit(context.Background(), 0, put("a", "1", out), func(err error) { out <- err })
	rt.Submit(context.Background(), 0, put("b", "2", out), func(err error) { out <- err })
	rt.Submit(context.Background(), 0, func(k *kv) Result {
		delete(k.m, "a")
		return Result{Records: []Record{{Key: []byte("a")}}, Done: func(err error) { out <- err }}
	}, func(err error) { out <- err })
	for range 3 {
		if err := <-out; err != nil {
			t.Fatal(err)
		}
	}
	if part.appendCnt != 3 {
		t.Fatalf("appends = %d, want 3", part.appendCnt)
	}
	// A new runtime over the same log replays it.
	rt2 := newTestRuntime(t, clock.Real{}, parts)
	rt2.Reconcile([]int32{0})
	waitReady(t, rt2, 0)
	got, err := call(t, rt2, 0, func(k *kv) map[string]string { return k.m })
	if err != nil || len(got) != 1 || got["b"] != "2" {
		t.Fatalf("replayed %v, %v; want map[b:2]", got, err)
	}
	if loaded, _ := call(t, rt2, 0, func(k *kv) bool { return k.loaded }); !loaded {
		t.Fatal("Loaded was not called")
	}
}

func TestAppendFailureReloadsFromLog(t *testing.T) {
	part := &memPartition{}
	rt := newTestRuntime(t, clock.Real{}, map[int32]*memPartition{0: part})
	rt.Reconcile([]int32{0})
	waitReady(t, rt, 0)
	out := make(chan error, 2)
	rt.Submit(context.Background(), 0, put("a", "1", out), func(err error) { out <- err })
	if err := <-out; err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk on fire")
	part.mu.Lock()
	part.failNext = boom
	part.mu.Unlock()
	rt.Submit(context.Background(), 0, put("b", "2", out), func(err error) { out <- err })
	if err := <-out; !errors.Is(err, boom) {
		t.Fatalf("failed write answered %v, want %v", err, boom)
	}
	waitReady(t, rt, 0)
	got, _ := call(t, rt, 0, func(k *kv) map[string]string { return k.m })
	if len(got) != 1 || got["a"] != "1" {
		t.Fatalf("state after failed write = %v, want map[a:1] (rebuilt from the log)", got)
	}
}

func TestNotCoordinatorLoadingAndStop(t *testing.T) {
	gate := make(chan struct{})
	part := &memPartition{scanGate: gate}
	rt := newTestRuntime(t, clock.Real{}, map[int32]*memPartition{0: part})
	if _, err := call(t, rt, 0, func(*kv) int { return 0 }); !errors.Is(err, ErrNotCoordinator) {
		t.Fatalf("no shard: %v, want ErrNotCoordinator", err)
	}
	rt.Reconcile([]int32{0, 7}) // 7 has no partition here: no shard
	if _, err := call(t, rt, 0, func(*kv) int { return 0 }); !errors.Is(err, ErrLoading) {
		t.Fatalf("loading: %v, want ErrLoading", err)
	}
	if got := rt.Shards(); len(got) != 1 || got[0] != 0 {
		t.Fatalf("Shards() = %v, want [0]", got)
	}
	close(gate)
	waitReady(t, rt, 0)
	rt.Reconcile(nil)
	if _, err := call(t, rt, 0, func(*kv) int { return 0 }); !errors.Is(err, ErrNotCoordinator) {
		t.Fatalf("after unload: %v, want ErrNotCoordinator", err)
	}
}

func TestTimersRunAsEvents(t *testing.T) {
	clk := clock.NewManual(time.Unix(1000, 0))
	part := &memPartition{}
	rt := newTestRuntime(t, clk, map[int32]*memPartition{0: part})
	rt.Reconcile([]int32{0})
	waitReady(t, rt, 0)
	fired := make(chan string, 4)
	_, err := call(t, rt, 0, func(k *kv) int {
		k.env.Schedule("x", time.Second, func() Result { fired <- "x-old"; return Result{} })
		k.env.Schedule("x", 2*time.Second, func() Result { fired <- "x"; return Result{} })
		k.env.Schedule("y", time.Second, func() Result {
			k.m["y"] = "timer"
			return Result{Records: []Record{{Key: []byte("y"), Value: []byte("timer")}}, Done: func(error) { fired <- "y" }}
		})
		k.env.Schedule("z", time.Second, func() Result { fired <- "z"; return Result{} })
		k.env.Cancel("z")
		return 0
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if got := <-fired; got != "y" {
		t.Fatalf("first timer = %q, want y", got)
	}
	clk.Advance(time.Second)
	if got := <-fired; got != "x" {
		t.Fatalf("second timer = %q, want x", got)
	}
	// A barrier: everything queued before it has run.
	if _, err := call(t, rt, 0, func(*kv) int { return 0 }); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-fired:
		t.Fatalf("unexpected timer %q", got)
	default:
	}
	if part.appendCnt != 1 {
		t.Fatalf("appends = %d, want 1 (the y timer's record)", part.appendCnt)
	}
}

func TestFlushBeforeDone(t *testing.T) {
	part := &memPartition{flushAll: true}
	rt := newTestRuntime(t, clock.Real{}, map[int32]*memPartition{0: part})
	rt.Reconcile([]int32{0})
	waitReady(t, rt, 0)
	const n = 50
	out := make(chan error, n)
	for i := range n {
		rt.Submit(context.Background(), 0, put("k", string(rune('a'+i%26)), out), func(err error) { out <- err })
	}
	for range n {
		if err := <-out; err != nil {
			t.Fatal(err)
		}
	}
	part.mu.Lock()
	defer part.mu.Unlock()
	if part.flushed != part.end || part.end != n {
		t.Fatalf("flushed %d of %d, want all %d", part.flushed, part.end, n)
	}
}

func TestSubmitContextCancelledWhileQueueFull(t *testing.T) {
	part := &memPartition{}
	parts := map[int32]*memPartition{0: part}
	rt := New(Options[*kv]{
		Name: "test", Partition: func(p int32) Partition { return parts[p] },
		NewShard:  func(_ int32, env Env) *kv { return &kv{env: env, m: map[string]string{}} },
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		QueueSize: 1,
	})
	defer rt.Close()
	rt.Reconcile([]int32{0})
	waitReady(t, rt, 0)
	block := make(chan struct{})
	started := make(chan struct{})
	rt.Submit(context.Background(), 0, func(*kv) Result { close(started); <-block; return Result{} }, func(error) {})
	<-started
	rt.Submit(context.Background(), 0, func(*kv) Result { return Result{} }, func(error) {}) // fills the queue
	ctx, cancel := context.WithCancel(context.Background())
	failed := make(chan error, 1)
	go rt.Submit(ctx, 0, func(*kv) Result { return Result{} }, func(err error) { failed <- err })
	cancel()
	if err := <-failed; !errors.Is(err, context.Canceled) {
		t.Fatalf("blocked submit failed with %v, want context.Canceled", err)
	}
	close(block)
}
