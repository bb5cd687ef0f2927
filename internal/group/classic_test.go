package group

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestFirstRebalanceWaitsInitialDelayThenSyncWrites(t *testing.T) {
	h := newHarness(t, defaultConfig())
	id1, j1 := h.joinNew("g")
	if id1 != "c-1" || j1.done() || h.state("g") != "PreparingRebalance" {
		t.Fatalf("after join: id %q, answered %v, state %s; want c-1, waiting, PreparingRebalance", id1, j1.done(), h.state("g"))
	}
	h.advance(2 * time.Second)
	id2, j2 := h.joinNew("g") // joins during the delay: extends it
	h.advance(time.Second)
	if j1.done() {
		t.Fatal("rebalance completed at 3s although a member joined during the delay")
	}
	h.advance(3 * time.Second)
	if !j1.done() || !j2.done() {
		t.Fatalf("rebalance not completed after the extended delay: %v %v", j1.done(), j2.done())
	}
	for _, j := range []*pendingJoin{j1, j2} {
		wantCode(t, "join", j.resp.ErrorCode, nil)
		if j.resp.Generation != 1 || j.resp.LeaderID != id1 || *j.resp.Protocol != "range" || *j.resp.ProtocolType != "consumer" {
			t.Fatalf("join response %+v: want generation 1, leader %s, range", j.resp, id1)
		}
	}
	if len(j1.resp.Members) != 2 || len(j2.resp.Members) != 0 {
		t.Fatalf("members listed: leader %d, follower %d; want 2 and 0", len(j1.resp.Members), len(j2.resp.Members))
	}
	if h.state("g") != "CompletingRebalance" || len(h.log) != 0 {
		t.Fatalf("state %s, %d records; want CompletingRebalance, none", h.state("g"), len(h.log))
	}
	s2 := h.sync("g", id2, 1, nil)
	if s2.resp != nil {
		t.Fatalf("follower sync answered before the leader's: %+v", s2.resp)
	}
	s1 := h.sync("g", id1, 1, map[string]string{id1: "A1", id2: "A2"})
	wantStrings(t, "records", h.recordKinds(0), []string{"group g gen=1 protocol=range leader=c-1 members=[c-1:A1 c-2:A2]"})
	if string(s1.resp.MemberAssignment) != "A1" || string(s2.resp.MemberAssignment) != "A2" || h.state("g") != "Stable" {
		t.Fatalf("sync: %q %q state %s; want A1 A2 Stable", s1.resp.MemberAssignment, s2.resp.MemberAssignment, h.state("g"))
	}
	wantCode(t, "heartbeat", h.heartbeat("g", id2, 1, nil), nil)
}

// stableGroup makes a Stable group of n dynamic members (generation 1,
// assignment "A<i>") and returns their ids.
func stableGroup(t *testing.T, h *harness, group string, n int) []string {
	t.Helper()
	var ids []string
	var joins []*pendingJoin
	for range n {
		id, j := h.joinNew(group)
		ids, joins = append(ids, id), append(joins, j)
	}
	h.advance(h.d.cfg.InitialRebalanceDelay * time.Duration(n+1))
	assign := map[string]string{}
	for i, id := range ids {
		if !joins[i].done() || joins[i].resp.ErrorCode != 0 {
			t.Fatalf("join of %s: %+v", id, joins[i].resp)
		}
		assign[id] = "A" + id
	}
	for _, id := range ids[1:] {
		h.sync(group, id, joins[0].resp.Generation, nil)
	}
	h.sync(group, ids[0], joins[0].resp.Generation, assign)
	if h.state(group) != "Stable" {
		t.Fatalf("group %s is %s, want Stable", group, h.state(group))
	}
	return ids
}

