package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/metadata/image"
	"github.com/vltava/vltava/internal/metadata/quorum"
	"github.com/vltava/vltava/internal/testkit"
	"github.com/vltava/vltava/internal/vfs"
)

// epochQuery is one partition of an OffsetForLeaderEpoch request.
type epochQuery struct {
	topic              string
	partition          int32
	currentLeaderEpoch int32 // -1: no check
	leaderEpoch        int32
}

// offsetsForEpochs sends one OffsetForLeaderEpoch request of version v on
// rc and returns each partition's answer as "topic/partition err=E
// epoch=L end=O", in response order.
func offsetsForEpochs(t *testing.T, rc *rawConn, v int16, replicaID int32, qs ...epochQuery) []string {
	t.Helper()
	req := kmsg.NewPtrOffsetForLeaderEpochRequest()
	req.SetVersion(v)
	req.ReplicaID = replicaID
	for _, q := range qs {
		if n := len(req.Topics); n == 0 || req.Topics[n-1].Topic != q.topic {
			rt := kmsg.NewOffsetForLeaderEpochRequestTopic()
			rt.Topic = q.topic
			req.Topics = append(req.Topics, rt)
		}
		rp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
		rp.Partition, rp.CurrentLeaderEpoch, rp.LeaderEpoch = q.partition, q.currentLeaderEpoch, q.leaderEpoch
		rt := &req.Topics[len(req.Topics)-1]
		rt.Partitions = append(rt.Partitions, rp)
	}
	resp := rc.roundTrip(req).(*kmsg.OffsetForLeaderEpochResponse)
	if resp.ThrottleMillis != 0 {
		t.Errorf("v%d: throttle %d", v, resp.ThrottleMillis)
	}
	var out []string
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			out = append(out, fmt.Sprintf("%s/%d err=%d epoch=%d end=%d", rt.Topic, rp.Partition, rp.ErrorCode, rp.LeaderEpoch, rp.EndOffset))
		}
	}
	return out
}

func expectEpochs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

var (
	errUnknownTP     = kerr.UnknownTopicOrPartition.Code
	errUnknownLeader = kerr.UnknownLeaderEpoch.Code
	errFenced        = kerr.FencedLeaderEpoch.Code
)

// TestOffsetForLeaderEpoch checks every served version on a single node,
// where every partition is in leader epoch 0: the current epoch ends at the
// log end offset (an empty partition's too), a later epoch is unknown
// (-1/-1, no error), missing topics and partitions are
// UNKNOWN_TOPIC_OR_PARTITION, and a current leader epoch above ours is
// UNKNOWN_LEADER_EPOCH. Consumers and followers get the same answer.
func TestOffsetForLeaderEpoch(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "ofle", 2, nil)
	produceTo(t, b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner())), "ofle", 0, 5)
	rc := dialRaw(t, b.Addr())
	for v := int16(2); v <= 4; v++ {
		got := offsetsForEpochs(t, rc, v, -1,
			epochQuery{"ofle", 0, -1, 0},
			epochQuery{"ofle", 0, 0, 0},
			epochQuery{"ofle", 0, -1, 1},
			epochQuery{"ofle", 0, -1, -1},
			epochQuery{"ofle", 1, 0, 0},
			epochQuery{"ofle", 0, 1, 0},
			epochQuery{"ofle", 2, -1, 0},
			epochQuery{"ofle", -1, -1, 0},
			epochQuery{"nope", 0, -1, 0},
		)
		expectEpochs(t, fmt.Sprintf("v%d", v), got,
			"ofle/0 err=0 epoch=0 end=5",
			"ofle/0 err=0 epoch=0 end=5",
			"ofle/0 err=0 epoch=-1 end=-1",
			"ofle/0 err=0 epoch=-1 end=-1",
			"ofle/1 err=0 epoch=0 end=0",
			fmt.Sprintf("ofle/0 err=%d epoch=-1 end=-1", errUnknownLeader),
			fmt.Sprintf("ofle/2 err=%d epoch=-1 end=-1", errUnknownTP),
			fmt.Sprintf("ofle/-1 err=%d epoch=-1 end=-1", errUnknownTP),
			fmt.Sprintf("nope/0 err=%d epoch=-1 end=-1", errUnknownTP),
		)
	}
	// ReplicaId (v3+) changes nothing: a follower (1), a consumer (-1) and
	// the default "debug" id (-2) all get the log end offset.
	for _, id := range []int32{1, -1, -2} {
		got := offsetsForEpochs(t, rc, 3, id, epochQuery{"ofle", 0, 0, 0})
		expectEpochs(t, fmt.Sprintf("v3 replica id %d", id), got, "ofle/0 err=0 epoch=0 end=5")
	}

	// Through kadm (franz-go picks the version and routes to the leader).
	var req kadm.OffsetForLeaderEpochRequest
	req.Add("ofle", 0, 0)
	req.Add("ofle", 1, 7)
	res, err := b.Admin().OffsetForLeaderEpoch(testkit.Context(t, 10*time.Second), req)
	if err != nil {
		t.Fatal(err)
	}
	want := kadm.OffsetsForLeaderEpochs{"ofle": {
		0: {NodeID: 1, Topic: "ofle", Partition: 0, LeaderEpoch: 0, EndOffset: 5},
		1: {NodeID: 1, Topic: "ofle", Partition: 1, LeaderEpoch: -1, EndOffset: -1},
	}}
	if fmt.Sprint(res) != fmt.Sprint(want) {
		t.Fatalf("kadm: got %v, want %v", res, want)
	}
}

