package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The compaction scenario: 1 KiB records over 100,000 keys (at -scale 1)
// are written to a one-partition compacted topic whose cleaning is held off
// by min.compaction.lag.ms; then, while a second producer writes at full
// rate to another topic, the hold is lifted and the clean is timed.
const (
	compactTopic     = "compaction"
	compactLoadTopic = "load"
	compactKeys      = 100_000
	compactRecSize   = 1024
	compactSegment   = 16 << 20 // segment.bytes of the compacted topic
	compactHoldLagMs = "3600000"
	cleanerBackoffMs = 100       // log.cleaner.backoff.ms: the cleaner notices the lifted hold within this
	dedupeBufferSize = 128 << 20 // Vltava's default log.cleaner.dedupe.buffer.size, which the session keeps
	loadWarm         = time.Second
	loadAlone        = 3 * time.Second // the load producer measured before the clean starts
	cleanTimeout     = time.Minute
	cleanPoll        = 10 * time.Millisecond
)

// compactionPhase times the cleaner on the brokers that have one (Vltava)
// and measures the concurrent producer on every broker (kfake: alone).
func compactionPhase(c *config) phase {
	title := fmt.Sprintf("clean %s records of 1 KiB over %s keys in one partition (%d MiB segments) while a producer writes 1 KiB records to another topic",
		count(c.n(kibRecords)), count(c.n(compactKeys)), compactSegment>>20)
	return phase{"compaction", title, func(e *env) ([]metric, error) {
		if e.b.kind.name != "vltava" {
			e.note("%s has no log cleaner: it took the same fill (as a plain topic), then only the load producer ran, alone", e.b.kind.name)
			return e.loadOnly()
		}
		return e.compaction()
	}}
}

// compaction fills the held compacted topic, starts the load producer,
// lifts the hold and waits for the broker to report the clean.
func (e *env) compaction() ([]metric, error) {
	written, err := e.fillCompacted()
	if err != nil {
		return nil, err
	}
	syscall.Sync() // the fill's write-back should not compete with the clean
	dirty, err := closedSegmentBytes(e.b.dataDir, compactTopic+"-0")
	if err != nil {
		return nil, err
	}
	load, alone, err := e.startMeasuredLoad()
	if err != nil {
		return nil, err
	}
	defer load.finish()
	cl, err := e.timeClean(load)
	if err != nil {
		return nil, err
	}
	if err := load.finish(); err != nil {
		return nil, fmt.Errorf("load producer: %w", err)
	}
	after, err := partLogBytes(e.b.dataDir, compactTopic+"-0", false)
	if err != nil {
		return nil, err
	}
	return []metric{
		{Name: "records", Unit: "count", Value: float64(written)},
		{Name: "dirty log", Unit: "MB", Value: float64(dirty) / mb},
		{Name: "clean time", Unit: "s", Better: lower, Value: cl.took.Seconds()},
		{Name: "clean rate", Unit: "MB/s", Better: higher, Value: perSec(dirty, cl.took) / mb},
		{Name: "cleaner bytes read", Unit: "MB", Value: float64(cl.bytesRead) / mb},
		{Name: "log after clean", Unit: "MB", Value: float64(after) / mb},
		{Name: "load producer alone", Unit: "MB/s", Better: higher, Value: alone},
		{Name: "load producer during clean", Unit: "MB/s", Better: higher, Value: cl.load},
		{Name: "load share during clean", Unit: "fraction", Better: higher, Value: cl.load / alone},
		{Name: "RSS before clean", Unit: "MB", Value: float64(cl.rssBefore) / mb},
		{Name: "broker peak RSS", Unit: "MB", Better: lower, Value: float64(cl.peak) / mb},
		{Name: "dedupe buffer size", Unit: "MB", Value: dedupeBufferSize / mb},
	}, nil
}

// loadOnly measures the load producer on a broker without a cleaner,
// after the same fill as the compaction run, so that both brokers' load
// runs start with 1 GiB more in the page cache (on this VM, writing into
// fresh page-cache memory slows every writer down as the cache grows).
func (e *env) loadOnly() ([]metric, error) {
	if _, err := e.fill(false); err != nil {
		return nil, err
	}
	syscall.Sync()
	u, err := startUsage(e.b.pid())
	if err != nil {
		return nil, err
	}
	load, alone, err := e.startMeasuredLoad()
	if err != nil {
		return nil, err
	}
	defer load.finish()
	_, peak, err := u.finish()
	if err != nil {
		return nil, err
	}
	if err := load.finish(); err != nil {
		return nil, fmt.Errorf("load producer: %w", err)
	}
	return []metric{
		{Name: "load producer alone", Unit: "MB/s", Better: higher, Value: alone},
		{Name: "broker peak RSS", Unit: "MB", Better: lower, Value: float64(peak) / mb},
	}, nil
}

// fillCompacted creates the compacted topic, cleaning held off by
// min.compaction.lag.ms, and writes the scaled 1 GiB of keyed records to it.
func (e *env) fillCompacted() (int64, error) { return e.fill(true) }

