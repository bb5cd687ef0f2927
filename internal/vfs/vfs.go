// Package vfs puts the file system behind a small interface so that the log
// and the metadata store can run on the real disk in production and on an
// in-memory file system in tests, where a crash (losing everything that was
// not synced) and I/O errors can be simulated.
package vfs

import (
	"io"
	"os"
)

// File is an open file. ReadAt and WriteAt are positional and safe for
// concurrent use; Write appends at the current offset.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.WriterAt
	io.Closer
	// Sync makes everything written so far durable.
	Sync() error
	Truncate(size int64) error
	Stat() (os.FileInfo, error)
	Name() string
	// Fd returns the OS file descriptor, or ^uintptr(0) when the file has
	// none (in-memory files). Readers use it for zero-copy sends.
	Fd() uintptr
}

// FS is the file system.
type FS interface {
	// OpenFile opens a file like os.OpenFile.
	OpenFile(name string, flag int, perm os.FileMode) (File, error)
	Remove(name string) error
	RemoveAll(path string) error
	// Rename atomically replaces newpath by oldpath. It is durable once the
	// parent directory is synced with SyncDir.
	Rename(oldpath, newpath string) error
	MkdirAll(path string, perm os.FileMode) error
	// ReadDir lists the names in a directory, sorted.
	ReadDir(name string) ([]os.DirEntry, error)
	Stat(name string) (os.FileInfo, error)
	// SyncDir makes the directory's entries (creates, renames, removes)
	// durable.
	SyncDir(name string) error
}

// Open opens a file for reading.
func Open(fs FS, name string) (File, error) { return fs.OpenFile(name, os.O_RDONLY, 0) }

// Create creates or truncates a file for writing.
func Create(fs FS, name string) (File, error) {
	return fs.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
}

// ReadFile reads a whole file.
func ReadFile(fs FS, name string) ([]byte, error) {
	f, err := Open(fs, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// WriteFileAtomic writes data to name through a temporary file, syncs it,
// renames it into place and syncs the directory, so that after a crash name
// holds either the old or the new contents.
func WriteFileAtomic(fs FS, dir, name string, data []byte) error {
	tmp := name + ".tmp"
	f, err := Create(fs, tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := fs.Rename(tmp, name); err != nil {
		return err
	}
	return fs.SyncDir(dir)
}
