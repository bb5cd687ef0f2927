package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// classicGroup drives a classic consumer group with raw JoinGroup,
// SyncGroup and Heartbeat requests: each member is one goroutine with its
// own client, the leader computes a range assignment, and every member
// heartbeats each groupHeartbeat. This keeps the client's CPU far below a
// full consumer's while the broker does all the work a real group costs.
type classicGroup struct {
	crew
	topic string
	meta  []byte                 // the consumer protocol subscription to topic
	ids   map[int]string         // member IDs, for LeaveGroup
	cls   map[int]*kgo.Client    // member clients
	gens  map[int32]*classicGens // what members received, per generation
	done  int32                  // the last generation settled returned
}

// classicGens counts the members that completed SyncGroup in a generation.
type classicGens struct {
	members int
	parts   int       // partitions assigned to them in all
	last    time.Time // when the last of them got its assignment
}

// newClassicGroup returns the classic protocol for topic.
func newClassicGroup(_ *env, topic string) (rebalancer, error) {
	meta := kmsg.NewConsumerMemberMetadata()
	meta.Topics = []string{topic}
	return &classicGroup{crew: newCrew(), topic: topic, meta: meta.AppendTo(nil),
		ids: map[int]string{}, cls: map[int]*kgo.Client{}, gens: map[int32]*classicGens{}}, nil
}

func (g *classicGroup) start(ctx context.Context, i int, cl *kgo.Client) {
	g.mu.Lock()
	g.cls[i] = cl
	g.mu.Unlock()
	m := &classicMember{g: g, i: i, cl: cl}
	g.launch(ctx, i, m.run)
}

// stop halts member i and sends its LeaveGroup.
func (g *classicGroup) stop(i int) error {
	g.halt(i)
	g.mu.Lock()
	id, cl := g.ids[i], g.cls[i]
	delete(g.ids, i)
	g.mu.Unlock()
	if id == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupWait)
	defer cancel()
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group, req.MemberID = benchGroup, id
	req.Members = []kmsg.LeaveGroupRequestMember{{MemberID: id}}
	resp, err := req.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
	}
	if err != nil {
		return fmt.Errorf("member %d leaving: %w", i, err)
	}
	return nil
}

// settled waits for a generation newer than the last one returned in which
// n members completed SyncGroup, and checks that they were assigned every
// partition.
func (g *classicGroup) settled(ctx context.Context, n int) (time.Time, error) {
	return g.wait(ctx, func() (time.Time, bool, error) {
		for gen, gs := range g.gens {
			if gen <= g.done || gs.members != n {
				continue
			}
			g.done = gen
			if gs.parts != groupParts {
				return time.Time{}, false, fmt.Errorf("generation %d assigned %d partitions to %d members, want %d", gen, gs.parts, n, groupParts)
			}
			return gs.last, true, nil
		}
		return time.Time{}, false, nil
	})
}

// synced records that a member of gen received parts partitions.
func (g *classicGroup) synced(gen int32, parts int) {
	at := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	gs := g.gens[gen]
	if gs == nil {
		gs = &classicGens{}
		g.gens[gen] = gs
	}
	gs.members++
	gs.parts += parts
	gs.last = at
	g.notifyLocked()
}

func (g *classicGroup) setID(i int, id string) {
	g.mu.Lock()
	g.ids[i] = id
	g.mu.Unlock()
}

// classicMember is one member's protocol state.
type classicMember struct {
	g   *classicGroup
	i   int
	cl  *kgo.Client
	id  string
	gen int32
}

// run joins, syncs and heartbeats until ctx ends, rejoining whenever the
// coordinator asks for it.
func (m *classicMember) run(ctx context.Context) error {
	for {
		ok, err := m.join(ctx)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := m.beat(ctx); err != nil {
			return err
		}
	}
}

