package replica_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vltava/vltava/internal/replica"
)

// fetchWaiter behaves like the server's parked fetch: parked at an offset,
// on each notification it reads from that offset up to the high
// watermark, and once there is data it keeps it and unparks itself, on the
// notifying goroutine.
type fetchWaiter struct {
	p      *replica.Partition
	offset int64
	done   chan struct{} // closed when answered

	mu     sync.Mutex
	calls  int
	hwSeen []int64
	got    []stored
	err    error
}

func newFetchWaiter(p *replica.Partition, offset int64) *fetchWaiter {
	return &fetchWaiter{p: p, offset: offset, done: make(chan struct{})}
}

func (f *fetchWaiter) Notify() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	hw := f.p.HighWatermark()
	f.hwSeen = append(f.hwSeen, hw)
	if hw <= f.offset || f.got != nil || f.err != nil {
		return
	}
	f.got, f.err = readBatches(f.p, f.offset)
	f.p.Unpark(f) // so the partition's lock must not be held while notifying
	close(f.done)
}

// answered reports whether the fetch has been answered, without waiting.
func (f *fetchWaiter) answered() bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// state returns what the fetch saw.
func (f *fetchWaiter) state() (calls int, hwSeen []int64, got []stored, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, slices.Clone(f.hwSeen), f.got, f.err
}

// appendWithin appends on another goroutine and waits for it with a
// deadline, so that a notification deadlock fails the test instead of
// hanging it.
func appendWithin(t *testing.T, p *replica.Partition, batch []byte) replica.AppendResult {
	t.Helper()
	var (
		res  replica.AppendResult
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		res, err = p.Append(batch, 1)
	}()
	waitOrFail(t, done, "Append")
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return res
}

// waitOrFail waits for ch to close, failing the test after a generous
// deadline instead of hanging.
func waitOrFail(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func TestWaiterWokenByAppendPastItsOffset(t *testing.T) {
	_, p := leader(t, nil)
	if _, err := p.Append(produce(t, batchOpts{}, "a", "b", "c"), 1); err != nil {
		t.Fatal(err)
	}
	// A fetch at the log end (3) finds nothing and parks. Parking alone
	// notifies nobody.
	f := newFetchWaiter(p, 3)
	p.Park(f)

	// A rejected append moves nothing and wakes nobody.
	if _, err := p.Append(produce(t, batchOpts{}, "x")[:20], 1); err == nil {
		t.Fatal("truncated batch accepted")
	}
	if calls, _, _, _ := f.state(); calls != 0 || f.answered() {
		t.Fatalf("fetch notified %d times (answered %v) before any data arrived", calls, f.answered())
	}

	// The append notifies on the appending goroutine, after moving the
	// high watermark: by the time Append returns the fetch has its data.
	appendWithin(t, p, produce(t, batchOpts{}, "d", "e"))
	if !f.answered() {
		t.Fatal("fetch not answered by the time Append returned")
	}
	calls, hwSeen, got, err := f.state()
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || !slices.Equal(hwSeen, []int64{5}) {
		t.Errorf("notifications %d, high watermarks seen %v; want 1, [5]", calls, hwSeen)
	}
	if len(got) != 1 || got[0].h.BaseOffset != 3 {
		t.Fatalf("fetch read %d batches, want the one at offset 3", len(got))
	}
	if vs := values(got); !slices.Equal(vs, []string{"d", "e"}) {
		t.Errorf("fetch read %q, want [d e]", vs)
	}

	// It unparked itself: later appends do not reach it.
	appendWithin(t, p, produce(t, batchOpts{}, "f"))
	if calls, _, _, _ := f.state(); calls != 1 {
		t.Errorf("unparked fetch notified again (%d calls)", calls)
	}
}

func TestWaitersNotifiedOncePerAppend(t *testing.T) {
	_, p := leader(t, nil)
	// More waiters than the notifier's stack buffer holds.
	ws := make([]*countWaiter, 20)
	for i := range ws {
		ws[i] = &countWaiter{}
		p.Park(ws[i])
	}
	p.Park(ws[0]) // parking twice is parking once

	if _, err := p.Append(produce(t, batchOpts{}, "a"), 1); err != nil {
		t.Fatal(err)
	}
	for i, w := range ws {
		if n := w.n.Load(); n != 1 {
			t.Errorf("waiter %d notified %d times, want 1", i, n)
		}
	}

	// Cancelled or timed-out fetches unpark; the rest keep being
	// notified, once per append.
	for _, w := range ws[10:] {
		p.Unpark(w)
	}
	p.Unpark(ws[10]) // unparking twice is harmless
	for range 2 {
		if _, err := p.Append(produce(t, batchOpts{}, "b", "c"), 1); err != nil {
			t.Fatal(err)
		}
	}
	for i, w := range ws {
		want := int64(3)
		if i >= 10 {
			want = 1
		}
		if n := w.n.Load(); n != want {
			t.Errorf("waiter %d notified %d times, want %d", i, n, want)
		}
	}
}

func TestWaitersOnOnePartitionOnly(t *testing.T) {
	e := newEnv(t)
	e.mustApply(createTopic("t", topicID(1), onNode(2), nil)...)
	p0, p1 := e.partition("t", 0), e.partition("t", 1)
	w0, w1 := &countWaiter{}, &countWaiter{}
	p0.Park(w0)
	p1.Park(w1)
	if _, err := p1.Append(produce(t, batchOpts{}, "a"), 1); err != nil {
		t.Fatal(err)
	}
	if n0, n1 := w0.n.Load(), w1.n.Load(); n0 != 0 || n1 != 1 {
		t.Errorf("notifications: partition 0 %d, partition 1 %d; want 0, 1", n0, n1)
	}
	// A config or epoch change in the image does not wake fetches; only
	// data (or a deletion) does.
	e.mustApply(topicConfig("t", "retention.ms", ptr("1000")), newLeader(topicID(1), 0, 1))
	if n0 := w0.n.Load(); n0 != 0 {
		t.Errorf("partition 0 waiter notified %d times by a metadata change", n0)
	}
}

func TestWaitersUnparkingThemselvesConcurrently(t *testing.T) {
	// Many fetches parked, each answered and unparked from an appending
	// goroutine while other appends run. Run under -race; notifying with
	// the partition's lock held would deadlock here.
	_, p := leader(t, nil)
	const fetches, appenders = 50, 4
	fs := make([]*fetchWaiter, fetches)
	for i := range fs {
		fs[i] = newFetchWaiter(p, 0)
		p.Park(fs[i])
	}
	var wg sync.WaitGroup
	for range appenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := p.Append(produce(t, batchOpts{}, "v"), 1); err != nil {
				t.Error(err)
			}
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	waitOrFail(t, finished, "the appends")
	for i, f := range fs {
		if !f.answered() { // notified synchronously by the appends
			t.Fatalf("fetch %d not answered when the appends returned", i)
		}
		_, _, got, err := f.state()
		if err != nil {
			t.Fatalf("fetch %d: %v", i, err)
		}
		if len(got) == 0 || got[0].h.BaseOffset != 0 {
			t.Errorf("fetch %d read %d batches, want the batch at 0 first", i, len(got))
		}
	}
	if hw := p.HighWatermark(); hw != appenders {
		t.Errorf("HW = %d, want %d", hw, appenders)
	}
}
