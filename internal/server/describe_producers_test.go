package server_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/testkit"
)

// TestDescribeProducers produces with an idempotent producer and checks
// the producer state that DescribeProducers reports, before and after a
// restart (which rebuilds it from the snapshot and the log).
func TestDescribeProducers(t *testing.T) {
	b := testkit.StartBroker(t)
	ctx := testkit.Context(t, 20*time.Second)
	createTopic(t, b.Admin(), "p", 2, nil)
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	// Recent timestamps: producers idle for producer.id.expiration.ms
	// (a day) by theirs are dropped when a snapshot is loaded.
	base := time.Now().UnixMilli()
	for i := range 3 {
		r := &kgo.Record{Topic: "p", Partition: 0, Value: []byte("v"), Timestamp: time.UnixMilli(base + int64(i))}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	pid, epoch, err := cl.ProducerID(ctx)
	if err != nil {
		t.Fatal(err)
	}

	describe := func() kmsg.DescribeProducersResponseTopic {
		t.Helper()
		req := kmsg.NewPtrDescribeProducersRequest()
		rt := kmsg.NewDescribeProducersRequestTopic()
		rt.Topic, rt.Partitions = "p", []int32{0, 1, 5}
		nope := kmsg.NewDescribeProducersRequestTopic()
		nope.Topic, nope.Partitions = "nope", []int32{0}
		req.Topics = append(req.Topics, rt, nope)
		resp, err := b.Client().Broker(1).Request(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		topics := resp.(*kmsg.DescribeProducersResponse).Topics
		if len(topics) != 2 || len(topics[1].Partitions) != 1 || topics[1].Partitions[0].ErrorCode != kerr.UnknownTopicOrPartition.Code {
			t.Fatalf("topics: %+v", topics)
		}
		return topics[0]
	}
	check := func(when string) {
		t.Helper()
		ps := describe().Partitions
		if len(ps) != 3 {
			t.Fatalf("%s: %d partitions", when, len(ps))
		}
		want := []kmsg.DescribeProducersResponseTopicPartitionActiveProducer{{
			ProducerID: pid, ProducerEpoch: int32(epoch), LastSequence: 2, LastTimestamp: base + 2,
			CoordinatorEpoch: -1, CurrentTxnStartOffset: -1,
		}}
		if p := ps[0]; p.Partition != 0 || p.ErrorCode != 0 || !reflect.DeepEqual(p.ActiveProducers, want) {
			t.Errorf("%s: partition 0: %+v, want producers %+v", when, p, want)
		}
		if p := ps[1]; p.Partition != 1 || p.ErrorCode != 0 || len(p.ActiveProducers) != 0 {
			t.Errorf("%s: partition 1 (no data): %+v", when, p)
		}
		if p := ps[2]; p.Partition != 5 || p.ErrorCode != kerr.UnknownTopicOrPartition.Code {
			t.Errorf("%s: partition 5: %+v", when, p)
		}
	}
	check("after producing")

	// kadm routes the request to each partition's leader.
	dp, err := b.Admin().DescribeProducers(ctx, map[string]map[int32]struct{}{"p": {0: {}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := dp["p"].Partitions[0].ActiveProducers; len(got) != 1 || got[pid].LastSequence != 2 || got[pid].ProducerEpoch != epoch {
		t.Fatalf("kadm DescribeProducers: %+v", dp)
	}

	b.Restart()
	check("after a restart")
}
