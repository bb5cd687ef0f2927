//go:build linux

package crash_test

import (
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// tornTail makes the bytes a crash may leave after the last whole batch of
// a segment, given that batch and the offset a next batch would have.
type tornTail struct {
	name    string
	garbage func(last []byte, next int64, rng *rand.Rand) []byte
}

var tornTails = []tornTail{
	{"random bytes", func(_ []byte, _ int64, rng *rand.Rand) []byte {
		b := make([]byte, 1+rng.IntN(300))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}},
	{"zeros", func([]byte, int64, *rand.Rand) []byte { return make([]byte, 4096) }},
	{"half a batch", func(last []byte, next int64, _ *rand.Rand) []byte {
		b := withBaseOffset(last, next)
		return b[:len(b)/2]
	}},
	{"batch with a bad CRC", func(last []byte, next int64, _ *rand.Rand) []byte {
		b := withBaseOffset(last, next)
		b[len(b)-1] ^= 0xff
		return b
	}},
	{"header of a huge batch", func(_ []byte, next int64, _ *rand.Rand) []byte {
		b := binary.BigEndian.AppendUint64(nil, uint64(next))
		return binary.BigEndian.AppendUint32(b, 0x7ffffff0)
	}},
	{"batch header only", func(last []byte, next int64, _ *rand.Rand) []byte {
		return withBaseOffset(last, next)[:61]
	}},
}

// withBaseOffset is a copy of a v2 batch with another base offset (a field
// the CRC does not cover).
func withBaseOffset(batch []byte, base int64) []byte {
	b := slices.Clone(batch)
	binary.BigEndian.PutUint64(b, uint64(base))
	return b
}

// TestTornTail kills the broker, appends what a torn write could leave to
// the active segment, and restarts: the broker must cut the garbage off,
// serve every acknowledged record and nothing else, and append new records
// at the right offsets. Each kind of garbage goes on top of the previous
// recovery, on one data directory.
func TestTornTail(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	dir := t.TempDir()
	const topic = "torn"
	p := startProc(t, dir)
	createTopic(t, p, topic, 1, nil)
	var all []ack
	for run, tail := range tornTails {
		cl := p.client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
		seq := 0
		for range 5 {
			var recs []*kgo.Record
			for range 1 + rng.IntN(200) {
				recs = append(recs, &kgo.Record{Topic: topic, Value: []byte(recordValue(run, seq))})
				seq++
			}
			all = append(all, produceSync(t, cl, recs...)...)
		}
		p.kill9()

		seg := lastFile(t, filepath.Join(dir, topic+"-0"), ".log")
		data, err := os.ReadFile(seg)
		if err != nil {
			t.Fatal(err)
		}
		garbage := tail.garbage(lastBatch(t, data), int64(len(all)), rng)
		appendFile(t, seg, garbage)
		t.Logf("%s: appended %d bytes to %s (%d bytes)", tail.name, len(garbage), filepath.Base(seg), len(data))

		p = startProc(t, dir)
		logs := readAll(t, p, topic)
		checkLog(t, logs, all)
		if n := len(logs[0]); n != len(all) {
			t.Fatalf("%s: the broker serves %d records, want the %d acknowledged", tail.name, n, len(all))
		}
		if fi, err := os.Stat(seg); err != nil || fi.Size() != int64(len(data)) {
			t.Fatalf("%s: %s is %v bytes (%v) after recovery, want %d", tail.name, seg, fileSize(fi), err, len(data))
		}
		cl = p.client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
		more := produceSync(t, cl, &kgo.Record{Topic: topic, Value: []byte(recordValue(run, seq))}, &kgo.Record{Topic: topic, Value: []byte(recordValue(run, seq+1))})
		for i, a := range more {
			if want := int64(len(all) + i); a.offset != want {
				t.Fatalf("%s: a record produced after recovery went to offset %d, want %d", tail.name, a.offset, want)
			}
		}
		all = append(all, more...)
	}
	checkLog(t, readAll(t, p, topic), all)
	if err := p.terminate(); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}

// lastBatch returns the last whole batch of a segment's bytes.
func lastBatch(t *testing.T, seg []byte) []byte {
	t.Helper()
	var last []byte
	for pos := 0; pos+12 <= len(seg); {
		size := 12 + int(binary.BigEndian.Uint32(seg[pos+8:]))
		if pos+size > len(seg) {
			t.Fatalf("segment has a torn batch at %d before any garbage was added", pos)
		}
		last = seg[pos : pos+size]
		pos += size
	}
	if len(last) < 61 {
		t.Fatalf("segment of %d bytes has no batch", len(seg))
	}
	return last
}

// lastFile is the file with the highest name ending in ext in dir.
func lastFile(t *testing.T, dir, ext string) string {
	t.Helper()
	files := filesWithExt(t, dir, ext)
	if len(files) == 0 {
		t.Fatalf("no %s file in %s", ext, dir)
	}
	return files[len(files)-1]
}

// filesWithExt lists the files ending in ext in dir, sorted by name.
func filesWithExt(t *testing.T, dir, ext string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ext) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out // ReadDir sorts by name; names are zero-padded offsets
}

func appendFile(t *testing.T, name string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func fileSize(fi os.FileInfo) any {
	if fi == nil {
		return "?"
	}
	return fi.Size()
}
