package server_test

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/testkit"
)

// TestIdleConnectionsAreClosed: connections.max.idle.ms closes a
// connection that has had no request for that long, and keeps one whose
// request is still parked (a long-polling fetch) however long it waits.
func TestIdleConnectionsAreClosed(t *testing.T) {
	const idle = 400 * time.Millisecond
	b := testkit.StartBroker(t, testkit.WithConfig("connections.max.idle.ms", "400"))
	createTopic(t, b.Admin(), "quiet", 1, nil)

	c := dialRaw(t, b.Addr())
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	req.ClientSoftwareName, req.ClientSoftwareVersion = "raw", "1"
	if r := c.roundTrip(req).(*kmsg.ApiVersionsResponse); r.ErrorCode != 0 {
		t.Fatalf("ApiVersions: %v", kerr.ErrorForCode(r.ErrorCode))
	}
	answered := time.Now()
	c.expectClosed()
	if waited := time.Since(answered); waited < idle {
		t.Fatalf("closed %v after the last response, before connections.max.idle.ms (%v)", waited, idle)
	}

	// A fetch parked for three idle periods is answered, on an open
	// connection that then serves another request.
	md := b.Admin()
	td, err := md.ListTopics(testkit.Context(t, 10*time.Second), "quiet")
	if err != nil {
		t.Fatal(err)
	}
	f := dialRaw(t, b.Addr())
	fetch := kmsg.NewPtrFetchRequest()
	fetch.Version = 13
	fetch.MaxWaitMillis = int32(3 * idle / time.Millisecond)
	fetch.MinBytes, fetch.MaxBytes = 1, 1<<20
	ft := kmsg.NewFetchRequestTopic()
	ft.TopicID = td["quiet"].ID
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.PartitionMaxBytes = 1 << 20
	ft.Partitions = append(ft.Partitions, fp)
	fetch.Topics = append(fetch.Topics, ft)
	start := time.Now()
	resp := f.roundTrip(fetch).(*kmsg.FetchResponse)
	if took := time.Since(start); took < 3*idle-50*time.Millisecond {
		t.Fatalf("empty fetch answered after %v, want its max wait %v", took, 3*idle)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 || resp.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("fetch response %+v", resp.Topics)
	}
	if r := f.roundTrip(req).(*kmsg.ApiVersionsResponse); r.ErrorCode != 0 {
		t.Fatalf("ApiVersions after the parked fetch: %v", kerr.ErrorForCode(r.ErrorCode))
	}
}

// TestDeleteTopicsDisabled: with delete.topic.enable=false DeleteTopics
// answers TOPIC_DELETION_DISABLED (INVALID_REQUEST before v3) for every
// topic and deletes nothing, as Kafka does.
func TestDeleteTopicsDisabled(t *testing.T) {
	b := testkit.StartBroker(t, testkit.WithConfig("delete.topic.enable", "false"))
	adm := b.Admin()
	createTopic(t, adm, "kept", 2, nil)
	ctx := testkit.Context(t, 10*time.Second)
	res, err := adm.DeleteTopics(ctx, "kept", "missing")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"kept", "missing"} {
		if r := res[name]; r.Err != kerr.TopicDeletionDisabled {
			t.Errorf("DeleteTopics %s: %v, want TOPIC_DELETION_DISABLED", name, r.Err)
		}
	}
	c := dialRaw(t, b.Addr())
	for v, want := range map[int16]*kerr.Error{1: kerr.InvalidRequest, 2: kerr.InvalidRequest, 3: kerr.TopicDeletionDisabled, 6: kerr.TopicDeletionDisabled} {
		req := kmsg.NewPtrDeleteTopicsRequest()
		req.Version, req.TimeoutMillis = v, 5000
		name := "kept"
		if v < 6 {
			req.TopicNames = []string{name}
		} else {
			rt := kmsg.NewDeleteTopicsRequestTopic()
			rt.Topic = &name
			req.Topics = append(req.Topics, rt)
		}
		resp := c.roundTrip(req).(*kmsg.DeleteTopicsResponse)
		if len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != want.Code || resp.Topics[0].Topic == nil || *resp.Topics[0].Topic != name {
			t.Errorf("DeleteTopics v%d: %+v, want %s for %q", v, resp.Topics, want.Message, name)
		}
	}
	td, err := adm.ListTopics(ctx, "kept")
	if err != nil || td["kept"].Err != nil || len(td["kept"].Partitions) != 2 {
		t.Fatalf("topic after refused deletions: %+v, %v", td["kept"], err)
	}
}