// fill writes the scaled 1 GiB of keyed records to the compaction topic,
// created compacted (and held) if compact, else as a plain topic.
func (e *env) fill(compact bool) (int64, error) {
	var configs map[string]*string
	if compact {
		configs = map[string]*string{
			"cleanup.policy":        kadm.StringPtr("compact"),
			"segment.bytes":         kadm.StringPtr(strconv.Itoa(compactSegment)),
			"min.compaction.lag.ms": kadm.StringPtr(compactHoldLagMs),
		}
	}
	if err := createTopic(e.ctx, e.b, compactTopic, 1, configs); err != nil {
		return 0, err
	}
	s := produceSpec{topic: compactTopic, size: compactRecSize, count: e.cfg.n(kibRecords), linger: 5 * time.Millisecond}
	n, err := produceKeyed(e.ctx, e.b.addr(), s, int(e.cfg.n(compactKeys)), e.deadline)
	e.topics[compactTopic] = n
	if err != nil {
		return n, fmt.Errorf("filling %s: %w", compactTopic, err)
	}
	if n < s.count {
		e.note("the fill stopped at the phase time limit after %d of %d records", n, s.count)
	}
	return n, nil
}

// produceKeyed writes s.count records with keys drawn from keys distinct
// ones (a fixed pseudo-random sequence) and returns how many were acked.
func produceKeyed(ctx context.Context, addr string, s produceSpec, keys int, deadline time.Time) (int64, error) {
	cl, err := kgo.NewClient(producerOpts(addr, s)...)
	if err != nil {
		return 0, fmt.Errorf("creating producer: %w", err)
	}
	defer cl.Close()
	names := make([][]byte, keys)
	for i := range names {
		names[i] = fmt.Appendf(nil, "key-%07d", i)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	p := &producer{}
	val := payload(s.size)
	for i := int64(0); i < s.count && ctx.Err() == nil; i++ {
		if i&1023 == 0 && time.Now().After(deadline) {
			break
		}
		r := p.record()
		r.Key, r.Value, r.Timestamp = names[rng.IntN(keys)], val, time.Now()
		cl.Produce(ctx, r, p.promise)
	}
	fctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := cl.Flush(fctx); err != nil {
		return p.acked.Load(), fmt.Errorf("flushing producer: %w", err)
	}
	if n := p.failed.Load(); n > 0 {
		return p.acked.Load(), fmt.Errorf("%d records failed, first: %w", n, *p.firstErr.Load())
	}
	return p.acked.Load(), ctx.Err()
}

// loadProducer writes 1 KiB records at full rate to the load topic until
// finish.
type loadProducer struct {
	p      producer
	stop   atomic.Bool
	done   chan struct{}
	err    error // set before done closes
	closed bool
}

// startMeasuredLoad starts the load producer, lets it warm up, and returns
// it with its throughput (MB/s of values) over loadAlone.
func (e *env) startMeasuredLoad() (*loadProducer, float64, error) {
	if err := e.ensureTopic(compactLoadTopic, defaultParts); err != nil {
		return nil, 0, err
	}
	l, err := startLoad(e.ctx, e.b.addr())
	if err != nil {
		return nil, 0, err
	}
	time.Sleep(loadWarm)
	t0, n0 := time.Now(), l.p.acked.Load()
	time.Sleep(loadAlone)
	alone := l.rate(t0, n0)
	if l.failed() {
		return nil, 0, errors.Join(errors.New("load producer failed"), l.finish())
	}
	return l, alone, nil
}

func startLoad(ctx context.Context, addr string) (*loadProducer, error) {
	s := produceSpec{topic: compactLoadTopic, size: compactRecSize, linger: 5 * time.Millisecond}
	cl, err := kgo.NewClient(producerOpts(addr, s)...)
	if err != nil {
		return nil, fmt.Errorf("creating load producer: %w", err)
	}
	l := &loadProducer{done: make(chan struct{})}
	go l.run(ctx, cl, payload(s.size))
	return l, nil
}

// run produces until stopped or a record fails, then flushes.
func (l *loadProducer) run(ctx context.Context, cl *kgo.Client, val []byte) {
	defer close(l.done)
	defer cl.Close()
	for n := 0; ctx.Err() == nil; n++ {
		if n&1023 == 0 && (l.stop.Load() || l.failed()) {
			break
		}
		r := l.p.record()
		r.Value, r.Timestamp = val, time.Now()
		cl.Produce(ctx, r, l.p.promise)
	}
	fctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := cl.Flush(fctx); err != nil {
		l.err = fmt.Errorf("flushing load producer: %w", err)
	} else if err := ctx.Err(); err != nil {
		l.err = err
	}
}

func (l *loadProducer) failed() bool { return l.p.failed.Load() > 0 }

// rate is the acknowledged MB/s since t0, when n0 records were acked.
func (l *loadProducer) rate(t0 time.Time, n0 int64) float64 {
	return perSec((l.p.acked.Load()-n0)*compactRecSize, time.Since(t0)) / mb
}

// finish stops the producer, waits for its flush and returns its error.
// Later calls return nil.
func (l *loadProducer) finish() error {
	if l.closed {
		return nil
	}
	l.closed = true
	l.stop.Store(true)
	<-l.done
	if n := l.p.failed.Load(); n > 0 {
		return fmt.Errorf("%d records failed, first: %w", n, *l.p.firstErr.Load())
	}
	return l.err
}

// cleanResult is what timeClean saw.
type cleanResult struct {
	took      time.Duration // from lifting the hold until the broker logged the clean
	bytesRead int64         // the broker's bytes_read: both of the cleaner's passes
	load      float64       // the load producer's MB/s over took
	rssBefore int64
	peak      int64 // broker peak RSS over took
}

// timeClean lifts the hold on the compacted topic and waits for the
// broker's "cleaned log" line for it in its output.
func (e *env) timeClean(load *loadProducer) (cleanResult, error) {
	var r cleanResult
	from, err := fileSize(e.b.logPath)
	if err != nil {
		return r, err
	}
	u, err := startUsage(e.b.pid())
	if err != nil {
		return r, err
	}
	m, err := procMem(e.b.pid())
	if err != nil {
		return r, err
	}
	r.rssBefore = m.rss
	t0, n0 := time.Now(), load.p.acked.Load()
	if err := liftHold(e.ctx, e.b.addr()); err != nil {
		return r, err
	}
	if r.bytesRead, err = waitCleanedLine(e.ctx, e.b, from, t0.Add(cleanTimeout)); err != nil {
		return r, err
	}
	r.took, r.load = time.Since(t0), load.rate(t0, n0)
	if _, r.peak, err = u.finish(); err != nil {
		return r, err
	}
	if load.failed() {
		return r, fmt.Errorf("load producer: %w", load.finish())
	}
	return r, nil
}

// liftHold sets min.compaction.lag.ms=0 on the compacted topic.
func liftHold(ctx context.Context, addr string) error {
	adm, err := newAdmin(addr)
	if err != nil {
		return err
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	set := []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "min.compaction.lag.ms", Value: kadm.StringPtr("0")}}
	rs, err := adm.AlterTopicConfigs(ctx, set, compactTopic)
	if err == nil {
		_, err = rs.On(compactTopic, func(r *kadm.AlterConfigsResponse) error {
			if r.Err != nil {
				return fmt.Errorf("%w %s", r.Err, r.ErrMessage)
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("lifting the compaction hold: %w", err)
	}
	return nil
}

// bytesReadRE finds the cleaner's bytes_read in its log line.
var bytesReadRE = regexp.MustCompile(`\bbytes_read=(\d+)`)

// waitCleanedLine polls the broker's output from byte offset from until it
// logs a clean of the compacted topic, and returns the bytes it read. A
// logged cleaning failure is an error.
func waitCleanedLine(ctx context.Context, b *broker, from int64, deadline time.Time) (int64, error) {
	want := []string{`msg="cleaned log"`, "topic=" + compactTopic + " ", "partition=0 "}
	for {
		out, err := os.ReadFile(b.logPath)
		if err != nil {
			return 0, fmt.Errorf("reading broker output: %w", err)
		}
		for line := range strings.Lines(string(out[min(from, int64(len(out))):])) {
			if strings.Contains(line, `msg="log cleaning failed"`) || strings.Contains(line, "corrupt segment") {
				return 0, fmt.Errorf("the broker's cleaner failed: %s", strings.TrimSpace(line))
			}
			if containsAll(line, want) {
				if m := bytesReadRE.FindStringSubmatch(line); m != nil {
					return strconv.ParseInt(m[1], 10, 64)
				}
				return 0, fmt.Errorf("no bytes_read in the cleaner's line %q", strings.TrimSpace(line))
			}
		}
		if err := b.exitedErr(); err != nil {
			return 0, err
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no clean of %s-0 logged within %v of lifting the hold", compactTopic, cleanTimeout)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(cleanPoll):
		}
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	return fi.Size(), nil
}

// closedSegmentBytes is the size of the .log files of partition directory
// part (under dir) except the active one, the one with the highest base
// offset: what the cleaner may clean.
func closedSegmentBytes(dir, part string) (int64, error) {
	return partLogBytes(dir, part, true)
}

// partLogBytes sums the .log files of partition directory part under dir,
// leaving out the active segment when closedOnly is set.
func partLogBytes(dir, part string, closedOnly bool) (int64, error) {
	var total, last int64
	var lastName string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(filepath.Dir(path)) != part || !strings.HasSuffix(path, ".log") {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		total += fi.Size()
		// Segment names are zero-padded base offsets: the greatest sorts last.
		if name := d.Name(); name > lastName {
			lastName, last = name, fi.Size()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sizing %s: %w", part, err)
	}
	if lastName == "" {
		return 0, fmt.Errorf("no segments of %s under %s", part, dir)
	}
	if closedOnly {
		total -= last
	}
	return total, nil
}
