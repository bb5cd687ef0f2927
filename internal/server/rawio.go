package server

import (
	"io"
	"syscall"
	"unsafe"
)

// Socket reads and writes as raw system calls, without the Go scheduler's
// entersyscall. The sockets are non-blocking, so a call never waits: it
// copies what the kernel has (or takes) and returns, EAGAIN if nothing, and
// the netpoller parks the goroutine as usual. Going through entersyscall
// after an idle spell wakes the runtime's sysmon thread, which then polls
// every 20 µs; under produce load that was 12-14% of the broker's CPU on a
// virtual machine (see internal/vfs/fastwrite.go, which does the same for
// the log's pwrites).

// rawReader reads a socket through its RawConn.
type rawReader struct{ rc syscall.RawConn }

func (r rawReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var (
		n    int
		rerr error
	)
	err := r.rc.Read(func(fd uintptr) bool {
		for {
			k, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			switch {
			case e == syscall.EINTR:
				continue
			case e == syscall.EAGAIN:
				return false // wait for the netpoller
			case e != 0:
				rerr = e
			case k == 0:
				rerr = io.EOF
			default:
				n = int(k)
			}
			return true
		}
	})
	if err != nil {
		return n, err
	}
	return n, rerr
}

// rawWrite writes what the socket takes of b at once: the bytes written,
// and EAGAIN when it took nothing.
func rawWrite(fd uintptr, b []byte) (int, error) {
	for {
		k, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(k), nil
	}
}
