package group

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type commitPart struct {
	topic     string
	partition int32
	offset    int64
	meta      string
}

func (h *harness) commit(version int16, group, member string, gen int32, parts ...commitPart) []int16 {
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Version, req.Group, req.MemberID, req.Generation = version, group, member, gen
	for _, p := range parts {
		req.Topics = append(req.Topics, kmsg.OffsetCommitRequestTopic{Topic: p.topic, Partitions: []kmsg.OffsetCommitRequestTopicPartition{
			{Partition: p.partition, Offset: p.offset, LeaderEpoch: 3, Metadata: ptr(p.meta)},
		}})
	}
	var resp *kmsg.OffsetCommitResponse
	h.run(h.s.OffsetCommit(req, func(r *kmsg.OffsetCommitResponse) { resp = r }))
	var codes []int16
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			codes = append(codes, p.ErrorCode)
		}
	}
	return codes
}

// fetched renders a group's committed offsets as "t/0=5" items (nil
// topics: all).
func (h *harness) fetched(group string, topics []kmsg.OffsetFetchRequestGroupTopic) []string {
	var out []string
	for _, t := range h.s.FetchOffsets(group, topics).Topics {
		for _, p := range t.Partitions {
			out = append(out, fmt.Sprintf("%s/%d=%d epoch=%d meta=%s", t.Topic, p.Partition, p.Offset, p.LeaderEpoch, *p.Metadata))
		}
	}
	return out
}

func TestSimpleCommitFetchAndReplay(t *testing.T) {
	h := newHarness(t, defaultConfig())
	codes := h.commit(9, "simple", "", -1,
		commitPart{"t", 0, 5, "m"}, commitPart{"t", 3, 7, ""}, commitPart{"t", 4, 1, ""},
		commitPart{"gone", 0, 1, ""}, commitPart{"t", 1, 2, strings.Repeat("x", 4097)})
	want := []int16{0, 0, kerr.UnknownTopicOrPartition.Code, kerr.UnknownTopicOrPartition.Code, kerr.OffsetMetadataTooLarge.Code}
	if len(codes) != len(want) {
		t.Fatalf("codes %v, want %v", codes, want)
	}
	for i := range want {
		if codes[i] != want[i] {
			t.Fatalf("codes %v, want %v", codes, want)
		}
	}
	wantStrings(t, "records", h.recordKinds(0), []string{`offset simple t/0=5 epoch=3 meta="m"`, `offset simple t/3=7 epoch=3 meta=""`})
	all := []string{"t/0=5 epoch=3 meta=m", "t/3=7 epoch=3 meta="}
	wantStrings(t, "fetch all", h.fetched("simple", nil), all)
	wantStrings(t, "fetch some", h.fetched("simple", []kmsg.OffsetFetchRequestGroupTopic{{Topic: "t", Partitions: []int32{3, 2}}}),
		[]string{"t/3=7 epoch=3 meta=", "t/2=-1 epoch=-1 meta="})
	wantStrings(t, "fetch unknown group", h.fetched("nope", []kmsg.OffsetFetchRequestGroupTopic{{Topic: "t", Partitions: []int32{0}}}),
		[]string{"t/0=-1 epoch=-1 meta="})
	h.reload()
	wantStrings(t, "fetch all after replay", h.fetched("simple", nil), all)
	if h.state("simple") != "Empty" {
		t.Fatalf("replayed simple group is %s, want Empty", h.state("simple"))
	}
}

func TestCommitGenerationChecks(t *testing.T) {
	h := newHarness(t, defaultConfig())
	ids := stableGroup(t, h, "g", 2)
	p := commitPart{"t", 0, 10, ""}
	cases := []struct {
		name    string
		version int16
		group   string
		member  string
		gen     int32
		want    *kerr.Error
	}{
		{"member of current generation", 9, "g", ids[0], 1, nil},
		{"old generation", 9, "g", ids[0], 0, kerr.IllegalGeneration},
		{"unknown member", 9, "g", "x", 1, kerr.UnknownMemberID},
		{"simple commit to a group with members", 9, "g", "", -1, kerr.UnknownMemberID},
		{"unknown group v9", 9, "nope", "m", 1, kerr.GroupIDNotFound},
		{"unknown group v8", 8, "nope", "m", 1, kerr.IllegalGeneration},
		{"empty group id", 9, "", "", -1, kerr.InvalidGroupID},
	}
	for _, c := range cases {
		codes := h.commit(c.version, c.group, c.member, c.gen, p)
		wantCode(t, c.name, codes[0], c.want)
	}
	h.join(joinReq("g", ids[0])) // rebalance: the other member still commits for generation 1
	wantCode(t, "during PreparingRebalance", h.commit(9, "g", ids[1], 1, p)[0], nil)
	h.join(joinReq("g", ids[1]))
	wantCode(t, "during CompletingRebalance", h.commit(9, "g", ids[1], 2, p)[0], kerr.RebalanceInProgress)
}

