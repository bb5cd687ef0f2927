package vfs

import (
	"syscall"
	"unsafe"
)

// rawPwrite is pwrite(2) as a raw system call (no entersyscall); p is not
// empty.
func rawPwrite(fd uintptr, p []byte, off int64) (uintptr, syscall.Errno) {
	k, _, e := syscall.RawSyscall6(syscall.SYS_PWRITE64, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), uintptr(off), 0, 0)
	return k, e
}
