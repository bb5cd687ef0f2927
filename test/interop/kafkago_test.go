package interop_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/vltava/vltava/internal/testkit"
)

// The tests in this file drive Vltava with segmentio/kafka-go, a pure-Go
// client with its own protocol code: the Client and Conn APIs for admin
// requests and offsets, kafka.Writer to produce and kafka.Reader to
// consume, by partition and in a consumer group (the classic protocol,
// which kafka-go runs itself over Conn).

// kafkaGoTransport is a kafka-go transport of its own for one test, its
// idle connections closed when the test ends. The transport answers
// Client.Metadata from a cache it refreshes every MetadataTTL (6 s by
// default): 100 ms lets a test see a topic created over a Conn at once.
func kafkaGoTransport(t *testing.T) *kafka.Transport {
	tr := &kafka.Transport{DialTimeout: 5 * time.Second, MetadataTTL: 100 * time.Millisecond, ClientID: "vltava-interop-kafkago"}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// kafkaGoClient is a kafka-go Client for the broker.
func kafkaGoClient(t *testing.T, b *testkit.Broker) *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(b.Addr()), Timeout: 10 * time.Second, Transport: kafkaGoTransport(t)}
}

// kafkaGoDial opens a kafka-go Conn to the broker, closed when the test ends.
func kafkaGoDial(t *testing.T, b *testkit.Broker) *kafka.Conn {
	t.Helper()
	conn, err := (&kafka.Dialer{Timeout: 5 * time.Second, ClientID: "vltava-interop-kafkago"}).DialContext(testkit.Context(t, 10*time.Second), "tcp", b.Addr())
	if err != nil {
		t.Fatalf("kafka-go dial %s: %v", b.Addr(), err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return conn
}

// kafkaGoWriter is a kafka.Writer for topic: acks from all replicas, keys
// hashed to partitions, and batches sent after 5 ms instead of kafka-go's
// default of a second.
func kafkaGoWriter(t *testing.T, b *testkit.Broker, topic string, codec kafka.Compression) *kafka.Writer {
	w := &kafka.Writer{
		Addr:         kafka.TCP(b.Addr()),
		Topic:        topic,
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		Compression:  codec,
		BatchSize:    1000,
		BatchTimeout: 5 * time.Millisecond,
		MaxAttempts:  3,
		Transport:    kafkaGoTransport(t),
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("close kafka-go writer: %v", err)
		}
	})
	return w
}

// kafkaGoPartitionOf is the partition kafka.Hash (the writers' balancer)
// picks for key among n partitions.
func kafkaGoPartitionOf(key []byte, n int) int {
	parts := make([]int, n)
	for i := range parts {
		parts[i] = i
	}
	return (&kafka.Hash{}).Balance(kafka.Message{Key: key}, parts...)
}

// kafkaGoWaitLeaders waits until kafka-go's metadata shows every partition
// of topic with a leader.
func kafkaGoWaitLeaders(t *testing.T, cl *kafka.Client, topic string, partitions int) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, "kafka-go sees leaders for "+topic, func() bool {
		md, err := cl.Metadata(testkit.Context(t, 5*time.Second), &kafka.MetadataRequest{Topics: []string{topic}})
		if err != nil || len(md.Topics) != 1 || md.Topics[0].Error != nil || len(md.Topics[0].Partitions) != partitions {
			return false
		}
		for _, p := range md.Topics[0].Partitions {
			if p.Error != nil || p.Leader.ID != 1 {
				return false
			}
		}
		return true
	})
}

// kafkaGoCreateTopic creates topic with kafka-go's Client and waits for
// its leaders.
func kafkaGoCreateTopic(t *testing.T, b *testkit.Broker, topic string, partitions int) {
	t.Helper()
	cl := kafkaGoClient(t, b)
	res, err := cl.CreateTopics(testkit.Context(t, 10*time.Second), &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}},
	})
	if err != nil || res.Errors[topic] != nil {
		t.Fatalf("kafka-go create topic %s: %v %v", topic, err, res)
	}
	kafkaGoWaitLeaders(t, cl, topic, partitions)
}

