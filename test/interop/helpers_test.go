// Package interop_test drives a real Vltava broker with stock Kafka clients
// other than the ones Vltava's own code uses: sarama, segmentio/kafka-go,
// kcat (librdkafka), confluent-kafka-python (librdkafka again, through
// Python) and kafka-python (a pure-Python implementation of the protocol),
// and checks that what one client writes another reads back exactly.
//
// The external tools are the ones Debian packages: /usr/bin/kcat, and
// /usr/bin/python3 with python3-confluent-kafka and python3-kafka. CI
// installs them (.ci/run); a machine without them skips the tests that need
// them, naming what is missing.
package interop_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/testkit"
)

// run runs a command with stdin, failing the test if it fails, and returns
// its standard output.
func run(t *testing.T, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	return testkit.Run(t, stdin, name, args...)
}

// createTopic creates a topic and waits until its partitions have leaders.
func createTopic(t *testing.T, b *testkit.Broker, topic string, partitions int32, configs map[string]*string) {
	t.Helper()
	adm := b.Admin()
	ctx := testkit.Context(t, 10*time.Second)
	res, err := adm.CreateTopic(ctx, partitions, 1, configs, topic)
	if err != nil || res.Err != nil {
		t.Fatalf("create topic %s: %v %v", topic, err, res.Err)
	}
	testkit.Eventually(t, 10*time.Second, "topic "+topic+" has leaders", func() bool {
		md, err := adm.Metadata(ctx, topic)
		if err != nil {
			return false
		}
		td, ok := md.Topics[topic]
		if !ok || td.Err != nil || len(td.Partitions) != int(partitions) {
			return false
		}
		for _, p := range td.Partitions {
			if p.Err != nil || p.Leader < 0 {
				return false
			}
		}
		return true
	})
}

// consumeAll reads exactly n records of topic from offset 0 of every
// partition with franz-go, without a group.
func consumeAll(t *testing.T, b *testkit.Broker, topic string, n int) []*kgo.Record {
	t.Helper()
	cl := b.Client(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx := testkit.Context(t, 30*time.Second)
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records of %s: %v", len(out), n, topic, err)
		}
		fs.EachError(func(tp string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", tp, p, err) })
		out = append(out, fs.Records()...)
	}
	if len(out) != n {
		t.Fatalf("consumed %d records of %s, want %d", len(out), topic, n)
	}
	return out
}

// endOffsets returns the end offset of every partition of topic.
func endOffsets(t *testing.T, b *testkit.Broker, topic string) map[int32]int64 {
	t.Helper()
	ctx := testkit.Context(t, 10*time.Second)
	res, err := b.Admin().ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("list end offsets of %s: %v", topic, err)
	}
	out := map[int32]int64{}
	res.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			t.Fatalf("end offset of %s/%d: %v", o.Topic, o.Partition, o.Err)
		}
		out[o.Partition] = o.Offset
	})
	return out
}

// lines are "<prefix><i>" for i in [0, n), each followed by a newline.
func lines(prefix string, n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "%s%d\n", prefix, i)
	}
	return b.Bytes()
}
