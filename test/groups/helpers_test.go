// Package groups_test runs the group consumers of stock Kafka clients other
// than franz-go against a real Vltava broker: sarama's ConsumerGroup, kcat's
// balanced consumer (librdkafka), confluent-kafka-python (librdkafka through
// Python) and kafka-python (a pure-Python implementation of the group
// protocol). Each test checks the exact set of records consumed, so that a
// record lost or processed twice across rebalances, commits and broker
// restarts fails it.
//
// The external tools are the ones Debian packages: /usr/bin/kcat, and
// /usr/bin/python3 with python3-confluent-kafka and python3-kafka. CI
// installs them (.ci/run); a machine without them skips the tests that need
// them, naming what is missing.
package groups_test

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/testkit"
)

// run runs a command, failing the test if it fails, and returns its
// standard output.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	return string(testkit.Run(t, nil, name, args...))
}

// createTopic creates a topic with one replica per partition.
func createTopic(t *testing.T, b *testkit.Broker, topic string, partitions int32) {
	t.Helper()
	res, err := b.Admin().CreateTopic(testkit.Context(t, 10*time.Second), partitions, 1, nil, topic)
	if err != nil || res.Err != nil {
		t.Fatalf("create topic %s: %v %v", topic, err, res.Err)
	}
}

// produceRound writes perPartition records to each of partitions
// partitions of topic, valued "<prefix>-<partition>-<i>", and returns the
// records as "partition:offset:value" lines, sorted. It assumes the
// partitions held `from` records each before.
func produceRound(t *testing.T, b *testkit.Broker, topic string, partitions int32, perPartition, from int, prefix string) []string {
	t.Helper()
	// Uncompressed: kafka-python reads snappy only with a library Debian
	// does not install with it.
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchCompression(kgo.NoCompression()))
	var recs []*kgo.Record
	var want []string
	for p := range partitions {
		for i := range perPartition {
			v := fmt.Sprintf("%s-%d-%d", prefix, p, i)
			recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Value: []byte(v)})
			want = append(want, line(p, int64(from+i), v))
		}
	}
	if err := cl.ProduceSync(testkit.Context(t, 20*time.Second), recs...).FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
	sort.Strings(want)
	return want
}

// line renders a consumed or produced record for comparison.
func line(partition int32, offset int64, value string) string {
	return fmt.Sprintf("%d:%d:%s", partition, offset, value)
}

// committed returns group's committed offsets of topic by partition.
func committed(t *testing.T, b *testkit.Broker, group, topic string) map[int32]int64 {
	t.Helper()
	offs, err := b.Admin().FetchOffsets(testkit.Context(t, 10*time.Second), group)
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		t.Fatalf("fetch offsets of %s: %v", group, err)
	}
	out := map[int32]int64{}
	for _, o := range offs.Sorted() {
		if o.Err != nil {
			t.Fatalf("offset of %s/%d: %v", o.Topic, o.Partition, o.Err)
		}
		if o.Topic == topic {
			out[o.Partition] = o.At
		}
	}
	return out
}

// each returns a map of partitions partitions all at offset.
func each(partitions int32, offset int64) map[int32]int64 {
	m := make(map[int32]int64, partitions)
	for p := range partitions {
		m[p] = offset
	}
	return m
}

// wantCommitted waits until group's committed offsets of topic are want.
func wantCommitted(t *testing.T, b *testkit.Broker, group, topic string, want map[int32]int64) {
	t.Helper()
	var got map[int32]int64
	deadline := time.Now().Add(15 * time.Second)
	for {
		got = committed(t, b, group, topic)
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s committed %v of %s, want %v", group, got, topic, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// collector gathers consumed records from several consumers.
type collector struct {
	mu   sync.Mutex
	seen map[string][]string // record line -> consumers that processed it
	n    int
}

func newCollector() *collector { return &collector{seen: map[string][]string{}} }

// add notes that consumer processed a record.
func (c *collector) add(consumer string, partition int32, offset int64, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := line(partition, offset, value)
	c.seen[l] = append(c.seen[l], consumer)
	c.n++
}

// count is how many records were processed, duplicates included.
func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// waitCount waits until at least n records were processed.
func (c *collector) waitCount(t *testing.T, n int) {
	t.Helper()
	testkit.Eventually(t, 20*time.Second, fmt.Sprintf("%d records processed", n), func() bool { return c.count() >= n })
}

// check fails the test unless exactly want was processed, each once.
func (c *collector) check(t *testing.T, want []string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var dups, got []string
	for l, who := range c.seen {
		got = append(got, l)
		if len(who) > 1 {
			dups = append(dups, fmt.Sprintf("%s by %v", l, who))
		}
	}
	sort.Strings(got)
	sort.Strings(dups)
	want = slices.Sorted(slices.Values(want))
	if len(dups) > 0 {
		t.Fatalf("%d records processed more than once, e.g. %q", len(dups), dups[:min(5, len(dups))])
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("processed %d records, want %d:\n%s", len(got), len(want), diff(got, want))
	}
}

// consumers returns which consumers processed records of partition with
// values starting with prefix.
func (c *collector) consumers(partition int32, prefix string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	set := map[string]bool{}
	for l, who := range c.seen {
		if strings.HasPrefix(l, fmt.Sprintf("%d:", partition)) && strings.Contains(l, ":"+prefix) {
			for _, w := range who {
				set[w] = true
			}
		}
	}
	var out []string
	for w := range set {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// diff describes how two sorted line lists differ, briefly.
func diff(got, want []string) string {
	in := func(l []string) map[string]bool {
		m := make(map[string]bool, len(l))
		for _, s := range l {
			m[s] = true
		}
		return m
	}
	g, w := in(got), in(want)
	var missing, extra []string
	for _, s := range want {
		if !g[s] {
			missing = append(missing, s)
		}
	}
	for _, s := range got {
		if !w[s] {
			extra = append(extra, s)
		}
	}
	return fmt.Sprintf("missing %d, e.g. %q\nunexpected %d, e.g. %q",
		len(missing), missing[:min(5, len(missing))], len(extra), extra[:min(5, len(extra))])
}

// parseLines reads "consumed <partition> <offset> <value>" lines that a
// script or kcat printed, adds them to c as consumer, and returns what
// followed them.
func parseLines(t *testing.T, c *collector, consumer, out string) []string {
	t.Helper()
	var rest []string
	for l := range strings.Lines(out) {
		var p int32
		var o int64
		var v string
		if _, err := fmt.Sscanf(l, "consumed %d %d %s\n", &p, &o, &v); err != nil {
			rest = append(rest, strings.TrimSuffix(l, "\n"))
			continue
		}
		c.add(consumer, p, o, v)
	}
	return rest
}