// TestKafkaGoCreateTopicsAndMetadata creates topics with kafka-go's Client
// and Conn, checks the errors of creating them again and with bad
// partition counts or replication factors (none of which creates a
// topic), reads the metadata back through both APIs, and deletes a topic
// over a Conn.
func TestKafkaGoCreateTopicsAndMetadata(t *testing.T) {
	b := testkit.StartBroker(t)
	cl := kafkaGoClient(t, b)
	ctx := testkit.Context(t, 10*time.Second)

	// Client.CreateTopics: one topic with a config, and the same again.
	const viaClient, viaConn = "kafkago-client-topic", "kafkago-conn-topic"
	req := &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: viaClient, NumPartitions: 3, ReplicationFactor: 1,
		ConfigEntries: []kafka.ConfigEntry{{ConfigName: "retention.ms", ConfigValue: "3600000"}},
	}}}
	res, err := cl.CreateTopics(ctx, req)
	if err != nil || len(res.Errors) != 1 || res.Errors[viaClient] != nil {
		t.Fatalf("create topic %s: %v %v", viaClient, err, res)
	}
	res, err = cl.CreateTopics(ctx, req)
	if err != nil || !errors.Is(res.Errors[viaClient], kafka.TopicAlreadyExists) {
		t.Fatalf("creating %s again: %v %v, want %v", viaClient, err, res, kafka.TopicAlreadyExists)
	}
	res, err = cl.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{
		{Topic: "kafkago-no-partitions", NumPartitions: 0, ReplicationFactor: 1},
		{Topic: "kafkago-no-replicas", NumPartitions: 1, ReplicationFactor: 0},
	}})
	if err != nil || !errors.Is(res.Errors["kafkago-no-partitions"], kafka.InvalidPartitionNumber) ||
		!errors.Is(res.Errors["kafkago-no-replicas"], kafka.InvalidReplicationFactor) {
		t.Fatalf("create topics with 0 partitions and 0 replicas: %v %v, want %v and %v", err, res, kafka.InvalidPartitionNumber, kafka.InvalidReplicationFactor)
	}

	// Conn.CreateTopics goes to the controller, which Conn.Controller names.
	conn := kafkaGoDial(t, b)
	ctrl, err := conn.Controller()
	if err != nil {
		t.Fatalf("conn controller: %v", err)
	}
	if ctrl.ID != 1 || net.JoinHostPort(ctrl.Host, strconv.Itoa(ctrl.Port)) != b.Addr() {
		t.Fatalf("controller %+v, want node 1 at %s", ctrl, b.Addr())
	}
	if err := conn.CreateTopics(kafka.TopicConfig{Topic: viaConn, NumPartitions: 2, ReplicationFactor: 1}); err != nil {
		t.Fatalf("conn create topic %s: %v", viaConn, err)
	}
	// kafka-go's Conn treats an existing topic as created.
	if err := conn.CreateTopics(kafka.TopicConfig{Topic: viaConn, NumPartitions: 2, ReplicationFactor: 1}); err != nil {
		t.Fatalf("conn create topic %s again: %v", viaConn, err)
	}
	if err := conn.CreateTopics(kafka.TopicConfig{Topic: "kafkago-conn-bad", NumPartitions: -2, ReplicationFactor: 1}); !errors.Is(err, kafka.InvalidPartitionNumber) {
		t.Fatalf("conn create topic with -2 partitions: %v, want %v", err, kafka.InvalidPartitionNumber)
	}

	// Client.Metadata (answered from the transport's cache of the broker's
	// last full Metadata response): the broker, the controller and both
	// topics.
	kafkaGoWaitLeaders(t, cl, viaClient, 3)
	kafkaGoWaitLeaders(t, cl, viaConn, 2)
	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{viaClient, viaConn}})
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	if len(md.Brokers) != 1 || md.Brokers[0].ID != 1 || net.JoinHostPort(md.Brokers[0].Host, strconv.Itoa(md.Brokers[0].Port)) != b.Addr() {
		t.Fatalf("metadata brokers %+v, want node 1 at %s", md.Brokers, b.Addr())
	}
	if md.Controller.ID != 1 || md.ClusterID == "" {
		t.Fatalf("metadata controller %+v cluster id %q", md.Controller, md.ClusterID)
	}
	want := map[string]int{viaClient: 3, viaConn: 2}
	got := map[string]int{}
	for _, tp := range md.Topics {
		if tp.Error != nil || tp.Internal {
			t.Fatalf("topic %s: error %v internal %v", tp.Name, tp.Error, tp.Internal)
		}
		for i, p := range tp.Partitions {
			if p.ID != i || p.Topic != tp.Name || p.Error != nil || p.Leader.ID != 1 ||
				len(p.Replicas) != 1 || p.Replicas[0].ID != 1 || len(p.Isr) != 1 || p.Isr[0].ID != 1 {
				t.Fatalf("%s partition %d: %+v", tp.Name, i, p)
			}
		}
		got[tp.Name] = len(tp.Partitions)
	}
	if !maps.Equal(got, want) {
		t.Fatalf("metadata topics %v, want %v", got, want)
	}

	// Conn.ReadPartitions with no topic lists every partition of the cluster.
	parts, err := conn.ReadPartitions()
	if err != nil {
		t.Fatalf("conn read partitions: %v", err)
	}
	got = map[string]int{}
	for _, p := range parts {
		if p.Leader.ID != 1 || p.Leader.Port == 0 {
			t.Fatalf("conn partition %s/%d: leader %+v", p.Topic, p.ID, p.Leader)
		}
		got[p.Topic]++
	}
	if !maps.Equal(got, want) {
		t.Fatalf("conn read partitions %v, want %v", got, want)
	}
	brokers, err := conn.Brokers()
	if err != nil || len(brokers) != 1 || brokers[0].ID != 1 {
		t.Fatalf("conn brokers %+v %v", brokers, err)
	}

	// Conn.DeleteTopics, twice.
	if err := conn.DeleteTopics(viaConn); err != nil {
		t.Fatalf("conn delete topic %s: %v", viaConn, err)
	}
	if err := conn.DeleteTopics(viaConn); !errors.Is(err, kafka.UnknownTopicOrPartition) {
		t.Fatalf("conn delete topic %s again: %v, want %v", viaConn, err, kafka.UnknownTopicOrPartition)
	}

	// The topic config reached the broker.
	cfgs, err := cl.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{{
		ResourceType: kafka.ResourceTypeTopic, ResourceName: viaClient, ConfigNames: []string{"retention.ms"},
	}}})
	if err != nil || len(cfgs.Resources) != 1 || cfgs.Resources[0].Error != nil || len(cfgs.Resources[0].ConfigEntries) != 1 ||
		cfgs.Resources[0].ConfigEntries[0].ConfigValue != "3600000" {
		t.Fatalf("describe retention.ms of %s: %+v %v", viaClient, cfgs, err)
	}
}

