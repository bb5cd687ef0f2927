package vfs

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
	"testing"
)

func mustWrite(t *testing.T, m *Mem, name, data string, sync bool) File {
	t.Helper()
	f, err := Create(m, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func readString(t *testing.T, m *Mem, name string) (string, error) {
	t.Helper()
	b, err := ReadFile(m, name)
	return string(b), err
}

func TestMemCrashKeepsOnlySynced(t *testing.T) {
	m := NewMem()
	if err := m.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	f := mustWrite(t, m, "/d/a", "hello", true)
	if err := m.SyncDir("/d"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(" world")); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, m, "/d/b", "unsynced dir entry", true)
	if got, _ := readString(t, m, "/d/a"); got != "hello world" {
		t.Fatalf("before crash: %q", got)
	}
	m.Crash()
	if got, err := readString(t, m, "/d/a"); err != nil || got != "hello" {
		t.Fatalf("after crash: %q, %v", got, err)
	}
	if _, err := m.Stat("/d/b"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("b should vanish, got %v", err)
	}
	if _, err := f.Write([]byte("x")); err == nil {
		t.Fatal("write through a pre-crash handle succeeded")
	}
}

func TestMemCrashUndoesRenameAndRemove(t *testing.T) {
	m := NewMem()
	if err := m.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, m, "/d/a", "A", true).Close()
	mustWrite(t, m, "/d/gone", "G", true).Close()
	if err := m.SyncDir("/d"); err != nil {
		t.Fatal(err)
	}
	if err := m.Rename("/d/a", "/d/c"); err != nil {
		t.Fatal(err)
	}
	if err := m.Remove("/d/gone"); err != nil {
		t.Fatal(err)
	}
	m.Crash()
	if got, err := readString(t, m, "/d/a"); err != nil || got != "A" {
		t.Fatalf("a: %q %v", got, err)
	}
	if got, err := readString(t, m, "/d/gone"); err != nil || got != "G" {
		t.Fatalf("gone: %q %v", got, err)
	}
	if _, err := m.Stat("/d/c"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("c: %v", err)
	}
	// Now make the rename durable.
	if err := m.Rename("/d/a", "/d/c"); err != nil {
		t.Fatal(err)
	}
	if err := m.SyncDir("/d"); err != nil {
		t.Fatal(err)
	}
	m.Crash()
	if got, err := readString(t, m, "/d/c"); err != nil || got != "A" {
		t.Fatalf("c after durable rename: %q %v", got, err)
	}
	ents, err := m.ReadDir("/d")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) != 2 || names[0] != "c" || names[1] != "gone" {
		t.Fatalf("ReadDir = %v", names)
	}
}

func TestMemWriteFileAtomic(t *testing.T) {
	m := NewMem()
	if err := m.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(m, "/d", "/d/f", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	m.Crash()
	if got, err := readString(t, m, "/d/f"); err != nil || got != "v1" {
		t.Fatalf("%q %v", got, err)
	}
}

func TestMemInjectError(t *testing.T) {
	m := NewMem()
	if err := m.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	f := mustWrite(t, m, "/d/a", "abc", false)
	eio := errors.New("EIO")
	m.InjectError(func(op, path string) error {
		if op == "sync" || (op == "write" && path == "/d/a") {
			return eio
		}
		return nil
	})
	if _, err := f.Write([]byte("x")); !errors.Is(err, eio) {
		t.Fatalf("write: %v", err)
	}
	if err := f.Sync(); !errors.Is(err, eio) {
		t.Fatalf("sync: %v", err)
	}
	m.InjectError(nil)
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if got, _ := readString(t, m, "/d/a"); got != "abc" {
		t.Fatalf("failed write changed the file: %q", got)
	}
}

func TestMemFileOps(t *testing.T) {
	m := NewMem()
	if _, err := m.OpenFile("/nodir/x", os.O_RDWR|os.O_CREATE, 0o644); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("create in missing dir: %v", err)
	}
	if err := m.MkdirAll("/a/b", 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := m.OpenFile("/a/b/f", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("xyz"), 5); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	n, err := f.ReadAt(buf, 0)
	if n != 8 || err != io.EOF || !bytes.Equal(buf[:n], []byte("\x00\x00\x00\x00\x00xyz")) {
		t.Fatalf("ReadAt = %d %v %q", n, err, buf[:n])
	}
	if err := f.Truncate(6); err != nil {
		t.Fatal(err)
	}
	if fi, _ := f.Stat(); fi.Size() != 6 {
		t.Fatalf("size %d", fi.Size())
	}
	if f.Fd() != ^uintptr(0) {
		t.Fatal("Fd")
	}
	if _, err := m.OpenFile("/a/b/f", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("O_EXCL: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Read(buf); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("read after close: %v", err)
	}
	if err := m.RemoveAll("/a"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Stat("/a/b"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("RemoveAll: %v", err)
	}
}

func TestMemConcurrent(t *testing.T) {
	m := NewMem()
	if err := m.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	f := mustWrite(t, m, "/d/a", "", false)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				f.WriteAt([]byte{byte(i)}, int64(i*100+j))
				f.Sync()
				buf := make([]byte, 4)
				f.ReadAt(buf, 0)
			}
		}(i)
	}
	wg.Wait()
	if fi, _ := f.Stat(); fi.Size() != 800 {
		t.Fatalf("size %d", fi.Size())
	}
}