func TestNewMemberRebalanceAndSessionExpiry(t *testing.T) {
	h := newHarness(t, defaultConfig())
	ids := stableGroup(t, h, "g", 1)
	id2, j2 := h.joinNew("g")
	wantCode(t, "heartbeat during rebalance", h.heartbeat("g", ids[0], 1, nil), kerr.RebalanceInProgress)
	j1 := h.join(joinReq("g", ids[0]))
	if !j1.done() || !j2.done() {
		t.Fatal("rebalance did not complete once every member rejoined")
	}
	if j1.resp.Generation != 2 || j1.resp.LeaderID != ids[0] || len(j1.resp.Members) != 2 {
		t.Fatalf("rejoin response %+v: want generation 2, leader %s, 2 members", j1.resp, ids[0])
	}
	h.sync("g", ids[0], 2, map[string]string{ids[0]: "x", id2: "y"})
	h.sync("g", id2, 2, nil)
	// id2 goes silent; id1 keeps heartbeating.
	for range 2 {
		h.advance(4 * time.Second)
		wantCode(t, "heartbeat", h.heartbeat("g", ids[0], 2, nil), nil)
	}
	h.advance(1999 * time.Millisecond)
	if h.s.groups["g"].members[id2] == nil {
		t.Fatal("member expired before its session timeout")
	}
	h.advance(time.Millisecond)
	if h.s.groups["g"].members[id2] != nil {
		t.Fatal("silent member not expired after its session timeout")
	}
	wantCode(t, "heartbeat after expiry", h.heartbeat("g", ids[0], 2, nil), kerr.RebalanceInProgress)
	wantCode(t, "expired member's heartbeat", h.heartbeat("g", id2, 2, nil), kerr.UnknownMemberID)
	j := h.join(joinReq("g", ids[0]))
	if !j.done() || j.resp.Generation != 3 || len(j.resp.Members) != 1 {
		t.Fatalf("rejoin: %+v, want generation 3 with one member", j.resp)
	}
}

func TestRebalanceTimeoutRemovesMembersThatDoNotRejoin(t *testing.T) {
	h := newHarness(t, defaultConfig())
	ids := stableGroup(t, h, "g", 2)
	j := h.join(joinReq("g", ids[0])) // the leader rejoins: rebalance
	for range 3 {                     // the other member heartbeats but never rejoins
		h.advance(6 * time.Second)
		wantCode(t, "heartbeat", h.heartbeat("g", ids[1], 1, nil), kerr.RebalanceInProgress)
	}
	h.advance(time.Second)
	if j.done() {
		t.Fatal("rebalance completed before the rebalance timeout")
	}
	h.advance(time.Second)
	if !j.done() || j.resp.Generation != 2 || len(j.resp.Members) != 1 {
		t.Fatalf("after the rebalance timeout: %+v, want generation 2 without the silent member", j.resp)
	}
}

func TestLastMemberLeavingEmptiesGroup(t *testing.T) {
	h := newHarness(t, defaultConfig())
	ids := stableGroup(t, h, "g", 2)
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Version, req.Group = 5, "g"
	req.Members = []kmsg.LeaveGroupRequestMember{{MemberID: ids[0]}, {MemberID: "nobody"}, {MemberID: ids[1]}}
	from := len(h.log)
	resp, res := h.s.LeaveGroup(req)
	h.run(res)
	wantCode(t, "top level", resp.ErrorCode, nil)
	got := []int16{resp.Members[0].ErrorCode, resp.Members[1].ErrorCode, resp.Members[2].ErrorCode}
	if got[0] != 0 || got[1] != kerr.UnknownMemberID.Code || got[2] != 0 {
		t.Fatalf("per-member codes %v, want [0 UNKNOWN_MEMBER_ID 0]", got)
	}
	if h.state("g") != "Empty" {
		t.Fatalf("state %s, want Empty", h.state("g"))
	}
	wantStrings(t, "records", h.recordKinds(from), []string{"group g gen=2 protocol= leader= members=[]"})
	v2 := kmsg.NewPtrLeaveGroupRequest()
	v2.Version, v2.Group, v2.MemberID = 2, "g", ids[0]
	resp, _ = h.s.LeaveGroup(v2)
	wantCode(t, "v2 leave of a gone member", resp.ErrorCode, kerr.UnknownMemberID)
}