// kafkaGoMessages are n keyed messages with headers and increasing
// timestamps; keys repeat so that a partition holds several records of a
// key, whose order matters. Values are about 550 bytes: a few hundred
// uncompressed records make a fetch of over 64 KiB, which the broker sends
// from the segment file (sendfile).
func kafkaGoMessages(prefix string, n int, base time.Time) []kafka.Message {
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = kafka.Message{
			Key:   []byte(fmt.Sprintf("key-%d", i%23)),
			Value: []byte(fmt.Sprintf("%s value %04d, %s", prefix, i, strings.Repeat("compressible ", 40))),
			Headers: []kafka.Header{
				{Key: "seq", Value: []byte(strconv.Itoa(i))},
				{Key: "prefix", Value: []byte(prefix)},
				{Key: "empty", Value: []byte{}},
			},
			Time: base.Add(time.Duration(i) * time.Millisecond),
		}
	}
	return msgs
}

// kafkaGoByPartition splits msgs by the partition kafka.Hash picks,
// keeping their order.
func kafkaGoByPartition(msgs []kafka.Message, partitions int) [][]kafka.Message {
	out := make([][]kafka.Message, partitions)
	for _, m := range msgs {
		p := kafkaGoPartitionOf(m.Key, partitions)
		out[p] = append(out[p], m)
	}
	return out
}

// kafkaGoSameMessage says how got differs from want in key, value, headers
// and timestamp ("" if it does not).
func kafkaGoSameMessage(got, want kafka.Message) string {
	switch {
	case !bytes.Equal(got.Key, want.Key):
		return fmt.Sprintf("key %q, want %q", got.Key, want.Key)
	case !bytes.Equal(got.Value, want.Value):
		return fmt.Sprintf("value %q, want %q", got.Value, want.Value)
	case !slices.EqualFunc(got.Headers, want.Headers, func(a, b kafka.Header) bool { return a.Key == b.Key && bytes.Equal(a.Value, b.Value) }):
		return fmt.Sprintf("headers %v, want %v", got.Headers, want.Headers)
	case !got.Time.Equal(want.Time):
		return fmt.Sprintf("time %v, want %v", got.Time, want.Time)
	}
	return ""
}

