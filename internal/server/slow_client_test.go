package server_test

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/testkit"
)

// dialStuck connects a raw client with a small receive buffer, so that
// its socket fills after a few answers it does not read.
func dialStuck(t *testing.T, addr string) *rawConn {
	c := dialRaw(t, addr)
	if err := c.nc.(*net.TCPConn).SetReadBuffer(64 << 10); err != nil {
		t.Fatal(err)
	}
	return c
}

// fillBulk creates topic "bulk" with 10 partitions of one 32 KiB record
// each (uncompressed), so that every fetch of all of them from offset 0
// answers about 320 KiB encoded in memory (each read below the sendfile
// threshold). It returns the producer, which writes to any topic.
func fillBulk(ctx context.Context, t *testing.T, b *testkit.Broker) *kgo.Client {
	t.Helper()
	createTopic(t, b.Admin(), "bulk", 10, nil)
	p := b.Client(kgo.DefaultProduceTopic("bulk"), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.NoCompression()))
	val := bytes.Repeat([]byte("x"), 32<<10)
	for i := range int32(10) {
		if err := p.ProduceSync(ctx, &kgo.Record{Partition: i, Value: val}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// readBulk reads n answers to fetchAll("bulk", 10, ...) and checks that
// each carries all 10 partitions.
func readBulk(t *testing.T, c *rawConn, n int) {
	t.Helper()
	for i := range n {
		frame := c.readFrame()
		var resp kmsg.FetchResponse
		resp.SetVersion(12)
		if err := resp.ReadFrom(frame[5:]); err != nil { // correlation id, tags
			t.Fatalf("bulk answer %d: %v", i, err)
		}
		if n := len(resp.Topics[0].Partitions); n != 10 {
			t.Fatalf("bulk answer %d has %d partitions", i, n)
		}
	}
}

// fetchAll is a sessionless Fetch v12 of partitions [0, n) of topic from
// offset, up to partMax bytes each.
func fetchAll(topic string, n int32, offset int64, partMax int32, wait int32) *kmsg.FetchRequest {
	req := kmsg.NewPtrFetchRequest()
	req.SetVersion(12)
	req.ReplicaID = -1
	req.MaxWaitMillis = wait
	req.MinBytes = 1
	req.MaxBytes = 64 << 20
	req.SessionEpoch = -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	for p := range n {
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = p
		rp.FetchOffset = offset
		rp.PartitionMaxBytes = partMax
		rp.CurrentLeaderEpoch = -1
		rp.LogStartOffset = -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	return req
}

// A client that sends requests and never reads the answers fills its
// socket and then stops being read (its unanswered requests hold every
// slot). The fetch it parked first is answered by the goroutine of the
// producer whose data completes it, behind which megabytes of answered
// fetches wait to be written: the producer must get its acknowledgement
// at once all the same, and other clients go on as if nothing happened.
func TestClientThatStopsReadingHoldsUpOnlyItself(t *testing.T) {
	b := testkit.StartBroker(t)
	adm := b.Admin()
	createTopic(t, adm, "parked", 1, nil)
	ctx := testkit.Context(t, 60*time.Second)
	p := fillBulk(ctx, t, b)

	// First a fetch that parks (no data in "parked" yet), then 300 bulk
	// fetches: 100 MB of answers, far more than the sockets buffer, and
	// more requests than the broker keeps unanswered per connection.
	stuck := dialStuck(t, b.Addr())
	stuck.send(fetchAll("parked", 1, 0, 1<<20, 30_000))
	const bulk = 300
	req := stuck.f.AppendRequest(nil, fetchAll("bulk", 10, 0, 64<<10-1, 0), 0)
	stuck.write(bytes.Repeat(req, bulk))

	// The parked fetch completes on this producer's append; its answer
	// and the bulk answers behind it cannot all go out.
	t0 := time.Now()
	if err := p.ProduceSync(ctx, &kgo.Record{Topic: "parked", Partition: 0, Value: []byte("wake")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Fatalf("producing to the partition of a stuck client's parked fetch took %v", d)
	}

	// Other clients carry on: produce and consume more.
	c := b.Client(kgo.ConsumeTopics("parked"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	for i := range 100 {
		if err := p.ProduceSync(ctx, &kgo.Record{Topic: "parked", Partition: 0, Value: []byte{byte(i)}}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	got := 0
	for got < 101 {
		fs := c.PollFetches(ctx)
		if err := fs.Err(); err != nil {
			t.Fatal(err)
		}
		got += fs.NumRecords()
	}
	if got != 101 {
		t.Fatalf("consumed %d records, want 101", got)
	}

	// The stuck client still gets every answer, in order, once it reads.
	_ = stuck.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	var parked kmsg.FetchResponse
	parked.SetVersion(12)
	stuck.read(1, &parked)
	if n := len(parked.Topics); n != 1 || len(parked.Topics[0].Partitions) != 1 || len(parked.Topics[0].Partitions[0].RecordBatches) == 0 {
		t.Fatalf("parked fetch answered without its record: %+v", parked)
	}
	readBulk(t, stuck, bulk)
}

// The same with a JoinGroup at the head of the stuck client's queue: the
// group coordinator answers it from its own loop when the rebalance
// completes, and must not be held there by a socket that is full. Every
// group shares that loop here (one __consumer_offsets partition), so
// another group's commits show whether it is.
func TestClientThatStopsReadingDoesNotHoldTheCoordinator(t *testing.T) {
	b := testkit.StartBroker(t, testkit.WithConfig("offsets.topic.num.partitions", "1"))
	adm := b.Admin()
	ctx := testkit.Context(t, 60*time.Second)
	fillBulk(ctx, t, b)

	// Create and load the coordinator.
	if _, err := adm.CommitOffsets(ctx, "other", kadm.Offsets{"bulk": {0: {Topic: "bulk", Partition: 0, At: 1, LeaderEpoch: -1}}}); err != nil {
		t.Fatal(err)
	}

	// Member A forms generation 1 alone.
	a := dialRaw(t, b.Addr())
	joinA := joinRequest("g", "")
	joinA.MemberID = a.roundTrip(joinA).(*kmsg.JoinGroupResponse).MemberID
	if jr := a.roundTrip(joinA).(*kmsg.JoinGroupResponse); jr.ErrorCode != 0 || jr.Generation != 1 {
		t.Fatalf("A joins: %+v", jr)
	}
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.SetVersion(5)
	sync.Group, sync.MemberID, sync.Generation = "g", joinA.MemberID, 1
	sync.ProtocolType, sync.Protocol = kmsg.StringPtr("consumer"), kmsg.StringPtr("range")
	if sr := a.roundTrip(sync).(*kmsg.SyncGroupResponse); sr.ErrorCode != 0 {
		t.Fatalf("A syncs: %+v", sr)
	}

	// Member B joins from the stuck client (its answer waits for A to
	// rejoin), then sends 90 bulk fetches (30 MB of answers, far more than
	// its socket takes) and a commit for group "marker". Requests are
	// handled in order, so once the marker commit shows, every fetch has
	// been answered, behind B's join.
	stuck := dialStuck(t, b.Addr())
	joinB := joinRequest("g", "")
	joinB.MemberID = stuck.roundTrip(joinB).(*kmsg.JoinGroupResponse).MemberID
	stuck.send(joinB)
	const bulk = 90
	req := stuck.f.AppendRequest(nil, fetchAll("bulk", 10, 0, 64<<10-1, 0), 0)
	stuck.write(bytes.Repeat(req, bulk))
	marker := kmsg.NewPtrOffsetCommitRequest()
	marker.SetVersion(8)
	marker.Group, marker.Generation = "marker", -1
	marker.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: "bulk", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 7, LeaderEpoch: -1}}}}
	stuck.send(marker)
	testkit.Eventually(t, 10*time.Second, "the stuck client's requests are all handled", func() bool {
		os, err := adm.FetchOffsets(ctx, "marker")
		o, ok := os.Lookup("bulk", 0)
		return err == nil && ok && o.At == 7
	})

	// A rejoins: the rebalance completes and B's answer (with the 30 MB
	// behind it) goes to the stuck client.
	if jr := a.roundTrip(joinA).(*kmsg.JoinGroupResponse); jr.ErrorCode != 0 || jr.Generation != 2 {
		t.Fatalf("A rejoins: %+v", jr)
	}
	for i := range 20 {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		resp, err := adm.CommitOffsets(cctx, "other", kadm.Offsets{"bulk": {0: {Topic: "bulk", Partition: 0, At: int64(i), LeaderEpoch: -1}}})
		cancel()
		if err != nil || resp.Error() != nil {
			t.Fatalf("commit %d for another group while a client is stuck: %v %v", i, err, resp.Error())
		}
	}

	// The stuck client's answers all arrive, in order, once it reads.
	var jresp kmsg.JoinGroupResponse
	jresp.SetVersion(joinB.GetVersion())
	stuck.read(2, &jresp)
	if jresp.ErrorCode != 0 || jresp.Generation != 2 {
		t.Fatalf("B's join: %+v", jresp)
	}
	readBulk(t, stuck, bulk)
	var mresp kmsg.OffsetCommitResponse
	mresp.SetVersion(8)
	stuck.read(3, &mresp)
	if c := mresp.Topics[0].Partitions[0].ErrorCode; c != 0 {
		t.Fatalf("marker commit: error %d", c)
	}
}

// joinRequest is a JoinGroup v9 of a consumer-protocol member.
func joinRequest(group, member string) *kmsg.JoinGroupRequest {
	join := kmsg.NewPtrJoinGroupRequest()
	join.SetVersion(9)
	join.Group, join.MemberID = group, member
	join.SessionTimeoutMillis, join.RebalanceTimeoutMillis = 30000, 30000
	join.ProtocolType = "consumer"
	join.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{0, 1}}}
	return join
}
