package vfs

import (
	"os"
	"syscall"
	"time"
)

// OS is the real file system. The zero value writes through os.File; NewOS
// returns one whose WriteAt takes the fast path (fastwrite.go).
type OS struct {
	fast *fastWrites
}

// NewOS returns the real file system with fast positional writes.
func NewOS() OS { return OS{fast: &fastWrites{}} }

var _ FS = OS{}

type osFile struct {
	*os.File
	fast *fastWrites     // nil: always os.File's WriteAt (also for O_APPEND files, which it refuses)
	rc   syscall.RawConn // the file's, for fast writes
}

func (f osFile) Fd() uintptr { return f.File.Fd() }

// WriteAt implements io.WriterAt: a raw pwrite while fast writes are on,
// else os.File's.
func (f osFile) WriteAt(p []byte, off int64) (int, error) {
	if len(p) == 0 || f.fast == nil || off < 0 {
		return f.File.WriteAt(p, off)
	}
	now := time.Now()
	if !f.fast.on(now) {
		return f.File.WriteAt(p, off)
	}
	return f.fast.writeAt(f.File, f.rc, p, off, now)
}

// OpenFile implements FS.
func (o OS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	of := osFile{File: f, fast: o.fast}
	if flag&os.O_APPEND != 0 {
		of.fast = nil
	}
	if of.fast != nil {
		if of.rc, err = f.SyscallConn(); err != nil {
			of.fast = nil
		}
	}
	return of, nil
}

// Remove implements FS.
func (OS) Remove(name string) error { return os.Remove(name) }

// RemoveAll implements FS.
func (OS) RemoveAll(path string) error { return os.RemoveAll(path) }

// Rename implements FS.
func (OS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

// MkdirAll implements FS.
func (OS) MkdirAll(path string, perm os.FileMode) error { return os.MkdirAll(path, perm) }

// ReadDir implements FS.
func (OS) ReadDir(name string) ([]os.DirEntry, error) { return os.ReadDir(name) }

// Stat implements FS.
func (OS) Stat(name string) (os.FileInfo, error) { return os.Stat(name) }

// SyncDir implements FS.
func (OS) SyncDir(name string) error {
	d, err := os.Open(name)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