// kafkaGoReadPartition reads n messages of one partition from offset with
// a partition kafka.Reader. Closing the reader waits for its fetch in
// flight, which the broker parks for MaxWait once the partition is read to
// its end: hence a short MaxWait.
func kafkaGoReadPartition(t *testing.T, b *testkit.Broker, topic string, partition int, offset int64, n int) []kafka.Message {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{b.Addr()}, Topic: topic, Partition: partition,
		MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 20 * time.Millisecond, MaxAttempts: 1,
	})
	defer func() {
		if err := r.Close(); err != nil {
			t.Errorf("close reader of %s/%d: %v", topic, partition, err)
		}
	}()
	if err := r.SetOffset(offset); err != nil {
		t.Fatalf("set offset %d: %v", offset, err)
	}
	ctx := testkit.Context(t, 10*time.Second)
	out := make([]kafka.Message, 0, n)
	for len(out) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read %s/%d after %d of %d messages: %v", topic, partition, len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}

// TestKafkaGoWriterReaderCodecs produces keyed messages with headers over
// three partitions with kafka.Writer (acks all) in each codec kafka-go
// has, and reads every partition back with a partition kafka.Reader:
// exact keys, values, headers, timestamps, order and offsets.
func TestKafkaGoWriterReaderCodecs(t *testing.T) {
	b := testkit.StartBroker(t)
	codecs := []struct {
		name  string
		codec kafka.Compression
		id    uint8
	}{
		{"none", 0, 0}, {"gzip", kafka.Gzip, 1}, {"snappy", kafka.Snappy, 2}, {"lz4", kafka.Lz4, 3}, {"zstd", kafka.Zstd, 4},
	}
	const partitions, n = 3, 600
	base := time.UnixMilli(time.Now().UnixMilli())
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			topic := "kafkago-codec-" + c.name
			kafkaGoCreateTopic(t, b, topic, partitions)
			msgs := kafkaGoMessages(c.name, n, base)
			w := kafkaGoWriter(t, b, topic, c.codec)
			ctx := testkit.Context(t, 20*time.Second)
			// Three calls: one message at a time, then two batches.
			if err := w.WriteMessages(ctx, msgs[0]); err != nil {
				t.Fatalf("write message 0: %v", err)
			}
			for _, part := range [][]kafka.Message{msgs[1 : n/2], msgs[n/2:]} {
				if err := w.WriteMessages(ctx, part...); err != nil {
					t.Fatalf("write %d messages: %v", len(part), err)
				}
			}
			if st := w.Stats(); st.Messages != n || st.Errors != 0 {
				t.Fatalf("writer stats: %d messages %d errors, want %d and 0", st.Messages, st.Errors, n)
			}

			want := kafkaGoByPartition(msgs, partitions)
			ends := endOffsets(t, b, topic)
			for p := range partitions {
				if len(want[p]) == 0 || ends[int32(p)] != int64(len(want[p])) {
					t.Fatalf("partition %d: end offset %d, want %d (a non-zero count)", p, ends[int32(p)], len(want[p]))
				}
				got := kafkaGoReadPartition(t, b, topic, p, 0, len(want[p]))
				for i, m := range got {
					if m.Topic != topic || m.Partition != p || m.Offset != int64(i) || m.HighWaterMark != int64(len(want[p])) {
						t.Fatalf("message %d of partition %d at %s/%d offset %d high watermark %d", i, p, m.Topic, m.Partition, m.Offset, m.HighWaterMark)
					}
					if diff := kafkaGoSameMessage(m, want[p][i]); diff != "" {
						t.Fatalf("partition %d offset %d: %s", p, i, diff)
					}
				}
				// From an offset in the middle.
				mid := len(want[p]) / 2
				got = kafkaGoReadPartition(t, b, topic, p, int64(mid), len(want[p])-mid)
				for i, m := range got {
					if m.Offset != int64(mid+i) {
						t.Fatalf("partition %d read from %d: message %d at offset %d", p, mid, i, m.Offset)
					}
					if diff := kafkaGoSameMessage(m, want[p][mid+i]); diff != "" {
						t.Fatalf("partition %d offset %d read from %d: %s", p, mid+i, mid, diff)
					}
				}
			}

			// The broker keeps the batches as kafka-go compressed them.
			for _, r := range consumeAll(t, b, topic, n) {
				if got := r.Attrs.CompressionType(); got != c.id {
					t.Fatalf("record %d/%d: batch codec %d, want %d", r.Partition, r.Offset, got, c.id)
				}
			}
		})
	}
}