func TestGroupAndOffsetsSurviveReload(t *testing.T) {
	h := newHarness(t, defaultConfig())
	ids := stableGroup(t, h, "g", 2)
	h.commit(9, "g", ids[1], 1, commitPart{"t", 2, 42, "meta"})
	h.reload()
	g := h.s.groups["g"]
	if g.state != stateStable || g.generation != 1 || g.leader != ids[0] || len(g.members) != 2 || string(g.members[ids[1]].assignment) != "A"+ids[1] {
		t.Fatalf("reloaded group: state %s gen %d leader %s members %d", g.state, g.generation, g.leader, len(g.members))
	}
	wantStrings(t, "offsets", h.fetched("g", nil), []string{"t/2=42 epoch=3 meta=meta"})
	// Members resume without a rebalance if they heartbeat in time...
	h.advance(5 * time.Second)
	wantCode(t, "heartbeat after reload", h.heartbeat("g", ids[0], 1, nil), nil)
	s := h.sync("g", ids[1], 1, nil)
	if s.resp.ErrorCode != 0 || string(s.resp.MemberAssignment) != "A"+ids[1] {
		t.Fatalf("sync after reload: %+v", s.resp)
	}
	// ...and expire after their session timeout if they don't.
	h.advance(10 * time.Second)
	if h.state("g") != "Empty" || len(h.s.groups["g"].members) != 0 {
		t.Fatalf("after silence: state %s, %d members; want Empty, 0", h.state("g"), len(h.s.groups["g"].members))
	}
}

func TestOffsetRetentionOfEmptyGroups(t *testing.T) {
	cfg := defaultConfig()
	cfg.OffsetsRetention, cfg.RetentionCheckInterval = time.Hour, time.Minute
	h := newHarness(t, cfg)
	ids := stableGroup(t, h, "g", 1)
	h.commit(9, "g", ids[0], 1, commitPart{"t", 0, 1, ""})
	h.commit(9, "simple", "", -1, commitPart{"t", 1, 1, ""})
	keepAlive := func(d time.Duration) { // g's member heartbeats, so g's offsets stay
		for end := h.env.now.Add(d); h.env.now.Before(end); {
			h.advance(5 * time.Second)
			wantCode(t, "heartbeat", h.heartbeat("g", ids[0], 1, nil), nil)
		}
	}
	keepAlive(30 * time.Minute)
	h.commit(9, "simple", "", -1, commitPart{"t", 2, 1, ""})
	keepAlive(time.Hour)
	wantStrings(t, "simple offsets after 1h30", h.fetched("simple", nil), []string{"t/2=1 epoch=3 meta="})
	keepAlive(time.Hour)
	wantStrings(t, "g offsets while it has members", h.fetched("g", nil), []string{"t/0=1 epoch=3 meta="})
	if h.state("simple") != "none" {
		t.Fatalf("simple group not deleted once its offsets expired: %s", h.state("simple"))
	}
	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Version, leave.Group, leave.Members = 5, "g", []kmsg.LeaveGroupRequestMember{{MemberID: ids[0]}}
	_, res := h.s.LeaveGroup(leave)
	h.run(res)
	from := len(h.log)
	h.advance(59 * time.Minute)
	wantStrings(t, "g offsets 59m after it emptied", h.fetched("g", nil), []string{"t/0=1 epoch=3 meta="})
	h.advance(2 * time.Minute)
	wantStrings(t, "records", h.recordKinds(from), []string{"tombstone offset g t/0", "tombstone group g"})
}

