package replica_test

import (
	"encoding/binary"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	vlog "github.com/vltava/vltava/internal/log"
	"github.com/vltava/vltava/internal/record"
	"github.com/vltava/vltava/internal/replica"
)

// leader returns partition 0 of a new single-partition topic "t" led by
// this node, with the given config overrides.
func leader(t *testing.T, configs map[string]string) (*env, *replica.Partition) {
	t.Helper()
	e := newEnv(t)
	e.mustApply(createTopic("t", topicID(1), onNode(1), configs)...)
	return e, e.partition("t", 0)
}

func TestAppendAssignsOffsetsAndHighWatermark(t *testing.T) {
	_, p := leader(t, nil)
	for _, tc := range []struct {
		values      []string
		first, last int64
	}{
		{[]string{"a", "b", "c"}, 0, 2},
		{[]string{"d"}, 3, 3},
		{[]string{"e", "f"}, 4, 5},
	} {
		res, err := p.Append(produce(t, batchOpts{}, tc.values...), -1)
		if err != nil {
			t.Fatalf("Append %q: %v", tc.values, err)
		}
		want := vlog.AppendInfo{FirstOffset: tc.first, LastOffset: tc.last, LogAppendTime: -1, LogStartOffset: 0}
		if res.AppendInfo != want {
			t.Errorf("Append %q: %+v, want %+v", tc.values, res.AppendInfo, want)
		}
		// One replica: the ISR is this node, so the high watermark is
		// the log end offset as soon as Append returns.
		if hw, leo := p.HighWatermark(), p.Log().LogEndOffset(); hw != tc.last+1 || leo != tc.last+1 {
			t.Errorf("after %q: HW %d, LEO %d; want %d, %d", tc.values, hw, leo, tc.last+1, tc.last+1)
		}
	}
	bs := readStored(t, p, 0)
	if len(bs) != 3 {
		t.Fatalf("%d batches stored, want 3", len(bs))
	}
	for i, base := range []int64{0, 3, 4} {
		if bs[i].h.BaseOffset != base || bs[i].h.PartitionLeaderEpoch != 0 {
			t.Errorf("batch %d: base offset %d, leader epoch %d; want %d, 0", i, bs[i].h.BaseOffset, bs[i].h.PartitionLeaderEpoch, base)
		}
	}
	if got, want := values(bs), []string{"a", "b", "c", "d", "e", "f"}; !slices.Equal(got, want) {
		t.Errorf("records %q, want %q", got, want)
	}
	// A read from the middle starts at the batch holding the offset.
	if got := readStored(t, p, 4); len(got) != 1 || got[0].h.BaseOffset != 4 {
		t.Errorf("read from 4: %d batches, want the one at 4", len(got))
	}
}

func TestAppendMaxMessageBytes(t *testing.T) {
	b := produce(t, batchOpts{}, strings.Repeat("v", 200))
	size := len(b)

	// Exactly max.message.bytes is accepted; one byte more is not.
	_, p := leader(t, map[string]string{"max.message.bytes": itoa(size - 1)})
	_, err := p.Append(b, 1)
	if !errors.Is(err, record.ErrTooLarge) {
		t.Fatalf("Append of %d bytes, max %d: err = %v, want ErrTooLarge (MESSAGE_TOO_LARGE)", size, size-1, err)
	}
	if want := "the batch is " + itoa(size) + " bytes, the maximum is " + itoa(size-1); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if hw, leo := p.HighWatermark(), p.Log().LogEndOffset(); hw != 0 || leo != 0 {
		t.Errorf("after a rejected batch: HW %d, LEO %d; want 0, 0", hw, leo)
	}

	_, p = leader(t, map[string]string{"max.message.bytes": itoa(size)})
	if res, err := p.Append(b, 1); err != nil || res.LastOffset != 0 {
		t.Fatalf("Append of %d bytes, max %d: last offset %d, err %v; want 0, nil", size, size, res.LastOffset, err)
	}
}