// kafkaGoGroupReader is a group kafka.Reader tuned for a quick test:
// heartbeats every 100 ms (a rebalance is noticed quickly), synchronous
// commits, and the earliest offset where the group has none.
func kafkaGoGroupReader(b *testkit.Broker, group, topic string) *kafka.Reader {
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{b.Addr()}, GroupID: group, Topic: topic,
		MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 100 * time.Millisecond,
		HeartbeatInterval: 100 * time.Millisecond, SessionTimeout: 6 * time.Second, RebalanceTimeout: 5 * time.Second,
		JoinGroupBackoff: 100 * time.Millisecond, ReadBackoffMin: 10 * time.Millisecond, ReadBackoffMax: 100 * time.Millisecond,
		StartOffset: kafka.FirstOffset, CommitInterval: 0,
	})
}

// groupMessage is a message read by one reader of a group.
type groupMessage struct {
	reader int
	msg    kafka.Message
}

// TestKafkaGoConsumerGroup has two kafka.Readers in one group share a
// four-partition topic, read every record exactly once between them and
// commit; a third reader in the group after they close resumes at the
// committed offsets and reads only what was produced afterwards.
func TestKafkaGoConsumerGroup(t *testing.T) {
	b := testkit.StartBroker(t)
	const topic, group, partitions, n, more = "kafkago-group", "kafkago-group-g", 4, 400, 40
	kafkaGoCreateTopic(t, b, topic, partitions)
	cl := kafkaGoClient(t, b)

	readers := []*kafka.Reader{kafkaGoGroupReader(b, group, topic), kafkaGoGroupReader(b, group, topic)}
	closed := false
	closeReaders := func() {
		if closed {
			return
		}
		closed = true
		for i, r := range readers {
			if err := r.Close(); err != nil {
				t.Errorf("close reader %d: %v", i, err)
			}
		}
	}
	t.Cleanup(closeReaders)

	// Both members hold two partitions before anything is produced, so no
	// record is read in a generation that a rebalance ends.
	testkit.Eventually(t, 20*time.Second, "both readers hold two partitions each", func() bool {
		res, err := cl.DescribeGroups(testkit.Context(t, 5*time.Second), &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
		if err != nil || len(res.Groups) != 1 || res.Groups[0].Error != nil || res.Groups[0].GroupState != "Stable" || len(res.Groups[0].Members) != 2 {
			return false
		}
		var all []int
		for _, m := range res.Groups[0].Members {
			if len(m.MemberAssignments.Topics) != 1 || m.MemberAssignments.Topics[0].Topic != topic || len(m.MemberAssignments.Topics[0].Partitions) != 2 {
				return false
			}
			all = append(all, m.MemberAssignments.Topics[0].Partitions...)
		}
		slices.Sort(all)
		return slices.Equal(all, []int{0, 1, 2, 3})
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := make(chan groupMessage, n)
	errs := make(chan error, len(readers))
	var wg sync.WaitGroup
	for i, r := range readers {
		wg.Go(func() {
			for {
				m, err := r.FetchMessage(ctx)
				if err != nil {
					if ctx.Err() == nil {
						errs <- fmt.Errorf("reader %d fetch: %w", i, err)
					}
					return
				}
				if err := r.CommitMessages(ctx, m); err != nil {
					errs <- fmt.Errorf("reader %d commit %d/%d: %w", i, m.Partition, m.Offset, err)
					return
				}
				out <- groupMessage{i, m}
			}
		})
	}

	msgs := kafkaGoMessages("before", n, time.UnixMilli(time.Now().UnixMilli()))
	if err := kafkaGoWriter(t, b, topic, kafka.Snappy).WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("write %d messages: %v", n, err)
	}
	want := kafkaGoByPartition(msgs, partitions)

	got := make([][]kafka.Message, partitions)
	owner := map[int]int{}
	for range n {
		select {
		case gm := <-out:
			p := gm.msg.Partition
			if o, ok := owner[p]; ok && o != gm.reader {
				t.Fatalf("partition %d read by readers %d and %d", p, o, gm.reader)
			}
			owner[p] = gm.reader
			if i := len(got[p]); gm.msg.Offset != int64(i) || i >= len(want[p]) {
				t.Fatalf("reader %d read %d/%d after %d messages of the partition (of %d)", gm.reader, p, gm.msg.Offset, i, len(want[p]))
			}
			if diff := kafkaGoSameMessage(gm.msg, want[p][len(got[p])]); diff != "" {
				t.Fatalf("partition %d offset %d: %s", p, gm.msg.Offset, diff)
			}
			got[p] = append(got[p], gm.msg)
		case err := <-errs:
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatalf("timed out with %d of %d messages read", countMessages(got), n)
		}
	}
	if readerParts := slices.Collect(maps.Values(owner)); len(owner) != partitions || !slices.Contains(readerParts, 0) || !slices.Contains(readerParts, 1) {
		t.Fatalf("partition owners %v, want all %d partitions shared by readers 0 and 1", owner, partitions)
	}
	cancel()
	wg.Wait()
	select {
	case gm := <-out:
		t.Fatalf("reader %d read %d/%d beyond the %d records produced", gm.reader, gm.msg.Partition, gm.msg.Offset, n)
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	closeReaders()

	// The group committed every partition's end offset.
	ctx = testkit.Context(t, 20*time.Second)
	all := []int{0, 1, 2, 3}
	committed, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: all}})
	if err != nil || committed.Error != nil {
		t.Fatalf("offset fetch: %v %v", err, committed)
	}
	gotCommitted := map[int]int64{}
	for _, p := range committed.Topics[topic] {
		if p.Error != nil {
			t.Fatalf("committed offset of %d: %v", p.Partition, p.Error)
		}
		gotCommitted[p.Partition] = p.CommittedOffset
	}
	wantCommitted := map[int]int64{}
	for p := range partitions {
		wantCommitted[p] = int64(len(want[p]))
	}
	if !maps.Equal(gotCommitted, wantCommitted) {
		t.Fatalf("committed offsets %v, want %v", gotCommitted, wantCommitted)
	}

	// A new member resumes where the group left off.
	later := kafkaGoMessages("after", more, time.UnixMilli(time.Now().UnixMilli()))
	if err := kafkaGoWriter(t, b, topic, kafka.Lz4).WriteMessages(ctx, later...); err != nil {
		t.Fatalf("write %d more messages: %v", more, err)
	}
	wantLater := kafkaGoByPartition(later, partitions)
	r := kafkaGoGroupReader(b, group, topic)
	defer func() {
		if err := r.Close(); err != nil {
			t.Errorf("close the third reader: %v", err)
		}
	}()
	gotLater := make([][]kafka.Message, partitions)
	for range more {
		m, err := r.ReadMessage(ctx) // commits as it reads
		if err != nil {
			t.Fatalf("third reader after %d of %d messages: %v", countMessages(gotLater), more, err)
		}
		p := m.Partition
		i := len(gotLater[p])
		if m.Offset != wantCommitted[p]+int64(i) || i >= len(wantLater[p]) {
			t.Fatalf("third reader read %d/%d after %d new messages of the partition, want offset %d", p, m.Offset, i, wantCommitted[p]+int64(i))
		}
		if diff := kafkaGoSameMessage(m, wantLater[p][i]); diff != "" {
			t.Fatalf("third reader, partition %d offset %d: %s", p, m.Offset, diff)
		}
		gotLater[p] = append(gotLater[p], m)
	}
	// ReadMessage committed each message before returning it.
	res, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: all}})
	if err != nil || res.Error != nil {
		t.Fatalf("offset fetch after the third reader: %v %v", err, res)
	}
	gotCommitted = map[int]int64{}
	for _, p := range res.Topics[topic] {
		if p.Error != nil {
			t.Fatalf("committed offset of %d: %v", p.Partition, p.Error)
		}
		gotCommitted[p.Partition] = p.CommittedOffset
	}
	for p := range partitions {
		wantCommitted[p] += int64(len(wantLater[p]))
	}
	if !maps.Equal(gotCommitted, wantCommitted) {
		t.Fatalf("committed offsets after the third reader %v, want %v", gotCommitted, wantCommitted)
	}
}

