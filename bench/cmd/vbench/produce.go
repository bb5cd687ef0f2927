package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// produceSpec describes one producer run.
type produceSpec struct {
	topic   string
	size    int   // bytes of value per record (no key)
	count   int64 // records to produce
	acksAll bool  // acks=all with the idempotent producer; else acks=1, idempotence off
	linger  time.Duration
	// partitionOf, when set, places record i explicitly; otherwise kgo's
	// default (sticky, uniform bytes) partitioner spreads records.
	partitionOf func(i int64) int32
}

// produceResult is what a producer run achieved.
type produceResult struct {
	records  int64         // acknowledged records
	bytes    int64         // acknowledged value bytes
	elapsed  time.Duration // from the first Produce call until every promise ran
	lat      *hist         // per record, Produce call to promise
	timedOut bool          // stopped early at the phase deadline
}

// producerOpts are the kgo options every benchmark producer uses.
func producerOpts(addr string, s produceSpec) []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(addr),
		kgo.DefaultProduceTopic(s.topic),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerLinger(s.linger),
		kgo.MaxBufferedRecords(500_000),
		kgo.MaxBufferedBytes(128 << 20),
	}
	if s.partitionOf != nil {
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	if !s.acksAll {
		// acks=1 needs idempotence off; 5 in flight matches Kafka's producer default.
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(),
			kgo.MaxProduceRequestsInflightPerBroker(5))
	}
	return opts
}

// payload returns size bytes of incompressible-looking filler.
func payload(size int) []byte {
	b := make([]byte, size)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// producer tracks the promises of one producer run.
type producer struct {
	lat      hist
	acked    atomic.Int64
	failed   atomic.Int64
	firstErr atomic.Pointer[error]
	pool     sync.Pool
}

// promise is the kgo callback for every record: it records the latency
// since the Produce call (kept in the record's Timestamp, which kgo leaves
// alone when set) and recycles the record.
func (p *producer) promise(r *kgo.Record, err error) {
	if err != nil {
		p.failed.Add(1)
		p.firstErr.CompareAndSwap(nil, &err)
	} else {
		p.lat.record(time.Since(r.Timestamp))
		p.acked.Add(1)
	}
	*r = kgo.Record{}
	p.pool.Put(r)
}

func (p *producer) record() *kgo.Record {
	if r, ok := p.pool.Get().(*kgo.Record); ok {
		return r
	}
	return new(kgo.Record)
}

// produce runs spec against the broker at addr, stopping early at deadline.
func produce(ctx context.Context, addr string, s produceSpec, deadline time.Time) (produceResult, error) {
	cl, err := kgo.NewClient(producerOpts(addr, s)...)
	if err != nil {
		return produceResult{}, fmt.Errorf("creating producer: %w", err)
	}
	defer cl.Close()
	p := &producer{}
	val := payload(s.size)
	res := produceResult{lat: &p.lat}
	t0 := time.Now()
	var i int64
	for ; i < s.count && ctx.Err() == nil; i++ {
		if i&1023 == 0 && time.Now().After(deadline) {
			res.timedOut = true
			break
		}
		r := p.record()
		r.Value, r.Timestamp = val, time.Now()
		if s.partitionOf != nil {
			r.Partition = s.partitionOf(i)
		}
		cl.Produce(ctx, r, p.promise)
	}
	fctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := cl.Flush(fctx); err != nil {
		return res, fmt.Errorf("flushing producer: %w", err)
	}
	res.elapsed = time.Since(t0)
	res.records = p.acked.Load()
	res.bytes = res.records * int64(s.size)
	if n := p.failed.Load(); n > 0 {
		return res, fmt.Errorf("%d of %d records failed, first: %w", n, i, *p.firstErr.Load())
	}
	return res, ctx.Err()
}
