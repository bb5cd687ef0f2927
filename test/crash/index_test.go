//go:build linux

package crash_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// timedLog is a one-partition topic whose record i has value
// recordValue(0, i) and timestamp base+2i.
type timedLog struct {
	topic string
	base  int64 // ms
	n     int
}

func (l timedLog) ts(i int) int64 { return l.base + 2*int64(i) }

// produceTimed fills a timedLog with batches of random sizes.
func produceTimed(t *testing.T, p *proc, l *timedLog, rng *rand.Rand, batches int) {
	t.Helper()
	// Uncompressed, so that timestamp lookups depend on the indexes and
	// batch headers only (test/interop covers compressed batches).
	cl := p.client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0), kgo.ProducerBatchCompression(kgo.NoCompression()))
	for range batches {
		var recs []*kgo.Record
		for range 1 + rng.IntN(20) {
			recs = append(recs, &kgo.Record{Topic: l.topic, Value: []byte(recordValue(0, l.n)), Timestamp: time.UnixMilli(l.ts(l.n))})
			l.n++
		}
		for i, a := range produceSync(t, cl, recs...) {
			if want := int64(l.n - len(recs) + i); a.offset != want {
				t.Fatalf("record acknowledged at offset %d, want %d", a.offset, want)
			}
		}
	}
}

// checkTimedLog reads the log from segment boundaries and random offsets,
// and looks offsets up by timestamp, comparing with what was produced.
func checkTimedLog(t *testing.T, p *proc, dir string, l timedLog, rng *rand.Rand) {
	t.Helper()
	offsets := []int{0, 1, l.n - 1}
	for _, seg := range filesWithExt(t, filepath.Join(dir, l.topic+"-0"), ".log") {
		base, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(seg), ".log"))
		if err != nil {
			t.Fatalf("segment name %s: %v", seg, err)
		}
		offsets = append(offsets, base, max(base-1, 0), min(base+1, l.n-1))
	}
	for range 10 {
		offsets = append(offsets, rng.IntN(l.n))
	}
	cl := p.client(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{l.topic: {0: kgo.NewOffset().At(0)}}), kgo.FetchMaxWait(100*time.Millisecond))
	for _, o := range offsets {
		checkReadFrom(t, cl, l, o)
	}
	for range 10 {
		i := rng.IntN(l.n)
		checkTimestampLookup(t, p, l, l.ts(i), i)
		checkTimestampLookup(t, p, l, l.ts(i)-1, i)
	}
	checkTimestampLookup(t, p, l, l.base-1000, 0)
	checkTimestampLookup(t, p, l, l.ts(l.n-1), l.n-1)
	checkTimestampLookup(t, p, l, l.ts(l.n-1)+1, l.n) // none: the end offset
}

// checkReadFrom fetches up to 50 records from offset o.
func checkReadFrom(t *testing.T, cl *kgo.Client, l timedLog, o int) {
	t.Helper()
	cl.SetOffsets(map[string]map[int32]kgo.EpochOffset{l.topic: {0: {Epoch: -1, Offset: int64(o)}}})
	want := min(50, l.n-o)
	ctx := timeout(t, 20*time.Second)
	var got []*kgo.Record
	for len(got) < want {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("reading from offset %d: got %d of %d records: %v", o, len(got), want, err)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("fetch from offset %d: %v", o, err) })
		got = append(got, fs.Records()...)
	}
	for i, r := range got[:want] {
		wi := o + i
		if r.Offset != int64(wi) || string(r.Value) != recordValue(0, wi) || r.Timestamp.UnixMilli() != l.ts(wi) {
			t.Fatalf("reading from offset %d: record %d is %d %q @%d, want %d %q @%d",
				o, i, r.Offset, r.Value, r.Timestamp.UnixMilli(), wi, recordValue(0, wi), l.ts(wi))
		}
	}
}

// checkTimestampLookup checks ListOffsets for a timestamp: want is the
// offset of the first record at or after ts, l.n when there is none.
func checkTimestampLookup(t *testing.T, p *proc, l timedLog, ts int64, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := p.admin().ListOffsetsAfterMilli(ctx, ts, l.topic)
	if err != nil {
		t.Fatalf("list offsets after %d: %v", ts, err)
	}
	o, ok := res.Lookup(l.topic, 0)
	if !ok || o.Err != nil || o.Offset != int64(want) {
		t.Fatalf("list offsets after %d (base+%d): %+v %v, want offset %d", ts, ts-l.base, o, ok, want)
	}
	if want < l.n && o.Timestamp != l.ts(want) {
		t.Fatalf("list offsets after %d: timestamp %d, want %d", ts, o.Timestamp, l.ts(want))
	}
}