// countMessages is how many messages parts hold in all.
func countMessages(parts [][]kafka.Message) int {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	return n
}

// TestKafkaGoListOffsets reads first and last offsets with kafka-go's Conn
// and Client, before and after records are produced and after the start
// of the log is deleted, and offsets by time.
func TestKafkaGoListOffsets(t *testing.T) {
	b := testkit.StartBroker(t)
	const topic = "kafkago-offsets"
	kafkaGoCreateTopic(t, b, topic, 2)
	ctx := testkit.Context(t, 20*time.Second)
	cl := kafkaGoClient(t, b)

	dialer := &kafka.Dialer{Timeout: 5 * time.Second}
	leader, err := dialer.DialLeader(ctx, "tcp", b.Addr(), topic, 0)
	if err != nil {
		t.Fatalf("dial leader of %s/0: %v", topic, err)
	}
	defer leader.Close()
	checkConn := func(wantFirst, wantLast int64) {
		t.Helper()
		if err := leader.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		first, err1 := leader.ReadFirstOffset()
		last, err2 := leader.ReadLastOffset()
		f2, l2, err3 := leader.ReadOffsets()
		if err := errors.Join(err1, err2, err3); err != nil || first != wantFirst || last != wantLast || f2 != wantFirst || l2 != wantLast {
			t.Fatalf("conn offsets: first %d last %d, ReadOffsets %d %d (%v), want %d %d", first, last, f2, l2, err, wantFirst, wantLast)
		}
	}
	checkClient := func(want map[int][2]int64) {
		t.Helper()
		res, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{
			topic: {kafka.FirstOffsetOf(0), kafka.LastOffsetOf(0), kafka.FirstOffsetOf(1), kafka.LastOffsetOf(1)},
		}})
		if err != nil {
			t.Fatalf("list offsets: %v", err)
		}
		got := map[int][2]int64{}
		for _, p := range res.Topics[topic] {
			if p.Error != nil {
				t.Fatalf("list offsets of %d: %v", p.Partition, p.Error)
			}
			got[p.Partition] = [2]int64{p.FirstOffset, p.LastOffset}
		}
		if !maps.Equal(got, want) {
			t.Fatalf("list offsets (first, last) %v, want %v", got, want)
		}
	}
	checkConn(0, 0)
	checkClient(map[int][2]int64{0: {0, 0}, 1: {0, 0}})

	// 50 records to partition 0 over one Conn, a second apart in time.
	base := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
	var msgs []kafka.Message
	for i := range 50 {
		msgs = append(msgs, kafka.Message{Value: []byte(fmt.Sprintf("v%d", i)), Time: base.Add(time.Duration(i) * time.Second)})
	}
	if err := leader.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := leader.SetRequiredAcks(-1); err != nil {
		t.Fatal(err)
	}
	_, p, off, _, err := leader.WriteCompressedMessagesAt(kafka.Zstd.Codec(), msgs[:20]...)
	if err != nil || p != 0 || off != 0 {
		t.Fatalf("conn write 20 messages: partition %d offset %d, %v", p, off, err)
	}
	_, p, off, _, err = leader.WriteCompressedMessagesAt(nil, msgs[20:]...)
	if err != nil || p != 0 || off != 20 {
		t.Fatalf("conn write 30 messages: partition %d offset %d, %v", p, off, err)
	}
	checkConn(0, 50)
	checkClient(map[int][2]int64{0: {0, 50}, 1: {0, 0}})

	// Offsets by time: the first record at or after the time, -1 if none
	// is (as Kafka answers ListOffsets v1 and later).
	for _, c := range []struct {
		at   time.Time
		want int64
	}{{base.Add(-time.Minute), 0}, {base, 0}, {base.Add(1500 * time.Millisecond), 2}, {base.Add(49 * time.Second), 49}, {base.Add(time.Minute), -1}} {
		if err := leader.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if got, err := leader.ReadOffset(c.at); err != nil || got != c.want {
			t.Fatalf("conn offset at %v: %d %v, want %d", c.at.Sub(base), got, err, c.want)
		}
	}
	res, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{
		topic: {kafka.TimeOffsetOf(0, base.Add(10*time.Second))},
	}})
	if err != nil || len(res.Topics[topic]) != 1 || res.Topics[topic][0].Error != nil {
		t.Fatalf("list offsets by time: %v %+v", err, res)
	}
	if offs := res.Topics[topic][0].Offsets; len(offs) != 1 || !offs[10].Equal(base.Add(10*time.Second)) {
		t.Fatalf("list offsets by time: %v, want offset 10 at %v", offs, base.Add(10*time.Second))
	}

	// After DeleteRecords (through franz-go: kafka-go has no such call)
	// the first offset moves.
	var del kadm.Offsets
	del.Add(kadm.Offset{Topic: topic, Partition: 0, At: 30})
	dr, err := b.Admin().DeleteRecords(ctx, del)
	if err == nil {
		err = dr.Error()
	}
	if err != nil {
		t.Fatalf("delete records: %v", err)
	}
	checkConn(30, 50)
	checkClient(map[int][2]int64{0: {30, 50}, 1: {0, 0}})
}

