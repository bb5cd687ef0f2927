package log_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/testkit"
)

// TestCleanerRealClients: franz-go writes many updates and deletes to a
// compacted topic; once the cleaner has run, reading the topic from the
// beginning gives exactly one record per live key, the latest, in offset
// order, and the same table as the producer's.
func TestCleanerRealClients(t *testing.T) {
	b := testkit.StartBroker(t)
	ctx := testkit.Context(t, 60*time.Second)
	const topic = "changelog"
	cfg := map[string]*string{
		"cleanup.policy": ptr("compact"), "segment.ms": ptr("100"),
		"min.cleanable.dirty.ratio": ptr("0.01"), "delete.retention.ms": ptr("0"),
	}
	if _, err := b.Admin().CreateTopic(ctx, 1, 1, cfg, topic); err != nil {
		t.Fatal(err)
	}
	cl := b.Client(kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(0))
	table := map[string]string{}
	for round := range 2 {
		produceUpdates(ctx, t, cl, table, round)
		end := endOffset(ctx, t, b, topic)
		testkit.Eventually(t, 30*time.Second, fmt.Sprintf("round %d: one record per live key", round), func() bool {
			return compacted(ctx, t, b, topic, end, table)
		})
	}
	err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("no key")}).FirstErr()
	if !errors.Is(err, kerr.InvalidRecord) {
		t.Fatalf("produce without a key to a compacted topic: %v, want INVALID_RECORD", err)
	}
}

func ptr(s string) *string { return &s }

// produceUpdates writes 4000 updates over 300 keys, every tenth a delete,
// the last one a value, and applies them to table.
func produceUpdates(ctx context.Context, t *testing.T, cl *kgo.Client, table map[string]string, round int) {
	t.Helper()
	var recs []*kgo.Record
	for i := range 4000 {
		k := fmt.Sprintf("key-%03d", (i*7+round)%300)
		r := &kgo.Record{Key: []byte(k), Value: []byte(fmt.Sprintf("r%d-v%d", round, i))}
		if i%10 == 3 {
			r.Value = nil
			delete(table, k)
		} else {
			table[k] = string(r.Value)
		}
		recs = append(recs, r)
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func endOffset(ctx context.Context, t *testing.T, b *testkit.Broker, topic string) int64 {
	t.Helper()
	ends, err := b.Admin().ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := ends.Lookup(topic, 0)
	return o.Offset
}

// compacted reads the topic from the start to end and reports whether it
// holds exactly one record per live key of table, with its value, offsets
// increasing.
func compacted(ctx context.Context, t *testing.T, b *testkit.Broker, topic string, end int64, table map[string]string) bool {
	t.Helper()
	cl := b.Client(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	defer cl.Close()
	got := map[string]string{}
	n, last := 0, int64(-1)
	for last < end-1 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("fetch: %v", err)
		}
		for _, r := range fs.Records() {
			if r.Offset <= last {
				t.Fatalf("offset %d after %d", r.Offset, last)
			}
			last = r.Offset
			n++
			got[string(r.Key)] = string(r.Value)
		}
	}
	if n != len(table) || len(got) != len(table) {
		return false
	}
	for k, v := range table {
		if got[k] != v {
			t.Fatalf("key %s: %q, want %q", k, got[k], v)
		}
	}
	return true
}
