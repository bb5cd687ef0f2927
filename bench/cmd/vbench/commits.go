package main

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The offset-commit scenario: commitClients clients, each with
// commitInflight synchronous committers sharing its connection, commit
// one partition's offset per OffsetCommit request for commitTime (scaled).
const (
	commitClients  = 10
	commitInflight = 5 // Kafka's default max.in.flight.requests.per.connection
	commitTime     = 5 * time.Second
	commitMinTime  = 200 * time.Millisecond
)

// offsetCommitsPhase measures committed offsets per second. Each committer
// owns one partition and commits 1, 2, 3, ... to it as a standalone
// (generation -1) commit of the group; afterwards OffsetFetch must return,
// for every partition, the last offset whose commit was acknowledged.
func offsetCommitsPhase(c *config) phase {
	d := max(commitMinTime, time.Duration(float64(commitTime)*c.scale))
	title := fmt.Sprintf("offset commits for %v, %d clients with %d in flight each, one partition offset per OffsetCommit",
		d, commitClients, commitInflight)
	return phase{"offset-commits", title, func(e *env) ([]metric, error) {
		return e.offsetCommits(d)
	}}
}

// committer is one synchronous stream of commits to one partition.
type committer struct {
	cl    *kgo.Client
	topic string
	id    [16]byte // the topic's ID, which OffsetCommit v10+ names it by
	part  int32
	last  int64 // the last acknowledged offset
}

func (e *env) offsetCommits(d time.Duration) ([]metric, error) {
	const topic = "offset-commits"
	parts := commitClients * commitInflight
	if err := e.ensureTopic(topic, parts); err != nil {
		return nil, err
	}
	clients, err := memberClients(e.ctx, e.b.addr(), commitClients)
	if err != nil {
		return nil, err
	}
	defer closeClients(clients)
	id, err := topicID(e.ctx, clients[0], topic)
	if err != nil {
		return nil, err
	}
	cs := make([]*committer, parts)
	for i := range cs {
		cs[i] = &committer{cl: clients[i/commitInflight], topic: topic, id: id, part: int32(i)}
		if err := cs[i].commit(e.ctx); err != nil { // unmeasured: the group and the path warm up
			return nil, fmt.Errorf("warm-up commit: %w", err)
		}
	}
	u, err := startUsage(e.b.pid())
	if err != nil {
		return nil, err
	}
	var h hist
	n, elapsed, err := runCommitters(e.ctx, cs, time.Now().Add(min(d, time.Until(e.deadline))), &h)
	if err != nil {
		return nil, err
	}
	cpu, peak, err := u.finish()
	if err != nil {
		return nil, err
	}
	if err := checkCommitted(e.ctx, clients[0], topic, cs); err != nil {
		return nil, err
	}
	out := []metric{
		{Name: "commits", Unit: "count", Value: float64(n)},
		{Name: "throughput", Unit: "commits/s", Better: higher, Value: perSec(n, elapsed)},
	}
	out = append(out, latency("commit latency", &h, false)...)
	return append(out,
		metric{Name: "broker CPU", Unit: "µs/commit", Better: lower, Value: float64(cpu.Microseconds()) / float64(max(n, 1))},
		metric{Name: "broker peak RSS", Unit: "MB", Better: lower, Value: float64(peak) / mb}), nil
}

// runCommitters runs every committer until end and returns the number of
// acknowledged commits and how long they took.
func runCommitters(ctx context.Context, cs []*committer, end time.Time, h *hist) (int64, time.Duration, error) {
	var (
		n     atomic.Int64
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
	)
	t0 := time.Now()
	for _, c := range cs {
		wg.Go(func() {
			for time.Now().Before(end) {
				s := time.Now()
				if err := c.commit(ctx); err != nil {
					errMu.Lock()
					first = cmp.Or(first, err)
					errMu.Unlock()
					return
				}
				h.record(time.Since(s))
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return n.Load(), time.Since(t0), first
}

// commit sends the next offset of c's partition and waits for the answer.
func (c *committer) commit(ctx context.Context) error {
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group, req.Generation, req.MemberID = benchGroup, -1, ""
	p := kmsg.NewOffsetCommitRequestTopicPartition()
	p.Partition, p.Offset = c.part, c.last+1
	t := kmsg.NewOffsetCommitRequestTopic()
	t.Topic, t.TopicID, t.Partitions = c.topic, c.id, []kmsg.OffsetCommitRequestTopicPartition{p}
	req.Topics = []kmsg.OffsetCommitRequestTopic{t}
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return fmt.Errorf("OffsetCommit: %w", err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return fmt.Errorf("OffsetCommit: answer for %d topics, want one partition", len(resp.Topics))
	}
	if err := kerr.ErrorForCode(resp.Topics[0].Partitions[0].ErrorCode); err != nil {
		return fmt.Errorf("OffsetCommit of partition %d: %w", c.part, err)
	}
	c.last++
	return nil
}

// checkCommitted verifies that the group's committed offsets are the last
// ones each committer had acknowledged.
func checkCommitted(ctx context.Context, cl *kgo.Client, topic string, cs []*committer) error {
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = benchGroup
	t := kmsg.NewOffsetFetchRequestTopic()
	t.Topic = topic
	for _, c := range cs {
		t.Partitions = append(t.Partitions, c.part)
	}
	req.Topics = []kmsg.OffsetFetchRequestTopic{t}
	resp, err := req.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
	}
	if err != nil {
		return fmt.Errorf("OffsetFetch: %w", err)
	}
	got := map[int32]int64{}
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			got[rp.Partition] = rp.Offset
		}
	}
	for _, c := range cs {
		if got[c.part] != c.last {
			return fmt.Errorf("partition %d: committed offset %d, want the last acknowledged %d", c.part, got[c.part], c.last)
		}
	}
	return nil
}

// topicID asks the broker for topic's ID.
func topicID(ctx context.Context, cl *kgo.Client, topic string) ([16]byte, error) {
	req := kmsg.NewPtrMetadataRequest()
	t := kmsg.NewMetadataRequestTopic()
	t.Topic = kmsg.StringPtr(topic)
	req.Topics = []kmsg.MetadataRequestTopic{t}
	resp, err := req.RequestWith(ctx, cl)
	if err == nil && len(resp.Topics) != 1 {
		err = fmt.Errorf("answer for %d topics", len(resp.Topics))
	}
	if err == nil {
		err = kerr.ErrorForCode(resp.Topics[0].ErrorCode)
	}
	if err != nil {
		return [16]byte{}, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	return resp.Topics[0].TopicID, nil
}
