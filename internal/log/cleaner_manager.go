package log

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/vltava/vltava/internal/clock"
)

// CleanerOptions configure the log cleaner of a data directory: Kafka's
// log.cleaner.* broker settings. The zero value is Kafka's defaults.
type CleanerOptions struct {
	// Disable is log.cleaner.enable=false (or log.cleaner.threads=0):
	// compacted topics are not cleaned.
	Disable bool
	// Threads is log.cleaner.threads (default 1): logs cleaned at once.
	Threads int
	// DedupeBufferSize is log.cleaner.dedupe.buffer.size (default 128 MiB),
	// the memory of the offset maps of all threads together.
	DedupeBufferSize int64
	// LoadFactor is log.cleaner.io.buffer.load.factor (default 0.9): how
	// full an offset map may get.
	LoadFactor float64
	// MaxIOBytesPerSecond is log.cleaner.io.max.bytes.per.second: the
	// cleaner's reads and writes together; <= 0 or +Inf: unthrottled.
	MaxIOBytesPerSecond float64
	// Backoff is log.cleaner.backoff.ms (default 15 s): how long a thread
	// waits when no log needs cleaning. A segment roll of a compacted log
	// wakes the threads earlier.
	Backoff time.Duration
}

func (o CleanerOptions) withDefaults() CleanerOptions {
	if o.Threads <= 0 {
		o.Threads = 1
	}
	if o.DedupeBufferSize <= 0 {
		o.DedupeBufferSize = 128 << 20
	}
	if o.LoadFactor <= 0 || o.LoadFactor > 1 {
		o.LoadFactor = defaultLoadFc
	}
	if o.Backoff <= 0 {
		o.Backoff = 15 * time.Second
	}
	return o
}

// cleanerPool is the manager's cleaner threads' shared state.
type cleanerPool struct {
	o        CleanerOptions
	throttle *throttler
	free     chan *cleaner // idle cleaners, created on first use
	wake     chan struct{} // a compacted log rolled
	mu       sync.Mutex
	busy     map[*Log]bool // logs being cleaned
}

func newCleanerPool(o CleanerOptions, clk clock.Clock) *cleanerPool {
	o = o.withDefaults()
	p := &cleanerPool{
		o: o, throttle: newThrottler(o.MaxIOBytesPerSecond, clk),
		free: make(chan *cleaner, o.Threads), wake: make(chan struct{}, 1), busy: map[*Log]bool{},
	}
	for range o.Threads {
		p.free <- nil
	}
	return p
}

