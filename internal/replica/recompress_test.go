package replica_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vltava/vltava/internal/record"
	"github.com/vltava/vltava/internal/replica"
)

func TestCodecFor(t *testing.T) {
	for _, tc := range []struct {
		compressionType string
		want            int
	}{
		{"uncompressed", record.CodecNone},
		{"gzip", record.CodecGzip},
		{"snappy", record.CodecSnappy},
		{"lz4", record.CodecLZ4},
		{"zstd", record.CodecZstd},
		{"producer", -1},
		{"", -1},
		{"GZIP", -1}, // config values are validated lower case
	} {
		if got := replica.CodecFor(tc.compressionType); got != tc.want {
			t.Errorf("CodecFor(%q) = %d, want %d", tc.compressionType, got, tc.want)
		}
	}
}

var codecNames = map[int]string{
	record.CodecNone: "uncompressed", record.CodecGzip: "gzip", record.CodecSnappy: "snappy",
	record.CodecLZ4: "lz4", record.CodecZstd: "zstd",
}

// richRecords exercise every field recompression must keep: keys and
// values (null, empty, set), headers (null and set values), timestamp
// deltas out of order.
func richRecords() []record.Record {
	return []record.Record{
		{OffsetDelta: 0, TimestampDelta: 0, Key: []byte("k0"), Value: []byte(strings.Repeat("value ", 20))},
		{OffsetDelta: 1, TimestampDelta: 25, Key: nil, Value: []byte{},
			Headers: []record.RecordHeader{{Key: "h1", Value: []byte("v1")}, {Key: "h2", Value: nil}}},
		{OffsetDelta: 2, TimestampDelta: 7, Key: []byte{}, Value: nil},
		{OffsetDelta: 3, TimestampDelta: 30, Key: []byte("k3"), Value: []byte("last"),
			Headers: []record.RecordHeader{{Key: "", Value: []byte{}}}},
	}
}

func TestAppendRecompressesToTheTopicCodec(t *testing.T) {
	for target := record.CodecNone; target <= record.CodecZstd; target++ {
		for _, source := range []int{record.CodecNone, record.CodecGzip, record.CodecZstd} {
			if source == target {
				continue
			}
			t.Run(codecNames[source]+"_to_"+codecNames[target], func(t *testing.T) {
				_, p := leader(t, map[string]string{"compression.type": codecNames[target]})
				if got := p.Config().Codec; got != target {
					t.Fatalf("Config().Codec = %d, want %d", got, target)
				}
				// An idempotent producer's batch, after one batch
				// of the same producer.
				opts := batchOpts{codec: source, pid: 42, epoch: 3, seq: 0}
				if _, err := p.Append(produce(t, opts, "first"), -1); err != nil {
					t.Fatal(err)
				}
				opts.seq = 1
				sent := produceRecords(t, opts, richRecords())
				sentH, _ := record.ParseHeader(sent)
				res, err := p.Append(sent, -1)
				if err != nil {
					t.Fatalf("Append: %v", err)
				}
				if res.FirstOffset != 1 || res.LastOffset != 4 {
					t.Errorf("offsets %d..%d, want 1..4", res.FirstOffset, res.LastOffset)
				}
				bs := readStored(t, p, 0) // checks every stored CRC
				if len(bs) != 2 {
					t.Fatalf("%d batches stored, want 2", len(bs))
				}
				got := bs[1]
				if got.h.Codec() != target {
					t.Errorf("stored codec %d, want %d", got.h.Codec(), target)
				}
				// Everything but the codec (and the broker's base
				// offset and leader epoch) is as the producer sent it.
				wantH := sentH
				wantH.BaseOffset, wantH.PartitionLeaderEpoch = 1, 0
				wantH.Attributes = sentH.Attributes&^record.AttrCompressionMask | int16(target)
				gotH := got.h
				gotH.Length, gotH.CRC, wantH.Length, wantH.CRC = 0, 0, 0, 0
				if gotH != wantH {
					t.Errorf("stored header\n %+v\nwant\n %+v", gotH, wantH)
				}
				if !recordsEqual(got.recs, richRecords()) {
					t.Errorf("stored records\n %+v\nwant\n %+v", got.recs, richRecords())
				}
				// The producer's state follows the recompressed batch.
				if ps := p.Producers(); len(ps) != 1 || ps[0].LastSequence != 4 || ps[0].Epoch != 3 {
					t.Errorf("Producers() = %+v, want producer 42 at epoch 3, sequence 4", ps)
				}
				// A retry of the batch as sent is still a duplicate.
				retry := produceRecords(t, opts, richRecords())
				if res, err := p.Append(retry, -1); err != nil || !res.Duplicate || res.FirstOffset != 1 {
					t.Errorf("retry: %+v, %v; want a duplicate at 1", res.AppendInfo, err)
				}
			})
		}
	}
}