func TestDeleteGroupsAndOffsets(t *testing.T) {
	h := newHarness(t, defaultConfig())
	ids := stableGroup(t, h, "g", 1)
	h.commit(9, "g", ids[0], 1, commitPart{"t", 0, 1, ""}, commitPart{"u", 0, 1, ""})
	var code *kerr.Error
	del := func(id string) *kerr.Error {
		h.run(h.s.Delete(id, func(e *kerr.Error) { code = e }))
		return code
	}
	if e := del("g"); e != kerr.NonEmptyGroup {
		t.Fatalf("delete of a group with members: %v, want NON_EMPTY_GROUP", e)
	}
	if e := del("nope"); e != kerr.GroupIDNotFound {
		t.Fatalf("delete of an unknown group: %v, want GROUP_ID_NOT_FOUND", e)
	}
	od := kmsg.NewPtrOffsetDeleteRequest()
	od.Group = "g"
	od.Topics = []kmsg.OffsetDeleteRequestTopic{{Topic: "t", Partitions: []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}}}
	var odr *kmsg.OffsetDeleteResponse
	h.run(h.s.OffsetDelete(od, func(r *kmsg.OffsetDeleteResponse) { odr = r }))
	wantCode(t, "offset delete of a subscribed topic", odr.Topics[0].Partitions[0].ErrorCode, kerr.GroupSubscribedToTopic)
	od.Topics[0].Topic = "u"
	from := len(h.log)
	h.run(h.s.OffsetDelete(od, func(r *kmsg.OffsetDeleteResponse) { odr = r }))
	wantCode(t, "offset delete of another topic", odr.Topics[0].Partitions[0].ErrorCode, nil)
	wantStrings(t, "records", h.recordKinds(from), []string{"tombstone offset g u/0"})
	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Version, leave.Group, leave.Members = 5, "g", []kmsg.LeaveGroupRequestMember{{MemberID: ids[0]}}
	_, res := h.s.LeaveGroup(leave)
	h.run(res)
	from = len(h.log)
	if e := del("g"); e != nil {
		t.Fatalf("delete of an empty group: %v", e)
	}
	wantStrings(t, "records", h.recordKinds(from), []string{"tombstone offset g t/0", "tombstone group g"})
	h.reload()
	if h.state("g") != "none" {
		t.Fatalf("deleted group back after replay: %s", h.state("g"))
	}
}

func TestDescribeAndList(t *testing.T) {
	h := newHarness(t, defaultConfig())
	ids := stableGroup(t, h, "g", 1)
	h.commit(9, "simple", "", -1, commitPart{"t", 0, 1, ""})
	d := h.s.Describe("g", 6)
	if d.State != "Stable" || d.Protocol != "range" || d.ProtocolType != "consumer" || len(d.Members) != 1 ||
		d.Members[0].MemberID != ids[0] || string(d.Members[0].MemberAssignment) != "A"+ids[0] || d.Members[0].ClientHost != "/127.0.0.1" {
		t.Fatalf("describe: %+v", d)
	}
	if d := h.s.Describe("nope", 6); d.State != "Dead" || d.ErrorCode != kerr.GroupIDNotFound.Code {
		t.Fatalf("describe unknown v6: %+v", d)
	}
	if d := h.s.Describe("nope", 5); d.State != "Dead" || d.ErrorCode != 0 {
		t.Fatalf("describe unknown v5: %+v", d)
	}
	list := func(states, types []string) []string {
		var out []string
		for _, g := range h.s.List(states, types) {
			out = append(out, g.Group+":"+g.GroupState+":"+g.ProtocolType+":"+g.GroupType)
		}
		return out
	}
	wantStrings(t, "all", list(nil, nil), []string{"g:Stable:consumer:classic", "simple:Empty::classic"})
	wantStrings(t, "stable", list([]string{"stable"}, nil), []string{"g:Stable:consumer:classic"})
	wantStrings(t, "consumer type", list(nil, []string{"consumer"}), nil)
	wantStrings(t, "classic type", list(nil, []string{"Classic"}), []string{"g:Stable:consumer:classic", "simple:Empty::classic"})
}

func TestPartitionForMatchesKafka(t *testing.T) {
	// Computed with a JDK: abs("...".hashCode()) % 50, Kafka's abs mapping
	// Integer.MIN_VALUE ("polygenelubricants") to 0.
	cases := map[string]int32{"": 0, "my-group": 12, "console-consumer-12345": 6, "grüße": 23, "polygenelubricants": 0, "\U0001F600emoji": 27}
	for g, want := range cases {
		if got := PartitionFor(g, 50); got != want {
			t.Errorf("PartitionFor(%q, 50) = %d, want %d", g, got, want)
		}
	}
}
