//go:build !linux

package vfs

import "syscall"

// rawPwrite is an ordinary pwrite where Vltava has not measured a raw one
// (only Linux, its production platform, has).
func rawPwrite(fd uintptr, p []byte, off int64) (uintptr, syscall.Errno) {
	k, err := syscall.Pwrite(int(fd), p, off)
	if err != nil {
		if e, ok := err.(syscall.Errno); ok {
			return 0, e
		}
		return 0, syscall.EIO
	}
	return uintptr(k), 0
}