func TestJoinErrors(t *testing.T) {
	cfg := defaultConfig()
	cfg.MaxSize = 1
	h := newHarness(t, cfg)
	ids := stableGroup(t, h, "g", 1)
	cases := []struct {
		name string
		req  func(*kmsg.JoinGroupRequest)
		want *kerr.Error
	}{
		{"empty group id", func(r *kmsg.JoinGroupRequest) { r.Group = "" }, kerr.InvalidGroupID},
		{"session too short", func(r *kmsg.JoinGroupRequest) { r.SessionTimeoutMillis = 5999 }, kerr.InvalidSessionTimeout},
		{"session too long", func(r *kmsg.JoinGroupRequest) { r.SessionTimeoutMillis = 1_800_001 }, kerr.InvalidSessionTimeout},
		{"unknown member of unknown group", func(r *kmsg.JoinGroupRequest) { r.Group, r.MemberID = "other", "x" }, kerr.UnknownMemberID},
		{"unknown member", func(r *kmsg.JoinGroupRequest) { r.MemberID = "x" }, kerr.UnknownMemberID},
		{"other protocol type", func(r *kmsg.JoinGroupRequest) { r.ProtocolType = "connect" }, kerr.InconsistentGroupProtocol},
		{"no common protocol", func(r *kmsg.JoinGroupRequest) { r.Protocols = protocols("roundrobin") }, kerr.InconsistentGroupProtocol},
		{"no protocols", func(r *kmsg.JoinGroupRequest) { r.Group, r.Protocols = "other", nil }, kerr.InconsistentGroupProtocol},
		{"group full", func(*kmsg.JoinGroupRequest) {}, kerr.GroupMaxSizeReached},
		{"fenced instance", func(r *kmsg.JoinGroupRequest) { r.MemberID, r.InstanceID = ids[0], ptr("i9") }, kerr.UnknownMemberID},
	}
	for _, c := range cases {
		req := joinReq("g", "")
		c.req(req)
		j := h.join(req)
		if !j.done() {
			t.Fatalf("%s: no answer", c.name)
		}
		wantCode(t, c.name, j.resp.ErrorCode, c.want)
	}
}

func TestSyncAndHeartbeatErrors(t *testing.T) {
	h := newHarness(t, defaultConfig())
	ids := stableGroup(t, h, "g", 2)
	wantCode(t, "heartbeat unknown group", h.heartbeat("nope", ids[0], 1, nil), kerr.UnknownMemberID)
	wantCode(t, "heartbeat old generation", h.heartbeat("g", ids[0], 0, nil), kerr.IllegalGeneration)
	wantCode(t, "heartbeat unknown member", h.heartbeat("g", "x", 1, nil), kerr.UnknownMemberID)
	wantCode(t, "heartbeat unknown instance", h.heartbeat("g", ids[0], 1, ptr("i")), kerr.UnknownMemberID)
	wantCode(t, "sync old generation", h.sync("g", ids[0], 7, nil).resp.ErrorCode, kerr.IllegalGeneration)
	wantCode(t, "sync unknown member", h.sync("g", "x", 1, nil).resp.ErrorCode, kerr.UnknownMemberID)
	h.join(joinReq("g", ids[0])) // rebalance starts
	wantCode(t, "sync during rebalance", h.sync("g", ids[0], 1, nil).resp.ErrorCode, kerr.RebalanceInProgress)
	req := kmsg.NewPtrSyncGroupRequest()
	req.Version, req.Group, req.MemberID, req.Generation, req.Protocol = 5, "g", ids[0], 1, ptr("roundrobin")
	var resp *kmsg.SyncGroupResponse
	h.run(h.s.SyncGroup(req, func(r *kmsg.SyncGroupResponse) { resp = r }))
	wantCode(t, "sync with another protocol", resp.ErrorCode, kerr.InconsistentGroupProtocol)
}

func staticJoin(group, member, instance string) *kmsg.JoinGroupRequest {
	r := joinReq(group, member)
	r.InstanceID = ptr(instance)
	return r
}

