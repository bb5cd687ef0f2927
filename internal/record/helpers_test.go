package record

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// allCodecs lists every codec, CodecNone first.
var allCodecs = []int{CodecNone, CodecGzip, CodecSnappy, CodecLZ4, CodecZstd}

// testNow is the broker clock used by the tests (ms).
const testNow int64 = 1_700_000_000_000

// makeRecords returns n records with valueSize-byte values, keys "k<i>",
// offset deltas 0..n-1 and timestamp deltas i.
func makeRecords(n, valueSize int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		v := bytes.Repeat([]byte{byte('a' + i%26)}, valueSize)
		recs[i] = Record{OffsetDelta: int32(i), TimestampDelta: int64(i), Key: fmt.Appendf(nil, "k%d", i), Value: v}
	}
	return recs
}

// testHeader is a batch header for a produced batch with codec.
func testHeader(codec int) Header {
	return Header{
		PartitionLeaderEpoch: -1, Attributes: int16(codec), FirstTimestamp: testNow,
		ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
	}
}

// build builds a batch with BuildBatch or fails the test.
func build(t testing.TB, c *Codecs, h Header, recs []Record) []byte {
	t.Helper()
	b, err := BuildBatch(nil, h, recs, c)
	if err != nil {
		t.Fatalf("BuildBatch: %v", err)
	}
	return b
}

// okOptions accepts the batches of testHeader.
func okOptions(c *Codecs) ValidateOptions {
	return ValidateOptions{
		MaxBatchBytes: 1 << 20, Now: testNow,
		TimestampBeforeMaxMs: 1 << 62, TimestampAfterMaxMs: 1 << 62, Codecs: c,
	}
}

// kgoCodec converts a codec id to franz-go's option.
func kgoCodec(codec int) kgo.CompressionCodec {
	switch codec {
	case CodecGzip:
		return kgo.GzipCompression()
	case CodecSnappy:
		return kgo.SnappyCompression()
	case CodecLZ4:
		return kgo.Lz4Compression()
	case CodecZstd:
		return kgo.ZstdCompression()
	}
	return kgo.NoCompression()
}

// kgoCompress compresses src with franz-go's own compressor.
func kgoCompress(t testing.TB, codec int, src []byte) []byte {
	t.Helper()
	comp, err := kgo.DefaultCompressor(kgoCodec(codec))
	if err != nil {
		t.Fatalf("kgo.DefaultCompressor: %v", err)
	}
	var buf bytes.Buffer
	out, used := comp.Compress(&buf, src)
	if int(used) != codec {
		t.Fatalf("kgo compressed with %d, want %d", used, codec)
	}
	return append([]byte(nil), out...)
}

// kmsgRecords encodes recs with kmsg.Record.AppendTo.
func kmsgRecords(recs []Record) []byte {
	var out []byte
	for _, r := range recs {
		kr := kmsg.Record{TimestampDelta64: r.TimestampDelta, OffsetDelta: r.OffsetDelta, Key: r.Key, Value: r.Value}
		for _, h := range r.Headers {
			kr.Headers = append(kr.Headers, kmsg.Header{Key: h.Key, Value: h.Value})
		}
		var body []byte
		kr.Length = int32(len(kr.AppendTo(body)) - 1) // AppendTo writes Length (0: one byte) first
		out = kr.AppendTo(out)
	}
	return out
}

// kmsgBatch builds a batch the way franz-go does: records encoded by kmsg,
// compressed by kgo's compressor, framed and checksummed by
// kmsg.RecordBatch.
func kmsgBatch(t testing.TB, codec int, recs []Record) []byte {
	t.Helper()
	raw := kmsgRecords(recs)
	if codec != CodecNone {
		raw = kgoCompress(t, codec, raw)
	}
	var maxDelta int64
	for _, r := range recs {
		maxDelta = max(maxDelta, r.TimestampDelta)
	}
	rb := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1, Magic: 2, Attributes: int16(codec),
		LastOffsetDelta: int32(len(recs) - 1), FirstTimestamp: testNow, MaxTimestamp: testNow + maxDelta,
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1, NumRecords: int32(len(recs)), Records: raw,
	}
	b := rb.AppendTo(nil)
	binary.BigEndian.PutUint32(b[offLength:], uint32(len(b)-LogOverhead))
	binary.BigEndian.PutUint32(b[offCRC:], ComputeCRC(b))
	return b
}

// xerial frames src the way the Java client's snappy stream does, in
// chunks of at most chunk bytes.
func xerial(src []byte, chunk int) []byte {
	out := append([]byte(nil), xerialMagic...)
	out = binary.BigEndian.AppendUint32(out, 1)
	out = binary.BigEndian.AppendUint32(out, 1)
	for len(src) > 0 {
		n := min(chunk, len(src))
		block := s2.EncodeSnappy(nil, src[:n])
		out = binary.BigEndian.AppendUint32(out, uint32(len(block)))
		out = append(out, block...)
		src = src[n:]
	}
	return out
}

// collect returns copies of all records IterBatch yields.
func collect(t testing.TB, c *Codecs, b []byte) []Record {
	t.Helper()
	var out []Record
	err := IterBatch(b, c, func(r *Record) error {
		out = append(out, cloneRecord(r))
		return nil
	})
	if err != nil {
		t.Fatalf("IterBatch: %v", err)
	}
	return out
}

// cloneRecord deep-copies r, keeping nil as nil.
func cloneRecord(r *Record) Record {
	c := Record{OffsetDelta: r.OffsetDelta, TimestampDelta: r.TimestampDelta, Key: clone(r.Key), Value: clone(r.Value)}
	for _, h := range r.Headers {
		c.Headers = append(c.Headers, RecordHeader{Key: h.Key, Value: clone(h.Value)})
	}
	return c
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
