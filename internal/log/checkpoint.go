package log

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"path/filepath"

	"github.com/vltava/vltava/internal/vfs"
)

const (
	checkpointFile  = "partition.checkpoint"
	cleanMarkerFile = "clean-shutdown"
	checkpointMagic = "VPC1"
	checkpointSize  = 56
)

// checkpoint is the content of partition.checkpoint (see doc.go).
type checkpoint struct {
	logStart      int64
	recoveryPoint int64
	hw            int64
	// Valid after a clean Close only.
	leo, activeBase, activeSize int64
}

func (c checkpoint) encode() []byte {
	b := make([]byte, checkpointSize)
	copy(b, checkpointMagic)
	for i, v := range []int64{c.logStart, c.recoveryPoint, c.hw, c.leo, c.activeBase, c.activeSize} {
		binary.BigEndian.PutUint64(b[8+8*i:], uint64(v))
	}
	binary.BigEndian.PutUint32(b[4:], crc32.Checksum(b[8:], castagnoli))
	return b
}

var errBadCheckpoint = errors.New("log: corrupt partition checkpoint")

func decodeCheckpoint(b []byte) (checkpoint, error) {
	if len(b) != checkpointSize || string(b[:4]) != checkpointMagic ||
		binary.BigEndian.Uint32(b[4:]) != crc32.Checksum(b[8:], castagnoli) {
		return checkpoint{}, errBadCheckpoint
	}
	v := func(i int) int64 { return int64(binary.BigEndian.Uint64(b[8+8*i:])) }
	return checkpoint{logStart: v(0), recoveryPoint: v(1), hw: v(2), leo: v(3), activeBase: v(4), activeSize: v(5)}, nil
}

// readCheckpoint reads the partition checkpoint; ok is false when it is
// missing or corrupt.
func readCheckpoint(fsys vfs.FS, dir string) (checkpoint, bool) {
	b, err := vfs.ReadFile(fsys, filepath.Join(dir, checkpointFile))
	if err != nil {
		return checkpoint{}, false
	}
	c, err := decodeCheckpoint(b)
	return c, err == nil
}

// writeCheckpoint writes the partition checkpoint atomically.
func writeCheckpoint(fsys vfs.FS, dir string, c checkpoint) error {
	if err := vfs.WriteFileAtomic(fsys, dir, filepath.Join(dir, checkpointFile), c.encode()); err != nil {
		return storageErr("write partition checkpoint", err)
	}
	return nil
}
