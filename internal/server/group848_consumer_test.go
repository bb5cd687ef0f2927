package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/testkit"
)

// KIP-848 groups with franz-go's next-gen consumer (kgo.ServerSideBalancer):
// the broker assigns (range for kgo's RangeBalancer, uniform for its
// sticky balancers).

// broker848 is a group broker whose consumer group members heartbeat every
// 200ms, so that assignments move quickly.
func broker848(t *testing.T) *testkit.Broker {
	return groupBroker(t, testkit.WithConfig("group.consumer.heartbeat.interval.ms", "200"),
		testkit.WithConfig("group.consumer.min.heartbeat.interval.ms", "200"))
}

func TestGroup848ThreeMembersSplitAndMove(t *testing.T) {
	for _, bal := range []struct {
		name string
		opt  kgo.GroupBalancer
	}{{"range", kgo.RangeBalancer()}, {"uniform", kgo.CooperativeStickyBalancer()}} {
		t.Run(bal.name, func(t *testing.T) {
			b := broker848(t)
			createTopic(t, b.Admin(), "orders", 12, nil)
			group := "g848-" + bal.name
			ms := make([]*member, 3)
			for i := range ms {
				ms[i] = startMember(t, b, fmt.Sprintf("m%d", i), group, "orders", nil,
					kgo.ServerSideBalancer(), kgo.Balancers(bal.opt))
			}
			waitSplit(t, 12, ms...)
			for _, m := range ms {
				if got := len(m.owned()); got != 4 {
					t.Fatalf("%s owns %d partitions, want 4", m.name, got)
				}
			}
			d, err := b.Admin().DescribeConsumerGroups(testkit.Context(t, 10*time.Second), group)
			if err != nil {
				t.Fatal(err)
			}
			if g := d[group]; g.AssignorName != bal.name || len(g.Members) != 3 {
				t.Fatalf("described: assignor %q, %d members; want %s, 3", g.AssignorName, len(g.Members), bal.name)
			}
			ms[2].close()
			waitSplit(t, 12, ms[0], ms[1])
			ms[0].close()
			ms[1].close()
		})
	}
}

func TestGroup848NoLossNoDuplicatesAcrossLeaveAndRestart(t *testing.T) {
	noLossAcrossLeaveAndRestart(t, broker848(t), "ledger848",
		kgo.ServerSideBalancer(), kgo.Balancers(kgo.CooperativeStickyBalancer()))
}
