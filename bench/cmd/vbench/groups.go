package main

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Sizes of the group scenarios. The member and partition counts do not
// scale; -scale sets the number of measured rebalances and the length of
// the commit phase.
const (
	groupMembers   = 100                    // members of the stable group before one more joins
	groupParts     = 1000                   // partitions of the topic the group consumes
	rebalanceReps  = 5                      // measured joins at -scale 1; the p50 is reported
	groupHeartbeat = 100 * time.Millisecond // how often every member heartbeats
	groupSession   = 10 * time.Second       // session.timeout.ms of classic members
	groupRebalance = 30 * time.Second       // rebalance.timeout.ms of every member
	groupWait      = 60 * time.Second       // bound on forming the group and on one rebalance
)

// rebalancer is one group protocol as the rebalance scenarios drive it:
// members are started and stopped by index, and settled reports when
// exactly n members hold their share of the topic.
type rebalancer interface {
	// start launches member i, whose client is already connected.
	start(ctx context.Context, i int, cl *kgo.Client)
	// stop makes member i leave the group and waits until it has.
	stop(i int) error
	// settled waits until members 0..n-1, and no others, hold a complete
	// assignment that no earlier call returned, and returns when the last
	// of them received its part.
	settled(ctx context.Context, n int) (time.Time, error)
	// close stops every member without leaving.
	close()
}

// rebalanceResult is what one broker did in a rebalance scenario.
type rebalanceResult struct {
	formed time.Duration   // from starting 100 members until they all held their share
	settle []time.Duration // per measured join, until every member held its new share
}

// rebalancePhase is a rebalance scenario over a fresh 1,000-partition
// topic; newProto returns the protocol, or nil after a note saying why
// the broker cannot run it (the scenario then reports no metrics: n/a).
func rebalancePhase(c *config, name, title string, newProto func(e *env, topic string) (rebalancer, error)) phase {
	reps := int(max(1, math.Round(rebalanceReps*min(1, c.scale))))
	title = fmt.Sprintf("%s, %d members over %d partitions, one more joins (%d times)", title, groupMembers, groupParts, reps)
	return phase{name, title, func(e *env) ([]metric, error) {
		if err := e.ensureTopic(name, groupParts); err != nil {
			return nil, err
		}
		proto, err := newProto(e, name)
		if err != nil || proto == nil {
			return nil, err
		}
		defer proto.close()
		res, err := measureRebalances(e, proto, reps)
		if err != nil {
			return nil, err
		}
		return rebalanceMetrics(res), nil
	}}
}

// measureRebalances forms the group, then reps times lets member 100 join,
// times until the group has settled, and lets it leave again (untimed).
func measureRebalances(e *env, proto rebalancer, reps int) (rebalanceResult, error) {
	var res rebalanceResult
	clients, err := memberClients(e.ctx, e.b.addr(), groupMembers+1)
	if err != nil {
		return res, err
	}
	defer closeClients(clients)
	ctx, cancel := context.WithDeadline(e.ctx, e.deadline.Add(groupWait))
	defer cancel()
	t0 := time.Now()
	for i := range groupMembers {
		proto.start(ctx, i, clients[i])
	}
	at, err := proto.settled(ctx, groupMembers)
	if err != nil {
		return res, fmt.Errorf("forming the group of %d: %w", groupMembers, err)
	}
	res.formed = at.Sub(t0)
	for r := range reps {
		t0 := time.Now()
		proto.start(ctx, groupMembers, clients[groupMembers])
		at, err := proto.settled(ctx, groupMembers+1)
		if err != nil {
			return res, fmt.Errorf("join %d: %w", r+1, err)
		}
		res.settle = append(res.settle, at.Sub(t0))
		if err := proto.stop(groupMembers); err != nil {
			return res, err
		}
		if _, err := proto.settled(ctx, groupMembers); err != nil {
			return res, fmt.Errorf("after the leave of join %d: %w", r+1, err)
		}
	}
	return res, nil
}