func TestStaticMemberRestartKeepsAssignmentWithoutRebalance(t *testing.T) {
	h := newHarness(t, defaultConfig())
	a := h.join(staticJoin("g", "", "ia")) // static members skip MEMBER_ID_REQUIRED
	b := h.join(staticJoin("g", "", "ib"))
	h.advance(10 * time.Second)
	if !a.done() || !b.done() || a.resp.MemberID != "ia-1" || b.resp.MemberID != "ib-2" || a.resp.Generation != 1 {
		t.Fatalf("static joins: %+v %+v", a.resp, b.resp)
	}
	h.sync("g", "ib-2", 1, nil)
	h.sync("g", "ia-1", 1, map[string]string{"ia-1": "PA", "ib-2": "PB"})
	from := len(h.log)
	// ib restarts: a join without member id but with its instance id.
	j := h.join(staticJoin("g", "", "ib"))
	if !j.done() || j.resp.ErrorCode != 0 || j.resp.MemberID != "ib-3" || j.resp.Generation != 1 || j.resp.LeaderID != "ia-1" || j.resp.SkipAssignment {
		t.Fatalf("static rejoin: %+v; want ib-3 in generation 1 at once", j.resp)
	}
	if h.state("g") != "Stable" {
		t.Fatalf("state %s after a static rejoin, want Stable", h.state("g"))
	}
	wantStrings(t, "records", h.recordKinds(from), []string{"group g gen=1 protocol=range leader=ia-1 members=[ia-1:PA ib-3:PB]"})
	s := h.sync("g", "ib-3", 1, nil)
	if string(s.resp.MemberAssignment) != "PB" {
		t.Fatalf("restarted static member's assignment %q, want PB", s.resp.MemberAssignment)
	}
	wantCode(t, "old incarnation", h.heartbeat("g", "ib-2", 1, ptr("ib")), kerr.FencedInstanceID)
	wantCode(t, "new incarnation", h.heartbeat("g", "ib-3", 1, ptr("ib")), nil)
	wantCode(t, "other member", h.heartbeat("g", "ia-1", 1, ptr("ia")), nil)
	// The static leader restarting gets the members but skips assignment.
	l := h.join(staticJoin("g", "", "ia"))
	if !l.done() || l.resp.LeaderID != "ia-4" || !l.resp.SkipAssignment || len(l.resp.Members) != 2 {
		t.Fatalf("static leader rejoin: %+v; want leader ia-4 with members and SkipAssignment", l.resp)
	}
	// A static member that leaves by instance id triggers a rebalance.
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Version, req.Group = 4, "g"
	req.Members = []kmsg.LeaveGroupRequestMember{{InstanceID: ptr("ib")}, {MemberID: "ia-1", InstanceID: ptr("ia")}}
	resp, res := h.s.LeaveGroup(req)
	h.run(res)
	if resp.Members[0].ErrorCode != 0 || resp.Members[1].ErrorCode != kerr.FencedInstanceID.Code || h.state("g") != "PreparingRebalance" {
		t.Fatalf("leave: %+v state %s; want [0 FENCED_INSTANCE_ID], PreparingRebalance", resp.Members, h.state("g"))
	}
}

func TestProtocolSelectionByVotes(t *testing.T) {
	h := newHarness(t, defaultConfig())
	reqs := [][]string{{"sticky", "range"}, {"range", "sticky", "rr"}, {"range", "sticky"}}
	var js []*pendingJoin
	for _, ps := range reqs {
		r := joinReq("g", "")
		r.Version = 3 // no MEMBER_ID_REQUIRED before v4
		r.Protocols = protocols(ps...)
		js = append(js, h.join(r))
	}
	h.advance(10 * time.Second)
	for _, j := range js {
		if !j.done() || *j.resp.Protocol != "range" {
			t.Fatalf("join: %+v, want protocol range (2 first-choice votes of 3)", j.resp)
		}
	}
}

func TestPendingMemberExpiresAndUnblocksRebalance(t *testing.T) {
	h := newHarness(t, defaultConfig())
	ids := stableGroup(t, h, "g", 1)
	first := h.join(joinReq("g", "")) // gets an id, never rejoins
	if first.resp.ErrorCode != kerr.MemberIDRequired.Code {
		t.Fatalf("first join: %+v", first.resp)
	}
	h.advance(time.Second)
	j := h.join(joinReq("g", ids[0])) // leader rejoins: rebalance waits for the pending member
	if j.done() {
		t.Fatal("rebalance completed while a KIP-394 member was pending")
	}
	h.advance(9 * time.Second) // its session timeout (10s) passes
	if !j.done() || j.resp.Generation != 2 || len(j.resp.Members) != 1 {
		t.Fatalf("after the pending member expired: %+v, want generation 2 with one member", j.resp)
	}
}
