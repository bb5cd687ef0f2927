package log

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vltava/vltava/internal/vfs"
)

const epochFile = "leader-epoch-checkpoint"

// epochEntry says that leader epoch epoch started at offset start.
type epochEntry struct {
	epoch int32
	start int64
}

// epochCache is the leader-epoch cache: epochs and start offsets both
// increasing. Guarded by Log.mu (readers copy it under Log.rw).
type epochCache struct {
	entries []epochEntry
}

// assign records that epoch starts at offset, if it is newer than the
// latest epoch. It reports whether the cache changed.
func (c *epochCache) assign(epoch int32, offset int64) bool {
	if epoch < 0 {
		return false
	}
	if n := len(c.entries); n > 0 {
		last := c.entries[n-1]
		if epoch <= last.epoch {
			return false
		}
		if offset < last.start { // cannot happen with increasing offsets; keep the cache monotonic
			offset = last.start
		}
	}
	c.entries = append(c.entries, epochEntry{epoch: epoch, start: offset})
	return true
}

// truncateFrom drops entries starting at or after offset.
func (c *epochCache) truncateFrom(offset int64) bool {
	n := len(c.entries)
	for n > 0 && c.entries[n-1].start >= offset {
		n--
	}
	changed := n != len(c.entries)
	c.entries = append([]epochEntry(nil), c.entries[:n]...)
	return changed
}

// truncateBefore moves the first entries up to the new log start: the
// latest entry starting at or before offset is kept, starting at offset.
func (c *epochCache) truncateBefore(offset int64) bool {
	i := 0
	for i+1 < len(c.entries) && c.entries[i+1].start <= offset {
		i++
	}
	if len(c.entries) == 0 || (i == 0 && c.entries[0].start >= offset) {
		return false
	}
	kept := append([]epochEntry(nil), c.entries[i:]...)
	kept[0].start = offset
	c.entries = kept
	return true
}

// latest is the latest epoch, or -1.
func (c *epochCache) latest() int32 {
	if len(c.entries) == 0 {
		return -1
	}
	return c.entries[len(c.entries)-1].epoch
}

// endOffsetFor answers OffsetForLeaderEpoch as Kafka's LeaderEpochFileCache
// does: the start offset of the first epoch above epoch (or leo for the
// latest), with the largest known epoch at or below it.
func (c *epochCache) endOffsetFor(epoch int32, leo int64) (int64, int32) {
	if epoch < 0 || len(c.entries) == 0 {
		return -1, -1
	}
	if epoch == c.latest() {
		return leo, epoch
	}
	higher := -1
	for i, e := range c.entries {
		if e.epoch > epoch {
			higher = i
			break
		}
	}
	switch {
	case higher < 0:
		return -1, -1 // above every known epoch
	case higher == 0:
		return c.entries[0].start, epoch // below every known epoch
	default:
		return c.entries[higher].start, c.entries[higher-1].epoch
	}
}

// encode writes Kafka's text format.
func (c *epochCache) encode() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "0\n%d\n", len(c.entries))
	for _, e := range c.entries {
		fmt.Fprintf(&b, "%d %d\n", e.epoch, e.start)
	}
	return b.Bytes()
}

// decodeEpochs parses Kafka's text format.
func decodeEpochs(b []byte) (epochCache, error) {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 || strings.TrimSpace(lines[0]) != "0" {
		return epochCache{}, fmt.Errorf("leader-epoch-checkpoint: bad header")
	}
	n, err := strconv.Atoi(strings.TrimSpace(lines[1]))
	if err != nil || n != len(lines)-2 {
		return epochCache{}, fmt.Errorf("leader-epoch-checkpoint: bad count")
	}
	var c epochCache
	for _, l := range lines[2:] {
		var e epochEntry
		if _, err := fmt.Sscanf(l, "%d %d", &e.epoch, &e.start); err != nil {
			return epochCache{}, fmt.Errorf("leader-epoch-checkpoint: %w", err)
		}
		if k := len(c.entries); k > 0 && (e.epoch <= c.entries[k-1].epoch || e.start < c.entries[k-1].start) {
			return epochCache{}, fmt.Errorf("leader-epoch-checkpoint: entries not increasing")
		}
		c.entries = append(c.entries, e)
	}
	return c, nil
}

// loadEpochs reads the checkpoint; a missing or bad file gives an empty
// cache (recovery re-derives entries from the batches it scans).
func loadEpochs(fsys vfs.FS, dir string) epochCache {
	b, err := vfs.ReadFile(fsys, filepath.Join(dir, epochFile))
	if err != nil {
		return epochCache{}
	}
	c, err := decodeEpochs(b)
	if err != nil {
		return epochCache{}
	}
	return c
}

// saveEpochs writes the checkpoint atomically.
func saveEpochs(fsys vfs.FS, dir string, c *epochCache) error {
	if err := vfs.WriteFileAtomic(fsys, dir, filepath.Join(dir, epochFile), c.encode()); err != nil {
		return storageErr("write leader-epoch-checkpoint", err)
	}
	return nil
}
