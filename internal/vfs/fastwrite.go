package vfs

import (
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// Fast writes: pwrite without the Go scheduler's syscall bookkeeping.
//
// A Go program that goes idle and then makes a system call through
// entersyscall wakes the runtime's sysmon thread, which then polls every
// 20 µs for about a millisecond. A broker under produce load does that for
// every request (idle between requests, then read, pwrite, write); on
// virtual machines, where each of those wake-ups costs a context switch
// through the hypervisor, sysmon was 12-14% of Vltava's CPU. Written as raw
// system calls, the hot path leaves sysmon asleep.
//
// A raw call keeps its P (scheduler slot) for its whole duration, so it
// must not block for long. A pwrite into the page cache normally takes
// microseconds, but it can sleep when the kernel throttles writers (too many
// dirty pages) or reclaims memory. So the fast path watches itself: a raw
// pwrite slower than its budget (slowWrite, plus the time to copy its
// bytes at slowRate) turns fast writes off, process-wide, for slowCooldown,
// and writes go through os.File (entersyscall, so that other goroutines
// run meanwhile) until the cool-down has passed.

const (
	slowWrite    = 5 * time.Millisecond
	slowRate     = 200 << 20 // bytes per second: a copy into the page cache is several times faster
	slowCooldown = 10 * time.Second
)

// budget is how long a pwrite of n bytes may take before it counts as slow.
func budget(n int) time.Duration {
	return slowWrite + time.Duration(int64(n)*int64(time.Second)/slowRate)
}

// fastWrites is the shared on/off state of fast writes.
type fastWrites struct {
	budget    func(n int) time.Duration // how long a pwrite of n bytes may take; nil: budget
	slowUntil atomic.Int64              // unix nanoseconds until which writes go the slow way
	raw       atomic.Int64              // raw pwrites made (for tests and metrics)
	slowed    atomic.Int64              // times a slow raw pwrite turned fast writes off
}

// FastWriteStats counts an OS's fast writes.
type FastWriteStats struct {
	Raw       int64 // raw pwrites made
	Fallbacks int64 // times a slow one turned fast writes off for the cool-down
}

// FastWriteStats returns the counts of o's fast writes (zero for the zero
// OS, which makes none).
func (o OS) FastWriteStats() FastWriteStats {
	if o.fast == nil {
		return FastWriteStats{}
	}
	return FastWriteStats{Raw: o.fast.raw.Load(), Fallbacks: o.fast.slowed.Load()}
}

// on reports whether a write now may take the fast path.
func (w *fastWrites) on(now time.Time) bool {
	return w != nil && now.UnixNano() >= w.slowUntil.Load()
}

// writeAt writes p at off with raw pwrite calls on f's descriptor through
// rc, f's RawConn, which holds the descriptor (so that a concurrent Close
// cannot hand the number to another file mid-write), and turns fast writes
// off if it was slow.
func (w *fastWrites) writeAt(f *os.File, rc syscall.RawConn, p []byte, off int64, start time.Time) (int, error) {
	n := 0
	var errno syscall.Errno
	err := rc.Write(func(fd uintptr) bool {
		for n < len(p) {
			k, e := rawPwrite(fd, p[n:], off+int64(n))
			if e == syscall.EINTR {
				continue
			}
			if e != 0 {
				errno = e
				return true
			}
			if k == 0 { // no progress and no error: report it as os.File would
				errno = syscall.EIO
				return true
			}
			n += int(k)
		}
		return true
	})
	w.raw.Add(1)
	limit := budget
	if w.budget != nil {
		limit = w.budget
	}
	if d := time.Since(start); d > limit(len(p)) {
		w.slowUntil.Store(start.Add(d + slowCooldown).UnixNano())
		w.slowed.Add(1)
	}
	switch {
	case err != nil: // the file is closed (the only way RawConn.Write fails)
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: os.ErrClosed}
	case errno != 0:
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: errno}
	}
	return n, nil
}
