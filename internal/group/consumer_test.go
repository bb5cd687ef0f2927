package group

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/config"
	"github.com/vltava/vltava/internal/metadata/image"
)

// Transcripts of KIP-848 consumer groups on a manual clock.

// h848 is a harness with cluster metadata the test can change.
type h848 struct {
	*harness
	im *image.Image
}

func newH848(t *testing.T, cfg Config) *h848 {
	h := &h848{harness: newHarness(t, cfg), im: &image.Image{Topics: map[string]*image.Topic{}, ByID: map[image.Uuid]*image.Topic{}}}
	h.d.image = func() *image.Image { return h.im }
	h.topic("t", 6)
	return h
}

func cfg848() Config {
	c := defaultConfig()
	c.ConsumerSessionTimeout, c.ConsumerHeartbeatInterval = 45*time.Second, 5*time.Second
	c.ConsumerAssignors = []string{"uniform", "range"}
	return c
}

// topic creates (or grows) a topic; its id is its name's first byte.
func (h *h848) topic(name string, partitions int) {
	im := &image.Image{Topics: map[string]*image.Topic{}, ByID: map[image.Uuid]*image.Topic{}}
	for n, t := range h.im.Topics {
		im.Topics[n], im.ByID[t.ID] = t, t
	}
	var id image.Uuid
	copy(id[:], name)
	t := &image.Topic{Name: name, ID: id}
	for range partitions {
		t.Partitions = append(t.Partitions, &image.Partition{})
	}
	im.Topics[name], im.ByID[id] = t, t
	h.im = im
}

func (h *h848) idOf(name string) image.Uuid { return h.im.Topics[name].ID }

// owns builds the owned partitions of a heartbeat: "t:0,1 u:2".
func (h *h848) owns(spec string) []kmsg.ConsumerGroupHeartbeatRequestTopic {
	out := []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	for _, f := range strings.Fields(spec) {
		name, ps, _ := strings.Cut(f, ":")
		rt := kmsg.ConsumerGroupHeartbeatRequestTopic{TopicID: h.idOf(name)}
		for _, p := range strings.Split(ps, ",") {
			var v int32
			fmt.Sscan(p, &v)
			rt.Partitions = append(rt.Partitions, v)
		}
		out = append(out, rt)
	}
	return out
}

// joinReq848 is a v1 join (epoch 0) subscribing to topics.
func joinReq848(group, member string, topics ...string) *kmsg.ConsumerGroupHeartbeatRequest {
	r := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	r.Version, r.Group, r.MemberID, r.MemberEpoch = 1, group, member, 0
	r.RebalanceTimeoutMillis = 30_000
	r.SubscribedTopicNames = topics
	r.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	return r
}

// hbReq is a v1 heartbeat with only the owned partitions.
func (h *h848) hbReq(group, member string, epoch int32, owned string) *kmsg.ConsumerGroupHeartbeatRequest {
	r := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	r.Version, r.Group, r.MemberID, r.MemberEpoch = 1, group, member, epoch
	r.RebalanceTimeoutMillis = -1
	r.Topics = h.owns(owned)
	return r
}

func (h *h848) send(req *kmsg.ConsumerGroupHeartbeatRequest) *kmsg.ConsumerGroupHeartbeatResponse {
	var got *kmsg.ConsumerGroupHeartbeatResponse
	h.run(h.s.ConsumerGroupHeartbeat(req, "c", "/127.0.0.1", func(r *kmsg.ConsumerGroupHeartbeatResponse) { got = r }))
	if got == nil {
		h.t.Fatal("heartbeat not answered")
	}
	return got
}

// hb sends a heartbeat and summarises the response: "epoch=2 t:0,1,2",
// "epoch=2 -" (no assignment in the response), or the error's name.
func (h *h848) hb(req *kmsg.ConsumerGroupHeartbeatRequest) string {
	return h.summary(h.send(req))
}

