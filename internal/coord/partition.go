package coord

import (
	"fmt"

	"github.com/vltava/vltava/internal/record"
	"github.com/vltava/vltava/internal/replica"
)

// Partition is the log a shard writes to and replays: the seam between the
// runtime and the replica layer (tests use an in-memory one).
type Partition interface {
	// Append appends one v2 batch as leader. It returns the offset after
	// the batch and whether it must be flushed before it counts as written.
	Append(batch []byte) (end int64, flush bool, err error)
	// Flush makes every offset below upTo durable.
	Flush(upTo int64) error
	// Scan calls fn with each batch from the log start up to the high
	// watermark, in order. The slice is valid only during the call.
	Scan(fn func(batch []byte) error) error
}

// replicaPartition adapts a replica.Partition.
type replicaPartition struct{ p *replica.Partition }

// FromReplica returns the Partition of a hosted replica.
func FromReplica(p *replica.Partition) Partition { return replicaPartition{p} }

func (r replicaPartition) Append(batch []byte) (int64, bool, error) {
	res, err := r.p.Append(batch, -1)
	if err != nil {
		return 0, false, err
	}
	return res.LastOffset + 1, res.FlushNeeded, nil
}

func (r replicaPartition) Flush(upTo int64) error { return r.p.Log().Flush(upTo) }

// scanChunk is how much of the log one read brings into memory on load.
const scanChunk = 4 << 20

func (r replicaPartition) Scan(fn func(batch []byte) error) error {
	l := r.p.Log()
	hw := r.p.HighWatermark()
	for off := l.LogStartOffset(); off < hw; {
		res, err := l.Read(off, scanChunk, hw)
		if err != nil {
			return fmt.Errorf("read offset %d: %w", off, err)
		}
		b, err := res.Bytes()
		res.Release()
		if err != nil {
			return err
		}
		if len(b) == 0 {
			return nil
		}
		next, err := eachBatch(b, fn)
		if err != nil {
			return err
		}
		if next <= off {
			return fmt.Errorf("scan stuck at offset %d", off)
		}
		off = next
	}
	return nil
}

// eachBatch calls fn for each whole batch in b and returns the offset after
// the last one.
func eachBatch(b []byte, fn func(batch []byte) error) (int64, error) {
	var next int64 = -1
	for len(b) >= record.HeaderSize {
		h, err := record.ParseHeader(b)
		if err != nil {
			return 0, err
		}
		if h.Size() > len(b) {
			break
		}
		if err := fn(b[:h.Size()]); err != nil {
			return 0, err
		}
		next = h.LastOffset() + 1
		b = b[h.Size():]
	}
	return next, nil
}