// rebalanceMetrics is the p50 and max settle time and the formation time.
func rebalanceMetrics(res rebalanceResult) []metric {
	s := slices.Clone(res.settle)
	slices.Sort(s)
	return []metric{
		{Name: "members", Unit: "count", Value: groupMembers + 1},
		{Name: "heartbeat interval", Unit: "ms", Value: ms(groupHeartbeat)},
		{Name: "settle after join p50", Unit: "ms", Better: lower, Value: ms(s[(len(s)-1)/2])},
		{Name: "settle after join max", Unit: "ms", Better: lower, Value: ms(s[len(s)-1])},
		{Name: "form group of 100", Unit: "ms", Better: lower, Value: ms(res.formed)},
	}
}

// memberClients connects n clients to the broker and to the group
// coordinator (through a DescribeGroups request, which franz-go routes
// there), so that connection setup is not part of any measured time.
func memberClients(ctx context.Context, addr string, n int) ([]*kgo.Client, error) {
	out := make([]*kgo.Client, 0, n)
	for range n {
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
		if err != nil {
			closeClients(out)
			return nil, fmt.Errorf("creating client: %w", err)
		}
		out = append(out, cl)
		req := kmsg.NewPtrDescribeGroupsRequest()
		req.Groups = []string{benchGroup}
		if _, err := req.RequestWith(ctx, cl); err != nil {
			closeClients(out)
			return nil, fmt.Errorf("connecting to the group coordinator: %w", err)
		}
	}
	return out, nil
}

// benchGroup is the group every group scenario uses; each runs on a fresh
// broker.
const benchGroup = "vbench"

func closeClients(cls []*kgo.Client) {
	for _, cl := range cls {
		cl.Close()
	}
}

// supportsKey reports whether the broker's ApiVersions lists key.
func supportsKey(ctx context.Context, addr string, key int16) (bool, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return false, fmt.Errorf("creating client: %w", err)
	}
	defer cl.Close()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err != nil {
		return false, fmt.Errorf("ApiVersions: %w", err)
	}
	return slices.ContainsFunc(resp.ApiKeys, func(k kmsg.ApiVersionsResponseApiKey) bool { return k.ApiKey == key }), nil
}

// crew runs the members of a rebalance scenario, one goroutine each, and
// holds the lock under which the protocol records what they received.
type crew struct {
	mu      sync.Mutex
	stops   map[int]func() // cancels member i and waits for it
	err     error          // the first member failure
	changed chan struct{}  // closed and replaced whenever state changes
}

func newCrew() crew {
	return crew{stops: map[int]func(){}, changed: make(chan struct{})}
}

// launch runs member i until ctx ends or it is halted; an error it returns
// before then fails the scenario.
func (c *crew) launch(ctx context.Context, i int, run func(ctx context.Context) error) {
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := run(mctx); err != nil && mctx.Err() == nil {
			c.mu.Lock()
			if c.err == nil {
				c.err = fmt.Errorf("member %d: %w", i, err)
			}
			c.notifyLocked()
			c.mu.Unlock()
		}
	}()
	c.mu.Lock()
	c.stops[i] = func() { cancel(); <-done }
	c.mu.Unlock()
}

// halt stops member i without leaving the group.
func (c *crew) halt(i int) {
	c.mu.Lock()
	stop := c.stops[i]
	delete(c.stops, i)
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// close halts every member.
func (c *crew) close() {
	c.mu.Lock()
	ids := slices.Collect(maps.Keys(c.stops))
	c.mu.Unlock()
	for _, i := range ids {
		c.halt(i)
	}
}

// notifyLocked wakes every waiter; c.mu is held.
func (c *crew) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// wait polls cond, under c.mu, after every change until it holds, a member
// fails, or ctx ends.
func (c *crew) wait(ctx context.Context, cond func() (time.Time, bool, error)) (time.Time, error) {
	for {
		c.mu.Lock()
		if c.err != nil {
			c.mu.Unlock()
			return time.Time{}, c.err
		}
		at, ok, err := cond()
		ch := c.changed
		c.mu.Unlock()
		if ok || err != nil {
			return at, err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("waiting for the group to settle: %w", ctx.Err())
		}
	}
}

// retryPause is how long a member waits after a retriable error.
const retryPause = 20 * time.Millisecond

// pause waits d unless ctx ends first.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