func (h *h848) summary(r *kmsg.ConsumerGroupHeartbeatResponse) string {
	if r.ErrorCode != 0 {
		return kerr.ErrorForCode(r.ErrorCode).Error()[:strings.Index(kerr.ErrorForCode(r.ErrorCode).Error(), ":")]
	}
	s := fmt.Sprintf("epoch=%d", r.MemberEpoch)
	if r.Assignment == nil {
		return s + " -"
	}
	var parts []string
	for _, t := range r.Assignment.Topics {
		var ps []string
		for _, p := range t.Partitions {
			ps = append(ps, fmt.Sprint(p))
		}
		parts = append(parts, h.im.ByID[t.TopicID].Name+":"+strings.Join(ps, ","))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return s + " none"
	}
	return s + " " + strings.Join(parts, " ")
}

// state summarises a consumer group: "Stable epoch=2/2 a:2:STABLE:t:0,1,2 ...".
func (h *h848) state(group string) string {
	g := h.s.groups[group]
	if g == nil || g.cg == nil {
		return "none"
	}
	cg := g.cg
	out := fmt.Sprintf("%s epoch=%d/%d", cg.stateName(), cg.epoch, cg.assignmentEpoch)
	for _, m := range cg.sortedMembers() {
		out += fmt.Sprintf(" %s:%d:%s:%s", m.id, m.epoch, []string{"STABLE", "UNREVOKED", "UNRELEASED"}[m.state], h.fmtAssignment(m.assigned))
		if m.revoking.count() > 0 {
			out += "-" + h.fmtAssignment(m.revoking)
		}
	}
	return out
}

func (h *h848) fmtAssignment(a assignment) string {
	var parts []string
	for _, id := range a.topicIDs() {
		var ps []string
		for _, p := range a[id] {
			ps = append(ps, fmt.Sprint(p))
		}
		parts = append(parts, h.im.ByID[id].Name+"["+strings.Join(ps, ",")+"]")
	}
	if len(parts) == 0 {
		return "[]"
	}
	return strings.Join(parts, "")
}

func wantEq(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s:\n got %s\nwant %s", what, got, want)
	}
}

// kinds summarises the consumer group records written since from.
func (h *h848) kinds(from int) []string {
	var out []string
	for _, r := range h.log[from:] {
		v, _ := keyVersion(r.Key)
		if v < cgMetadataType || v > cgCurrentMemberType {
			out = append(out, describeRecord(h.t, r))
			continue
		}
		g, m, err := readCGKey(v, r.Key)
		if err != nil {
			h.t.Fatal(err)
		}
		name := map[int16]string{3: "metadata", 4: "partitions", 5: "member", 6: "target-epoch", 7: "target", 8: "current"}[v]
		s := name + " " + g
		if m != "" {
			s += "/" + m
		}
		if r.Value == nil {
			s = "tombstone " + s
		}
		out = append(out, s)
	}
	return out
}

func TestConsumerJoinWritesRecordsAndAssigns(t *testing.T) {
	h := newH848(t, cfg848())
	wantEq(t, "join", h.hb(joinReq848("g", "a", "t")), "epoch=1 t:0,1,2,3,4,5")
	wantStrings(t, "records", h.kinds(0), []string{
		"member g/a", "partitions g", "metadata g", "target g/a", "target-epoch g", "current g/a",
	})
	wantEq(t, "state", h.state("g"), "Stable epoch=1/1 a:1:STABLE:t[0,1,2,3,4,5]")
	// A plain heartbeat changes nothing: no records, no assignment sent.
	n := len(h.log)
	wantEq(t, "heartbeat", h.hb(h.hbReq("g", "a", 1, "t:0,1,2,3,4,5")), "epoch=1 -")
	if len(h.log) != n {
		t.Fatalf("a heartbeat that changes nothing wrote %v", h.kinds(n))
	}
}

