//go:build !unix

package log

import "github.com/vltava/vltava/internal/vfs"

// lockFile does nothing where flock is not available.
func lockFile(f vfs.File) error { return nil }
