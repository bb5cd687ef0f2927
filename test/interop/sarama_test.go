package interop_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/vltava/vltava/internal/testkit"
)

// saramaConfig is a sarama configuration for a Kafka 4 broker.
func saramaConfig() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V3_6_0_0
	cfg.ClientID = "vltava-interop"
	cfg.Net.DialTimeout = 10 * time.Second
	cfg.Metadata.Retry.Backoff = 50 * time.Millisecond
	cfg.Producer.Return.Successes = true
	cfg.Producer.Retry.Backoff = 50 * time.Millisecond
	return cfg
}

// TestSaramaProduceConsume produces with sarama's SyncProducer, with and
// without idempotence and with every codec, and reads the values back in
// order with a sarama partition consumer.
func TestSaramaProduceConsume(t *testing.T) {
	b := testkit.StartBroker(t)
	codecs := []struct {
		name  string
		codec sarama.CompressionCodec
	}{
		{"none", sarama.CompressionNone}, {"gzip", sarama.CompressionGZIP}, {"snappy", sarama.CompressionSnappy},
		{"lz4", sarama.CompressionLZ4}, {"zstd", sarama.CompressionZSTD},
	}
	for _, idempotent := range []bool{false, true} {
		for _, c := range codecs {
			name := fmt.Sprintf("%s/idempotent=%v", c.name, idempotent)
			t.Run(name, func(t *testing.T) {
				topic := fmt.Sprintf("sarama-%s-%v", c.name, idempotent)
				createTopic(t, b, topic, 1, nil)
				cfg := saramaConfig()
				cfg.Producer.Compression = c.codec
				if idempotent {
					cfg.Producer.Idempotent = true
					cfg.Producer.RequiredAcks = sarama.WaitForAll
					cfg.Net.MaxOpenRequests = 1
				}
				want := saramaProduce(t, b.Addr(), cfg, topic, 200)
				got := saramaConsume(t, b.Addr(), topic, len(want))
				if !slices.Equal(got, want) {
					t.Fatalf("consumed %q\nwant %q", got, want)
				}
				// The broker stores batches as sent: each keeps sarama's codec.
				for _, r := range consumeAll(t, b, topic, len(want)) {
					if got := r.Attrs.CompressionType(); got != uint8(c.codec) {
						t.Fatalf("record at offset %d is in a batch with codec %d, want %d", r.Offset, got, c.codec)
					}
				}
				if end := endOffsets(t, b, topic)[0]; end != int64(len(want)) {
					t.Fatalf("end offset %d, want %d", end, len(want))
				}
			})
		}
	}
}

// saramaProduce sends n records one at a time and then as a batch of
// SendMessages, checking that each lands at the next offset of partition 0,
// and returns the values sent in order.
func saramaProduce(t *testing.T, addr string, cfg *sarama.Config, topic string, n int) []string {
	t.Helper()
	p, err := sarama.NewSyncProducer([]string{addr}, cfg)
	if err != nil {
		t.Fatalf("sarama producer: %v", err)
	}
	defer func() {
		if err := p.Close(); err != nil {
			t.Errorf("close sarama producer: %v", err)
		}
	}()
	var values []string
	for i := range n / 2 {
		v := fmt.Sprintf("single-%04d", i)
		part, off, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprint(i)), Value: sarama.StringEncoder(v)})
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if part != 0 || off != int64(i) {
			t.Fatalf("record %d acknowledged at %d/%d, want 0/%d", i, part, off, i)
		}
		values = append(values, v)
	}
	var msgs []*sarama.ProducerMessage
	for i := n / 2; i < n; i++ {
		v := fmt.Sprintf("batch-%04d", i)
		msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprint(i)), Value: sarama.StringEncoder(v)})
		values = append(values, v)
	}
	if err := p.SendMessages(msgs); err != nil {
		t.Fatalf("send messages: %v", err)
	}
	for i, m := range msgs {
		if want := int64(n/2 + i); m.Offset != want {
			t.Fatalf("batched record %d acknowledged at offset %d, want %d", i, m.Offset, want)
		}
	}
	return values
}

// saramaConsume reads n values from offset 0 of partition 0.
func saramaConsume(t *testing.T, addr, topic string, n int) []string {
	t.Helper()
	c, err := sarama.NewConsumer([]string{addr}, saramaConfig())
	if err != nil {
		t.Fatalf("sarama consumer: %v", err)
	}
	defer c.Close()
	pc, err := c.ConsumePartition(topic, 0, sarama.OffsetOldest)
	if err != nil {
		t.Fatalf("consume partition: %v", err)
	}
	defer pc.Close()
	timeout := time.After(30 * time.Second)
	var out []string
	for len(out) < n {
		select {
		case m := <-pc.Messages():
			if m.Offset != int64(len(out)) {
				t.Fatalf("message at offset %d, want %d", m.Offset, len(out))
			}
			out = append(out, string(m.Value))
		case err := <-pc.Errors():
			t.Fatalf("partition consumer: %v", err)
		case <-timeout:
			t.Fatalf("consumed %d of %d messages", len(out), n)
		}
	}
	return out
}

// TestSaramaClusterAdmin creates, describes and deletes a topic through
// sarama's ClusterAdmin.
func TestSaramaClusterAdmin(t *testing.T) {
	b := testkit.StartBroker(t)
	adm, err := sarama.NewClusterAdmin([]string{b.Addr()}, saramaConfig())
	if err != nil {
		t.Fatalf("cluster admin: %v", err)
	}
	defer adm.Close()
	const topic = "sarama-admin"
	retention := "3600000"
	detail := &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1, ConfigEntries: map[string]*string{"retention.ms": &retention}}
	if err := adm.CreateTopic(topic, detail, false); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	if err := adm.CreateTopic(topic, detail, false); !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		t.Fatalf("creating the topic again: %v, want %v", err, sarama.ErrTopicAlreadyExists)
	}
	mds, err := adm.DescribeTopics([]string{topic})
	if err != nil {
		t.Fatalf("describe topics: %v", err)
	}
	if len(mds) != 1 || mds[0].Name != topic || mds[0].Err != sarama.ErrNoError || len(mds[0].Partitions) != 3 {
		t.Fatalf("describe topics: %+v", mds)
	}
	for _, p := range mds[0].Partitions {
		if p.Leader != 1 || !slices.Equal(p.Replicas, []int32{1}) || !slices.Equal(p.Isr, []int32{1}) {
			t.Fatalf("partition %d: leader %d replicas %v isr %v", p.ID, p.Leader, p.Replicas, p.Isr)
		}
	}
	cfgs, err := adm.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic, ConfigNames: []string{"retention.ms"}})
	if err != nil || len(cfgs) != 1 || cfgs[0].Value != retention || cfgs[0].Source != sarama.SourceTopic {
		t.Fatalf("describe config retention.ms: %+v %v", cfgs, err)
	}
	topics, err := adm.ListTopics()
	if err != nil {
		t.Fatalf("list topics: %v", err)
	}
	if d, ok := topics[topic]; !ok || d.NumPartitions != 3 || d.ReplicationFactor != 1 {
		t.Fatalf("list topics: %+v", topics)
	}
	if err := adm.DeleteTopic(topic); err != nil {
		t.Fatalf("delete topic: %v", err)
	}
	testkit.Eventually(t, 10*time.Second, "deleted topic disappears from the topic list", func() bool {
		topics, err := adm.ListTopics()
		_, ok := topics[topic]
		return err == nil && !ok
	})
	if err := adm.DeleteTopic(topic); !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		t.Fatalf("deleting the topic again: %v, want %v", err, sarama.ErrUnknownTopicOrPartition)
	}
}