func TestConsumerRevocationBeforeReassignment(t *testing.T) {
	h := newH848(t, cfg848())
	h.hb(joinReq848("g", "a", "t"))
	// b joins: the target splits t, but a still owns everything, so b
	// moves to epoch 2 with nothing (its partitions are unreleased).
	wantEq(t, "b joins", h.hb(joinReq848("g", "b", "t")), "epoch=2 none")
	wantEq(t, "after b", h.state("g"), "Reconciling epoch=2/2 a:1:STABLE:t[0,1,2,3,4,5] b:2:UNRELEASED:[]")
	// a learns it must give up 3-5: it keeps epoch 1 until it does.
	wantEq(t, "a revokes", h.hb(h.hbReq("g", "a", 1, "t:0,1,2,3,4,5")), "epoch=1 t:0,1,2")
	wantEq(t, "revoking", h.state("g"), "Reconciling epoch=2/2 a:1:UNREVOKED:t[0,1,2]-t[3,4,5] b:2:UNRELEASED:[]")
	// b still gets nothing while a holds them.
	wantEq(t, "b waits", h.hb(h.hbReq("g", "b", 2, "")), "epoch=2 -")
	// a heartbeats still owning 3-5: nothing moves.
	wantEq(t, "a not yet", h.hb(h.hbReq("g", "a", 1, "t:0,1,2,3,4,5")), "epoch=1 -")
	// a acknowledges: it moves to epoch 2.
	wantEq(t, "a acks", h.hb(h.hbReq("g", "a", 1, "t:0,1,2")), "epoch=2 -")
	wantEq(t, "b gets them", h.hb(h.hbReq("g", "b", 2, "")), "epoch=2 t:3,4,5")
	wantEq(t, "stable", h.state("g"), "Stable epoch=2/2 a:2:STABLE:t[0,1,2] b:2:STABLE:t[3,4,5]")
}

func TestConsumerFencingAndLostResponse(t *testing.T) {
	h := newH848(t, cfg848())
	h.hb(joinReq848("g", "a", "t"))
	h.hb(joinReq848("g", "b", "t"))
	h.hb(h.hbReq("g", "a", 1, "t:0,1,2,3,4,5"))
	h.hb(h.hbReq("g", "a", 1, "t:0,1,2"))
	wantEq(t, "a at 2", h.state("g"), "Reconciling epoch=2/2 a:2:STABLE:t[0,1,2] b:2:UNRELEASED:[]")
	wantEq(t, "epoch from the future", h.hb(h.hbReq("g", "a", 3, "t:0,1,2")), "FENCED_MEMBER_EPOCH")
	// The response that moved a to 2 was lost: epoch 1 (its previous)
	// with partitions within its assignment is accepted...
	wantEq(t, "previous epoch", h.hb(h.hbReq("g", "a", 1, "t:0,1")), "epoch=2 -")
	// ...but not with partitions it no longer has, nor an older epoch.
	wantEq(t, "previous epoch, foreign partition", h.hb(h.hbReq("g", "a", 1, "t:0,1,2,3")), "FENCED_MEMBER_EPOCH")
	wantEq(t, "unknown member", h.hb(h.hbReq("g", "zz", 2, "")), "UNKNOWN_MEMBER_ID")
	// A fenced member rejoins with epoch 0 and the same id: it is
	// re-admitted in place with nothing, and gets its target again.
	wantEq(t, "rejoin", h.hb(joinReq848("g", "a", "t")), "epoch=2 t:0,1,2")
}

func TestConsumerLeaveAndSessionExpiry(t *testing.T) {
	h := newH848(t, cfg848())
	h.hb(joinReq848("g", "a", "t"))
	h.hb(joinReq848("g", "b", "t"))
	h.hb(h.hbReq("g", "a", 1, "t:0,1,2,3,4,5"))
	h.hb(h.hbReq("g", "a", 1, "t:0,1,2"))
	h.hb(h.hbReq("g", "b", 2, ""))
	wantEq(t, "stable", h.state("g"), "Stable epoch=2/2 a:2:STABLE:t[0,1,2] b:2:STABLE:t[3,4,5]")

	from := len(h.log)
	leave := h.hbReq("g", "b", leaveEpoch, "")
	wantEq(t, "leave", h.hb(leave), "epoch=-1 -")
	wantStrings(t, "leave records", h.kinds(from), []string{
		"tombstone current g/b", "tombstone target g/b", "tombstone member g/b", "metadata g",
	})
	wantEq(t, "a takes all", h.hb(h.hbReq("g", "a", 2, "t:0,1,2")), "epoch=3 t:0,1,2,3,4,5")

	// a stops heartbeating: after the session timeout it is removed.
	h.advance(44 * time.Second)
	wantEq(t, "alive", h.state("g"), "Stable epoch=3/3 a:3:STABLE:t[0,1,2,3,4,5]")
	h.advance(time.Second)
	wantEq(t, "expired", h.state("g"), "Empty epoch=4/3")
	wantEq(t, "expired member", h.hb(h.hbReq("g", "a", 3, "")), "UNKNOWN_MEMBER_ID")
}

