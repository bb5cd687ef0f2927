package log

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"

	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/record"
	"github.com/vltava/vltava/internal/vfs"
)

// BenchmarkClean measures cleaning throughput (MB/s of dirty log read) on
// the real file system: 1 KiB records over 100,000 keys in batches of 16,
// 256 MiB of records per run (the 1 GiB scaled down to keep the
// run short; the survivor share is higher, which makes it harder, not
// easier). MB/s counts the records' uncompressed bytes. It reports the
// offset map's memory.
func BenchmarkClean(b *testing.B) {
	for _, codec := range []int{record.CodecNone, record.CodecLZ4} {
		b.Run(fmt.Sprint("codec=", codec), func(b *testing.B) { benchClean(b, codec, 256<<20) })
	}
}

func benchClean(b *testing.B, codec int, total int64) {
	var st CleanStats
	var mapBytes int64
	for range b.N {
		b.StopTimer()
		l, clk := benchDirtyLog(b, codec, total)
		c := newCleaner(128<<20, 0.9, nil, clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
		b.StartTimer()
		var err error
		if st, _, err = c.clean(context.Background(), l, true); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		mapBytes = c.offsets.bytes()
		l.Close()
		b.StartTimer()
	}
	b.SetBytes(total) // records' bytes, uncompressed
	b.ReportMetric(float64(mapBytes)/(1<<20), "map-MiB")
	b.ReportMetric(float64(st.RecordsKept), "kept-records")
}

// benchDirtyLog writes total bytes of 1 KiB records over 100,000 random
// keys to a fresh log on disk and closes its last segment.
func benchDirtyLog(b *testing.B, codec int, total int64) (*Log, *clock.Manual) {
	clk := clock.NewManual(t0)
	cfg := DefaultConfig()
	cfg.Compact, cfg.SegmentBytes = true, 64<<20
	l, err := Open(Options{FS: vfs.OS{}, Dir: b.TempDir(), Config: cfg, Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	val := make([]byte, 1000)
	for i := range val[:500] { // compresses about 2:1
		val[i] = byte(rng.Uint32())
	}
	recs := make([]record.Record, 16)
	codecs := record.NewCodecs()
	for written := int64(0); written < total; {
		for i := range recs {
			recs[i] = record.Record{OffsetDelta: int32(i), Key: fmt.Appendf(nil, "key-%06d", rng.IntN(100_000)), Value: val}
		}
		h := record.Header{PartitionLeaderEpoch: -1, Attributes: int16(codec), FirstTimestamp: 1000, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}
		batch, err := record.BuildBatch(nil, h, recs, codecs)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.AppendAsLeader(batch, 0); err != nil {
			b.Fatal(err)
		}
		written += int64(len(recs) * 1024)
	}
	l.mu.Lock()
	err = l.rollLocked(l.leo)
	l.mu.Unlock()
	if err != nil {
		b.Fatal(err)
	}
	l.SetHighWatermark(l.LogEndOffset())
	return l, clk
}
