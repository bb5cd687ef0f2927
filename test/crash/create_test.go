//go:build linux

package crash_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKillAfterCreateTopics kills the broker with SIGKILL as soon as it
// has answered CreateTopics for a topic of 1,000 partitions. The answer
// means the topic is there and usable: every partition is led and has its
// directory at once, and after the kill the restarted broker has every
// partition and takes a record on each. A second kill -9 and a clean
// restart keep those records; an idle topic that was never written
// survives all of it and takes records at the end.
func TestKillAfterCreateTopics(t *testing.T) {
	const many, idle = "many", "idle"
	const manyParts, idleParts = 1000, 50
	dir := t.TempDir()
	p := startProc(t, dir)
	for _, c := range []struct {
		topic string
		n     int32
	}{{idle, idleParts}, {many, manyParts}} {
		res, err := p.admin().CreateTopic(timeout(t, 30*time.Second), c.n, 1, nil, c.topic)
		if err != nil || res.Err != nil {
			t.Fatalf("create topic %s: %v %v", c.topic, err, res.Err)
		}
		checkCreated(t, p, c.topic, c.n)
		for i := range c.n {
			if fi, err := os.Stat(filepath.Join(dir, fmt.Sprintf("%s-%d", c.topic, i))); err != nil || !fi.IsDir() {
				t.Fatalf("partition %s-%d has no directory after CreateTopics answered: %v", c.topic, i, err)
			}
		}
	}
	p.kill9()

	p = startProc(t, dir)
	checkCreated(t, p, many, manyParts)
	checkCreated(t, p, idle, idleParts)
	acks := produceToEach(t, p, many, manyParts, 0)
	p.kill9()

	p = startProc(t, dir)
	checkCreated(t, p, many, manyParts)
	checkCreated(t, p, idle, idleParts)
	checkEnds(t, p, many, manyParts, 1)
	if err := p.terminate(); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}

	p = startProc(t, dir)
	checkCreated(t, p, many, manyParts)
	checkCreated(t, p, idle, idleParts)
	logs := readAll(t, p, many)
	checkLog(t, logs, acks)
	if n := countRecords(logs); n != manyParts {
		t.Fatalf("%d records in %s after the restarts, want %d", n, many, manyParts)
	}
	checkEnds(t, p, idle, idleParts, 0)
	produceToEach(t, p, idle, idleParts, 1)
	checkEnds(t, p, idle, idleParts, 1)
	if err := p.terminate(); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}

// checkCreated checks, without waiting, that Metadata lists every
// partition of topic with a leader.
func checkCreated(t *testing.T, p *proc, topic string, partitions int32) {
	t.Helper()
	md, err := p.admin().Metadata(timeout(t, 10*time.Second), topic)
	if err != nil || !leadersReady(md, topic, partitions) {
		t.Fatalf("topic %s: Metadata does not show %d led partitions: %v %+v", topic, partitions, err, md.Topics[topic].Err)
	}
}

// produceToEach produces one record to every partition of topic and checks
// that each landed at offset 0.
func produceToEach(t *testing.T, p *proc, topic string, partitions int32, run int) []ack {
	t.Helper()
	cl := p.client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	recs := make([]*kgo.Record, partitions)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: topic, Partition: int32(i), Value: []byte(recordValue(run, i))}
	}
	acks := produceSync(t, cl, recs...)
	for _, a := range acks {
		if a.offset != 0 {
			t.Fatalf("record for %s/%d acknowledged at offset %d, want 0", topic, a.partition, a.offset)
		}
	}
	return acks
}

// checkEnds checks that every partition of topic ends at end.
func checkEnds(t *testing.T, p *proc, topic string, partitions int32, end int64) {
	t.Helper()
	ends := listOffsets(t, p, topic, -1)
	if len(ends) != int(partitions) {
		t.Fatalf("%s: end offsets of %d partitions, want %d", topic, len(ends), partitions)
	}
	for part, o := range ends {
		if o != end {
			t.Fatalf("%s/%d ends at %d, want %d", topic, part, o, end)
		}
	}
}