func TestConsumerRevocationTimeoutFences(t *testing.T) {
	h := newH848(t, cfg848())
	h.hb(joinReq848("g", "a", "t"))
	h.hb(joinReq848("g", "b", "t"))
	h.hb(h.hbReq("g", "a", 1, "t:0,1,2,3,4,5")) // must revoke 3-5 within 30s
	for range 2 {                               // a keeps heartbeating without revoking
		h.advance(10 * time.Second)
		h.hb(h.hbReq("g", "a", 1, "t:0,1,2,3,4,5"))
		h.hb(h.hbReq("g", "b", 2, ""))
	}
	wantEq(t, "still revoking", h.state("g"), "Reconciling epoch=2/2 a:1:UNREVOKED:t[0,1,2]-t[3,4,5] b:2:UNRELEASED:[]")
	h.advance(10 * time.Second)
	wantEq(t, "a fenced", h.state("g"), "Assigning epoch=3/2 b:2:UNRELEASED:[]")
	wantEq(t, "a learns", h.hb(h.hbReq("g", "a", 1, "t:0,1,2,3,4,5")), "UNKNOWN_MEMBER_ID")
	wantEq(t, "b gets all", h.hb(h.hbReq("g", "b", 2, "")), "epoch=3 t:0,1,2,3,4,5")
}

func TestConsumerStaticLeaveAndReturn(t *testing.T) {
	h := newH848(t, cfg848())
	ja := joinReq848("g", "a1", "t")
	ja.InstanceID = ptr("ia")
	h.hb(ja)
	h.hb(joinReq848("g", "b", "t"))
	h.hb(h.hbReq("g", "a1", 1, "t:0,1,2,3,4,5"))
	h.hb(h.hbReq("g", "a1", 1, "t:0,1,2"))
	h.hb(h.hbReq("g", "b", 2, ""))
	leave := h.hbReq("g", "a1", staticLeaveEpoch, "")
	leave.InstanceID = ptr("ia")
	wantEq(t, "static leave", h.hb(leave), "epoch=-2 -")
	wantEq(t, "kept", h.state("g"), "Reconciling epoch=2/2 a1:-2:STABLE:t[0,1,2] b:2:STABLE:t[3,4,5]")
	// Another process with the same instance id while a1 is away is
	// fine; while it is active, it is UNRELEASED_INSTANCE_ID.
	ja2 := joinReq848("g", "a2", "t")
	ja2.InstanceID = ptr("ia")
	wantEq(t, "return", h.hb(ja2), "epoch=2 t:0,1,2")
	wantEq(t, "no rebalance", h.state("g"), "Stable epoch=2/2 a2:2:STABLE:t[0,1,2] b:2:STABLE:t[3,4,5]")
	ja3 := joinReq848("g", "a3", "t")
	ja3.InstanceID = ptr("ia")
	wantEq(t, "taken", h.hb(ja3), "UNRELEASED_INSTANCE_ID")
	stale := h.hbReq("g", "a1", 2, "")
	stale.InstanceID = ptr("ia")
	wantEq(t, "old id", h.hb(stale), "UNKNOWN_MEMBER_ID")
}

func TestConsumerRegexSubscription(t *testing.T) {
	h := newH848(t, cfg848())
	h.topic("tt", 2)
	h.topic("u", 2)
	j := joinReq848("g", "a", "")
	j.SubscribedTopicNames = nil
	j.SubscribedTopicRegex = ptr("t.*")
	wantEq(t, "join", h.hb(j), "epoch=1 t:0,1,2,3,4,5 tt:0,1")
	// A topic created later that matches joins the subscription at the
	// next heartbeat (the group epoch moves).
	h.topic("tx", 1)
	h.topic("ut", 1)
	wantEq(t, "new topic", h.hb(h.hbReq("g", "a", 1, "t:0,1,2,3,4,5 tt:0,1")), "epoch=2 t:0,1,2,3,4,5 tt:0,1 tx:0")
	bad := joinReq848("g", "b", "")
	bad.SubscribedTopicNames, bad.SubscribedTopicRegex = nil, ptr("t(")
	wantEq(t, "invalid regex", h.hb(bad), "INVALID_REGULAR_EXPRESSION")
}