func TestAppendRejectsMalformedBatches(t *testing.T) {
	// Each sentinel is what the server maps to the Kafka error code named
	// (internal/server/errors.go, after Kafka 4's own checks).
	for _, tc := range []struct {
		name   string
		mangle func(b []byte) []byte
		want   error
		kafka  string
	}{
		{"flipped value byte", func(b []byte) []byte { b[len(b)-2] ^= 0xff; return b },
			record.ErrCRC, "CORRUPT_MESSAGE"},
		{"truncated", func(b []byte) []byte { return b[:len(b)-3] },
			record.ErrShort, "INVALID_RECORD"},
		{"trailing bytes", func(b []byte) []byte { return append(b, 0, 0, 0) },
			record.ErrMultipleBatches, "INVALID_RECORD"},
		{"base offset 5", func(b []byte) []byte { record.SetBaseOffset(b, 5); return b },
			record.ErrBaseOffset, "INVALID_RECORD"},
		{"magic 1", func(b []byte) []byte { b[16] = 1; return b },
			record.ErrMagic, "INVALID_RECORD"},
		{"magic 7", func(b []byte) []byte { b[16] = 7; return b },
			record.ErrUnknownMagic, "CORRUPT_MESSAGE"},
		{"codec 6", func(b []byte) []byte { b[22] |= 6; return fixCRC(b) },
			record.ErrCompression, "UNSUPPORTED_COMPRESSION_TYPE"},
		{"control bit", func(b []byte) []byte { b[22] |= record.AttrControl; return fixCRC(b) },
			record.ErrControl, "INVALID_RECORD"},
		{"record count 3", func(b []byte) []byte { binary.BigEndian.PutUint32(b[57:], 3); return fixCRC(b) },
			record.ErrRecordCount, "INVALID_RECORD"},
		{"length 13", func(b []byte) []byte { binary.BigEndian.PutUint32(b[8:], 13); return b[:25] },
			record.ErrLength, "CORRUPT_MESSAGE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, p := leader(t, nil)
			w := &countWaiter{}
			p.Park(w)
			_, err := p.Append(tc.mangle(produce(t, batchOpts{}, "a", "b")), 1)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v (%s)", err, tc.want, tc.kafka)
			}
			if hw, leo := p.HighWatermark(), p.Log().LogEndOffset(); hw != 0 || leo != 0 {
				t.Errorf("HW %d, LEO %d after a rejected batch; want 0, 0", hw, leo)
			}
			if n := w.n.Load(); n != 0 {
				t.Errorf("waiter notified %d times by a rejected batch", n)
			}
			// The partition still takes good batches.
			if res, err := p.Append(produce(t, batchOpts{}, "ok"), 1); err != nil || res.FirstOffset != 0 {
				t.Errorf("good batch after a bad one: offset %d, err %v", res.FirstOffset, err)
			}
		})
	}
}

// fixCRC recomputes a batch's CRC after its header was edited.
func fixCRC(b []byte) []byte {
	binary.BigEndian.PutUint32(b[17:], record.ComputeCRC(b))
	return b
}

func TestAppendMinInsyncReplicas(t *testing.T) {
	_, p := leader(t, map[string]string{"min.insync.replicas": "2"})
	// acks=all needs two in-sync replicas; this partition has one.
	if _, err := p.Append(produce(t, batchOpts{}, "a"), -1); !errors.Is(err, replica.ErrNotEnoughReplicas) {
		t.Fatalf("acks=-1: err = %v, want ErrNotEnoughReplicas", err)
	}
	if leo := p.Log().LogEndOffset(); leo != 0 {
		t.Errorf("LEO %d after a refused acks=-1 append, want 0", leo)
	}
	// acks=1 and acks=0 do not wait for the ISR.
	for i, acks := range []int16{1, 0} {
		res, err := p.Append(produce(t, batchOpts{}, "a"), acks)
		if err != nil || res.FirstOffset != int64(i) {
			t.Errorf("acks=%d: offset %d, err %v; want %d, nil", acks, res.FirstOffset, err, i)
		}
	}

	_, p = leader(t, nil) // min.insync.replicas=1
	if _, err := p.Append(produce(t, batchOpts{}, "a"), -1); err != nil {
		t.Errorf("acks=-1 with min.insync.replicas=1: %v", err)
	}
}

