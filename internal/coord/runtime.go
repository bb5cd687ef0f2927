package coord

import (
	"context"
	"log/slog"
	"sort"
	"sync"

	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/record"
)

// Options configure a Runtime.
type Options[S Shard] struct {
	// Name names the coordinator in logs ("group coordinator").
	Name string
	// Partition returns the log of a partition this broker leads, or nil.
	Partition func(p int32) Partition
	// NewShard makes the empty state machine of a partition.
	NewShard func(p int32, env Env) S
	Clock    clock.Clock
	Logger   *slog.Logger
	// QueueSize bounds each shard's event queue; Submit blocks (or gives
	// up with its context) while it is full. Default 1024.
	QueueSize int
}

// Runtime runs the shards of one coordinator.
type Runtime[S Shard] struct {
	o      Options[S]
	codecs *record.Codecs

	mu     sync.Mutex
	shards map[int32]*shard[S]
	closed bool
}

// New returns a runtime with no shards; Reconcile starts them.
func New[S Shard](o Options[S]) *Runtime[S] {
	if o.QueueSize <= 0 {
		o.QueueSize = 1024
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Runtime[S]{o: o, codecs: record.NewCodecs(), shards: map[int32]*shard[S]{}}
}

// Reconcile starts a shard (which loads in the background) for each
// partition in led that has none, and stops the shards of partitions not in
// led. Operations queued on a stopped shard fail with ErrNotCoordinator.
func (rt *Runtime[S]) Reconcile(led []int32) {
	want := map[int32]bool{}
	for _, p := range led {
		want[p] = true
	}
	rt.mu.Lock()
	if rt.closed {
		rt.mu.Unlock()
		return
	}
	var gone []*shard[S]
	for p, sh := range rt.shards {
		if !want[p] {
			gone = append(gone, sh)
			delete(rt.shards, p)
		}
	}
	for _, p := range led {
		if rt.shards[p] != nil {
			continue
		}
		if part := rt.o.Partition(p); part != nil {
			sh := newShard(rt, p, part)
			rt.shards[p] = sh
			go sh.run()
		}
	}
	rt.mu.Unlock()
	for _, sh := range gone {
		sh.shutdown()
	}
}

// Shards lists the partitions that have a shard (loading or loaded).
func (rt *Runtime[S]) Shards() []int32 {
	rt.mu.Lock()
	out := make([]int32, 0, len(rt.shards))
	for p := range rt.shards {
		out = append(out, p)
	}
	rt.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Submit queues run on partition p's shard. run executes on the shard's
// goroutine; its Result's records are written and then its Done is called.
// When run cannot execute (no shard: ErrNotCoordinator; still loading:
// ErrLoading; ctx done; shard stopped before it ran), fail is called with
// the reason instead, possibly before Submit returns. Exactly one of
// run (then Done) or fail happens.
func (rt *Runtime[S]) Submit(ctx context.Context, p int32, run func(S) Result, fail func(error)) {
	rt.mu.Lock()
	sh := rt.shards[p]
	closed := rt.closed
	rt.mu.Unlock()
	switch {
	case closed:
		fail(ErrClosed)
	case sh == nil:
		fail(ErrNotCoordinator)
	default:
		switch sh.status.Load() {
		case statusLoading:
			fail(ErrLoading)
		case statusFailed:
			fail(ErrNotCoordinator)
		default:
			sh.enqueue(ctx, event{run: func() Result { return run(sh.state) }, fail: fail})
		}
	}
}

// Close stops every shard; queued operations fail with ErrNotCoordinator,
// which clients retry against the next coordinator.
func (rt *Runtime[S]) Close() {
	rt.mu.Lock()
	rt.closed = true
	shards := rt.shards
	rt.shards = map[int32]*shard[S]{}
	rt.mu.Unlock()
	for _, sh := range shards {
		sh.shutdown()
	}
}
