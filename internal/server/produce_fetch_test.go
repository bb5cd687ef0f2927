package server_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/testkit"
)

func createTopic(t *testing.T, adm *kadm.Client, topic string, partitions int32, configs map[string]*string) {
	t.Helper()
	ctx := testkit.Context(t, 10*time.Second)
	res, err := adm.CreateTopic(ctx, partitions, 1, configs, topic)
	if err != nil || res.Err != nil {
		t.Fatalf("create topic %s: %v %v", topic, err, res.Err)
	}
}

// produceN produces n records to topic (keys k<i>, values v<i>) and waits.
func produceN(t *testing.T, cl *kgo.Client, topic string, n int, partition int32) {
	t.Helper()
	ctx := testkit.Context(t, 30*time.Second)
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: topic, Partition: partition, Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("v%d", i))}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// consumeN reads exactly n records from topic from the start.
func consumeN(t *testing.T, b *testkit.Broker, topic string, n int, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	cl := b.Client(append([]kgo.Opt{kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, opts...)...)
	ctx := testkit.Context(t, 30*time.Second)
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", len(out), n, err)
		}
		fs.EachError(func(tp string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", tp, p, err) })
		out = append(out, fs.Records()...)
	}
	if len(out) != n {
		t.Fatalf("consumed %d records, want %d", len(out), n)
	}
	return out
}

func TestProduceConsumeEveryCodec(t *testing.T) {
	b := testkit.StartBroker(t)
	codecs := map[string]kgo.CompressionCodec{
		"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
		"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
	}
	for name, codec := range codecs {
		t.Run(name, func(t *testing.T) {
			topic := "codec-" + name
			createTopic(t, b.Admin(), topic, 3, nil)
			cl := b.Client(kgo.ProducerBatchCompression(codec), kgo.DefaultProduceTopic(topic))
			const n = 3000
			produceN(t, cl, topic, n, -1)
			got := consumeN(t, b, topic, n)
			perPart := map[int32][]int64{}
			seen := map[string]bool{}
			for _, r := range got {
				if string(r.Value) != "v"+string(r.Key[1:]) {
					t.Fatalf("record key %q has value %q", r.Key, r.Value)
				}
				seen[string(r.Key)] = true
				perPart[r.Partition] = append(perPart[r.Partition], r.Offset)
			}
			if len(seen) != n {
				t.Fatalf("got %d distinct keys, want %d", len(seen), n)
			}
			for p, offs := range perPart {
				for i, o := range offs {
					if o != int64(i) {
						t.Fatalf("partition %d: record %d has offset %d", p, i, o)
					}
				}
			}
		})
	}
}

func TestProduceOrderAndOffsetsInOnePartition(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "ordered", 1, nil)
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produceN(t, cl, "ordered", 10000, 0)
	got := consumeN(t, b, "ordered", 10000)
	for i, r := range got {
		if r.Offset != int64(i) || string(r.Value) != fmt.Sprintf("v%d", i) {
			t.Fatalf("record %d: offset %d value %q", i, r.Offset, r.Value)
		}
	}
}

func TestAcksZeroOneAll(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "acks", 1, nil)
	total := 0
	for _, acks := range []kgo.Acks{kgo.NoAck(), kgo.LeaderAck(), kgo.AllISRAcks()} {
		opts := []kgo.Opt{kgo.RequiredAcks(acks), kgo.RecordPartitioner(kgo.ManualPartitioner())}
		if acks != kgo.AllISRAcks() {
			opts = append(opts, kgo.DisableIdempotentWrite())
		}
		cl := b.Client(opts...)
		produceN(t, cl, "acks", 500, 0)
		total += 500
	}
	// acks=0 has no response: wait until the log holds everything.
	adm := b.Admin()
	testkit.Eventually(t, 10*time.Second, fmt.Sprintf("end offset reaches %d", total), func() bool {
		ends, err := adm.ListEndOffsets(context.Background(), "acks")
		o, _ := ends.Lookup("acks", 0)
		return err == nil && o.Offset == int64(total)
	})
	consumeN(t, b, "acks", total)
}

func TestLongPollWakesOnProduce(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "longpoll", 1, nil)
	// From the start of the (empty) topic, so that the record counts
	// whenever it lands; the long max wait shows whether the parked fetch
	// was woken by the produce or ran out.
	cons := b.Client(kgo.ConsumeTopics("longpoll"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(10*time.Second))
	prod := b.Client()
	ctx := testkit.Context(t, 30*time.Second)
	errc := make(chan error, 1)
	go func() {
		time.Sleep(300 * time.Millisecond) // let the consumer park first
		errc <- prod.ProduceSync(ctx, &kgo.Record{Topic: "longpoll", Value: []byte("wake")}).FirstErr()
	}()
	start := time.Now()
	fs := cons.PollFetches(ctx)
	if err := <-errc; err != nil {
		t.Fatalf("produce: %v", err)
	}
	if fs.NumRecords() != 1 || string(fs.Records()[0].Value) != "wake" {
		t.Fatalf("got %d records: %v", fs.NumRecords(), fs.Errors())
	}
	if waited := time.Since(start); waited > 8*time.Second {
		t.Fatalf("the parked fetch was not woken by the produce: waited %v", waited)
	}
}