func TestConsumerRequestErrors(t *testing.T) {
	c := cfg848()
	c.ConsumerMaxSize = 1
	h := newH848(t, c)
	r := joinReq848("g", "a", "t")
	r.ServerAssignor = ptr("sticky")
	wantEq(t, "unknown assignor", h.hb(r), "UNSUPPORTED_ASSIGNOR")
	r = joinReq848("g", "", "t")
	wantEq(t, "v1 without member id", h.hb(r), "INVALID_REQUEST")
	r = joinReq848("g", "a")
	wantEq(t, "no subscription", h.hb(r), "INVALID_REQUEST")
	r = joinReq848("g", "a", "t")
	r.RebalanceTimeoutMillis = -1
	wantEq(t, "no rebalance timeout", h.hb(r), "INVALID_REQUEST")
	wantEq(t, "bad epoch", h.hb(h.hbReq("g", "a", -3, "")), "INVALID_REQUEST")
	if len(h.s.groups) != 0 {
		t.Fatalf("failed requests left groups behind: %v", sortedKeys(h.s.groups))
	}
	wantEq(t, "heartbeat of unknown group", h.hb(h.hbReq("g", "a", 1, "")), "UNKNOWN_MEMBER_ID")
	h.hb(joinReq848("g", "a", "t"))
	wantEq(t, "group full", h.hb(joinReq848("g", "b", "t")), "GROUP_MAX_SIZE_REACHED")
	// v0: the coordinator names the member.
	r = joinReq848("g0", "", "t")
	r.Version = 0
	resp := h.send(r)
	if resp.ErrorCode != 0 || resp.MemberID == nil || *resp.MemberID == "" || resp.MemberEpoch != 1 {
		t.Fatalf("v0 join: %+v", resp)
	}
}

func TestConsumerRangeAndUniformAssignments(t *testing.T) {
	h := newH848(t, cfg848())
	h.topic("u", 7)
	var ids []image.Uuid
	for _, n := range []string{"t", "u"} {
		ids = append(ids, h.idOf(n))
	}
	spec := assignSpec{partitions: map[image.Uuid]int32{ids[0]: 6, ids[1]: 7}}
	for _, m := range []string{"m1", "m2", "m3"} {
		spec.members = append(spec.members, assignMember{id: m, topics: sortedTopicIDs(uuidSet(ids))})
	}
	spec.members[2].instanceID = ptr("i0") // static members come first in range
	got := assign(assignorRange, spec)
	wantEq(t, "range", fmt.Sprintf("m1=%s m2=%s m3=%s", h.fmtAssignment(got["m1"]), h.fmtAssignment(got["m2"]), h.fmtAssignment(got["m3"])),
		"m1=t[2,3]u[3,4] m2=t[4,5]u[5,6] m3=t[0,1]u[0,1,2]")

	// Uniform is balanced and sticky: m3 leaves, m1 and m2 keep theirs.
	spec.members[2].instanceID = nil
	got = assign(assignorUniform, spec)
	wantEq(t, "uniform", fmt.Sprintf("m1=%s m2=%s m3=%s", h.fmtAssignment(got["m1"]), h.fmtAssignment(got["m2"]), h.fmtAssignment(got["m3"])),
		"m1=t[0,3]u[0,3,6] m2=t[1,4]u[1,4] m3=t[2,5]u[2,5]")
	two := assignSpec{partitions: spec.partitions, members: spec.members[:2]}
	two.members[0].current, two.members[1].current = got["m1"], got["m2"]
	got2 := assign(assignorUniform, two)
	wantEq(t, "uniform after leave", fmt.Sprintf("m1=%s m2=%s", h.fmtAssignment(got2["m1"]), h.fmtAssignment(got2["m2"])),
		"m1=t[0,3,5]u[0,3,5,6] m2=t[1,2,4]u[1,2,4]")
	// Heterogeneous: only m2 subscribes to u.
	het := assignSpec{partitions: spec.partitions, members: []assignMember{
		{id: "m1", topics: []image.Uuid{ids[0]}}, {id: "m2", topics: sortedTopicIDs(uuidSet(ids))},
	}}
	got3 := assign(assignorUniform, het)
	wantEq(t, "uniform heterogeneous", fmt.Sprintf("m1=%s m2=%s", h.fmtAssignment(got3["m1"]), h.fmtAssignment(got3["m2"])),
		"m1=t[0,1,2,3,4,5] m2=u[0,1,2,3,4,5,6]")
}