func TestAppendKeepsTheProducersCodec(t *testing.T) {
	for _, tc := range []struct {
		compressionType string
		codec           int
	}{
		{"producer", record.CodecSnappy},
		{"producer", record.CodecNone},
		{"lz4", record.CodecLZ4}, // same codec: not recompressed
		{"uncompressed", record.CodecNone},
	} {
		t.Run(tc.compressionType+"_"+codecNames[tc.codec], func(t *testing.T) {
			_, p := leader(t, map[string]string{"compression.type": tc.compressionType})
			sent := produceRecords(t, batchOpts{codec: tc.codec}, richRecords())
			orig := slices.Clone(sent)
			if _, err := p.Append(sent, 1); err != nil {
				t.Fatal(err)
			}
			res, err := p.Log().Read(0, 1<<20, p.HighWatermark())
			if err != nil {
				t.Fatal(err)
			}
			defer res.Release()
			storedBytes, err := res.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			// The stored batch is the sent one with the broker's base
			// offset (0) and leader epoch (0) stamped in.
			want := slices.Clone(orig)
			record.SetBaseOffset(want, 0)
			record.SetPartitionLeaderEpoch(want, 0)
			if !bytes.Equal(storedBytes, want) {
				t.Errorf("stored batch differs from the sent one (%d vs %d bytes)", len(storedBytes), len(want))
			}
		})
	}
}

func recordsEqual(a, b []record.Record) bool {
	return slices.EqualFunc(a, b, func(x, y record.Record) bool {
		return x.OffsetDelta == y.OffsetDelta && x.TimestampDelta == y.TimestampDelta &&
			nullableEqual(x.Key, y.Key) && nullableEqual(x.Value, y.Value) &&
			slices.EqualFunc(x.Headers, y.Headers, func(h, g record.RecordHeader) bool {
				return h.Key == g.Key && nullableEqual(h.Value, g.Value)
			})
	})
}

// nullableEqual tells null from empty.
func nullableEqual(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

func TestAppendRecompressedBatchOverMaxMessageBytes(t *testing.T) {
	// Kafka checks max.message.bytes again after recompressing
	// (UnifiedLog.append: RecordTooLargeException, MESSAGE_TOO_LARGE): a
	// batch small as sent may not be stored larger than the limit.
	_, p := leader(t, map[string]string{"compression.type": "uncompressed", "max.message.bytes": "1000"})
	w := &countWaiter{}
	p.Park(w)
	sent := produce(t, batchOpts{codec: record.CodecZstd}, strings.Repeat("a", 2000))
	if len(sent) > 1000 {
		t.Fatalf("test batch is %d bytes as sent, want at most 1000", len(sent))
	}
	_, err := p.Append(sent, 1)
	if !errors.Is(err, record.ErrTooLarge) {
		t.Fatalf("Append of a %d-byte zstd batch that is over 2000 bytes uncompressed, max 1000: err = %v, want ErrTooLarge", len(sent), err)
	}
	if hw, leo, n := p.HighWatermark(), p.Log().LogEndOffset(), w.n.Load(); hw != 0 || leo != 0 || n != 0 {
		t.Errorf("after the rejected batch: HW %d, LEO %d, notifications %d; want 0, 0, 0", hw, leo, n)
	}
	// One that still fits after recompression is stored.
	res, err := p.Append(produce(t, batchOpts{codec: record.CodecZstd}, strings.Repeat("a", 800)), 1)
	if err != nil || res.FirstOffset != 0 {
		t.Fatalf("batch that fits uncompressed: offset %d, err %v; want 0, nil", res.FirstOffset, err)
	}
	if bs := readStored(t, p, 0); len(bs) != 1 || bs[0].h.Codec() != record.CodecNone || bs[0].h.Size() > 1000 {
		t.Errorf("stored %d batches; want one uncompressed batch of at most 1000 bytes", len(bs))
	}
}

// TestRecompressionUsesTheTopicLevel: a topic's compression.<codec>.level
// is the level its recompressed batches are written at (KIP-390).
func TestRecompressionUsesTheTopicLevel(t *testing.T) {
	words := []string{"vltava ", "moldau ", "prague ", "bridge ", "charles ", "river ", "flows ", "north ", "elbe "}
	var recs []record.Record
	for i := range 400 {
		var v []byte
		for j := range 40 {
			v = append(v, words[(i*7+j*j)%len(words)]...)
		}
		recs = append(recs, record.Record{OffsetDelta: int32(i), Value: v})
	}
	for _, tc := range []struct {
		codec           string
		key             string
		low, high       string
		lowName, hiName string
	}{
		{"gzip", "compression.gzip.level", "1", "9", "1", "9"},
		{"lz4", "compression.lz4.level", "9", "17", "9 (fast)", "17"},
		{"zstd", "compression.zstd.level", "1", "19", "1", "19"},
	} {
		t.Run(tc.codec, func(t *testing.T) {
			stored := func(level string) int {
				_, p := leader(t, map[string]string{"compression.type": tc.codec, tc.key: level})
				if _, err := p.Append(produceRecords(t, batchOpts{}, recs), 1); err != nil {
					t.Fatal(err)
				}
				bs := readStored(t, p, 0)
				if len(bs) != 1 || bs[0].h.Codec() != replica.CodecFor(tc.codec) || !recordsEqual(bs[0].recs, recs) {
					t.Fatalf("level %s: stored %d batches, codec %d", level, len(bs), bs[0].h.Codec())
				}
				return int(bs[0].h.Length)
			}
			if lo, hi := stored(tc.low), stored(tc.high); hi >= lo {
				t.Errorf("%s=%s stored %d bytes, not fewer than %s=%s's %d", tc.key, tc.hiName, hi, tc.key, tc.lowName, lo)
			}
		})
	}
}

// TestConfigForSegmentJitter: segment.jitter.ms reaches the log's config.
func TestConfigForSegmentJitter(t *testing.T) {
	_, p := leader(t, map[string]string{"segment.jitter.ms": "1234"})
	if got := p.Config().Log.SegmentJitterMs; got != 1234 {
		t.Fatalf("Log.SegmentJitterMs = %d, want 1234", got)
	}
}