// join sends JoinGroup and then SyncGroup; false means join again.
func (m *classicMember) join(ctx context.Context) (bool, error) {
	req := kmsg.NewPtrJoinGroupRequest()
	req.Group, req.MemberID, req.ProtocolType = benchGroup, m.id, "consumer"
	req.SessionTimeoutMillis = int32(groupSession / time.Millisecond)
	req.RebalanceTimeoutMillis = int32(groupRebalance / time.Millisecond)
	req.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: m.g.meta}}
	resp, err := req.RequestWith(ctx, m.cl)
	if err != nil {
		return false, fmt.Errorf("JoinGroup: %w", err)
	}
	switch err := kerr.ErrorForCode(resp.ErrorCode); {
	case err == nil:
	case err == kerr.MemberIDRequired:
		m.id = resp.MemberID
		return false, nil
	default:
		return false, m.rejoinable(ctx, "JoinGroup", err)
	}
	m.id, m.gen = resp.MemberID, resp.Generation
	m.g.setID(m.i, m.id)
	var plan []kmsg.SyncGroupRequestGroupAssignment
	if resp.LeaderID == m.id {
		plan = rangePlan(m.g.topic, resp.Members)
	}
	return m.sync(ctx, plan)
}

// sync sends SyncGroup (with the plan when this member leads) and records
// the assignment it returns.
func (m *classicMember) sync(ctx context.Context, plan []kmsg.SyncGroupRequestGroupAssignment) (bool, error) {
	req := kmsg.NewPtrSyncGroupRequest()
	req.Group, req.Generation, req.MemberID = benchGroup, m.gen, m.id
	req.ProtocolType, req.Protocol = kmsg.StringPtr("consumer"), kmsg.StringPtr("range")
	req.GroupAssignment = plan
	resp, err := req.RequestWith(ctx, m.cl)
	if err != nil {
		return false, fmt.Errorf("SyncGroup: %w", err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return false, m.rejoinable(ctx, "SyncGroup", err)
	}
	var a kmsg.ConsumerMemberAssignment
	if err := a.ReadFrom(resp.MemberAssignment); err != nil {
		return false, fmt.Errorf("decoding the assignment: %w", err)
	}
	n := 0
	for _, t := range a.Topics {
		n += len(t.Partitions)
	}
	m.g.synced(m.gen, n)
	return true, nil
}

// beat heartbeats until the coordinator starts a rebalance.
func (m *classicMember) beat(ctx context.Context) error {
	for {
		if err := pause(ctx, groupHeartbeat); err != nil {
			return err
		}
		req := kmsg.NewPtrHeartbeatRequest()
		req.Group, req.Generation, req.MemberID = benchGroup, m.gen, m.id
		resp, err := req.RequestWith(ctx, m.cl)
		if err != nil {
			return fmt.Errorf("Heartbeat: %w", err)
		}
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return m.rejoinable(ctx, "Heartbeat", err)
		}
	}
}

// rejoinable returns nil for the errors after which a member joins again
// (forgetting its ID when the coordinator does not know it) and err for
// the others.
func (m *classicMember) rejoinable(ctx context.Context, api string, err error) error {
	switch {
	case err == kerr.UnknownMemberID:
		m.id = ""
	case err == kerr.RebalanceInProgress, err == kerr.IllegalGeneration:
	case kerr.IsRetriable(err):
		return pause(ctx, retryPause)
	default:
		return fmt.Errorf("%s: %w", api, err)
	}
	return nil
}

// rangePlan gives each member, in member ID order, a contiguous range of
// the topic's partitions.
func rangePlan(topic string, members []kmsg.JoinGroupResponseMember) []kmsg.SyncGroupRequestGroupAssignment {
	ids := make([]string, len(members))
	for i, mb := range members {
		ids[i] = mb.MemberID
	}
	slices.Sort(ids)
	plan := make([]kmsg.SyncGroupRequestGroupAssignment, len(ids))
	next := int32(0)
	for i, id := range ids {
		n := int32(groupParts / len(ids))
		if i < groupParts%len(ids) {
			n++
		}
		a := kmsg.NewConsumerMemberAssignment()
		t := kmsg.NewConsumerMemberAssignmentTopic()
		t.Topic = topic
		for p := next; p < next+n; p++ {
			t.Partitions = append(t.Partitions, p)
		}
		next += n
		a.Topics = []kmsg.ConsumerMemberAssignmentTopic{t}
		plan[i] = kmsg.SyncGroupRequestGroupAssignment{MemberID: id, MemberAssignment: a.AppendTo(nil)}
	}
	return plan
}
