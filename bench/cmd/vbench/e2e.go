package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// e2eSpec describes an end-to-end latency run: records produced at a fixed
// rate and timed from just before the Produce call until a consumer polling
// the same topic receives them.
type e2eSpec struct {
	topic string
	parts int
	size  int // at least 9: a monotonic send time and a "measured" flag
	rate  int // records per second
	count int64
	warm  int64 // unmeasured records first, to open connections
}

// e2eResult is what an end-to-end run saw.
type e2eResult struct {
	lat      *hist
	received int64   // measured records received
	rate     float64 // achieved send rate, records/s
}

// e2eConsumer counts and times records as they arrive.
type e2eConsumer struct {
	base time.Time // send times are offsets from base (monotonic)
	lat  hist
	warm atomic.Int64 // unmeasured records received
	meas atomic.Int64 // measured records received
}

// run polls until want records (warm-up included) arrived or ctx ends.
func (c *e2eConsumer) run(ctx context.Context, cl *kgo.Client, want int64) error {
	for c.warm.Load()+c.meas.Load() < want {
		fs := cl.PollFetches(ctx)
		now := time.Since(c.base)
		if ctx.Err() != nil {
			return fmt.Errorf("end-to-end consumer: %w", ctx.Err())
		}
		if err := fs.Err(); err != nil {
			return fmt.Errorf("end-to-end consumer: %w", err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if len(r.Value) < 9 || r.Value[8] == 0 {
				c.warm.Add(1)
				return
			}
			sent := time.Duration(binary.LittleEndian.Uint64(r.Value))
			c.lat.record(now - sent)
			c.meas.Add(1)
		})
	}
	return nil
}

// e2e runs spec against the broker at addr.
func e2e(ctx context.Context, addr string, s e2eSpec) (e2eResult, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(s.count/int64(s.rate))*time.Second+time.Minute)
	defer cancel()
	ccl, err := kgo.NewClient(consumerOpts(addr, s.topic, s.parts)...)
	if err != nil {
		return e2eResult{}, fmt.Errorf("creating consumer: %w", err)
	}
	defer ccl.Close()
	pcl, err := kgo.NewClient(producerOpts(addr, produceSpec{topic: s.topic, acksAll: true})...)
	if err != nil {
		return e2eResult{}, fmt.Errorf("creating producer: %w", err)
	}
	defer pcl.Close()
	c := &e2eConsumer{base: time.Now()}
	done := make(chan error, 1)
	go func() { done <- c.run(ctx, ccl, s.warm+s.count) }()
	res := e2eResult{lat: &c.lat}
	if err := e2eWarmup(ctx, pcl, c, s); err != nil {
		return res, err
	}
	t0 := time.Now()
	if err := e2eSend(ctx, pcl, c.base, s); err != nil {
		return res, err
	}
	res.rate = float64(s.count) / time.Since(t0).Seconds()
	err = <-done
	res.received = c.meas.Load()
	return res, err
}

// e2eWarmup sends the unmeasured records and waits until they arrive.
func e2eWarmup(ctx context.Context, cl *kgo.Client, c *e2eConsumer, s e2eSpec) error {
	for range s.warm {
		cl.Produce(ctx, &kgo.Record{Value: make([]byte, s.size)}, nil)
	}
	if err := cl.Flush(ctx); err != nil {
		return fmt.Errorf("warm-up produce: %w", err)
	}
	for c.warm.Load() < s.warm {
		select {
		case <-ctx.Done():
			return fmt.Errorf("warm-up: %d of %d records arrived: %w", c.warm.Load(), s.warm, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

// e2eSend produces s.count measured records at s.rate. When the sender
// falls behind (sleep granularity), it sends every record that is due.
func e2eSend(ctx context.Context, cl *kgo.Client, base time.Time, s e2eSpec) error {
	var failed atomic.Pointer[error]
	promise := func(_ *kgo.Record, err error) {
		if err != nil {
			failed.CompareAndSwap(nil, &err)
		}
	}
	interval := time.Second / time.Duration(s.rate)
	start := time.Now()
	for i := range s.count {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		v := make([]byte, s.size)
		binary.LittleEndian.PutUint64(v, uint64(time.Since(base)))
		v[8] = 1
		cl.Produce(ctx, &kgo.Record{Value: v}, promise)
	}
	if err := cl.Flush(ctx); err != nil {
		return fmt.Errorf("end-to-end produce: %w", err)
	}
	if e := failed.Load(); e != nil {
		return fmt.Errorf("end-to-end produce: %w", *e)
	}
	return nil
}
