package interop_test

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/testkit"
)

// TestListOffsetsByTimestampCompressed looks offsets up by timestamp in
// batches compressed with each codec, as franz-go (snappy by default) and
// most clients send them. Kafka answers with the first record at or after
// the timestamp, and that record's timestamp, not with the batch's base
// offset and max timestamp.
func TestListOffsetsByTimestampCompressed(t *testing.T) {
	b := testkit.StartBroker(t)
	codecs := map[string]kgo.CompressionCodec{
		"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
		"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
	}
	base := time.Now().Add(-time.Hour).UnixMilli()
	const n = 100 // one batch: records at base, base+10, ...
	for name, codec := range codecs {
		t.Run(name, func(t *testing.T) {
			topic := "timestamps-" + name
			createTopic(t, b, topic, 1, nil)
			cl := b.Client(kgo.ProducerBatchCompression(codec), kgo.ProducerLinger(50*time.Millisecond))
			var recs []*kgo.Record
			for i := range n {
				recs = append(recs, &kgo.Record{Topic: topic, Value: []byte("record"), Timestamp: time.UnixMilli(base + 10*int64(i))})
			}
			ctx := testkit.Context(t, 20*time.Second)
			if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				t.Fatalf("produce: %v", err)
			}
			adm := kadm.NewClient(cl)
			for _, i := range []int64{0, 1, 37, 50, 98, 99} {
				for _, ts := range []int64{base + 10*i, base + 10*i - 5} {
					res, err := adm.ListOffsetsAfterMilli(ctx, ts, topic)
					if err != nil {
						t.Fatalf("list offsets: %v", err)
					}
					o, _ := res.Lookup(topic, 0)
					if o.Err != nil || o.Offset != i || o.Timestamp != base+10*i {
						t.Fatalf("offset for timestamp base+%d: offset %d timestamp base+%d (%v), want offset %d timestamp base+%d",
							ts-base, o.Offset, o.Timestamp-base, o.Err, i, 10*i)
					}
				}
			}
		})
	}
}
