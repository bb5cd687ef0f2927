//go:build linux

package crash_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ack is a record the broker acknowledged: where it said it put it.
type ack struct {
	partition int32
	offset    int64
	value     string
}

// recordValue is the value of the seq-th record of a run; values sort in
// the order they were produced, across runs too.
func recordValue(run, seq int) string { return fmt.Sprintf("run%03d-seq%09d", run, seq) }

// createTopic creates a topic through p and waits for its leaders.
func createTopic(t *testing.T, p *proc, topic string, partitions int32, configs map[string]*string) {
	t.Helper()
	adm := p.admin()
	ctx := timeout(t, 10*time.Second)
	res, err := adm.CreateTopic(ctx, partitions, 1, configs, topic)
	if err != nil || res.Err != nil {
		t.Fatalf("create topic %s: %v %v", topic, err, res.Err)
	}
	waitLeaders(t, p, topic, partitions)
}

// waitLeaders waits until every partition of topic has a leader.
func waitLeaders(t *testing.T, p *proc, topic string, partitions int32) {
	t.Helper()
	adm := p.admin()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		md, err := adm.Metadata(ctx, topic)
		cancel()
		if err == nil && leadersReady(md, topic, partitions) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("topic %s has no leaders for its %d partitions: %v %+v", topic, partitions, err, md.Topics[topic])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func leadersReady(md kadm.Metadata, topic string, partitions int32) bool {
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
}

// padding makes the records of produceUntilKilled big enough to roll
// 1 MiB segments now and then.
const padding = "|0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"

// produceUntilKilled produces records with sequential values to every
// partition of topic in turn, as fast as the broker takes them, and kills
// the broker with SIGKILL once killAfter records were acknowledged. It
// returns every acknowledgement received.
func produceUntilKilled(t *testing.T, p *proc, topic string, partitions int32, run, killAfter int) []ack {
	t.Helper()
	// Odd runs compress their batches; even ones fill segments faster.
	codec := kgo.NoCompression()
	if run%2 == 1 {
		codec = kgo.SnappyCompression()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.addr),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(codec),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(time.Millisecond),
		kgo.RetryTimeout(5*time.Second),
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu      sync.Mutex
		acks    []ack
		reached = make(chan struct{})
		errs    = map[string]int{}
	)
	done := make(chan struct{})
	produced := 0
	go func() {
		defer close(done)
		for seq := 0; ctx.Err() == nil; seq++ {
			produced++
			r := &kgo.Record{Topic: topic, Partition: int32(seq) % partitions, Value: []byte(recordValue(run, seq) + padding)}
			cl.Produce(ctx, r, func(r *kgo.Record, err error) {
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs[err.Error()]++
					return
				}
				acks = append(acks, ack{r.Partition, r.Offset, string(r.Value)})
				if len(acks) == killAfter {
					close(reached)
				}
			})
		}
	}()
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		cancel()
		<-done
		cl.Close()
		mu.Lock()
		t.Fatalf("only %d of %d records acknowledged in 30s; errors: %v", len(acks), killAfter, errs)
	}
	p.kill9()
	cancel()
	<-done
	cl.Close() // fails what is still buffered
	// Every promise is called, some after Close returns.
	deadline := time.Now().Add(30 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	for len(acks)+sum(errs) < produced {
		if time.Now().After(deadline) {
			t.Fatalf("%d records produced, but only %d acknowledged and %d failed", produced, len(acks), sum(errs))
		}
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
	}
	t.Logf("run %d: killed after %d acks; %d records produced, %d acknowledged, %d failed: %v", run, killAfter, produced, len(acks), sum(errs), errs)
	return acks
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// readAll reads every partition of topic from offset 0 to its end offset.
func readAll(t *testing.T, p *proc, topic string) map[int32][]*kgo.Record {
	t.Helper()
	ends := listOffsets(t, p, topic, -1)
	start := map[int32]kgo.Offset{}
	want := 0
	for part, end := range ends {
		if end > 0 {
			start[part] = kgo.NewOffset().At(0)
			want += int(end)
		}
	}
	out := map[int32][]*kgo.Record{}
	if want == 0 {
		return out
	}
	cl := p.client(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: start}), kgo.FetchMaxWait(100*time.Millisecond))
	ctx := timeout(t, 60*time.Second)
	for got := 0; got < want; {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %d of %d records of %s: %v", got, want, topic, err)
		}
		fs.EachError(func(tp string, part int32, err error) { t.Fatalf("fetch %s/%d: %v", tp, part, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset < ends[r.Partition] {
				out[r.Partition] = append(out[r.Partition], r)
				got++
			}
		})
	}
	return out
}

// listOffsets lists each partition's offset for a ListOffsets timestamp:
// -1 latest, -2 earliest, otherwise the first offset at or after it.
func listOffsets(t *testing.T, p *proc, topic string, ts int64) map[int32]int64 {
	t.Helper()
	ctx := timeout(t, 10*time.Second)
	adm := p.admin()
	var res kadm.ListedOffsets
	var err error
	switch ts {
	case -1:
		res, err = adm.ListEndOffsets(ctx, topic)
	case -2:
		res, err = adm.ListStartOffsets(ctx, topic)
	default:
		res, err = adm.ListOffsetsAfterMilli(ctx, ts, topic)
	}
	if err != nil {
		t.Fatalf("list offsets of %s at %d: %v", topic, ts, err)
	}
	out := map[int32]int64{}
	res.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			t.Fatalf("list offsets of %s/%d at %d: %v", o.Topic, o.Partition, ts, o.Err)
		}
		out[o.Partition] = o.Offset
	})
	return out
}

// checkLog checks what a restarted broker serves: each partition's
// offsets run 0, 1, 2, ... without gaps; values strictly increase in
// produce order (so none is there twice); and every acknowledged record
// is at the offset it was acknowledged with.
func checkLog(t *testing.T, logs map[int32][]*kgo.Record, acks []ack) {
	t.Helper()
	for part, recs := range logs {
		for i, r := range recs {
			if r.Offset != int64(i) {
				t.Fatalf("partition %d: record %d has offset %d: offsets are not contiguous from 0", part, i, r.Offset)
			}
			if i > 0 && string(r.Value) <= string(recs[i-1].Value) {
				t.Fatalf("partition %d: offset %d holds %q after %q: duplicated or out of order", part, i, r.Value, recs[i-1].Value)
			}
		}
	}
	for _, a := range acks {
		recs := logs[a.partition]
		if a.offset >= int64(len(recs)) {
			t.Fatalf("acknowledged record %q at %d/%d is lost: the partition ends at %d", a.value, a.partition, a.offset, len(recs))
		}
		if got := string(recs[a.offset].Value); got != a.value {
			t.Fatalf("acknowledged record %q at %d/%d: the broker serves %q there", a.value, a.partition, a.offset, got)
		}
	}
}

// countRecords is the number of records in logs.
func countRecords(logs map[int32][]*kgo.Record) int {
	n := 0
	for _, recs := range logs {
		n += len(recs)
	}
	return n
}

// produceSync produces records and waits for each acknowledgement.
func produceSync(t *testing.T, cl *kgo.Client, recs ...*kgo.Record) []ack {
	t.Helper()
	ctx := timeout(t, 30*time.Second)
	res := cl.ProduceSync(ctx, recs...)
	if err := res.FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	out := make([]ack, len(res))
	for i, r := range res {
		out[i] = ack{r.Record.Partition, r.Record.Offset, string(r.Record.Value)}
	}
	return out
}
