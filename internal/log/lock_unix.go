//go:build unix

package log

import (
	"syscall"

	"github.com/vltava/vltava/internal/vfs"
)

// lockFile takes an exclusive, non-blocking flock on f; the kernel drops
// it when the process dies.
func lockFile(f vfs.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}
