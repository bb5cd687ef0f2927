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
			if fs.IsClientClosed() {
				return
			}
			if process != nil {
				process(m, fs)
			}
			m.cl.AllowRebalance()
		}
	}()
	// Stop the poll loop when the test ends (before its client closes:
	// cleanups run last-in first-out), whether or not the test closed it.
	t.Cleanup(func() {
		m.stop()
		<-m.done
	})
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

// ledger counts how often each record (partition/offset) was processed.
type ledger struct {
	mu   sync.Mutex
	seen map[string]int
}

func (l *ledger) add(rs []*kgo.Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range rs {
		l.seen[fmt.Sprintf("%d/%d", r.Partition, r.Offset)]++
	}
}

func (l *ledger) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.seen)
}

func (l *ledger) dupes() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for k, n := range l.seen {
		if n > 1 {
			out = append(out, fmt.Sprintf("%s×%d", k, n))
		}
	}
	return out
}

// commitAfterProcessing records what was polled and commits it
// synchronously before the member may rebalance.
func commitAfterProcessing(t *testing.T, l *ledger) func(*member, kgo.Fetches) {
	return func(m *member, fs kgo.Fetches) {
		rs := fs.Records()
		if len(rs) == 0 {
			return
		}
		l.add(rs)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.cl.CommitUncommittedOffsets(ctx); err != nil {
			t.Errorf("%s: commit: %v", m.name, err)
		}
	}
}

func produceBackground(t *testing.T, cl *kgo.Client, topic string, n int) chan error {
	done := make(chan error, 1)
	go func() {
		ctx := context.Background()
		for i := 0; i < n; i += 100 {
			var recs []*kgo.Record
			for j := i; j < min(i+100, n); j++ {
				recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprint(j)), Value: []byte("v")})
			}
			if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	return done
}

func TestGroupNoLossNoDuplicatesAcrossRebalanceAndRestart(t *testing.T) {
	noLossAcrossLeaveAndRestart(t, groupBroker(t), "ledger")
}

// noLossAcrossLeaveAndRestart runs three members of group over a
// 12-partition topic while records are produced, committing after
// processing; one member leaves mid-stream. Every record must be processed
// exactly once, and after a broker restart a new member must get only the
// records produced since (the committed offsets survived).
func noLossAcrossLeaveAndRestart(t *testing.T, b *testkit.Broker, group string, memberOpts ...kgo.Opt) {
	t.Helper()
	createTopic(t, b.Admin(), "events", 12, nil)
	prod := b.Client()
	const n = 6000
	produced := produceBackground(t, prod, "events", n)
	l := &ledger{seen: map[string]int{}}
	opts := append([]kgo.Opt{kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll(), kgo.FetchMaxWait(100 * time.Millisecond)}, memberOpts...)
	ms := make([]*member, 3)
	for i := range ms {
		ms[i] = startMember(t, b, fmt.Sprintf("m%d", i), group, "events", commitAfterProcessing(t, l), opts...)
	}
	testkit.Eventually(t, 30*time.Second, "a third of the records consumed", func() bool { return l.count() >= n/3 })
	ms[1].close() // leaves mid-stream: its partitions move
	if err := <-produced; err != nil {
		t.Fatalf("produce: %v", err)
	}
	testkit.Eventually(t, 60*time.Second, "every record consumed", func() bool { return l.count() >= n })
	ms[0].close()
	ms[2].close()
	if d := l.dupes(); len(d) > 0 || l.count() != n {
		t.Fatalf("processed %d distinct records of %d; processed twice: %v", l.count(), n, d)
	}

	b.Restart()
	prod = b.Client()
	if err := <-produceBackground(t, prod, "events", 120); err != nil {
		t.Fatalf("produce after restart: %v", err)
	}
	after := &ledger{seen: map[string]int{}}
	m := startMember(t, b, "m3", group, "events", commitAfterProcessing(t, after), opts...)
	testkit.Eventually(t, 30*time.Second, "the new records consumed", func() bool { return after.count() >= 120 })
	m.close()
	if after.count() != 120 || len(after.dupes()) > 0 {
		t.Fatalf("after restart processed %d records (want 120), dupes %v", after.count(), after.dupes())
	}
	for k := range after.seen {
		if l.seen[k] > 0 {
			t.Fatalf("record %s processed again after the restart", k)
		}
	}
}

func TestGroupStaticMemberRestartWithoutRebalance(t *testing.T) {
	b := groupBroker(t)
	createTopic(t, b.Admin(), "static", 6, nil)
	// Eager range assignment: once split, nothing else rebalances.
	opts := []kgo.Opt{kgo.Balancers(kgo.RangeBalancer())}
	a := startMember(t, b, "a", "static-g", "static", nil, append(opts, kgo.InstanceID("ia"))...)
	bm := startMember(t, b, "b", "static-g", "static", nil, append(opts, kgo.InstanceID("ib"))...)
	waitSplit(t, 6, a, bm)
	waitGroupState(t, b, "static-g", "Stable")
	ownedB, rebalancesA := bm.owned(), a.rebalanceCount()
	bm.close() // a static member does not leave the group on close
	b2 := startMember(t, b, "b2", "static-g", "static", nil, append(opts, kgo.InstanceID("ib"))...)
	testkit.Eventually(t, 20*time.Second, "restarted static member owns its old partitions", func() bool {
		return fmt.Sprint(b2.owned()) == fmt.Sprint(ownedB)
	})
	if got := a.rebalanceCount(); got != rebalancesA {
		t.Fatalf("the other member saw %d assignment changes after the static restart, want none", got-rebalancesA)
	}
	d, err := b.Admin().DescribeGroups(testkit.Context(t, 10*time.Second), "static-g")
	if err != nil {
		t.Fatal(err)
	}
	if g := d["static-g"]; g.State != "Stable" || len(g.Members) != 2 {
		t.Fatalf("group after static restart: state %s, %d members", g.State, len(g.Members))
	}
	a.close()
	b2.close()
}

func waitGroupState(t *testing.T, b *testkit.Broker, group, state string) {
	t.Helper()
	adm := b.Admin()
	testkit.Eventually(t, 20*time.Second, "group "+group+" "+state, func() bool {
		d, err := adm.DescribeGroups(testkit.Context(t, 5*time.Second), group)
		return err == nil && d[group].State == state
	})
}

// A member that dies without leaving (a static member closing sends no
// LeaveGroup, like a killed process) keeps its partitions until its session
// times out; then they move to the live member.
func TestGroupDeadMemberExpiresAfterSessionTimeout(t *testing.T) {
	b := groupBroker(t)
	createTopic(t, b.Admin(), "dies", 12, nil)
	noop := func(*member, kgo.Fetches) {}
	dead := startMember(t, b, "dead", "g-dies", "dies", noop, kgo.InstanceID("dead-1"), kgo.SessionTimeout(6*time.Second))
	live := startMember(t, b, "live", "g-dies", "dies", noop, kgo.SessionTimeout(6*time.Second))
	waitSplit(t, 12, dead, live)
	dead.close() // no LeaveGroup: the coordinator must notice the silence
	// Right after, the group still counts the silent member.
	dg, err := b.Admin().DescribeGroups(testkit.Context(t, 5*time.Second), "g-dies")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(dg["g-dies"].Members); n != 2 {
		t.Fatalf("group has %d members right after the static member went silent, want 2", n)
	}
	testkit.Eventually(t, 20*time.Second, "the live member owns all 12 partitions after the session timeout", func() bool {
		return len(live.owned()) == 12
	})
}
