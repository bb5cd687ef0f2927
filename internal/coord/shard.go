package coord

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/record"
)

// Shard status, read by Submit without the shard's goroutine.
const (
	statusLoading int32 = iota
	statusReady
	statusFailed
)

// event is one unit of work on a shard's goroutine.
type event struct {
	run  func() Result
	fail func(error) // nil for timers
}

// pendingFlush is a written result waiting for an fsync (or for earlier
// fsyncs, to keep completions in order).
type pendingFlush struct {
	upTo  int64
	flush bool
	done  func(error)
}

type timer struct {
	t   clock.Timer
	seq uint64
}

// shard runs one partition's state machine.
type shard[S Shard] struct {
	rt     *Runtime[S]
	p      int32
	part   Partition
	status atomic.Int32

	// Owned by the shard's goroutine.
	state    S
	timers   map[string]*timer
	timerSeq uint64
	buf      []byte
	recs     []record.Record

	events   chan event
	sendMu   sync.RWMutex // senders hold it shared; shutdown exclusively
	stopped  bool         // guarded by sendMu
	stop     chan struct{}
	done     chan struct{}
	flushes  chan pendingFlush
	inFlush  atomic.Int64 // results handed to the flusher, not completed
	flushEnd chan struct{}
}

func newShard[S Shard](rt *Runtime[S], p int32, part Partition) *shard[S] {
	return &shard[S]{
		rt: rt, p: p, part: part, timers: map[string]*timer{},
		events:   make(chan event, rt.o.QueueSize),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		flushes:  make(chan pendingFlush, rt.o.QueueSize),
		flushEnd: make(chan struct{}),
	}
}

// enqueue hands ev to the shard's goroutine, or fails it.
func (sh *shard[S]) enqueue(ctx context.Context, ev event) {
	sh.sendMu.RLock()
	defer sh.sendMu.RUnlock()
	if sh.stopped {
		sh.failEvent(ev, ErrNotCoordinator)
		return
	}
	select {
	case sh.events <- ev:
	case <-sh.stop:
		sh.failEvent(ev, ErrNotCoordinator)
	case <-ctx.Done():
		sh.failEvent(ev, ctx.Err())
	}
}

func (sh *shard[S]) failEvent(ev event, err error) {
	if ev.fail != nil {
		ev.fail(err)
	}
}

// shutdown stops the shard, fails what is queued and waits for the
// goroutines to end.
func (sh *shard[S]) shutdown() {
	close(sh.stop)
	sh.sendMu.Lock()
	sh.stopped = true
	sh.sendMu.Unlock()
	<-sh.done
	for {
		select {
		case ev := <-sh.events:
			sh.failEvent(ev, ErrNotCoordinator)
		default:
			return
		}
	}
}

// run loads the shard and then runs its events until shutdown.
func (sh *shard[S]) run() {
	go sh.flusher()
	defer func() {
		for _, t := range sh.timers {
			t.t.Stop()
		}
		close(sh.flushes)
		<-sh.flushEnd
		close(sh.done)
	}()
	if !sh.loadRetrying() {
		return
	}
	for {
		select {
		case ev := <-sh.events:
			sh.write(ev.run())
		case <-sh.stop:
			return
		}
	}
}

// loadRetrying loads the shard, trying again with backoff while loading
// fails (a shard that gave up would answer every request with an error
// until the broker restarts). It reports false when the shard was stopped.
func (sh *shard[S]) loadRetrying() bool {
	backoff := 50 * time.Millisecond
	for !sh.load() {
		select {
		case <-time.After(backoff):
			backoff = min(2*backoff, 5*time.Second)
		case <-sh.stop:
			return false
		}
	}
	return true
}

