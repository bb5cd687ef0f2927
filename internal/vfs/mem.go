package vfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Mem is an in-memory FS for tests that can simulate a crash and inject I/O
// errors. It is safe for concurrent use.
//
// Every file keeps two contents: the current one, which reads see, and the
// synced one, as of its last File.Sync. The names in a directory are kept
// twice too: the current names, and the durable ones as of the last SyncDir
// of that directory. Crash throws away everything not durable: each file
// reverts to its synced contents and each directory to its durable names,
// so a file created (even synced) in a directory that was never synced
// afterwards vanishes, a rename not followed by SyncDir is undone, and a
// removed file comes back.
//
// Directories themselves are durable as soon as MkdirAll returns, and
// RemoveAll is durable at once, files included (a simplification: only
// file entries within a directory are tracked).
type Mem struct {
	mu      sync.Mutex
	files   map[string]*memInode // current names
	durable map[string]*memInode // names made durable by SyncDir
	dirs    map[string]bool
	gen     int // bumped by Crash: handles from an older generation fail
	inject  func(op, path string) error
}

type memInode struct {
	data    []byte // current contents
	synced  []byte // contents as of the last Sync
	modTime time.Time
}

var _ FS = (*Mem)(nil)

// errCrashed is returned by handles opened before a Crash.
var errCrashed = errors.New("vfs.Mem: file handle from before a simulated crash")

// NewMem returns an empty in-memory file system holding only the root "/"
// and the current directory ".".
func NewMem() *Mem {
	return &Mem{
		files:   map[string]*memInode{},
		durable: map[string]*memInode{},
		dirs:    map[string]bool{"/": true, ".": true},
	}
}

// InjectError makes operations fail: f is called with the operation's name
// ("open", "create", "read", "write", "sync", "truncate", "close", "stat",
// "rename", "remove", "mkdir", "readdir", "syncdir") and the path; a non-nil
// result is returned as the operation's error (wrapped in *fs.PathError)
// and the operation has no effect. nil removes the injector.
func (m *Mem) InjectError(f func(op, path string) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inject = f
}

// Crash simulates a power loss: every file reverts to its last synced
// contents and every directory to the names it had at its last SyncDir.
// Handles opened before the crash fail from now on.
func (m *Mem) Crash() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	m.files = make(map[string]*memInode, len(m.durable))
	for name, ino := range m.durable {
		ino.data = append([]byte(nil), ino.synced...)
		m.files[name] = ino
	}
}

// injected reports the injected error for op on path. Lock should be held.
func (m *Mem) injected(op, path string) error {
	if m.inject == nil {
		return nil
	}
	if err := m.inject(op, path); err != nil {
		return &fs.PathError{Op: op, Path: path, Err: err}
	}
	return nil
}

func clean(name string) string { return filepath.Clean(name) }

// OpenFile implements FS.
func (m *Mem) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	op := "open"
	if flag&os.O_CREATE != 0 {
		op = "create"
	}
	if err := m.injected(op, name); err != nil {
		return nil, err
	}
	if m.dirs[name] {
		return nil, &fs.PathError{Op: op, Path: name, Err: errors.New("is a directory")}
	}
	ino, ok := m.files[name]
	switch {
	case ok && flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrExist}
	case !ok && flag&os.O_CREATE == 0:
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	case !ok:
		if !m.dirs[filepath.Dir(name)] {
			return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		ino = &memInode{modTime: time.Now()}
		m.files[name] = ino
	}
	if flag&os.O_TRUNC != 0 && flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		ino.data = nil
	}
	return &memFile{m: m, ino: ino, name: name, flag: flag, gen: m.gen}, nil
}

// Remove implements FS.
func (m *Mem) Remove(name string) error {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.injected("remove", name); err != nil {
		return err
	}
	if _, ok := m.files[name]; ok {
		delete(m.files, name)
		return nil
	}
	if m.dirs[name] {
		if len(m.childrenLocked(name)) > 0 {
			return &fs.PathError{Op: "remove", Path: name, Err: errors.New("directory not empty")}
		}
		delete(m.dirs, name)
		return nil
	}
	return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
}