// TestIndexRebuild removes, tears or truncates the offset and time indexes of a
// partition, after a clean stop and after kill -9, and checks that reads
// from any offset and lookups by timestamp give the same answers as before.
func TestIndexRebuild(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	dir := t.TempDir()
	l := timedLog{topic: "indexed", base: time.Now().Add(-10 * time.Minute).UnixMilli()}
	p := startProc(t, dir)
	// Small indexes roll a segment every few dozen batches; an index entry
	// for every batch.
	createTopic(t, p, l.topic, 1, map[string]*string{"segment.index.bytes": kadm.StringPtr("400"), "index.interval.bytes": kadm.StringPtr("0")})
	produceTimed(t, p, &l, rng, 300)
	pdir := filepath.Join(dir, l.topic+"-0")
	t.Logf("%d records in %d segments", l.n, len(filesWithExt(t, pdir, ".log")))
	checkTimedLog(t, p, dir, l, rng)

	steps := []struct {
		name  string
		kill  bool
		index func(t *testing.T, name string)
	}{
		{"clean stop, indexes deleted", false, removeFile},
		{"kill -9, indexes deleted", true, removeFile},
		{"clean stop, indexes with a torn last entry", false, appendPartialEntry(rng)},
		{"kill -9, indexes truncated", true, truncateHalf},
	}
	for _, s := range steps {
		if s.kill {
			p.kill9()
		} else if err := p.terminate(); err != nil {
			t.Fatalf("%s: SIGTERM: %v", s.name, err)
		}
		for _, ext := range []string{".index", ".timeindex"} {
			for _, f := range filesWithExt(t, pdir, ext) {
				s.index(t, f)
			}
		}
		p = startProc(t, dir)
		waitLeaders(t, p, l.topic, 1)
		checkTimedLog(t, p, dir, l, rng)
		produceTimed(t, p, &l, rng, 20)
		checkTimedLog(t, p, dir, l, rng)
		t.Logf("%s: ok, now %d records", s.name, l.n)
	}
	if err := p.terminate(); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}

func removeFile(t *testing.T, name string) {
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
}

func truncateHalf(t *testing.T, name string) {
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(name, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
}

// appendPartialEntry appends less than an entry of random bytes, so that
// the index's size is wrong. (Garbage of a valid size can pass for a valid
// index: Kafka trusts the indexes after a clean shutdown too.)
func appendPartialEntry(rng *rand.Rand) func(t *testing.T, name string) {
	return func(t *testing.T, name string) {
		b := make([]byte, 1+rng.IntN(7))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		appendFile(t, name, b)
	}
}

// TestRestartManySegments restarts a broker whose partition has about 200
// segments, cleanly and after kill -9, and reads everything back. The time
// to ready is logged, not asserted.
func TestRestartManySegments(t *testing.T) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	dir := t.TempDir()
	l := timedLog{topic: "segments", base: time.Now().Add(-10 * time.Minute).UnixMilli()}
	p := startProc(t, dir)
	// segment.bytes cannot go below 1 MiB (as in Kafka 4), so 200 segments
	// would need 200 MiB; an index of two entries rolls every 3 batches.
	createTopic(t, p, l.topic, 1, map[string]*string{"segment.index.bytes": kadm.StringPtr("24"), "index.interval.bytes": kadm.StringPtr("0")})
	produceTimed(t, p, &l, rng, 600)
	pdir := filepath.Join(dir, l.topic+"-0")
	if n := len(filesWithExt(t, pdir, ".log")); n < 150 {
		t.Fatalf("%d segments, want about 200", n)
	}
	for _, kill := range []bool{false, true} {
		if kill {
			p.kill9()
		} else if err := p.terminate(); err != nil {
			t.Fatalf("SIGTERM: %v", err)
		}
		p = startProc(t, dir)
		t.Logf("%d segments, kill -9: %v: ready %v after start", len(filesWithExt(t, pdir, ".log")), kill, p.ready.Sub(p.started))
		waitLeaders(t, p, l.topic, 1)
		logs := readAll(t, p, l.topic)
		if len(logs[0]) != l.n {
			t.Fatalf("read %d records, want %d", len(logs[0]), l.n)
		}
		for i, r := range logs[0] {
			if r.Offset != int64(i) || string(r.Value) != recordValue(0, i) || r.Timestamp.UnixMilli() != l.ts(i) {
				t.Fatalf("record %d is %d %q @%d", i, r.Offset, r.Value, r.Timestamp.UnixMilli())
			}
		}
		checkTimedLog(t, p, dir, l, rng)
	}
	if err := p.terminate(); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}