func TestConsumerReplayRebuildsGroup(t *testing.T) {
	h := newH848(t, cfg848())
	ja := joinReq848("g", "a", "t")
	ja.InstanceID, ja.ServerAssignor = ptr("ia"), ptr("range")
	h.hb(ja)
	h.hb(joinReq848("g", "b", "t"))
	h.hb(h.hbReq("g", "a", 1, "t:0,1,2,3,4,5")) // a revoking 3-5
	commit := kmsg.NewPtrOffsetCommitRequest()
	commit.Version, commit.Group, commit.MemberID, commit.Generation = 9, "g", "a", 1
	commit.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: "t", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 7}}}}
	var cr *kmsg.OffsetCommitResponse
	h.run(h.s.OffsetCommit(commit, func(r *kmsg.OffsetCommitResponse) { cr = r }))
	wantCode(t, "commit", cr.Topics[0].Partitions[0].ErrorCode, nil)
	before := h.state("g")
	h.reload()
	wantEq(t, "replayed", h.state("g"), before)
	if g := h.s.groups["g"]; g.offsets[topicPartition{"t", 0}].offset != 7 || *g.cg.members["a"].instanceID != "ia" ||
		*g.cg.members["a"].serverAssignor != "range" {
		t.Fatalf("replayed offsets/member wrong")
	}
	// The revocation timer is armed again on load.
	h.advance(30 * time.Second)
	wantEq(t, "fenced after load", h.state("g"), "Assigning epoch=3/2 b:2:UNRELEASED:[]")
}

func TestConsumerOffsetsListDescribeDelete(t *testing.T) {
	h := newH848(t, cfg848())
	h.hb(joinReq848("g", "a", "t"))
	commit := func(member string, gen int32, version int16) int16 {
		req := kmsg.NewPtrOffsetCommitRequest()
		req.Version, req.Group, req.MemberID, req.Generation = version, "g", member, gen
		req.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: "t", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 1, Offset: 3}}}}
		var r *kmsg.OffsetCommitResponse
		h.run(h.s.OffsetCommit(req, func(resp *kmsg.OffsetCommitResponse) { r = resp }))
		return r.Topics[0].Partitions[0].ErrorCode
	}
	wantCode(t, "current epoch", commit("a", 1, 9), nil)
	wantCode(t, "stale epoch", commit("a", 0, 9), kerr.StaleMemberEpoch)
	wantCode(t, "old version", commit("a", 1, 8), kerr.UnsupportedVersion)
	wantCode(t, "unknown member", commit("x", 1, 9), kerr.UnknownMemberID)
	wantCode(t, "admin commit while active", commit("", -1, 9), kerr.UnknownMemberID)
	wantCode(t, "fetch stale", errCode(h.s.ValidateFetch("g", ptr("a"), 0)), kerr.StaleMemberEpoch)
	wantCode(t, "fetch current", errCode(h.s.ValidateFetch("g", ptr("a"), 1)), nil)
	wantCode(t, "fetch admin", errCode(h.s.ValidateFetch("g", nil, -1)), nil)

	ls := h.s.List(nil, []string{"consumer"})
	if len(ls) != 1 || ls[0].Group != "g" || ls[0].GroupState != "Stable" || ls[0].GroupType != "consumer" || ls[0].ProtocolType != "consumer" {
		t.Fatalf("list consumer: %+v", ls)
	}
	if ls := h.s.List(nil, []string{"classic"}); len(ls) != 0 {
		t.Fatalf("list classic: %+v", ls)
	}
	d := h.s.Describe("g", 6)
	wantCode(t, "DescribeGroups of a consumer group", d.ErrorCode, kerr.GroupIDNotFound)
	cd := h.s.DescribeConsumer("g", 1)
	if cd.ErrorCode != 0 || cd.State != "Stable" || cd.AssignorName != "uniform" || len(cd.Members) != 1 ||
		cd.Members[0].Assignment.TopicPartitions[0].Topic != "t" || cd.Members[0].MemberType != 1 {
		t.Fatalf("ConsumerGroupDescribe: %+v", cd)
	}
	wantCode(t, "describe unknown", h.s.DescribeConsumer("nope", 1).ErrorCode, kerr.GroupIDNotFound)

	var del *kerr.Error
	h.run(h.s.Delete("g", func(e *kerr.Error) { del = e }))
	wantCode(t, "delete active", errCode(del), kerr.NonEmptyGroup)
	h.hb(h.hbReq("g", "a", leaveEpoch, ""))
	wantCode(t, "admin commit when empty", commit("", -1, 9), nil)
	from := len(h.log)
	h.run(h.s.Delete("g", func(e *kerr.Error) { del = e }))
	wantCode(t, "delete", errCode(del), nil)
	wantStrings(t, "delete records", h.kinds(from), []string{
		"tombstone offset g t/1", "tombstone target-epoch g", "tombstone partitions g", "tombstone metadata g",
	})
	h.reload()
	if len(h.s.groups) != 0 {
		t.Fatalf("groups after delete and replay: %v", sortedKeys(h.s.groups))
	}
}