// notify wakes a waiting cleaner thread.
func (p *cleanerPool) notify() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// get takes an idle cleaner, creating it on first use, or waits for one.
func (m *Manager) getCleaner(ctx context.Context) (*cleaner, error) {
	p := m.cleaners
	select {
	case c := <-p.free:
		if c == nil {
			c = newCleaner(p.o.DedupeBufferSize/int64(p.o.Threads), p.o.LoadFactor, p.throttle, m.o.Clock, m.o.Logger)
		}
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// CleanPass cleans every compacted log that is eligible, the filthiest
// first, and returns how many it cleaned. The manager's cleaner threads
// (started by Run) call the same; tests and tools may call it directly.
func (m *Manager) CleanPass(ctx context.Context) int {
	c, err := m.getCleaner(ctx)
	if err != nil {
		return 0
	}
	defer func() { m.cleaners.free <- c }()
	n := 0
	skip := map[*Log]bool{}
	for ctx.Err() == nil {
		l := m.pickFilthiest(skip)
		if l == nil {
			return n
		}
		skip[l] = true
		if m.cleanOne(ctx, c, l) {
			n++
		}
	}
	return n
}

// pickFilthiest returns the eligible compacted log with the highest dirty
// ratio (logs due to max.compaction.lag.ms or a delete horizon first),
// marked busy; nil when none.
func (m *Manager) pickFilthiest(skip map[*Log]bool) *Log {
	var best *Log
	bestScore := -1.0
	now := m.o.Clock.Now().UnixMilli()
	for _, l := range m.sortedLogs() {
		if skip[l] || m.isBusy(l) {
			continue
		}
		if score, ok := l.cleanScore(now); ok && score > bestScore {
			best, bestScore = l, score
		}
	}
	if best == nil || !m.markBusy(best) {
		return nil
	}
	return best
}

// cleanScore is the log's priority for cleaning; ok is false when it is
// not eligible.
func (l *Log) cleanScore(now int64) (float64, bool) {
	cfg := l.config()
	if !cfg.Compact || l.cleanBlocked() != nil {
		return 0, false
	}
	views, logStart, err := l.closedViews(false)
	if err != nil {
		return 0, false
	}
	defer releaseViews(views)
	c, err := l.cleanableRange(views, logStart, cfg, now)
	if err != nil || len(views) == 0 || !c.eligible(cfg) {
		return 0, false
	}
	if c.needNow || c.horizonDue {
		return math.Inf(1), true
	}
	return c.ratio(), true
}

func (m *Manager) isBusy(l *Log) bool {
	m.cleaners.mu.Lock()
	defer m.cleaners.mu.Unlock()
	return m.cleaners.busy[l]
}

// markBusy claims l for one thread; false if another has it.
func (m *Manager) markBusy(l *Log) bool {
	m.cleaners.mu.Lock()
	defer m.cleaners.mu.Unlock()
	if m.cleaners.busy[l] {
		return false
	}
	m.cleaners.busy[l] = true
	return true
}

// cleanOne cleans a log claimed by pickFilthiest and releases it.
func (m *Manager) cleanOne(ctx context.Context, c *cleaner, l *Log) bool {
	defer func() {
		m.cleaners.mu.Lock()
		delete(m.cleaners.busy, l)
		m.cleaners.mu.Unlock()
	}()
	_, cleaned, err := c.clean(ctx, l, false)
	if err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, context.Canceled) {
		m.o.Logger.Error("log cleaning failed", "dir", l.dir, "err", err)
	}
	return cleaned
}

// runCleanerThread cleans logs until ctx ends, backing off when none is
// eligible.
func (m *Manager) runCleanerThread(ctx context.Context) {
	for ctx.Err() == nil {
		c, err := m.getCleaner(ctx)
		if err != nil {
			return
		}
		l := m.pickFilthiest(nil)
		cleaned := l != nil && m.cleanOne(ctx, c, l)
		m.cleaners.free <- c
		if !cleaned { // nothing to do, or a failure: do not spin
			m.cleanerBackoff(ctx)
		}
	}
}

// cleanerBackoff waits log.cleaner.backoff.ms, or until a compacted log
// rolls or ctx ends.
func (m *Manager) cleanerBackoff(ctx context.Context) {
	done := make(chan struct{})
	t := m.o.Clock.AfterFunc(m.cleaners.o.Backoff, func() { close(done) })
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-done:
	case <-m.cleaners.wake:
	}
}

// startCleaner starts the cleaner threads; the returned wait blocks until
// they have stopped after ctx ends.
func (m *Manager) startCleaner(ctx context.Context) (wait func()) {
	if m.cleaners.o.Disable {
		return func() {}
	}
	var wg sync.WaitGroup
	for range m.cleaners.o.Threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.runCleanerThread(ctx)
		}()
	}
	return wg.Wait
}

// throttler limits the cleaner's I/O rate, shared by its threads, as
// Kafka's Throttler: after each chunk it sleeps long enough that the bytes
// so far, over the time since the window began, stay within the rate.
type throttler struct {
	clk   clock.Clock
	rate  float64 // bytes per second
	mu    sync.Mutex
	start time.Time
	bytes float64
}

// throttleWindow is how long the throttler averages over.
const throttleWindow = time.Second

// newThrottler returns a throttler for rate bytes per second, or nil
// (unthrottled) for a rate <= 0 or infinite.
func newThrottler(rate float64, clk clock.Clock) *throttler {
	if rate <= 0 || math.IsInf(rate, 1) || rate >= math.MaxFloat64 {
		return nil
	}
	return &throttler{clk: clk, rate: rate}
}

// wait accounts for n bytes and sleeps if the rate is exceeded.
func (t *throttler) wait(ctx context.Context, n int64) error {
	if t == nil {
		return nil
	}
	d := t.account(n)
	if d <= 0 {
		return nil
	}
	done := make(chan struct{})
	tm := t.clk.AfterFunc(d, func() { close(done) })
	defer tm.Stop()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// account adds n bytes and returns how long to sleep.
func (t *throttler) account(n int64) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clk.Now()
	if t.start.IsZero() || now.Sub(t.start) > throttleWindow {
		t.start, t.bytes = now, 0
	}
	t.bytes += float64(n)
	want := time.Duration(t.bytes / t.rate * float64(time.Second))
	return want - now.Sub(t.start)
}
