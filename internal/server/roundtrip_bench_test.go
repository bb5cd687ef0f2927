package server_test

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/testkit"
)

// BenchmarkRoundTrip produces one 100-byte record at a time (acks=all,
// idempotent) and waits until a long-polling consumer receives it: the
// broker's per-request cost at low rates, where latency is what matters.
func BenchmarkRoundTrip(b *testing.B) {
	br := testkit.StartBroker(b)
	ctx := context.Background()
	adm := br.Admin()
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "rt"); err != nil {
		b.Fatal(err)
	}
	p := br.Client(kgo.DefaultProduceTopic("rt"))
	c := br.Client(kgo.ConsumeTopics("rt"))
	val := make([]byte, 100)
	// Warm up: open connections and the fetch session.
	if err := p.ProduceSync(ctx, &kgo.Record{Value: val}).FirstErr(); err != nil {
		b.Fatal(err)
	}
	for n := 0; n < 1; {
		n += c.PollFetches(ctx).NumRecords()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := p.ProduceSync(ctx, &kgo.Record{Value: val}).FirstErr(); err != nil {
			b.Fatal(err)
		}
		for n := 0; n < 1; {
			n += c.PollFetches(ctx).NumRecords()
		}
	}
}