// load builds the state from the log; it reports whether it succeeded.
func (sh *shard[S]) load() bool {
	sh.status.Store(statusLoading)
	for k, t := range sh.timers {
		t.t.Stop()
		delete(sh.timers, k)
	}
	start := time.Now()
	sh.state = sh.rt.o.NewShard(sh.p, sh)
	n := 0
	err := sh.part.Scan(func(batch []byte) error {
		h, err := record.ParseHeader(batch)
		if err != nil {
			return err
		}
		if h.IsControl() {
			return nil
		}
		return record.IterBatch(batch, sh.rt.codecs, func(r *record.Record) error {
			n++
			return sh.state.Replay(h.BaseOffset+int64(r.OffsetDelta), Record{Key: r.Key, Value: r.Value})
		})
	})
	if err != nil {
		sh.status.Store(statusFailed)
		sh.rt.o.Logger.Error(sh.rt.o.Name+": loading failed; retrying", "partition", sh.p, "err", err)
		return false
	}
	sh.state.Loaded()
	sh.status.Store(statusReady)
	sh.rt.o.Logger.Info(sh.rt.o.Name+": loaded", "partition", sh.p, "records", n, "took", time.Since(start))
	return true
}

// write appends a result's records and completes it.
func (sh *shard[S]) write(res Result) {
	done := res.Done
	if done == nil {
		done = func(error) {}
	}
	if len(res.Records) == 0 {
		sh.complete(0, false, done)
		return
	}
	end, flush, err := sh.appendRecords(res.Records)
	if err != nil {
		done(err)
		sh.rt.o.Logger.Error(sh.rt.o.Name+": append failed; reloading", "partition", sh.p, "err", err)
		sh.loadRetrying()
		return
	}
	sh.complete(end, flush, done)
}

// complete calls done now, or after the fsyncs it must wait for.
func (sh *shard[S]) complete(end int64, flush bool, done func(error)) {
	if !flush && sh.inFlush.Load() == 0 {
		done(nil)
		return
	}
	sh.inFlush.Add(1)
	sh.flushes <- pendingFlush{upTo: end, flush: flush, done: done}
}

func (sh *shard[S]) appendRecords(recs []Record) (int64, bool, error) {
	sh.recs = sh.recs[:0]
	for i, r := range recs {
		sh.recs = append(sh.recs, record.Record{OffsetDelta: int32(i), Key: r.Key, Value: r.Value})
	}
	h := record.Header{
		PartitionLeaderEpoch: -1, FirstTimestamp: sh.Now().UnixMilli(),
		ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
	}
	var err error
	if sh.buf, err = record.BuildBatch(sh.buf[:0], h, sh.recs, nil); err != nil {
		return 0, false, fmt.Errorf("build batch: %w", err)
	}
	if cap(sh.buf) > 1<<20 {
		defer func() { sh.buf = nil }()
	}
	return sh.part.Append(sh.buf)
}

// flusher fsyncs written results in order, coalescing the ones queued
// together into one fsync, and completes them.
func (sh *shard[S]) flusher() {
	defer close(sh.flushEnd)
	var batch []pendingFlush
	for pf := range sh.flushes {
		batch = append(batch[:0], pf)
	more:
		for {
			select {
			case next, ok := <-sh.flushes:
				if !ok {
					break more
				}
				batch = append(batch, next)
			default:
				break more
			}
		}
		var upTo int64 = -1
		for _, b := range batch {
			if b.flush {
				upTo = max(upTo, b.upTo)
			}
		}
		var err error
		if upTo >= 0 {
			err = sh.part.Flush(upTo)
		}
		for _, b := range batch {
			b.done(err)
			sh.inFlush.Add(-1)
		}
	}
}

// Now implements Env.
func (sh *shard[S]) Now() time.Time { return sh.rt.o.Clock.Now() }

// Schedule implements Env.
func (sh *shard[S]) Schedule(key string, d time.Duration, fn func() Result) {
	sh.Cancel(key)
	sh.timerSeq++
	seq := sh.timerSeq
	t := &timer{seq: seq}
	sh.timers[key] = t
	t.t = sh.rt.o.Clock.AfterFunc(d, func() {
		sh.enqueue(context.Background(), event{run: func() Result {
			if cur := sh.timers[key]; cur == nil || cur.seq != seq {
				return Result{} // cancelled or replaced after it fired
			}
			delete(sh.timers, key)
			return fn()
		}})
	})
}

// Cancel implements Env.
func (sh *shard[S]) Cancel(key string) {
	if t := sh.timers[key]; t != nil {
		t.t.Stop()
		delete(sh.timers, key)
	}
}
