package testkit

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Restart works after Close too, on the same address and data.
func TestRestartAfterClose(t *testing.T) {
	b := StartBroker(t)
	addr := b.Addr()
	ctx := Context(t, 20*time.Second)
	p := b.Client(kgo.AllowAutoTopicCreation())
	if err := p.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte("kept")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	p.Close()
	b.Close()
	b.Restart()
	if b.Addr() != addr {
		t.Fatalf("restarted on %s, want %s", b.Addr(), addr)
	}
	c := b.Client(kgo.ConsumeTopics("t"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	fs := c.PollFetches(ctx)
	if err := fs.Err(); err != nil {
		t.Fatal(err)
	}
	if rs := fs.Records(); len(rs) != 1 || string(rs[0].Value) != "kept" {
		t.Fatalf("after restart: %v", rs)
	}
}