// TestKafkaGoUnknownTopic checks the errors kafka-go surfaces for a topic
// that does not exist when the broker does not create topics on use.
func TestKafkaGoUnknownTopic(t *testing.T) {
	b := testkit.StartBroker(t, testkit.WithConfig("auto.create.topics.enable", "false"))
	const missing = "kafkago-missing"
	ctx := testkit.Context(t, 20*time.Second)

	// Writer: the topic's metadata says it is unknown. Without
	// AllowAutoTopicCreation the writer would answer from its transport's
	// cache; with it, the writer asks the broker, which does not create
	// the topic.
	w := kafkaGoWriter(t, b, missing, 0)
	w.AllowAutoTopicCreation = true
	err := w.WriteMessages(ctx, kafka.Message{Key: []byte("k"), Value: []byte("v")})
	if !errors.Is(err, kafka.UnknownTopicOrPartition) {
		t.Fatalf("write to %s: %v, want %v", missing, err, kafka.UnknownTopicOrPartition)
	}

	// Metadata over a Conn (which asks to create the topic, too).
	if _, err := kafkaGoDial(t, b).ReadPartitions(missing); !errors.Is(err, kafka.UnknownTopicOrPartition) {
		t.Fatalf("conn read partitions of %s: %v, want %v", missing, err, kafka.UnknownTopicOrPartition)
	}

	// kafka-go's Client resolves the topic in the metadata first and so
	// never sends a Fetch or ListOffsets for it; a Conn to the partition,
	// dialled without a metadata lookup, sends them. Each request has a Conn
	// of its own: after a Fetch error kafka-go's Conn leaves the rest of the
	// response unread, which the next response on it would trip over.
	host, port, err := net.SplitHostPort(b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	portNum, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	dialMissing := func() *kafka.Conn {
		t.Helper()
		c, err := (&kafka.Dialer{Timeout: 5 * time.Second}).DialPartition(ctx, "tcp", b.Addr(),
			kafka.Partition{Topic: missing, ID: 0, Leader: kafka.Broker{ID: 1, Host: host, Port: portNum}})
		if err != nil {
			t.Fatalf("dial %s/0: %v", missing, err)
		}
		t.Cleanup(func() { c.Close() })
		if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	fc := dialMissing()
	if _, err := fc.Seek(0, kafka.SeekAbsolute|kafka.SeekDontCheck); err != nil {
		t.Fatal(err)
	}
	batch := fc.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 100 * time.Millisecond})
	if err := batch.Close(); !errors.Is(err, kafka.UnknownTopicOrPartition) {
		t.Fatalf("fetch %s/0 over a Conn: %v, want %v", missing, err, kafka.UnknownTopicOrPartition)
	}
	if _, err := dialMissing().ReadFirstOffset(); !errors.Is(err, kafka.UnknownTopicOrPartition) {
		t.Fatalf("first offset of %s/0 over a Conn: %v, want %v", missing, err, kafka.UnknownTopicOrPartition)
	}
	if _, err := dialMissing().WriteMessages(kafka.Message{Value: []byte("v")}); !errors.Is(err, kafka.UnknownTopicOrPartition) {
		t.Fatalf("produce to %s/0 over a Conn: %v, want %v", missing, err, kafka.UnknownTopicOrPartition)
	}

	// Still not there: nothing above created it.
	if parts, err := kafkaGoDial(t, b).ReadPartitions(); err != nil || len(parts) != 0 {
		t.Fatalf("partitions of all topics: %+v %v, want none", parts, err)
	}
}
