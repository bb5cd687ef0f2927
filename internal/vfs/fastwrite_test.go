package vfs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestFastWriteAt(t *testing.T) {
	fs := NewOS()
	name := filepath.Join(t.TempDir(), "f")
	f, err := fs.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	for _, w := range []struct {
		off int64
		p   []byte
	}{{0, []byte("hello")}, {3, []byte("LO world")}, {1 << 20, big}, {20, nil}} {
		if n, err := f.WriteAt(w.p, w.off); err != nil || n != len(w.p) {
			t.Fatalf("WriteAt(%d bytes, %d) = %d, %v", len(w.p), w.off, n, err)
		}
	}
	got := make([]byte, 11)
	if _, err := f.ReadAt(got, 0); err != nil || string(got) != "helLO world" {
		t.Fatalf("read %q, %v", got, err)
	}
	back := make([]byte, len(big))
	if _, err := f.ReadAt(back, 1<<20); err != nil || !bytes.Equal(back, big) {
		t.Fatalf("1 MiB at 1 MiB read back wrong: %v", err)
	}
	if n := fs.fast.raw.Load(); n != 3 {
		t.Fatalf("%d raw pwrites, want 3 (the empty write goes through os.File)", n)
	}
}

func TestFastWriteErrors(t *testing.T) {
	fs := NewOS()
	name := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(name, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	ro, err := fs.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	_, err = ro.WriteAt([]byte("y"), 0)
	var pe *os.PathError
	if !errors.As(err, &pe) || pe.Op != "write" || !errors.Is(err, syscall.EBADF) {
		t.Fatalf("write to a read-only file: %v, want a write PathError with EBADF", err)
	}

	f, err := fs.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := f.WriteAt([]byte("y"), 0); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("write to a closed file: %v, want os.ErrClosed", err)
	}

	// O_APPEND files keep os.File's refusal of WriteAt.
	a, err := fs.OpenFile(name, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.WriteAt([]byte("y"), 0); err == nil {
		t.Fatal("WriteAt on an O_APPEND file succeeded")
	}
}

// A raw pwrite over its budget turns fast writes off for the cool-down;
// writes go through os.File meanwhile, then fast again.
func TestFastWriteSlowFallsBack(t *testing.T) {
	fs := NewOS()
	fs.fast.budget = func(int) time.Duration { return -1 } // every write is slow
	f, err := fs.OpenFile(filepath.Join(t.TempDir(), "f"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := range 3 {
		if _, err := f.WriteAt([]byte("abc"), int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if raw, slowed := fs.fast.raw.Load(), fs.fast.slowed.Load(); raw != 1 || slowed != 1 {
		t.Fatalf("raw %d, slowed %d; want 1, 1 (the first write was slow, the others took os.File)", raw, slowed)
	}
	if until := time.Unix(0, fs.fast.slowUntil.Load()); time.Until(until) < slowCooldown-time.Second {
		t.Fatalf("fast writes off until %v, want about %v from now", until, slowCooldown)
	}
	fs.fast.slowUntil.Store(0) // the cool-down has passed
	fs.fast.budget = nil
	if _, err := f.WriteAt([]byte("d"), 3); err != nil {
		t.Fatal(err)
	}
	if raw := fs.fast.raw.Load(); raw != 2 {
		t.Fatalf("raw %d after the cool-down, want 2", raw)
	}
	got := make([]byte, 4)
	if _, err := f.ReadAt(got, 0); err != nil || string(got) != "aaad" {
		t.Fatalf("read %q, %v", got, err)
	}
}