func TestFetchMaxWaitExpiresEmpty(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "idle", 2, nil)
	cons := b.Client(kgo.ConsumeTopics("idle"), kgo.FetchMaxWait(200*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	fs := cons.PollFetches(ctx)
	if fs.NumRecords() != 0 {
		t.Fatalf("got %d records from an empty topic", fs.NumRecords())
	}
}

func TestUnknownTopicAndPartition(t *testing.T) {
	b := testkit.StartBroker(t, testkit.WithConfig("auto.create.topics.enable", "false"))
	adm := b.Admin()
	ctx := testkit.Context(t, 10*time.Second)
	md, err := adm.Metadata(ctx, "nope")
	if err != nil {
		t.Fatal(err)
	}
	if err := md.Topics["nope"].Err; err != kerr.UnknownTopicOrPartition {
		t.Fatalf("metadata for a missing topic: %v", err)
	}
	createTopic(t, adm, "two", 2, nil)
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RecordDeliveryTimeout(2*time.Second))
	err = cl.ProduceSync(ctx, &kgo.Record{Topic: "two", Partition: 5, Value: []byte("x")}).FirstErr()
	if err == nil {
		t.Fatal("produce to partition 5 of a 2-partition topic succeeded")
	}
}

func TestAutoCreateTopic(t *testing.T) {
	b := testkit.StartBroker(t, testkit.WithConfig("num.partitions", "4"))
	cl := b.Client(kgo.AllowAutoTopicCreation(), kgo.DefaultProduceTopic("auto"))
	produceN(t, cl, "auto", 10, -1)
	td, err := b.Admin().ListTopics(testkit.Context(t, 5*time.Second), "auto")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(td["auto"].Partitions); got != 4 {
		t.Fatalf("auto-created topic has %d partitions, want 4", got)
	}
}

func TestRestartKeepsTopicsAndData(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "durable", 2, map[string]*string{"retention.ms": ptr("123456789")})
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produceN(t, cl, "durable", 100, 1)
	cl.Close()
	b.Restart()
	got := consumeN(t, b, "durable", 100)
	for i, r := range got {
		if r.Partition != 1 || r.Offset != int64(i) {
			t.Fatalf("record %d: partition %d offset %d", i, r.Partition, r.Offset)
		}
	}
	rc, err := b.Admin().DescribeTopicConfigs(testkit.Context(t, 5*time.Second), "durable")
	if err != nil {
		t.Fatal(err)
	}
	c, err := rc.On("durable", nil)
	if err != nil {
		t.Fatal(err)
	}
	idx := slices.IndexFunc(c.Configs, func(c kadm.Config) bool { return c.Key == "retention.ms" })
	if idx < 0 || c.Configs[idx].MaybeValue() != "123456789" {
		t.Fatalf("retention.ms after restart: %+v", c.Configs)
	}
}

func ptr[T any](v T) *T { return &v }

func TestTopicCompressionTypeRecompresses(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "zstd-topic", 1, map[string]*string{"compression.type": ptr("zstd")})
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchCompression(kgo.GzipCompression()))
	ctx := testkit.Context(t, 10*time.Second)
	recs := []*kgo.Record{
		{Topic: "zstd-topic", Key: []byte("k1"), Value: []byte("one"), Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("x")}}},
		{Topic: "zstd-topic", Key: nil, Value: []byte("two")},
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	// Read the stored batch raw: it must now be zstd, with the records intact.
	td, err := b.Admin().ListTopics(ctx, "zstd-topic")
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrFetchRequest()
	req.MaxWaitMillis, req.MaxBytes = 0, 1<<20
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic, rt.TopicID = "zstd-topic", td["zstd-topic"].ID
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.PartitionMaxBytes = 1 << 20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	raw := resp.Topics[0].Partitions[0].RecordBatches
	var batch kmsg.RecordBatch
	if err := batch.ReadFrom(raw); err != nil {
		t.Fatal(err)
	}
	if codec := batch.Attributes & 7; codec != 4 || batch.NumRecords != 2 {
		t.Fatalf("stored batch: codec %d, %d records", codec, batch.NumRecords)
	}
	got := consumeN(t, b, "zstd-topic", 2)
	if string(got[0].Key) != "k1" || string(got[0].Value) != "one" || len(got[0].Headers) != 1 || string(got[0].Headers[0].Value) != "x" ||
		got[1].Key != nil || string(got[1].Value) != "two" {
		t.Fatalf("records after recompression: %+v %+v", got[0], got[1])
	}
}

