package server_test

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/testkit"
)

func TestFindCoordinatorBatchedAndTypes(t *testing.T) {
	b := groupBroker(t)
	cl := b.Client()
	ctx := testkit.Context(t, 10*time.Second)
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorKeys = []string{"g1", "g2"}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Coordinators) != 2 {
		t.Fatalf("coordinators: %+v", resp.Coordinators)
	}
	for _, c := range resp.Coordinators {
		if c.ErrorCode != 0 || c.NodeID != 1 || c.Port <= 0 {
			t.Fatalf("coordinator of %s: %+v", c.Key, c)
		}
	}
	d, err := b.Admin().ListTopicsWithInternal(ctx, "__consumer_offsets")
	if err != nil || len(d["__consumer_offsets"].Partitions) != 3 || !d["__consumer_offsets"].IsInternal {
		t.Fatalf("__consumer_offsets after FindCoordinator: %+v, %v", d["__consumer_offsets"], err)
	}
	txn := kmsg.NewPtrFindCoordinatorRequest()
	txn.CoordinatorType, txn.CoordinatorKeys = 1, []string{"tx"}
	tresp, err := txn.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if tresp.Coordinators[0].ErrorCode != kerr.CoordinatorNotAvailable.Code {
		t.Fatalf("transaction coordinator: %+v", tresp.Coordinators[0])
	}
}

