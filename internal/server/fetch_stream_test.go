package server_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/vltava/vltava/internal/testkit"
)

// Large reads go out with sendfile around markers in the encoded response;
// check the bytes that arrive, for a flexible (v12+) and an older fetch
// version, across segment rolls.
func TestLargeFetchesSentFromFiles(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "big", 2, map[string]*string{"segment.bytes": ptr("1048576")})
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchCompression(kgo.NoCompression()))
	const n = 6000 // ~6 MiB per partition: several segments
	value := func(p, i int) []byte {
		v := bytes.Repeat([]byte{byte(i)}, 1000)
		copy(v, fmt.Sprintf("%d-%d", p, i))
		return v
	}
	ctx := testkit.Context(t, 60*time.Second)
	for p := range 2 {
		recs := make([]*kgo.Record, n)
		for i := range recs {
			recs[i] = &kgo.Record{Topic: "big", Partition: int32(p), Value: value(p, i)}
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	for name, versions := range map[string]*kversion.Versions{"latest": kversion.Stable(), "v2.4 (fetch v11)": kversion.V2_4_0()} {
		t.Run(name, func(t *testing.T) {
			got := consumeN(t, b, "big", 2*n, kgo.MaxVersions(versions), kgo.FetchMaxBytes(8<<20), kgo.FetchMaxPartitionBytes(4<<20))
			next := [2]int{}
			for _, r := range got {
				i := next[r.Partition]
				if r.Offset != int64(i) || !bytes.Equal(r.Value, value(int(r.Partition), i)) {
					t.Fatalf("partition %d record %d: offset %d, value %q...", r.Partition, i, r.Offset, r.Value[:12])
				}
				next[r.Partition]++
			}
		})
	}
}
