package server_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/testkit"
)

// initProducerID asks the broker for an idempotent producer id.
func initProducerID(t *testing.T, cl *kgo.Client) (int64, int16) {
	t.Helper()
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionTimeoutMillis = 60000
	kr, err := cl.Request(testkit.Context(t, 10*time.Second), req)
	if err != nil {
		t.Fatalf("InitProducerId: %v", err)
	}
	resp := kr.(*kmsg.InitProducerIDResponse)
	if resp.ErrorCode != 0 || resp.ProducerID < 0 || resp.ProducerEpoch != 0 {
		t.Fatalf("InitProducerId: error %d, id %d, epoch %d", resp.ErrorCode, resp.ProducerID, resp.ProducerEpoch)
	}
	return resp.ProducerID, resp.ProducerEpoch
}

// idemProducer sends hand-built idempotent batches to one partition.
type idemProducer struct {
	t     *testing.T
	cl    *kgo.Client
	topic string
	pid   int64
}

// keys turns names into record keys.
func keys(names ...string) [][]byte {
	out := make([][]byte, len(names))
	for i, n := range names {
		out[i] = []byte(n)
	}
	return out
}

// send produces a batch with the given epoch, base sequence and record keys.
func (p *idemProducer) send(epoch int16, seq int32, names ...string) kmsg.ProduceResponseTopicPartition {
	p.t.Helper()
	batch := buildProducerBatch(p.t, time.Now().UnixMilli(), p.pid, epoch, seq, keys(names...)...)
	return produceRaw(p.t, p.cl, p.topic, 0, -1, batch)
}

// expect sends a batch and checks the answer: base offset want (or -1 and
// the error code code).
func (p *idemProducer) expect(what string, epoch int16, seq int32, code *kerr.Error, want int64, names ...string) {
	p.t.Helper()
	rp := p.send(epoch, seq, names...)
	var wantCode int16
	if code != nil {
		wantCode = code.Code
	}
	if rp.ErrorCode != wantCode || rp.BaseOffset != want {
		p.t.Fatalf("%s: error %d (%v) base offset %d; want error %d base offset %d; message %s",
			what, rp.ErrorCode, kerr.ErrorForCode(rp.ErrorCode), rp.BaseOffset, wantCode, want, deref(rp.ErrorMessage))
	}
	if code == nil && rp.LogStartOffset != 0 {
		p.t.Fatalf("%s: log start offset %d, want 0", what, rp.LogStartOffset)
	}
}

// recordKeys reads the whole partition 0 of topic and returns the keys in
// offset order.
func recordKeys(t *testing.T, b *testkit.Broker, topic string, n int) []string {
	t.Helper()
	var out []string
	for i, r := range consumeN(t, b, topic, n) {
		if r.Offset != int64(i) {
			t.Fatalf("record %d has offset %d", i, r.Offset)
		}
		out = append(out, string(r.Key))
	}
	return out
}

func TestIdempotentProduceRaw(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "idem", 1, nil)
	cl := b.Client()
	pid, epoch := initProducerID(t, cl)
	p := &idemProducer{t: t, cl: cl, topic: "idem", pid: pid}

	p.expect("first batch", epoch, 0, nil, 0, "a0", "a1", "a2")
	p.expect("same batch again", epoch, 0, nil, 0, "a0", "a1", "a2")
	p.expect("next batch", epoch, 3, nil, 3, "b3", "b4")
	p.expect("first batch a third time", epoch, 0, nil, 0, "a0", "a1", "a2")
	p.expect("next batch again", epoch, 3, nil, 3, "b3", "b4")
	p.expect("sequence gap", epoch, 6, kerr.OutOfOrderSequenceNumber, -1, "gap")
	p.expect("sequence repeated with another length", epoch, 3, kerr.OutOfOrderSequenceNumber, -1, "b3")
	if got := endOffset(t, b, "idem", 0); got != 5 {
		t.Fatalf("end offset %d after duplicates and rejections, want 5", got)
	}

	// A new epoch must start at sequence 0; then the old epoch is fenced.
	p.expect("new epoch not at 0", epoch+1, 5, kerr.OutOfOrderSequenceNumber, -1, "x")
	p.expect("new epoch", epoch+1, 0, nil, 5, "c5")
	p.expect("old epoch after the bump", epoch, 5, kerr.InvalidProducerEpoch, -1, "old")
	p.expect("old epoch's duplicate after the bump", epoch, 3, kerr.InvalidProducerEpoch, -1, "b3", "b4")
	p.expect("new epoch continues", epoch+1, 1, nil, 6, "c6", "c7")

	// A producer id the partition has never seen may start at any
	// sequence, as in Kafka 4 (KIP-360: its state may have gone with
	// deleted segments); it then continues from there.
	other, _ := initProducerID(t, cl)
	q := &idemProducer{t: t, cl: cl, topic: "idem", pid: other}
	q.expect("unknown producer at sequence 7", 0, 7, nil, 8, "d8")
	q.expect("that producer's next batch", 0, 8, nil, 9, "d9")
	q.expect("that producer skipping a sequence", 0, 10, kerr.OutOfOrderSequenceNumber, -1, "x")

	want := []string{"a0", "a1", "a2", "b3", "b4", "c5", "c6", "c7", "d8", "d9"}
	if got := recordKeys(t, b, "idem", len(want)); !slices.Equal(got, want) {
		t.Fatalf("log holds %v, want %v", got, want)
	}
}