// RemoveAll implements FS.
func (m *Mem) RemoveAll(path string) error {
	path = clean(path)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.injected("remove", path); err != nil {
		return err
	}
	for name := range m.files {
		if name == path || isUnder(name, path) {
			delete(m.files, name)
		}
	}
	for name := range m.durable {
		if isUnder(name, path) {
			delete(m.durable, name)
		}
	}
	for d := range m.dirs {
		if d == path || isUnder(d, path) {
			delete(m.dirs, d)
		}
	}
	return nil
}

func isUnder(name, dir string) bool {
	return strings.HasPrefix(name, dir+string(filepath.Separator)) || (dir == "/" && name != "/")
}

// Rename implements FS. Renaming a directory moves everything under it.
func (m *Mem) Rename(oldpath, newpath string) error {
	oldpath, newpath = clean(oldpath), clean(newpath)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.injected("rename", oldpath); err != nil {
		return err
	}
	if ino, ok := m.files[oldpath]; ok {
		if !m.dirs[filepath.Dir(newpath)] || m.dirs[newpath] {
			return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: fs.ErrNotExist}
		}
		delete(m.files, oldpath)
		m.files[newpath] = ino
		return nil
	}
	if !m.dirs[oldpath] {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: fs.ErrNotExist}
	}
	m.renameDirLocked(oldpath, newpath)
	return nil
}

// renameDirLocked moves a directory tree. Lock should be held.
func (m *Mem) renameDirLocked(oldpath, newpath string) {
	move := func(name string) string { return newpath + strings.TrimPrefix(name, oldpath) }
	for name, ino := range m.files {
		if isUnder(name, oldpath) {
			delete(m.files, name)
			m.files[move(name)] = ino
		}
	}
	for d := range m.dirs {
		if d == oldpath || isUnder(d, oldpath) {
			delete(m.dirs, d)
			m.dirs[move(d)] = true
		}
	}
}

// MkdirAll implements FS.
func (m *Mem) MkdirAll(path string, perm os.FileMode) error {
	path = clean(path)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.injected("mkdir", path); err != nil {
		return err
	}
	for p := path; !m.dirs[p]; p = filepath.Dir(p) {
		if _, ok := m.files[p]; ok {
			return &fs.PathError{Op: "mkdir", Path: p, Err: errors.New("not a directory")}
		}
		m.dirs[p] = true
	}
	return nil
}