// TestConsumerProtocolDisabled: with group.coordinator.rebalance.protocols
// of only "classic", ApiVersions leaves out the KIP-848 APIs, which answer
// UNSUPPORTED_VERSION if sent anyway (as Kafka), and a franz-go consumer
// asking for the new protocol falls back to the classic one.
func TestConsumerProtocolDisabled(t *testing.T) {
	b := testkit.StartBroker(t, testkit.WithConfig("group.coordinator.rebalance.protocols", "classic"))
	c := dialRaw(t, b.Addr())
	av := kmsg.NewPtrApiVersionsRequest()
	av.Version = 3
	av.ClientSoftwareName, av.ClientSoftwareVersion = "raw", "1"
	keys := map[int16]bool{}
	for _, k := range c.roundTrip(av).(*kmsg.ApiVersionsResponse).ApiKeys {
		keys[k.ApiKey] = true
	}
	if keys[kmsg.ConsumerGroupHeartbeat.Int16()] || keys[kmsg.ConsumerGroupDescribe.Int16()] || !keys[kmsg.JoinGroup.Int16()] {
		t.Fatalf("advertised: ConsumerGroupHeartbeat %v, ConsumerGroupDescribe %v, JoinGroup %v; want false, false, true",
			keys[kmsg.ConsumerGroupHeartbeat.Int16()], keys[kmsg.ConsumerGroupDescribe.Int16()], keys[kmsg.JoinGroup.Int16()])
	}
	hb := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	hb.Version, hb.Group, hb.MemberEpoch, hb.RebalanceTimeoutMillis = 0, "g", 0, 5000
	hb.SubscribedTopicNames = []string{"t"}
	if r := c.roundTrip(hb).(*kmsg.ConsumerGroupHeartbeatResponse); r.ErrorCode != kerr.UnsupportedVersion.Code {
		t.Errorf("ConsumerGroupHeartbeat: %v, want UNSUPPORTED_VERSION", kerr.ErrorForCode(r.ErrorCode))
	}
	gd := kmsg.NewPtrConsumerGroupDescribeRequest()
	gd.Version, gd.Groups = 0, []string{"g", "h"}
	r := c.roundTrip(gd).(*kmsg.ConsumerGroupDescribeResponse)
	if len(r.Groups) != 2 || r.Groups[0].Group != "g" || r.Groups[0].ErrorCode != kerr.UnsupportedVersion.Code || r.Groups[1].ErrorCode != kerr.UnsupportedVersion.Code {
		t.Errorf("ConsumerGroupDescribe: %+v, want UNSUPPORTED_VERSION for g and h", r.Groups)
	}

	createTopic(t, b.Admin(), "t", 2, nil)
	produceN(t, b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner())), "t", 10, 0)
	got := consumeN(t, b, "t", 10, kgo.ConsumerGroup("g"), kgo.ServerSideBalancer())
	if len(got) != 10 {
		t.Fatalf("consumed %d records in the group, want 10", len(got))
	}
	groups, err := b.Admin().DescribeGroups(testkit.Context(t, 10*time.Second), "g")
	if err != nil {
		t.Fatal(err)
	}
	if g := groups["g"]; g.Err != nil || g.ProtocolType != "consumer" {
		t.Fatalf("group g: %+v, want a classic consumer group", g)
	}
}