func TestConsumerClassicConversion(t *testing.T) {
	h := newH848(t, cfg848())
	// A classic group with members is not a consumer group.
	id, join := h.joinNew("c")
	h.advance(3 * time.Second)
	if !join.done() {
		t.Fatal("classic join not done")
	}
	wantEq(t, "classic busy", h.hb(joinReq848("c", "a", "t")), "GROUP_ID_NOT_FOUND")
	// Once empty, it becomes one; its offsets stay, also across replay.
	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Version, leave.Group = 3, "c"
	leave.Members = []kmsg.LeaveGroupRequestMember{{MemberID: id}}
	_, res := h.s.LeaveGroup(leave)
	h.run(res)
	h.s.groups["c"].offsets[topicPartition{"t", 0}] = &offset{offset: 5, commitMs: 1}
	h.log = append(h.log, offsetRecord("c", "t", 0, h.s.groups["c"].offsets[topicPartition{"t", 0}]))
	wantEq(t, "converted", h.hb(joinReq848("c", "a", "t")), "epoch=1 t:0,1,2,3,4,5")
	h.reload()
	if g := h.s.groups["c"]; g.cg == nil || g.offsets[topicPartition{"t", 0}] == nil {
		t.Fatal("converted group or its offsets lost on replay")
	}
	// A classic join to a consumer group with members is refused.
	j := h.join(joinReq("c", ""))
	wantCode(t, "classic join", j.resp.ErrorCode, kerr.InconsistentGroupProtocol)
}