func TestAppendCompactedTopicNeedsKeys(t *testing.T) {
	_, p := leader(t, map[string]string{"cleanup.policy": "compact"})
	_, err := p.Append(produce(t, batchOpts{}, "a", "b"), 1)
	if !errors.Is(err, record.ErrNoKey) {
		t.Fatalf("unkeyed records on a compacted topic: err = %v, want ErrNoKey (INVALID_RECORD)", err)
	}
	var re *record.RecordsError
	if !errors.As(err, &re) || len(re.Records) != 2 || re.Records[0].Index != 0 || re.Records[1].Index != 1 {
		t.Fatalf("err = %#v, want a RecordsError for records 0 and 1", err)
	}
	res, err := p.Append(produce(t, batchOpts{keyPrefix: "k"}, "a", "b"), 1)
	if err != nil || res.LastOffset != 1 {
		t.Errorf("keyed records: last offset %d, err %v; want 1, nil", res.LastOffset, err)
	}
}

func TestAppendTimestampBoundsFollowTheClock(t *testing.T) {
	e, p := leader(t, map[string]string{"message.timestamp.before.max.ms": "60000"})
	// message.timestamp.after.max.ms is Kafka 4's default, one hour.
	future := t0ms + time.Hour.Milliseconds() + 1
	_, err := p.Append(produce(t, batchOpts{firstTs: future}, "a"), 1)
	if !errors.Is(err, record.ErrInvalidTimestamp) {
		t.Fatalf("timestamp 1h+1ms ahead: err = %v, want ErrInvalidTimestamp (INVALID_TIMESTAMP)", err)
	}
	e.clk.Advance(time.Millisecond)
	if _, err := p.Append(produce(t, batchOpts{firstTs: future}, "a"), 1); err != nil {
		t.Fatalf("timestamp exactly 1h ahead once the clock moved: %v", err)
	}
	// message.timestamp.before.max.ms=60000: a minute back is the limit.
	now := t0ms + 1
	if _, err := p.Append(produce(t, batchOpts{firstTs: now - 60000}, "a"), 1); err != nil {
		t.Fatalf("timestamp 60s back: %v", err)
	}
	if _, err := p.Append(produce(t, batchOpts{firstTs: now - 60001}, "a"), 1); !errors.Is(err, record.ErrInvalidTimestamp) {
		t.Fatalf("timestamp 60.001s back: err = %v, want ErrInvalidTimestamp", err)
	}
	if leo := p.Log().LogEndOffset(); leo != 2 {
		t.Errorf("LEO %d, want 2", leo)
	}
}