func TestGroupAPIErrorsOnTheWire(t *testing.T) {
	b := groupBroker(t)
	createTopic(t, b.Admin(), "t", 2, nil)
	cl := b.Client()
	ctx := testkit.Context(t, 20*time.Second)

	join := kmsg.NewPtrJoinGroupRequest()
	join.Group, join.SessionTimeoutMillis, join.RebalanceTimeoutMillis = "wire", 10000, 10000
	join.ProtocolType = "consumer"
	join.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{0, 0, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 0}}}
	jr, err := join.RequestWith(ctx, cl)
	if err != nil || jr.ErrorCode != kerr.MemberIDRequired.Code || jr.MemberID == "" {
		t.Fatalf("first join: %+v %v; want MEMBER_ID_REQUIRED with an id", jr, err)
	}
	join.MemberID = jr.MemberID
	if jr, err = join.RequestWith(ctx, cl); err != nil || jr.ErrorCode != 0 || jr.Generation != 1 || jr.LeaderID != join.MemberID {
		t.Fatalf("join: %+v %v", jr, err)
	}
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.MemberID, sync.Generation = "wire", join.MemberID, 1
	sync.GroupAssignment = []kmsg.SyncGroupRequestGroupAssignment{{MemberID: join.MemberID, MemberAssignment: []byte("x")}}
	if sr, err := sync.RequestWith(ctx, cl); err != nil || sr.ErrorCode != 0 || string(sr.MemberAssignment) != "x" {
		t.Fatalf("sync: %+v %v", sr, err)
	}

	commit := kmsg.NewPtrOffsetCommitRequest()
	commit.Group, commit.MemberID, commit.Generation = "wire", join.MemberID, 1
	commit.Topics = []kmsg.OffsetCommitRequestTopic{
		{Topic: "t", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 1, Offset: 5, LeaderEpoch: -1}, {Partition: 2, Offset: 1}}},
		{Topic: "missing", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 1}}},
	}
	cr, err := commit.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	got := []int16{cr.Topics[0].Partitions[0].ErrorCode, cr.Topics[0].Partitions[1].ErrorCode, cr.Topics[1].Partitions[0].ErrorCode}
	if got[0] != 0 || got[1] != kerr.UnknownTopicOrPartition.Code || got[2] != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("commit codes %v, want [0 UNKNOWN_TOPIC_OR_PARTITION UNKNOWN_TOPIC_OR_PARTITION]", got)
	}
	commit.Generation = 7
	if cr, _ = commit.RequestWith(ctx, cl); cr.Topics[0].Partitions[0].ErrorCode != kerr.IllegalGeneration.Code {
		t.Fatalf("commit with a wrong generation: %+v", cr.Topics[0].Partitions[0])
	}
	simple := kmsg.NewPtrOffsetCommitRequest()
	simple.Group, simple.Generation = "simple", -1
	simple.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: "t", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 9}}}}
	if sr, err := simple.RequestWith(ctx, cl); err != nil || sr.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("simple commit: %+v %v", sr, err)
	}

	fetch := kmsg.NewPtrOffsetFetchRequest()
	fetch.Groups = []kmsg.OffsetFetchRequestGroup{{Group: "wire"}, {Group: "simple"}, {Group: "nobody"}}
	fr, err := fetch.RequestWith(ctx, cl)
	if err != nil || len(fr.Groups) != 3 {
		t.Fatalf("offset fetch: %+v %v", fr, err)
	}
	want := map[string]int64{"wire": 5, "simple": 9}
	for _, g := range fr.Groups {
		var off int64 = -2
		if len(g.Topics) == 1 && len(g.Topics[0].Partitions) == 1 {
			off = g.Topics[0].Partitions[0].Offset
		}
		if w, ok := want[g.Group]; ok && off != w || !ok && len(g.Topics) != 0 || g.ErrorCode != 0 {
			t.Fatalf("offsets of %s: %+v", g.Group, g)
		}
	}

	list := kmsg.NewPtrListGroupsRequest()
	list.StatesFilter = []string{"Stable"}
	lr, err := list.RequestWith(ctx, cl)
	if err != nil || lr.ErrorCode != 0 || len(lr.Groups) != 1 || lr.Groups[0].Group != "wire" || lr.Groups[0].GroupType != "classic" {
		t.Fatalf("list stable groups: %+v %v", lr, err)
	}

	del := kmsg.NewPtrDeleteGroupsRequest()
	del.Groups = []string{"wire", "simple", "nobody"}
	dr, err := del.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]int16{}
	for _, g := range dr.Groups {
		codes[g.Group] = g.ErrorCode
	}
	if codes["wire"] != kerr.NonEmptyGroup.Code || codes["simple"] != 0 || codes["nobody"] != kerr.GroupIDNotFound.Code {
		t.Fatalf("delete codes %v, want wire NON_EMPTY_GROUP, simple 0, nobody GROUP_ID_NOT_FOUND", codes)
	}

	od := kmsg.NewPtrOffsetDeleteRequest()
	od.Group = "wire"
	od.Topics = []kmsg.OffsetDeleteRequestTopic{{Topic: "t", Partitions: []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 1}}}}
	odr, err := od.RequestWith(ctx, cl)
	if err != nil || odr.ErrorCode != 0 || odr.Topics[0].Partitions[0].ErrorCode != kerr.GroupSubscribedToTopic.Code {
		t.Fatalf("offset delete of a subscribed topic: %+v %v", odr, err)
	}

	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Group, hb.MemberID, hb.Generation = "wire", "stranger", 1
	if hr, err := hb.RequestWith(ctx, cl); err != nil || hr.ErrorCode != kerr.UnknownMemberID.Code {
		t.Fatalf("heartbeat of a stranger: %+v %v", hr, err)
	}
	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Group = "wire"
	leave.Members = []kmsg.LeaveGroupRequestMember{{MemberID: join.MemberID}}
	if lr, err := leave.RequestWith(ctx, cl); err != nil || lr.ErrorCode != 0 || lr.Members[0].ErrorCode != 0 {
		t.Fatalf("leave: %+v %v", lr, err)
	}
	desc := kmsg.NewPtrDescribeGroupsRequest()
	desc.Groups = []string{"wire", "simple"}
	gr, err := desc.RequestWith(ctx, cl)
	if err != nil || gr.Groups[0].State != "Empty" || gr.Groups[1].ErrorCode != kerr.GroupIDNotFound.Code {
		t.Fatalf("describe: %+v %v", gr, err)
	}
}
