package log

import (
	"encoding/binary"
	"testing"

	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/vfs"
)

func benchLog(b *testing.B) *Log {
	b.Helper()
	l, err := Open(Options{FS: vfs.OS{}, Dir: b.TempDir(), Config: DefaultConfig(), Clock: clock.Real{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

func benchmarkAppend(b *testing.B, valSize int) {
	l := benchLog(b)
	s := plain(1, 0)
	s.valSize = valSize
	batch := s.build()
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := l.AppendAsLeader(batch, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppend100B appends one-record batches with a 100-byte value.
func BenchmarkAppend100B(b *testing.B) { benchmarkAppend(b, 100) }

// BenchmarkAppend1KiB appends one-record batches with a 1 KiB value.
func BenchmarkAppend1KiB(b *testing.B) { benchmarkAppend(b, 1024) }

// BenchmarkAppendIdempotent16x1KiB appends 16-record idempotent batches.
func BenchmarkAppendIdempotent16x1KiB(b *testing.B) {
	l := benchLog(b)
	s := idem(1, 0, 0, 16)
	s.valSize = 1024
	batch := s.build()
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// The log does not check CRCs (the caller did): only the sequence changes.
		binary.BigEndian.PutUint32(batch[53:], uint32(i*16)&0x7fffffff)
		if _, err := l.AppendAsLeader(batch, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRead reads 1 MiB at a time (the chunk positions; the bytes go
// out with sendfile in the server) from the start of a 64 MiB log.
func BenchmarkRead(b *testing.B) {
	l := benchLog(b)
	s := plain(16, 0)
	s.valSize = 1024
	batch := s.build()
	for l.Size() < 64<<20 {
		if _, err := l.AppendAsLeader(batch, 0); err != nil {
			b.Fatal(err)
		}
	}
	leo := l.LogEndOffset()
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	b.ResetTimer()
	off := int64(0)
	for i := 0; i < b.N; i++ {
		res, err := l.Read(off, 1<<20, leo)
		if err != nil {
			b.Fatal(err)
		}
		off += int64(res.Size/len(batch)) * 16
		if off >= leo {
			off = 0
		}
		res.Release()
	}
}
