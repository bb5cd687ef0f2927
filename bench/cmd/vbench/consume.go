package main

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Fetch sizes for the throughput consumer: large, so that the broker, not
// the request rate, sets the pace.
const (
	fetchMaxBytes     = 64 << 20
	fetchMaxPartBytes = 16 << 20
)

// consumeResult is what a consumer run achieved.
type consumeResult struct {
	records  int64
	bytes    int64 // value bytes
	elapsed  time.Duration
	timedOut bool
}

// consumerOpts reads every partition of topic from offset 0.
func consumerOpts(addr, topic string, parts int) []kgo.Opt {
	offsets := make(map[int32]kgo.Offset, parts)
	for p := range parts {
		offsets[int32(p)] = kgo.NewOffset().At(0)
	}
	return []kgo.Opt{
		kgo.SeedBrokers(addr),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}),
		kgo.FetchMaxBytes(fetchMaxBytes),
		kgo.FetchMaxPartitionBytes(fetchMaxPartBytes),
	}
}

// consume reads topic from offset 0 until want records arrived or deadline.
func consume(ctx context.Context, addr, topic string, parts int, want int64, deadline time.Time) (consumeResult, error) {
	cl, err := kgo.NewClient(consumerOpts(addr, topic, parts)...)
	if err != nil {
		return consumeResult{}, fmt.Errorf("creating consumer: %w", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var res consumeResult
	t0 := time.Now()
	for res.records < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			res.timedOut = true
			break
		}
		if err := fs.Err(); err != nil {
			return res, fmt.Errorf("fetching %s: %w", topic, err)
		}
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			res.records += int64(len(p.Records))
			for _, r := range p.Records {
				res.bytes += int64(len(r.Value))
			}
		})
	}
	res.elapsed = time.Since(t0)
	return res, nil
}
