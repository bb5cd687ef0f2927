package interop_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/testkit"
)

// TestKafkaJSAdminAndIdempotentProducer runs KafkaJS (the Node.js client)
// against the broker: CreateTopics, Metadata, ListOffsets and an idempotent
// gzip producer with headers. (KafkaJS consumes only through consumer
// groups, which come with the group coordinator.)
func TestKafkaJSAdminAndIdempotentProducer(t *testing.T) {
	node := testkit.NeedTool(t, "node")
	dir, err := filepath.Abs("testdata/kafkajs")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "kafkajs")); err != nil {
		t.Skipf("kafkajs is not installed: run npm ci --prefix %s (CI does: see .ci/run)", dir)
	}
	b := testkit.StartBroker(t)
	const n = 200
	out := run(t, nil, node, filepath.Join(dir, "roundtrip.js"), b.Addr(), "kafkajs", fmt.Sprint(n))
	var res struct {
		Created    bool
		Partitions []struct{ Partition, Leader int32 }
		Ends       []struct{ Partition, High, Low int64 }
		Errors     []int16
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("kafkajs output %q: %v", out, err)
	}
	if !res.Created || len(res.Partitions) != 2 || res.Partitions[0].Leader != 1 || res.Partitions[1].Leader != 1 {
		t.Fatalf("kafkajs admin: %s", out)
	}
	for _, e := range res.Ends {
		if e.Low != 0 || e.High != n/2 {
			t.Fatalf("kafkajs offsets: %s", out)
		}
	}
	for _, code := range res.Errors {
		if code != 0 {
			t.Fatalf("kafkajs produce errors: %s", out)
		}
	}
	got := consumeAll(t, b, "kafkajs", n)
	seen := map[string]bool{}
	for _, r := range got {
		want := "v" + string(r.Key[1:])
		if string(r.Value) != want || len(r.Headers) != 1 || r.Headers[0].Key != "n" || string(r.Headers[0].Value) != string(r.Key[1:]) {
			t.Fatalf("record %q=%q headers %v", r.Key, r.Value, r.Headers)
		}
		seen[string(r.Key)] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct keys, want %d", len(seen), n)
	}
}

// TestKafkaJSGroupConsumer reads a topic with a KafkaJS group consumer
// that commits each record; a second run of the group finds nothing left
// but the records written since.
func TestKafkaJSGroupConsumer(t *testing.T) {
	node := testkit.NeedTool(t, "node")
	dir, err := filepath.Abs("testdata/kafkajs")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "kafkajs")); err != nil {
		t.Skipf("kafkajs is not installed: run npm ci --prefix %s (CI does: see .ci/run)", dir)
	}
	b := testkit.StartBroker(t)
	createTopic(t, b, "jsgroup", 2, nil)
	produceKeyed := func(from, to int) {
		cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
		for i := from; i < to; i++ {
			r := &kgo.Record{Topic: "jsgroup", Partition: int32(i % 2), Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("v%d", i))}
			if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	expect := func(from, to int) string {
		var lines []string
		for i := from; i < to; i++ {
			lines = append(lines, fmt.Sprintf("%d %d k%d v%d", i%2, i/2, i, i))
		}
		sort.Strings(lines)
		return strings.Join(lines, "\n") + "\n"
	}
	script := filepath.Join(dir, "groupconsume.js")
	produceKeyed(0, 20)
	if got := string(run(t, nil, node, script, b.Addr(), "jsgroup", "js", "20")); got != expect(0, 20) {
		t.Fatalf("first run:\n%s\nwant:\n%s", got, expect(0, 20))
	}
	produceKeyed(20, 30)
	if got := string(run(t, nil, node, script, b.Addr(), "jsgroup", "js", "10")); got != expect(20, 30) {
		t.Fatalf("second run (from committed offsets):\n%s\nwant:\n%s", got, expect(20, 30))
	}
}