// TestOffsetForLeaderEpochAfterNewEpoch raises a partition's leader epoch
// from 0 to 2 (a single node never does that itself: the test writes the
// metadata record while the broker is down) and checks the answers Kafka's
// leader gives: epoch 2 starts at the log end before any batch of it, an
// earlier epoch ends where the next known one starts, and the current
// leader epoch fences both ways.
func TestOffsetForLeaderEpochAfterNewEpoch(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "bump", 1, nil)
	produceTo(t, b.Client(), "bump", 0, 3) // offsets 0-2, epoch 0
	b.Close()
	setLeaderEpoch(t, b.Dir(), "bump", 0, 2)
	b = testkit.StartBroker(t, testkit.WithDir(b.Dir()))

	rc := dialRaw(t, b.Addr())
	queries := []epochQuery{
		{"bump", 0, -1, 0},
		{"bump", 0, -1, 1},
		{"bump", 0, 2, 2},
		{"bump", 0, -1, 3},
		{"bump", 0, 1, 0},
		{"bump", 0, 3, 0},
	}
	fenced := []string{
		fmt.Sprintf("bump/0 err=%d epoch=-1 end=-1", errFenced),
		fmt.Sprintf("bump/0 err=%d epoch=-1 end=-1", errUnknownLeader),
	}
	expectEpochs(t, "epoch 2, nothing produced in it", offsetsForEpochs(t, rc, 4, -1, queries...),
		append([]string{
			"bump/0 err=0 epoch=0 end=3",
			"bump/0 err=0 epoch=0 end=3",
			"bump/0 err=0 epoch=2 end=3",
			"bump/0 err=0 epoch=-1 end=-1",
		}, fenced...)...)

	produceTo(t, b.Client(), "bump", 0, 2) // offsets 3-4, epoch 2
	after := append([]string{
		"bump/0 err=0 epoch=0 end=3",
		"bump/0 err=0 epoch=0 end=3",
		"bump/0 err=0 epoch=2 end=5",
		"bump/0 err=0 epoch=-1 end=-1",
	}, fenced...)
	expectEpochs(t, "epoch 2 with records", offsetsForEpochs(t, rc, 4, -1, queries...), after...)
	// The epochs survive a restart (the leader-epoch checkpoint).
	b.Restart()
	expectEpochs(t, "after a restart", offsetsForEpochs(t, dialRaw(t, b.Addr()), 2, -1, queries...), after...)
}

// setLeaderEpoch appends a PartitionRecord giving topic's partition the
// leader epoch epoch to the metadata log of a stopped broker in dir.
func setLeaderEpoch(t *testing.T, dir, topic string, partition, epoch int32) {
	t.Helper()
	ml, err := quorum.OpenLocal(vfs.OS{}, filepath.Join(dir, "__cluster_metadata-0"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer ml.Close()
	var id image.Uuid
	found := false
	err = ml.Replay(func(_ int64, recs []image.Record) error {
		for _, r := range recs {
			if tr, ok := r.(*image.TopicRecord); ok && tr.Name == topic {
				id, found = tr.ID, true
			}
		}
		return nil
	})
	if err != nil || !found {
		t.Fatalf("topic %s in the metadata log: found %v, %v", topic, found, err)
	}
	rec := &image.PartitionRecord{TopicID: id, Partition: partition, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1, LeaderEpoch: epoch}
	if _, err := ml.Append(context.Background(), []image.Record{rec}); err != nil {
		t.Fatal(err)
	}
}