func TestLogAppendTimeTopic(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "lat", 1, map[string]*string{"message.timestamp.type": ptr("LogAppendTime")})
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	ctx := testkit.Context(t, 10*time.Second)
	old := time.Now().Add(-48 * time.Hour) // outside after/before windows does not matter for LogAppendTime
	before := time.Now().Add(-time.Second)
	res := cl.ProduceSync(ctx, &kgo.Record{Topic: "lat", Value: []byte("a"), Timestamp: old})
	if err := res.FirstErr(); err != nil {
		t.Fatal(err)
	}
	got := consumeN(t, b, "lat", 1)
	ts := got[0].Timestamp
	if ts.Before(before) || ts.After(time.Now().Add(time.Second)) || got[0].Attrs.TimestampType() != 1 {
		t.Fatalf("record timestamp %v (type %d), want the broker's append time", ts, got[0].Attrs.TimestampType())
	}
}

// Several restarts in a row keep topics, configs and data: the metadata
// log lives beside the partition directories and must never be mistaken
// for one.
func TestRepeatedRestarts(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "again", 1, nil)
	for round := range 3 {
		produceN(t, b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner())), "again", 10, 0)
		b.Restart()
		got := consumeN(t, b, "again", 10*(round+1))
		if got[len(got)-1].Offset != int64(10*(round+1)-1) {
			t.Fatalf("round %d: last offset %d", round, got[len(got)-1].Offset)
		}
	}
}

// TestProduceByTopicID: Produce v13 names topics by id (KIP-516); the
// response carries the id back, records land in the named topic, and an id
// the broker does not know gets UNKNOWN_TOPIC_ID.
func TestProduceByTopicID(t *testing.T) {
	b := testkit.StartBroker(t)
	adm := b.Admin()
	ctx := testkit.Context(t, 10*time.Second)
	createTopic(t, adm, "by-id", 2, nil)
	md, err := adm.Metadata(ctx, "by-id")
	if err != nil {
		t.Fatal(err)
	}
	id := md.Topics["by-id"].ID
	c := dialRaw(t, b.Addr())
	now := time.Now().UnixMilli()
	for _, tc := range []struct {
		id   [16]byte
		code int16
	}{{id, 0}, {[16]byte{1, 2, 3}, kerr.UnknownTopicID.Code}} {
		req := produceRequest("", 1, -1, buildBatch(t, now, []byte("a"), []byte("b")))
		req.SetVersion(13)
		req.Topics[0].TopicID = tc.id
		resp := c.roundTrip(req).(*kmsg.ProduceResponse)
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			t.Fatalf("response shape: %+v", resp.Topics)
		}
		rt, rp := resp.Topics[0], resp.Topics[0].Partitions[0]
		if rt.TopicID != tc.id || rp.Partition != 1 || rp.ErrorCode != tc.code {
			t.Fatalf("topic id %x: got id %x partition %d error %d, want error %d", tc.id, rt.TopicID, rp.Partition, rp.ErrorCode, tc.code)
		}
		if tc.code == 0 && rp.BaseOffset != 0 {
			t.Fatalf("base offset %d, want 0", rp.BaseOffset)
		}
	}
	recs := consumeN(t, b, "by-id", 2)
	if recs[0].Partition != 1 || string(recs[0].Key) != "a" || string(recs[1].Key) != "b" || recs[1].Offset != 1 {
		t.Fatalf("consumed %+v", recs)
	}
}

// TestClientsUseNewestVersions: the broker advertises Produce 13 and Fetch
// 18, which franz-go (whose kmsg knows both) then uses, so every kgo test
// runs them; a produce and consume round trip here at least.
func TestClientsUseNewestVersions(t *testing.T) {
	b := testkit.StartBroker(t)
	ctx := testkit.Context(t, 10*time.Second)
	versions, err := b.Admin().ApiVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		if v.Err != nil {
			t.Fatal(v.Err)
		}
		for key, want := range map[int16]int16{0: 13, 1: 18} {
			got, ok := v.KeyMaxVersion(key)
			if !ok || got != want {
				t.Fatalf("%s: max version %d (%v), want %d", kmsg.NameForKey(key), got, ok, want)
			}
		}
	}
	createTopic(t, b.Admin(), "newest", 1, nil)
	cl := b.Client()
	produceN(t, cl, "newest", 5, 0)
	if got := consumeN(t, b, "newest", 5); len(got) != 5 || got[4].Offset != 4 {
		t.Fatalf("consumed %d records", len(got))
	}
}