func TestAppendLogAppendTime(t *testing.T) {
	e, p := leader(t, map[string]string{"message.timestamp.type": "LogAppendTime"})
	// Producer timestamps are not checked: the broker replaces them.
	res, err := p.Append(produce(t, batchOpts{firstTs: 1}, "a", "b"), 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.LogAppendTime != t0ms {
		t.Errorf("LogAppendTime = %d, want the clock's %d", res.LogAppendTime, t0ms)
	}
	e.clk.Advance(5 * time.Second)
	res, err = p.Append(produce(t, batchOpts{}, "c"), 1)
	if err != nil || res.LogAppendTime != t0ms+5000 {
		t.Errorf("second append: LogAppendTime %d, err %v; want %d", res.LogAppendTime, err, t0ms+5000)
	}
	bs := readStored(t, p, 0)
	for i, want := range []int64{t0ms, t0ms + 5000} {
		if !bs[i].h.LogAppendTime() || bs[i].h.MaxTimestamp != want {
			t.Errorf("batch %d: LogAppendTime type %v, max timestamp %d; want true, %d", i, bs[i].h.LogAppendTime(), bs[i].h.MaxTimestamp, want)
		}
	}
}

func TestAppendRewritesWrongMaxTimestamp(t *testing.T) {
	_, p := leader(t, nil)
	recs := []record.Record{
		{OffsetDelta: 0, TimestampDelta: 0, Value: []byte("a")},
		{OffsetDelta: 1, TimestampDelta: 70, Value: []byte("b")},
		{OffsetDelta: 2, TimestampDelta: 30, Value: []byte("c")},
	}
	b := produceRecords(t, batchOpts{}, recs)
	record.SetCreateTime(b, t0ms+5) // the header disagrees with the records
	if _, err := p.Append(b, 1); err != nil {
		t.Fatal(err)
	}
	bs := readStored(t, p, 0)
	if got := bs[0].h.MaxTimestamp; got != t0ms+70 {
		t.Errorf("stored max timestamp %d, want %d (the largest record timestamp)", got, t0ms+70)
	}
}

func TestAppendFlushNeeded(t *testing.T) {
	_, p := leader(t, map[string]string{"flush.messages": "3"})
	for i, tc := range []struct {
		values []string
		want   bool
	}{{[]string{"a"}, false}, {[]string{"b"}, false}, {[]string{"c"}, true}} {
		res, err := p.Append(produce(t, batchOpts{}, tc.values...), 1)
		if err != nil || res.FlushNeeded != tc.want {
			t.Errorf("append %d: FlushNeeded %v, err %v; want %v", i, res.FlushNeeded, err, tc.want)
		}
	}
	if err := p.Log().Flush(3); err != nil {
		t.Fatal(err)
	}
	if res, err := p.Append(produce(t, batchOpts{}, "d"), 1); err != nil || res.FlushNeeded {
		t.Errorf("append after a flush: FlushNeeded %v, err %v; want false", res.FlushNeeded, err)
	}
}

func TestAppendIdempotentProducer(t *testing.T) {
	_, p := leader(t, nil)
	w := &countWaiter{}
	p.Park(w)
	const pid = 7

	first := produce(t, batchOpts{pid: pid, seq: 0}, "a", "b", "c")
	retry := slices.Clone(first)
	res, err := p.Append(first, -1)
	if err != nil || res.FirstOffset != 0 || res.LastOffset != 2 || res.Duplicate {
		t.Fatalf("first batch: %+v, %v", res.AppendInfo, err)
	}

	// A retry of the same batch is answered with its original offsets
	// and appends nothing: no new data, so no wake-up.
	res, err = p.Append(retry, -1)
	if err != nil || !res.Duplicate || res.FirstOffset != 0 || res.LastOffset != 2 {
		t.Fatalf("retry: %+v, %v; want a duplicate of 0..2", res.AppendInfo, err)
	}
	if hw, leo, n := p.HighWatermark(), p.Log().LogEndOffset(), w.n.Load(); hw != 3 || leo != 3 || n != 1 {
		t.Errorf("after the retry: HW %d, LEO %d, notifications %d; want 3, 3, 1", hw, leo, n)
	}

	// A gap in the sequence.
	if _, err := p.Append(produce(t, batchOpts{pid: pid, seq: 5}, "x"), -1); !errors.Is(err, vlog.ErrOutOfOrderSequence) {
		t.Errorf("sequence 5 after 2: err = %v, want ErrOutOfOrderSequence", err)
	}
	res, err = p.Append(produce(t, batchOpts{pid: pid, seq: 3, firstTs: t0ms + 10}, "d", "e"), -1)
	if err != nil || res.FirstOffset != 3 || res.LastOffset != 4 {
		t.Fatalf("sequence 3: %+v, %v; want offsets 3..4", res.AppendInfo, err)
	}
	want := []vlog.ProducerInfo{{ID: pid, Epoch: 0, LastSequence: 4, LastTimestamp: t0ms + 11, TxnStartOffset: -1}}
	if got := p.Producers(); !slices.Equal(got, want) {
		t.Errorf("Producers() = %+v, want %+v", got, want)
	}

	// A bumped epoch starts over at 0 and fences the old epoch.
	if _, err := p.Append(produce(t, batchOpts{pid: pid, epoch: 1, seq: 0}, "f"), -1); err != nil {
		t.Fatalf("epoch 1: %v", err)
	}
	if _, err := p.Append(produce(t, batchOpts{pid: pid, epoch: 0, seq: 5}, "g"), -1); !errors.Is(err, vlog.ErrInvalidProducerEpoch) {
		t.Errorf("old epoch: err = %v, want ErrInvalidProducerEpoch", err)
	}
	// A second producer is tracked separately, sorted by id.
	if _, err := p.Append(produce(t, batchOpts{pid: 3, seq: 0}, "h"), -1); err != nil {
		t.Fatal(err)
	}
	got := p.Producers()
	if len(got) != 2 || got[0].ID != 3 || got[1].ID != pid || got[1].Epoch != 1 || got[1].LastSequence != 0 {
		t.Errorf("Producers() = %+v, want producer 3, then %d at epoch 1 sequence 0", got, pid)
	}
	if hw := p.HighWatermark(); hw != 7 {
		t.Errorf("HW = %d, want 7", hw)
	}
}

func TestEndOffsetForEpoch(t *testing.T) {
	e, p := leader(t, nil)
	type answer struct {
		end   int64
		epoch int32
	}
	check := func(when string, want map[int32]answer) {
		t.Helper()
		for epoch, w := range want {
			end, found := p.EndOffsetForEpoch(epoch)
			if end != w.end || found != w.epoch {
				t.Errorf("%s: EndOffsetForEpoch(%d) = (%d, %d), want (%d, %d)", when, epoch, end, found, w.end, w.epoch)
			}
		}
	}
	// A new leader at epoch 0 with an empty log: epoch 0 has started
	// at 0 and ends at the log end.
	check("empty", map[int32]answer{0: {0, 0}, 1: {-1, -1}, -1: {-1, -1}})

	if _, err := p.Append(produce(t, batchOpts{}, "a", "b", "c"), 1); err != nil {
		t.Fatal(err)
	}
	check("3 records at epoch 0", map[int32]answer{0: {3, 0}, 1: {-1, -1}})

	// Leader epoch 2 before its first batch: it counts as started at the
	// log end, so epoch 0 (and the unknown epoch 1) end there.
	id := topicID(1)
	e.mustApply(newLeader(id, 0, 2))
	check("epoch 2, no batch yet", map[int32]answer{0: {3, 0}, 1: {3, 0}, 2: {3, 2}, 3: {-1, -1}})

	if _, err := p.Append(produce(t, batchOpts{}, "d", "e"), 1); err != nil {
		t.Fatal(err)
	}
	check("2 records at epoch 2", map[int32]answer{0: {3, 0}, 1: {3, 0}, 2: {5, 2}, 3: {-1, -1}})
}

func TestDeleteRecordsBefore(t *testing.T) {
	_, p := leader(t, nil)
	for range 2 {
		if _, err := p.Append(produce(t, batchOpts{}, "a", "b", "c", "d", "e"), 1); err != nil {
			t.Fatal(err)
		}
	}
	w := &countWaiter{}
	p.Park(w)

	for _, off := range []int64{11, -2} {
		if _, err := p.DeleteRecordsBefore(off); !errors.Is(err, vlog.ErrOffsetOutOfRange) {
			t.Errorf("DeleteRecordsBefore(%d) with HW 10: err = %v, want ErrOffsetOutOfRange", off, err)
		}
	}
	if n := w.n.Load(); n != 0 {
		t.Errorf("waiter notified %d times by refused deletes", n)
	}
	for _, tc := range []struct{ offset, want int64 }{
		{4, 4},
		{2, 4},   // below the log start: nothing moves
		{-1, 10}, // -1 is the high watermark
	} {
		got, err := p.DeleteRecordsBefore(tc.offset)
		if err != nil || got != tc.want || p.Log().LogStartOffset() != tc.want {
			t.Errorf("DeleteRecordsBefore(%d) = %d, %v (log start %d); want %d", tc.offset, got, err, p.Log().LogStartOffset(), tc.want)
		}
	}
	// Every successful call wakes parked fetches (their offsets may now be
	// out of range).
	if n := w.n.Load(); n != 3 {
		t.Errorf("waiter notified %d times, want 3", n)
	}
	if hw := p.HighWatermark(); hw != 10 {
		t.Errorf("HW = %d, want 10", hw)
	}
}

func TestConcurrentAppends(t *testing.T) {
	_, p := leader(t, nil)
	const writers, batches = 8, 25
	offsets := make([][]int64, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range batches {
				res, err := p.Append(produce(t, batchOpts{}, "a", "b"), 1)
				if err != nil {
					t.Error(err)
					return
				}
				if res.LastOffset != res.FirstOffset+1 {
					t.Errorf("batch of 2 got offsets %d..%d", res.FirstOffset, res.LastOffset)
				}
				offsets[w] = append(offsets[w], res.FirstOffset)
			}
		}()
	}
	wg.Wait()
	var all []int64
	for w, offs := range offsets {
		if !slices.IsSorted(offs) {
			t.Errorf("writer %d: offsets not increasing: %v", w, offs)
		}
		all = append(all, offs...)
	}
	slices.Sort(all)
	for i, off := range all {
		if off != int64(2*i) {
			t.Fatalf("batch %d starts at %d, want %d (offsets must be dense and unique)", i, off, 2*i)
		}
	}
	if hw, leo := p.HighWatermark(), p.Log().LogEndOffset(); hw != 2*writers*batches || leo != hw {
		t.Errorf("HW %d, LEO %d; want %d", hw, leo, 2*writers*batches)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