func TestIdempotentDuplicateAfterRestart(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "idem", 1, nil)
	cl := b.Client()
	pid, epoch := initProducerID(t, cl)
	p := &idemProducer{t: t, cl: cl, topic: "idem", pid: pid}
	var names []string
	for i := range 7 { // more than the five batches remembered
		name := fmt.Sprintf("k%d", i)
		names = append(names, name)
		p.expect("batch "+name, epoch, int32(i), nil, int64(i), name)
	}
	cl.Close()
	b.Restart()

	cl = b.Client()
	p.cl = cl
	p.expect("last batch retried after restart", epoch, 6, nil, 6, "k6")
	p.expect("fifth-last batch retried after restart", epoch, 2, nil, 2, "k2")
	p.expect("sixth-last batch retried after restart", epoch, 1, kerr.OutOfOrderSequenceNumber, -1, "k1")
	p.expect("gap after restart", epoch, 8, kerr.OutOfOrderSequenceNumber, -1, "k8")
	p.expect("next batch after restart", epoch, 7, nil, 7, "k7")
	names = append(names, "k7")
	if got := recordKeys(t, b, "idem", len(names)); !slices.Equal(got, names) {
		t.Fatalf("log holds %v, want %v", got, names)
	}
}

// TestIdempotentProducerFranzGo produces 20,000 records with franz-go's
// idempotent producer across six partitions and reads them back: each
// partition holds its records once, in the order produced.
func TestIdempotentProducerFranzGo(t *testing.T) {
	const parts, n = 6, 20000
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "idem6", parts, nil)
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchMaxBytes(16<<10))
	ctx := testkit.Context(t, 60*time.Second)
	errs := make(chan error, 1)
	for i := range n {
		r := &kgo.Record{Topic: "idem6", Partition: int32(i % parts), Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf("value-%d", i))}
		cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			if err != nil {
				select {
				case errs <- fmt.Errorf("record %s: %w", r.Key, err):
				default:
				}
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	got := consumeN(t, b, "idem6", n)
	next := make([]int, parts) // next expected i per partition
	for p := range next {
		next[p] = p
	}
	offsets := make([]int64, parts)
	for _, r := range got {
		p := r.Partition
		if string(r.Key) != fmt.Sprint(next[p]) || string(r.Value) != fmt.Sprintf("value-%d", next[p]) || r.Offset != offsets[p] {
			t.Fatalf("partition %d offset %d: key %s value %s; want key %d at offset %d", p, r.Offset, r.Key, r.Value, next[p], offsets[p])
		}
		next[p] += parts
		offsets[p]++
	}
	for p := range parts {
		if want := int64((n - p + parts - 1) / parts); offsets[p] != want {
			t.Fatalf("partition %d holds %d records, want %d", p, offsets[p], want)
		}
		if end := endOffset(t, b, "idem6", int32(p)); end != offsets[p] {
			t.Fatalf("partition %d end offset %d, consumed %d", p, end, offsets[p])
		}
	}
}
