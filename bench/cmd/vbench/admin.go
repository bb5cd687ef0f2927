package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// pollEvery is how often readiness is retried; it bounds the error of the
// measured startup and restart times.
const pollEvery = 5 * time.Millisecond

// newAdmin returns an admin client for the broker at addr.
func newAdmin(addr string, opts ...kgo.Opt) (*kadm.Client, error) {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("creating client: %w", err)
	}
	return kadm.NewClient(cl), nil
}

// topicReady reports whether md lists topic with parts partitions, each with
// a leader.
func topicReady(md kadm.Metadata, topic string, parts int) bool {
	td, ok := md.Topics[topic]
	if !ok || td.Err != nil || len(td.Partitions) != parts {
		return false
	}
	for _, p := range td.Partitions {
		if p.Err != nil || p.Leader < 0 {
			return false
		}
	}
	return true
}

// waitReady polls the broker until a Metadata request answers (and, when
// topic is set, lists it with parts partitions that all have a leader). It
// fails early if the process exits, and after timeout.
func waitReady(ctx context.Context, b *broker, topic string, parts int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if err := b.exitedErr(); err != nil {
			return err
		}
		if last = tryMetadata(ctx, b.addr(), topic, parts); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollEvery):
		}
	}
	return fmt.Errorf("%s on %s not ready after %v: %w%s", b.kind.name, b.addr(), timeout, last, b.logTail())
}

// tryMetadata makes one readiness attempt with a fresh client, so that no
// client-side backoff adds to the measured time.
func tryMetadata(ctx context.Context, addr, topic string, parts int) error {
	conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
	if err != nil {
		return fmt.Errorf("dialing: %w", err)
	}
	conn.Close()
	adm, err := newAdmin(addr, kgo.RequestRetries(0), kgo.DialTimeout(time.Second))
	if err != nil {
		return err
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var topics []string
	if topic != "" {
		topics = []string{topic}
	}
	md, err := adm.Metadata(ctx, topics...)
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	if topic != "" && !topicReady(md, topic, parts) {
		return fmt.Errorf("topic %s not ready", topic)
	}
	return nil
}

// createTopic creates topic with parts partitions (replication factor 1)
// and waits until every partition has a leader.
func createTopic(ctx context.Context, b *broker, topic string, parts int, configs map[string]*string) error {
	adm, err := newAdmin(b.addr())
	if err != nil {
		return err
	}
	defer adm.Close()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := adm.CreateTopic(cctx, int32(parts), 1, configs, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return fmt.Errorf("creating topic %s: %w %s", topic, err, resp.ErrMessage)
	}
	return waitReady(ctx, b, topic, parts, 30*time.Second)
}

// endOffsets returns the end offset of each partition of topic.
func endOffsets(ctx context.Context, addr, topic string) (map[int32]int64, error) {
	adm, err := newAdmin(addr)
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	lo, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = lo.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("listing end offsets of %s: %w", topic, err)
	}
	out := map[int32]int64{}
	lo.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out, nil
}
