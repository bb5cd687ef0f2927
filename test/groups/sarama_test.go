package groups_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/vltava/vltava/internal/testkit"
)

// saramaGroupConfig configures a sarama group consumer that commits only
// when told to, starting from the oldest offset.
func saramaGroupConfig(clientID string) *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V3_6_0_0
	cfg.ClientID = clientID
	cfg.Net.DialTimeout = 10 * time.Second
	cfg.Metadata.Retry.Backoff = 50 * time.Millisecond
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.MaxWaitTime = 100 * time.Millisecond
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Enable = false
	cfg.Consumer.Group.Session.Timeout = 6 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 200 * time.Millisecond
	cfg.Consumer.Group.Rebalance.Timeout = 10 * time.Second
	cfg.Consumer.Group.Rebalance.Retry.Backoff = 50 * time.Millisecond
	return cfg
}

// saramaMember is one sarama ConsumerGroup member: it processes each record
// into a collector and commits it synchronously before taking the next.
type saramaMember struct {
	name  string
	topic string
	col   *collector
	group sarama.ConsumerGroup
	done  chan struct{}

	mu     sync.Mutex
	claims []int32 // partitions of the current session, nil between sessions
	gen    int32   // generation of the current session
	errs   []error // errors the group reported
}

// startSaramaMember joins group and consumes topic until closed (when the
// test ends, at the latest).
func startSaramaMember(t *testing.T, b *testkit.Broker, name, group, topic string, col *collector) *saramaMember {
	t.Helper()
	cg, err := sarama.NewConsumerGroup([]string{b.Addr()}, group, saramaGroupConfig(name))
	if err != nil {
		t.Fatalf("sarama consumer group %s: %v", name, err)
	}
	m := &saramaMember{name: name, topic: topic, col: col, group: cg, done: make(chan struct{})}
	go m.errors()
	go m.consume()
	t.Cleanup(func() { m.close(t) })
	return m
}

// consume runs sessions until the group is closed.
func (m *saramaMember) consume() {
	defer close(m.done)
	for {
		err := m.group.Consume(context.Background(), []string{m.topic}, m)
		if errors.Is(err, sarama.ErrClosedConsumerGroup) {
			return
		}
		if err != nil {
			m.noteErr(err)
		}
	}
}

// errors collects what the group reports on its error channel.
func (m *saramaMember) errors() {
	for err := range m.group.Errors() {
		m.noteErr(err)
	}
}

func (m *saramaMember) noteErr(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.errs = append(m.errs, err)
}

// Setup notes the session's partitions.
func (m *saramaMember) Setup(s sarama.ConsumerGroupSession) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.claims = slices.Sorted(slices.Values(s.Claims()[m.topic]))
	m.gen = s.GenerationID()
	return nil
}

// Cleanup forgets the session's partitions.
func (m *saramaMember) Cleanup(sarama.ConsumerGroupSession) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.claims = nil
	return nil
}

// ConsumeClaim processes records and commits synchronously what it
// processed whenever it has caught up with what was fetched, and before it
// gives the partition up.
func (m *saramaMember) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	defer s.Commit()
	for {
		select {
		case msg, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			m.col.add(m.name, msg.Partition, msg.Offset, string(msg.Value))
			s.MarkMessage(msg, "")
			if len(claim.Messages()) == 0 {
				s.Commit()
			}
		case <-s.Context().Done():
			return nil
		}
	}
}

// session returns the member's current partitions and generation.
func (m *saramaMember) session() ([]int32, int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.claims, m.gen
}

// close leaves the group (committing, then LeaveGroup) and fails the test
// on errors the member saw.
func (m *saramaMember) close(t *testing.T) {
	select {
	case <-m.done:
		return
	default:
	}
	if err := m.group.Close(); err != nil {
		t.Errorf("close %s: %v", m.name, err)
	}
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.errs) > 0 {
		t.Errorf("%s saw %d errors, first: %v", m.name, len(m.errs), m.errs[0])
	}
}

// waitBalanced waits until members share one generation and their
// partitions split all of 0..partitions-1 evenly between them, and returns
// that generation.
func waitBalanced(t *testing.T, partitions int32, after int32, members ...*saramaMember) int32 {
	t.Helper()
	var gen int32
	var desc string
	testkit.Eventually(t, 20*time.Second, "partitions balanced", func() bool {
		var all []int32
		gen, desc = -1, ""
		for _, m := range members {
			claims, g := m.session()
			desc += fmt.Sprintf(" %s(gen %d): %v", m.name, g, claims)
			if g <= after || gen >= 0 && g != gen || len(claims) != int(partitions)/len(members) {
				return false
			}
			gen = g
			all = append(all, claims...)
		}
		slices.Sort(all)
		return slices.Equal(all, seq(partitions))
	})
	t.Logf("balanced:%s", desc)
	return gen
}

// seq returns 0..n-1.
func seq(n int32) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(i)
	}
	return out
}

// TestSaramaConsumerGroup runs three sarama members over 12 partitions,
// stops one and checks that its partitions move to the others, restarts
// the broker and resumes from the committed offsets: every record is
// processed exactly once throughout.
func TestSaramaConsumerGroup(t *testing.T) {
	const topic, group, partitions = "sarama-group", "sarama-g", int32(12)
	b := testkit.StartBroker(t)
	createTopic(t, b, topic, partitions)
	want := produceRound(t, b, topic, partitions, 50, 0, "r1")
	col := newCollector()
	m1 := startSaramaMember(t, b, "m1", group, topic, col)
	m2 := startSaramaMember(t, b, "m2", group, topic, col)
	m3 := startSaramaMember(t, b, "m3", group, topic, col)
	gen := waitBalanced(t, partitions, 0, m1, m2, m3)
	lost, _ := m3.session()
	col.waitCount(t, len(want))

	m3.close(t)
	waitBalanced(t, partitions, gen, m1, m2)
	want = append(want, produceRound(t, b, topic, partitions, 50, 50, "r2")...)
	col.waitCount(t, len(want))
	for _, p := range lost {
		if who := col.consumers(p, "r2-"); len(who) != 1 || who[0] == "m3" {
			t.Fatalf("partition %d (m3's) was consumed by %v after m3 left, want m1 or m2", p, who)
		}
	}
	m1.close(t)
	m2.close(t)
	col.check(t, want)
	wantCommitted(t, b, group, topic, each(partitions, 100))

	b.Restart()
	wantCommitted(t, b, group, topic, each(partitions, 100))
	want = append(want, produceRound(t, b, topic, partitions, 10, 100, "r3")...)
	m4 := startSaramaMember(t, b, "m4", group, topic, col)
	col.waitCount(t, len(want))
	wantCommitted(t, b, group, topic, each(partitions, 110))
	m4.close(t)
	col.check(t, want)
}
