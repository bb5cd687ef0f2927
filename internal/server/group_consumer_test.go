package server_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/testkit"
)

// groupBroker starts a broker with a small __consumer_offsets, so that
// tests don't open 50 partitions.
func groupBroker(t *testing.T, opts ...testkit.Option) *testkit.Broker {
	return testkit.StartBroker(t, append([]testkit.Option{
		testkit.WithConfig("offsets.topic.num.partitions", "3"),
	}, opts...)...)
}

// member is one group consumer running a poll loop in the background.
type member struct {
	name string
	cl   *kgo.Client
	mu   sync.Mutex
	own  map[int32]bool // partitions assigned now
	// rebalances counts assignment changes seen by callbacks.
	rebalances int
	stop       context.CancelFunc
	done       chan struct{}
}

func (m *member) owned() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.own))
}

func (m *member) rebalanceCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rebalances
}

// startMember joins group on topic; process runs for every polled batch
// (in the poll goroutine) before the member allows a rebalance.
func startMember(t *testing.T, b *testkit.Broker, name, group, topic string, process func(*member, kgo.Fetches), opts ...kgo.Opt) *member {
	t.Helper()
	m := &member{name: name, own: map[int32]bool{}, done: make(chan struct{})}
	track := func(assigned bool) func(context.Context, *kgo.Client, map[string][]int32) {
		return func(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
			m.mu.Lock()
			defer m.mu.Unlock()
			if len(ps[topic]) > 0 {
				m.rebalances++
			}
			for _, p := range ps[topic] {
				if assigned {
					m.own[p] = true
				} else {
					delete(m.own, p)
				}
			}
		}
	}
	all := append([]kgo.Opt{
		kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.SessionTimeout(6 * time.Second), kgo.HeartbeatInterval(200 * time.Millisecond),
		kgo.OnPartitionsAssigned(track(true)), kgo.OnPartitionsRevoked(track(false)), kgo.OnPartitionsLost(track(false)),
		kgo.ClientID(name),
	}, opts...)
	m.cl = b.Client(all...)
	ctx, cancel := context.WithCancel(context.Background())
	m.stop = cancel
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			fs := m.cl.PollFetches(ctx)
			if process != nil {
				process(m, fs)
			}
			m.cl.AllowRebalance()
		}
	}()
	return m
}

// close stops the poll loop and closes the client (leaving the group
// unless it is static).
func (m *member) close() {
	m.stop()
	<-m.done
	m.cl.Close()
}

// waitSplit waits until the members own disjoint sets of partitions that
// together are 0..n-1, with sizes differing by at most one.
func waitSplit(t *testing.T, n int32, ms ...*member) {
	t.Helper()
	testkit.Eventually(t, 30*time.Second, fmt.Sprintf("%d partitions split between %d members", n, len(ms)), func() bool {
		seen := map[int32]bool{}
		lo, hi := int(n), 0
		for _, m := range ms {
			own := m.owned()
			lo, hi = min(lo, len(own)), max(hi, len(own))
			for _, p := range own {
				if seen[p] {
					return false
				}
				seen[p] = true
			}
		}
		return len(seen) == int(n) && hi-lo <= 1
	})
}

func TestGroupThreeMembersSplitAndMove(t *testing.T) {
	for _, bal := range []struct {
		name string
		opt  kgo.GroupBalancer
	}{{"range", kgo.RangeBalancer()}, {"cooperative-sticky", kgo.CooperativeStickyBalancer()}} {
		t.Run(bal.name, func(t *testing.T) {
			b := groupBroker(t)
			createTopic(t, b.Admin(), "orders", 12, nil)
			ms := make([]*member, 3)
			for i := range ms {
				ms[i] = startMember(t, b, fmt.Sprintf("m%d", i), "g-"+bal.name, "orders", nil, kgo.Balancers(bal.opt))
			}
			waitSplit(t, 12, ms...)
			for _, m := range ms {
				if got := len(m.owned()); got != 4 {
					t.Fatalf("%s owns %d partitions, want 4", m.name, got)
				}
			}
			ms[2].close()
			waitSplit(t, 12, ms[0], ms[1])
			ms[0].close()
			ms[1].close()
		})
	}
}
