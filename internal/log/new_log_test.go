package log

import (
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vltava/vltava/internal/vfs"
)

// opRecorder records the file system operations under a directory.
type opRecorder struct {
	mu  sync.Mutex
	ops []string // "op name", name relative to the directory
}

func recordOps(fs *vfs.Mem, dir string) *opRecorder {
	r := &opRecorder{}
	fs.InjectError(func(op, path string) error {
		if rel, ok := strings.CutPrefix(path, dir); ok {
			r.mu.Lock()
			r.ops = append(r.ops, op+" "+strings.TrimPrefix(rel, "/"))
			r.mu.Unlock()
		}
		return nil
	})
	return r
}

// writes returns the recorded operations that change the disk, and forgets
// every recorded operation.
func (r *opRecorder) writes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, op := range r.ops {
		switch strings.Fields(op)[0] {
		case "create", "write", "sync", "truncate", "rename", "remove", "syncdir":
			out = append(out, op)
		}
	}
	r.ops = nil
	return out
}

func dirNames(t *testing.T, fs vfs.FS, dir string) []string {
	t.Helper()
	ents, err := fs.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// A new partition is an empty directory until its first append: reading,
// flushing, checkpointing and closing it write nothing, and it opens again
// as a new log.
func TestNewLogWritesNothingUntilAppended(t *testing.T) {
	e := newEnv(t)
	rec := recordOps(e.fs, e.dir)
	l := e.open()
	if st, err := e.fs.Stat(e.dir); err != nil || !st.IsDir() {
		t.Fatalf("partition directory after Open: %v %v", st, err)
	}
	if res, err := l.Read(0, 1<<20, 0); err != nil || res.Size != 0 {
		t.Fatalf("Read of a new log: %+v %v", res, err)
	}
	if _, _, ok := l.OffsetForTimestamp(0); ok {
		t.Fatal("OffsetForTimestamp found a record in a new log")
	}
	if ts, off := l.MaxTimestamp(); ts != -1 || off != -1 {
		t.Fatalf("MaxTimestamp of a new log: %d %d", ts, off)
	}
	if err := l.Flush(0); err != nil {
		t.Fatal(err)
	}
	if err := l.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if w := rec.writes(); len(w) != 0 {
		t.Fatalf("a new, unwritten log wrote %q", w)
	}
	if names := dirNames(t, e.fs, e.dir); len(names) != 0 {
		t.Fatalf("a new, unwritten log left %q", names)
	}

	l = e.open()
	if l.LogEndOffset() != 0 || l.LogStartOffset() != 0 || l.NumSegments() != 1 {
		t.Fatalf("reopened: start %d end %d segments %d", l.LogStartOffset(), l.LogEndOffset(), l.NumSegments())
	}
	appendN(t, l, 3, 2)
	if names := dirNames(t, e.fs, e.dir); !slices.Contains(names, "00000000000000000000.log") {
		t.Fatalf("no segment file after the first append: %q", names)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"00000000000000000000.index", "00000000000000000000.log", "00000000000000000000.timeindex",
		"00000000000000000006.snapshot", "clean-shutdown", "leader-epoch-checkpoint", "partition.checkpoint"}
	if names := dirNames(t, e.fs, e.dir); !slices.Equal(names, want) {
		t.Fatalf("after Close of a written log: %q, want %q", names, want)
	}
	l = e.open()
	wantContiguous(t, readAll(t, l, 0), 0, 6, 2)
}

// A crash at any point of a new partition's life loses nothing that was
// flushed, and the partition opens and takes appends again.
func TestNewLogCrash(t *testing.T) {
	t.Run("before the first append", func(t *testing.T) {
		e := newEnv(t)
		e.open()
		e.fs.Crash()
		l := e.open()
		if l.LogEndOffset() != 0 {
			t.Fatalf("end %d", l.LogEndOffset())
		}
		appendN(t, l, 2, 3)
		wantContiguous(t, readAll(t, l, 0), 0, 6, 3)
	})
	t.Run("after an unflushed append", func(t *testing.T) {
		e := newEnv(t)
		appendN(t, e.open(), 2, 3)
		e.fs.Crash()
		l := e.open()
		if l.LogEndOffset() != 0 {
			t.Fatalf("end %d after losing the unflushed appends", l.LogEndOffset())
		}
		appendN(t, l, 1, 3)
		wantContiguous(t, readAll(t, l, 0), 0, 3, 3)
	})
	t.Run("after a flushed append", func(t *testing.T) {
		e := newEnv(t)
		l := e.open()
		appendN(t, l, 2, 3)
		if err := l.Flush(6); err != nil {
			t.Fatal(err)
		}
		e.fs.Crash()
		l = e.open()
		if l.LogEndOffset() != 6 {
			t.Fatalf("end %d after a crash, want the flushed 6", l.LogEndOffset())
		}
		appendN(t, l, 1, 3)
		wantContiguous(t, readAll(t, l, 0), 0, 9, 3)
	})
}

// Close rewrites the leader-epoch checkpoint only when the file does not
// hold the cache already.
func TestCloseRewritesEpochsOnlyWhenNeeded(t *testing.T) {
	e := newEnv(t)
	l := e.open()
	if _, err := l.AppendAsLeader(plain(2, 1000).build(), 3); err != nil {
		t.Fatal(err)
	}
	epochs := filepath.Join(e.dir, epochFile)
	rec := recordOps(e.fs, e.dir)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, op := range rec.writes() {
		if strings.Contains(op, epochFile) {
			t.Fatalf("Close wrote the unchanged leader-epoch checkpoint: %s", op)
		}
	}
	l = e.open()
	if err := e.fs.Remove(epochs); err != nil {
		t.Fatal(err)
	}
	if _, err := l.AppendAsLeader(plain(2, 1000).build(), 3); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := vfs.ReadFile(e.fs, epochs)
	if err != nil || string(b) != "0\n1\n3 0\n" {
		t.Fatalf("leader-epoch-checkpoint after Close: %q %v", b, err)
	}
	if l = e.open(); l.LatestEpoch() != 3 {
		t.Fatalf("latest epoch %d after reopening", l.LatestEpoch())
	}
}

// The first flush of a new partition also syncs the log dir, which holds
// the partition directory's entry: without it, a crash could lose the
// directory, and with it data that was flushed. Later flushes do not.
func TestFirstFlushSyncsTheLogDir(t *testing.T) {
	e := newEnv(t)
	parent := filepath.Dir(e.dir)
	l := e.open()
	rec := recordOps(e.fs, parent)
	syncs := func() int {
		n := 0
		for _, op := range rec.writes() {
			if op == "syncdir " {
				n++
			}
		}
		return n
	}
	appendN(t, l, 1, 3)
	if err := l.Flush(3); err != nil {
		t.Fatal(err)
	}
	if n := syncs(); n != 1 {
		t.Fatalf("first flush synced the log dir %d times, want 1", n)
	}
	appendN(t, l, 1, 3)
	if err := l.Flush(6); err != nil {
		t.Fatal(err)
	}
	if n := syncs(); n != 0 {
		t.Fatalf("second flush synced the log dir %d times, want 0", n)
	}
}