func TestConsumerRecordFormats(t *testing.T) {
	// Byte layouts from Kafka's schemas: key = int16 type + non-flexible
	// fields; value = int16 version 0 + flexible fields + tag section.
	r := epochRecord(cgMetadataType, "g", 5)
	wantEq(t, "metadata key", hex.EncodeToString(r.Key), "000300"+"0167")
	wantEq(t, "metadata value", hex.EncodeToString(r.Value), "0000"+"00000005"+"00")
	var id image.Uuid
	id[15] = 1
	m := &cmember{id: "m", clientID: "c", clientHost: "/h", topics: []string{"t"}, rebalanceTimeout: time.Second,
		epoch: 3, prevEpoch: 2, state: memberUnrevoked, assigned: assignment{id: {0, 2}}, revoking: assignment{id: {1}}}
	mr := memberMetadataRecord("g", m)
	wantEq(t, "member key", hex.EncodeToString(mr.Key), "0005"+"000167"+"00016d")
	wantEq(t, "member value", hex.EncodeToString(mr.Value),
		"0000"+"00"+"00"+"0263"+"032f68"+"02"+"0274"+"00"+"000003e8"+"00"+"00")
	cr := currentMemberRecord("g", m)
	wantEq(t, "current value", hex.EncodeToString(cr.Value),
		"0000"+"00000003"+"00000002"+"01"+
			"02"+hex.EncodeToString(id[:])+"03"+"00000000"+"00000002"+"00"+
			"02"+hex.EncodeToString(id[:])+"02"+"00000001"+"00"+"00")
	var back cmember
	if err := readCurrentMember(&back, cr.Value); err != nil || back.epoch != 3 || back.prevEpoch != 2 ||
		back.state != memberUnrevoked || !back.assigned.equal(m.assigned) || !back.revoking.equal(m.revoking) {
		t.Fatalf("current assignment round trip: %+v, %v", back, err)
	}
	var mm cmember
	if err := readMemberMetadata(&mm, mr.Value); err != nil || mm.clientHost != "/h" || mm.topics[0] != "t" || mm.rebalanceTimeout != time.Second {
		t.Fatalf("member round trip: %+v, %v", mm, err)
	}
	if _, err := readTargetMember([]byte{0, 0, 5}); err == nil {
		t.Fatal("truncated value read without error")
	}
	if !bytes.Equal(cgKey(cgTargetMemberType, "g", "m"), []byte{0, 7, 0, 1, 'g', 0, 1, 'm'}) {
		t.Fatal("target member key")
	}
}

// A group's dynamic configs (consumer.session.timeout.ms,
// consumer.heartbeat.interval.ms) beat the broker's, from the next
// heartbeat on.
func TestConsumerGroupConfigs(t *testing.T) {
	c := cfg848()
	c.ResolveGroup = func(m map[string]string) config.Group {
		g := config.Group{ConsumerSessionTimeoutMs: 45000, ConsumerHeartbeatIntervalMs: 5000}
		fmt.Sscan(m["consumer.session.timeout.ms"], &g.ConsumerSessionTimeoutMs)
		fmt.Sscan(m["consumer.heartbeat.interval.ms"], &g.ConsumerHeartbeatIntervalMs)
		return g
	}
	h := newH848(t, c)
	h.im.GroupConfigs = map[string]map[string]string{"g": {"consumer.session.timeout.ms": "8000", "consumer.heartbeat.interval.ms": "1500"}}

	if r := h.send(joinReq848("g", "a", "t")); r.HeartbeatIntervalMillis != 1500 {
		t.Fatalf("g's interval %d, want 1500", r.HeartbeatIntervalMillis)
	}
	if r := h.send(joinReq848("other", "x", "t")); r.HeartbeatIntervalMillis != 5000 {
		t.Fatalf("other's interval %d, want the broker's 5000", r.HeartbeatIntervalMillis)
	}
	h.advance(7999 * time.Millisecond)
	wantEq(t, "alive", h.state("g"), "Stable epoch=1/1 a:1:STABLE:t[0,1,2,3,4,5]")
	h.advance(time.Millisecond)
	wantEq(t, "expired after g's session timeout", h.state("g"), "Empty epoch=2/1")
	wantEq(t, "other alive", h.state("other"), "Stable epoch=1/1 x:1:STABLE:t[0,1,2,3,4,5]")

	// A change applies from the member's next heartbeat.
	h.hb(joinReq848("g", "b", "t"))
	h.im.GroupConfigs = map[string]map[string]string{"g": {"consumer.session.timeout.ms": "20000"}}
	if r := h.send(h.hbReq("g", "b", 3, "t:0,1,2,3,4,5")); r.HeartbeatIntervalMillis != 5000 {
		t.Fatalf("interval after the change %d, want 5000", r.HeartbeatIntervalMillis)
	}
	h.advance(19 * time.Second)
	wantEq(t, "b alive", h.state("g"), "Stable epoch=3/3 b:3:STABLE:t[0,1,2,3,4,5]")
	h.advance(time.Second)
	wantEq(t, "b expired", h.state("g"), "Empty epoch=4/3")
}
