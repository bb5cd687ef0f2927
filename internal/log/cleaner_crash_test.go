package log

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/vltava/vltava/internal/record"
)

// crashSetup writes a compacted log over several segments (plain,
// compressed and idempotent batches, tombstones), makes it durable and
// returns it open.
func crashSetup(t *testing.T) (*env, *Log) {
	e := compactEnv(t)
	e.cfg.SegmentBytes = 300 // several groups per clean
	l, err := e.tryOpen()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		o := plainOpts(1000 + int64(i))
		if i%2 == 1 {
			o.codec = record.CodecZstd
		}
		appendKV(t, l, o, put("a", fmt.Sprint(i)), put(fmt.Sprint("k", i), "x"), put("b", fmt.Sprint(i)))
		if i == 3 {
			appendKV(t, l, batchOpts{ts: 2000, pid: 9, epoch: 0, seq: 0}, put("a", "p"), del("k1"))
		}
		if i%2 == 1 {
			rollNow(t, l)
		}
	}
	appendKV(t, l, plainOpts(3000), put("a", "active"))
	if err := l.Flush(l.LogEndOffset()); err != nil {
		t.Fatal(err)
	}
	if err := l.Checkpoint(); err != nil { // the high watermark, as the broker's checkpoints do
		t.Fatal(err)
	}
	return e, l
}

// opCounter is an injector that counts file-system operations and, from
// the failAt-th on, fails them all: the process is gone from that step.
type opCounter struct {
	n      atomic.Int64
	failAt int64 // 0: never
}

var errCrashed = errors.New("crashed here")

func (c *opCounter) inject(op, path string) error {
	if n := c.n.Add(1); c.failAt > 0 && n >= c.failAt {
		return errCrashed
	}
	return nil
}

func TestCleanCrashAtEveryStep(t *testing.T) {
	e, l := crashSetup(t)
	before := readBytes(t, l)
	count := &opCounter{}
	states := [][]byte{before} // the log after each group's swap
	c := e.testCleaner(1 << 20)
	c.afterSwap = func() {
		e.fs.InjectError(nil)
		states = append(states, readBytes(t, l))
		e.fs.InjectError(count.inject)
	}
	e.fs.InjectError(count.inject)
	cleanNow(t, c, l)
	e.fs.InjectError(nil)
	after := readBytes(t, l)
	t.Logf("%d segments, %d file operations", l.NumSegments(), count.n.Load())
	afterRecs := recStrings(readKeyed(t, l))
	l.Close()
	steps := count.n.Load()
	if st := l.cleanerStatusLast(); steps < 10 || bytes.Equal(before, after) || len(states) < 3 || st.SegmentsAfter < 2 {
		t.Fatalf("the clean took %d steps, changed %v, made %d segments", steps, !bytes.Equal(before, after), st.SegmentsAfter)
	}
	for k := int64(1); k <= steps; k++ {
		t.Run(fmt.Sprint(k), func(t *testing.T) { crashAt(t, k, states, afterRecs) })
	}
}

// crashAt crashes a clean at its k-th file operation, reopens the log and
// checks that each group of segments is old or new, never a mix (the log
// is one of states), and that cleaning again gives the same result as an
// uninterrupted clean.
func crashAt(t *testing.T, k int64, states [][]byte, afterRecs []string) {
	e, l := crashSetup(t)
	e.fs.InjectError((&opCounter{failAt: k}).inject)
	// The last steps remove replaced files lazily and ignore errors.
	e.testCleaner(1<<20).clean(t.Context(), l, true)
	e.fs.InjectError(nil)
	l.closed.Store(true) // the process is gone
	e.fs.Crash()
	l2 := e.open()
	got := readBytes(t, l2)
	if !slices.ContainsFunc(states, func(s []byte) bool { return bytes.Equal(s, got) }) {
		t.Fatalf("after a crash at step %d the log mixes old and cleaned segments:\n%v", k, recStrings(readKeyed(t, l2)))
	}
	cleanNow(t, e.testCleaner(1<<20), l2)
	if recs := recStrings(readKeyed(t, l2)); !slices.Equal(recs, afterRecs) {
		t.Fatalf("clean after the crash: %v, want %v", recs, afterRecs)
	}
	ents, _ := e.fs.ReadDir(e.dir)
	for _, en := range ents {
		if n := en.Name(); bytes.HasSuffix([]byte(n), []byte(extCleaned)) || n == swapManifestFile {
			t.Fatalf("leftover %s", n)
		}
	}
}

// cleanerStatusLast returns the last clean's stats.
func (l *Log) cleanerStatusLast() CleanStats {
	l.cst.mu.Lock()
	defer l.cst.mu.Unlock()
	return l.cst.last
}
