package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/testkit"
)

// A client flooding one group with joins and heartbeats must not crash the
// coordinator or starve other groups: a well-behaved group keeps committing
// and reading while the flood runs, and the flooded group stays bounded.
func TestGroupFloodDoesNotStarveOthers(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "calm", 2, nil)
	produceN(t, b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner())), "calm", 50, 0)

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	sent := 0
	for w := range 8 {
		cl := b.Client()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				join := kmsg.NewPtrJoinGroupRequest()
				join.Group, join.ProtocolType = "flood", "consumer"
				join.SessionTimeoutMillis, join.RebalanceTimeoutMillis = 6000, 6000
				join.MemberID = fmt.Sprintf("bogus-%d-%d", w, i) // never a real member
				if i%2 == 0 {
					join.MemberID = "" // a first join: MEMBER_ID_REQUIRED, a pending member
				}
				join.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{0, 1}}}
				hb := kmsg.NewPtrHeartbeatRequest()
				hb.Group, hb.MemberID, hb.Generation = "flood", join.MemberID, int32(i)
				rctx, cancel := context.WithTimeout(ctx, time.Second)
				join.RequestWith(rctx, cl)
				hb.RequestWith(rctx, cl)
				cancel()
				mu.Lock()
				sent += 2
				mu.Unlock()
			}
		}()
	}
	t.Cleanup(func() { stop(); wg.Wait() })
	floodSent := func() int {
		mu.Lock()
		defer mu.Unlock()
		return sent
	}
	testkit.Eventually(t, 10*time.Second, "the flood under way", func() bool { return floodSent() >= 200 })
	before := floodSent()

	// Meanwhile a normal group consumes everything and commits.
	cons := b.Client(kgo.ConsumerGroup("calm-group"), kgo.ConsumeTopics("calm"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	cctx := testkit.Context(t, 20*time.Second)
	got := 0
	for got < 50 {
		fs := cons.PollFetches(cctx)
		if err := cctx.Err(); err != nil {
			t.Fatalf("the calm group read %d of 50 records during the flood: %v", got, err)
		}
		got += fs.NumRecords()
		if err := cons.CommitUncommittedOffsets(cctx); err != nil {
			t.Fatalf("commit during the flood: %v", err)
		}
	}
	committed, err := b.Admin().FetchOffsets(cctx, "calm-group")
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := committed.Lookup("calm", 0); !ok || o.At != 50 {
		t.Fatalf("committed offset during the flood: %+v", o)
	}
	// The flood is still being served too. The calm group may finish
	// before any flooding worker completes its next join and heartbeat
	// (it takes a few milliseconds), so wait for one to.
	testkit.Eventually(t, 10*time.Second, "the flood going on after the calm group ran", func() bool { return floodSent() > before })
	// The flooded group holds no member: unknown member ids are refused and
	// pending members that never rejoin are not members.
	dg, err := b.Admin().DescribeGroups(cctx, "flood")
	if err != nil {
		t.Fatal(err)
	}
	if g := dg["flood"]; len(g.Members) != 0 {
		t.Fatalf("flooded group has %d members", len(g.Members))
	}
}