// childrenLocked lists the direct children of dir. Lock should be held.
func (m *Mem) childrenLocked(dir string) []os.DirEntry {
	var out []os.DirEntry
	for name, ino := range m.files {
		if filepath.Dir(name) == dir {
			out = append(out, memInfo{name: filepath.Base(name), size: int64(len(ino.data)), mod: ino.modTime})
		}
	}
	for d := range m.dirs {
		if d != dir && filepath.Dir(d) == dir {
			out = append(out, memInfo{name: filepath.Base(d), dir: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// ReadDir implements FS.
func (m *Mem) ReadDir(name string) ([]os.DirEntry, error) {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.injected("readdir", name); err != nil {
		return nil, err
	}
	if !m.dirs[name] {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	return m.childrenLocked(name), nil
}

// Stat implements FS.
func (m *Mem) Stat(name string) (os.FileInfo, error) {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.injected("stat", name); err != nil {
		return nil, err
	}
	if ino, ok := m.files[name]; ok {
		return memInfo{name: filepath.Base(name), size: int64(len(ino.data)), mod: ino.modTime}, nil
	}
	if m.dirs[name] {
		return memInfo{name: filepath.Base(name), dir: true}, nil
	}
	return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

// SyncDir implements FS: the directory's current file names become durable.
func (m *Mem) SyncDir(name string) error {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.injected("syncdir", name); err != nil {
		return err
	}
	if !m.dirs[name] {
		return &fs.PathError{Op: "syncdir", Path: name, Err: fs.ErrNotExist}
	}
	for n := range m.durable {
		if filepath.Dir(n) == name {
			delete(m.durable, n)
		}
	}
	for n, ino := range m.files {
		if filepath.Dir(n) == name {
			m.durable[n] = ino
		}
	}
	return nil
}

// memInfo is both the os.FileInfo and the os.DirEntry of a Mem entry.
type memInfo struct {
	name string
	size int64
	mod  time.Time
	dir  bool
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) ModTime() time.Time { return i.mod }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }
func (i memInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (i memInfo) Type() fs.FileMode          { return i.Mode().Type() }
func (i memInfo) Info() (fs.FileInfo, error) { return i, nil }

// memFile is an open Mem file.
type memFile struct {
	m      *Mem
	ino    *memInode
	name   string
	flag   int
	gen    int
	pos    int64 // guarded by m.mu
	closed bool  // guarded by m.mu
}

// check reports why the handle cannot do op. Lock should be held.
func (f *memFile) check(op string) error {
	switch {
	case f.closed:
		return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrClosed}
	case f.gen != f.m.gen:
		return &fs.PathError{Op: op, Path: f.name, Err: errCrashed}
	}
	return f.m.injected(op, f.name)
}

func (f *memFile) writable() bool { return f.flag&(os.O_WRONLY|os.O_RDWR) != 0 }

// Read implements File.
func (f *memFile) Read(p []byte) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("read"); err != nil {
		return 0, err
	}
	n, err := f.readAtLocked(p, f.pos)
	f.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// ReadAt implements File.
func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("read"); err != nil {
		return 0, err
	}
	return f.readAtLocked(p, off)
}

// readAtLocked reads like io.ReaderAt. Lock should be held.
func (f *memFile) readAtLocked(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: f.name, Err: fs.ErrInvalid}
	}
	if off >= int64(len(f.ino.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.ino.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Write implements File.
func (f *memFile) Write(p []byte) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.flag&os.O_APPEND != 0 {
		f.pos = int64(len(f.ino.data))
	}
	n, err := f.writeAtLocked(p, f.pos)
	f.pos += int64(n)
	return n, err
}

// WriteAt implements File.
func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	return f.writeAtLocked(p, off)
}

// writeAtLocked writes p at off, growing the file. Lock should be held.
func (f *memFile) writeAtLocked(p []byte, off int64) (int, error) {
	if err := f.check("write"); err != nil {
		return 0, err
	}
	if !f.writable() || off < 0 {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: fs.ErrInvalid}
	}
	end := off + int64(len(p))
	if end > int64(len(f.ino.data)) {
		f.ino.data = growTo(f.ino.data, end)
	}
	copy(f.ino.data[off:], p)
	f.ino.modTime = time.Now()
	return len(p), nil
}

// growTo extends b with zeros to n bytes.
func growTo(b []byte, n int64) []byte {
	if n <= int64(cap(b)) {
		return b[:n]
	}
	nb := make([]byte, n, n+n/2)
	copy(nb, b)
	return nb
}

// Close implements File.
func (f *memFile) Close() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return &fs.PathError{Op: "close", Path: f.name, Err: fs.ErrClosed}
	}
	f.closed = true
	return f.m.injected("close", f.name)
}

// Sync implements File: the current contents become the synced ones.
func (f *memFile) Sync() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("sync"); err != nil {
		return err
	}
	f.ino.synced = append(f.ino.synced[:0:0], f.ino.data...)
	return nil
}

// Truncate implements File.
func (f *memFile) Truncate(size int64) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("truncate"); err != nil {
		return err
	}
	if !f.writable() || size < 0 {
		return &fs.PathError{Op: "truncate", Path: f.name, Err: fs.ErrInvalid}
	}
	if size <= int64(len(f.ino.data)) {
		f.ino.data = f.ino.data[:size:size]
	} else {
		f.ino.data = growTo(f.ino.data, size)
	}
	return nil
}

// Stat implements File.
func (f *memFile) Stat() (os.FileInfo, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("stat"); err != nil {
		return nil, err
	}
	return memInfo{name: filepath.Base(f.name), size: int64(len(f.ino.data)), mod: f.ino.modTime}, nil
}

// Name implements File.
func (f *memFile) Name() string { return f.name }

// Fd implements File: Mem files have no descriptor.
func (f *memFile) Fd() uintptr { return ^uintptr(0) }
