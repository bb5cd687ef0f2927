package replica_test

import (
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	vlog "github.com/vltava/vltava/internal/log"
	"github.com/vltava/vltava/internal/metadata/image"
	"github.com/vltava/vltava/internal/record"
	"github.com/vltava/vltava/internal/replica"
)

func TestApplyOpensHostedPartitions(t *testing.T) {
	e := newEnv(t)
	id := topicID(1)
	e.mustApply(createTopic("orders", id, onNode(3), nil)...)

	for i := int32(0); i < 3; i++ {
		p := e.partition("orders", i)
		if p.Topic != "orders" || p.TopicID != id || p.Index != i {
			t.Errorf("partition %d: got (%q, %x, %d)", i, p.Topic, p.TopicID, p.Index)
		}
		if got := p.LeaderEpoch(); got != 0 {
			t.Errorf("partition %d: LeaderEpoch = %d, want 0", i, got)
		}
		if hw, leo := p.HighWatermark(), p.Log().LogEndOffset(); hw != 0 || leo != 0 {
			t.Errorf("partition %d: HW %d, LEO %d, want 0, 0", i, hw, leo)
		}
		l, ok := e.logs.Get(vlog.TopicPartition{Topic: "orders", Partition: i})
		if !ok || l != p.Log() {
			t.Errorf("partition %d: the log manager's log is not the partition's (ok=%v)", i, ok)
		}
		if _, err := e.fs.Stat(filepath.Join(dataDir, "orders-"+strconv.Itoa(int(i)))); err != nil {
			t.Errorf("partition %d: directory: %v", i, err)
		}
	}
	if p := e.m.Get("orders", 3); p != nil {
		t.Errorf("Get(orders, 3) = %v, want nil (no such partition)", p)
	}
	if p := e.m.Get("other", 0); p != nil {
		t.Errorf("Get(other, 0) = %v, want nil (no such topic)", p)
	}
	if got := e.resolves.Load(); got != 1 {
		t.Errorf("Resolve called %d times, want once per topic", got)
	}
	if got := len(e.logs.Logs()); got != 3 {
		t.Errorf("log manager has %d logs open, want 3", got)
	}
}

func TestApplySkipsPartitionsNotHostedHere(t *testing.T) {
	e := newEnv(t)
	// Partition 0 is on this node; 1 and 2 are on other nodes only; 3 has
	// this node as its second replica.
	e.mustApply(createTopic("mixed", topicID(2), [][]int32{{1}, {2}, {2, 3}, {3, 1}}, nil)...)

	for _, tc := range []struct {
		partition int32
		hosted    bool
	}{{0, true}, {1, false}, {2, false}, {3, true}} {
		p := e.m.Get("mixed", tc.partition)
		if (p != nil) != tc.hosted {
			t.Errorf("Get(mixed, %d) hosted = %v, want %v", tc.partition, p != nil, tc.hosted)
		}
		_, open := e.logs.Get(vlog.TopicPartition{Topic: "mixed", Partition: tc.partition})
		if open != tc.hosted {
			t.Errorf("mixed-%d: log open = %v, want %v", tc.partition, open, tc.hosted)
		}
	}
	if got := len(e.logs.Logs()); got != 2 {
		t.Errorf("log manager has %d logs open, want 2", got)
	}
	if _, err := e.fs.Stat(filepath.Join(dataDir, "mixed-1")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("mixed-1 directory: err = %v, want it not to exist", err)
	}
}

func TestApplyIsIdempotent(t *testing.T) {
	e := newEnv(t)
	e.mustApply(createTopic("t", topicID(1), onNode(1), nil)...)
	p := e.partition("t", 0)
	if _, err := p.Append(produce(t, batchOpts{}, "a", "b"), 1); err != nil {
		t.Fatal(err)
	}
	cfg := p.Config()
	for range 3 {
		if err := e.m.Apply(e.im); err != nil {
			t.Fatalf("Apply again: %v", err)
		}
	}
	if got := e.partition("t", 0); got != p {
		t.Fatal("applying the same image again replaced the partition")
	}
	if p.Config() != cfg {
		t.Error("applying the same image again stored a new config")
	}
	if got, want := values(readStored(t, p, 0)), []string{"a", "b"}; !slices.Equal(got, want) {
		t.Errorf("records %q, want %q", got, want)
	}
	if hw := p.HighWatermark(); hw != 2 {
		t.Errorf("HW = %d, want 2", hw)
	}
}

func TestApplyDeletedTopicClosesAndDeletesLogs(t *testing.T) {
	e := newEnv(t)
	gone, kept := topicID(1), topicID(2)
	e.mustApply(append(createTopic("gone", gone, onNode(2), nil), createTopic("kept", kept, onNode(1), nil)...)...)
	p0, p1, k := e.partition("gone", 0), e.partition("gone", 1), e.partition("kept", 0)
	for _, p := range []*replica.Partition{p0, p1, k} {
		if _, err := p.Append(produce(t, batchOpts{}, "x"), 1); err != nil {
			t.Fatal(err)
		}
	}
	w := &countWaiter{}
	p0.Park(w)

	e.mustApply(&image.RemoveTopicRecord{ID: gone})

	for i := int32(0); i < 2; i++ {
		if p := e.m.Get("gone", i); p != nil {
			t.Errorf("Get(gone, %d) after the topic was deleted = %v, want nil", i, p)
		}
		tp := vlog.TopicPartition{Topic: "gone", Partition: i}
		if _, ok := e.logs.Get(tp); ok {
			t.Errorf("%s: log still open in the log manager", tp)
		}
		if _, err := e.fs.Stat(filepath.Join(dataDir, tp.DirName())); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: directory: err = %v, want it deleted", tp, err)
		}
	}
	// A fetch parked on the partition is told, so it can answer.
	if got := w.n.Load(); got != 1 {
		t.Errorf("parked waiter notified %d times on delete, want 1", got)
	}
	// A producer still holding the partition gets ErrClosed, which the
	// server maps to NOT_LEADER_OR_FOLLOWER.
	if _, err := p0.Append(produce(t, batchOpts{}, "late"), 1); !errors.Is(err, vlog.ErrClosed) {
		t.Errorf("Append to a deleted partition: err = %v, want ErrClosed", err)
	}
	// The other topic is untouched.
	if got := e.partition("kept", 0); got != k {
		t.Error("deleting one topic replaced another's partition")
	}
	if hw := k.HighWatermark(); hw != 1 {
		t.Errorf("kept-0 HW = %d, want 1", hw)
	}
	if got := len(e.logs.Logs()); got != 1 {
		t.Errorf("log manager has %d logs open, want 1", got)
	}
}

func TestApplyRecreatedTopicStartsEmpty(t *testing.T) {
	e := newEnv(t)
	oldID, newID := topicID(1), topicID(9)
	e.mustApply(createTopic("t", oldID, onNode(1), nil)...)
	old := e.partition("t", 0)
	if _, err := old.Append(produce(t, batchOpts{}, "a", "b", "c"), 1); err != nil {
		t.Fatal(err)
	}

	// Deleted and created again under the same name within one image
	// change: the partition is still named in the image, with a new id.
	e.mustApply(append([]image.Record{&image.RemoveTopicRecord{ID: oldID}}, createTopic("t", newID, onNode(1), nil)...)...)

	p := e.partition("t", 0)
	if p == old {
		t.Fatal("the recreated topic kept the old partition")
	}
	if p.TopicID != newID {
		t.Errorf("TopicID = %x, want %x", p.TopicID, newID)
	}
	if leo, hw := p.Log().LogEndOffset(), p.HighWatermark(); leo != 0 || hw != 0 {
		t.Errorf("recreated partition: LEO %d, HW %d, want 0, 0", leo, hw)
	}
	if _, err := old.Append(produce(t, batchOpts{}, "late"), 1); !errors.Is(err, vlog.ErrClosed) {
		t.Errorf("Append to the old partition: err = %v, want ErrClosed", err)
	}
	info, err := p.Append(produce(t, batchOpts{}, "new"), 1)
	if err != nil || info.FirstOffset != 0 {
		t.Errorf("first append to the recreated partition: offset %d, err %v; want 0, nil", info.FirstOffset, err)
	}
}

func TestApplyReassignedAwayDeletesLog(t *testing.T) {
	e := newEnv(t)
	id := topicID(1)
	e.mustApply(createTopic("t", id, onNode(2), nil)...)
	if _, err := e.partition("t", 1).Append(produce(t, batchOpts{}, "x"), 1); err != nil {
		t.Fatal(err)
	}
	p0 := e.partition("t", 0)

	// Partition 1 moves to node 2 only.
	e.mustApply(&image.PartitionRecord{TopicID: id, Partition: 1, Replicas: []int32{2}, ISR: []int32{2}, Leader: 2, LeaderEpoch: 1})

	if p := e.m.Get("t", 1); p != nil {
		t.Errorf("Get(t, 1) after moving away = %v, want nil", p)
	}
	if _, err := e.fs.Stat(filepath.Join(dataDir, "t-1")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("t-1 directory: err = %v, want it deleted", err)
	}
	if got := e.partition("t", 0); got != p0 {
		t.Error("moving partition 1 replaced partition 0")
	}
}

func TestApplyAddedPartitionIsOpened(t *testing.T) {
	e := newEnv(t)
	id := topicID(1)
	e.mustApply(createTopic("t", id, onNode(1), nil)...)
	p0 := e.partition("t", 0)

	// CreatePartitions: a second partition.
	e.mustApply(&image.PartitionRecord{TopicID: id, Partition: 1, Replicas: []int32{node}, ISR: []int32{node}, Leader: node})

	if got := e.partition("t", 0); got != p0 {
		t.Error("adding a partition replaced partition 0")
	}
	p1 := e.partition("t", 1)
	if p1.Index != 1 || p1.TopicID != id {
		t.Errorf("new partition: index %d, id %x", p1.Index, p1.TopicID)
	}
}

func TestApplyLeaderEpochChange(t *testing.T) {
	e := newEnv(t)
	id := topicID(1)
	e.mustApply(createTopic("t", id, onNode(1), nil)...)
	p := e.partition("t", 0)
	if _, err := p.Append(produce(t, batchOpts{}, "a"), 1); err != nil {
		t.Fatal(err)
	}

	e.mustApply(newLeader(id, 0, 3))

	if got := e.partition("t", 0); got != p {
		t.Fatal("a leader epoch change replaced the partition")
	}
	if got := p.LeaderEpoch(); got != 3 {
		t.Errorf("LeaderEpoch = %d, want 3", got)
	}
	if _, err := p.Append(produce(t, batchOpts{}, "b"), 1); err != nil {
		t.Fatal(err)
	}
	bs := readStored(t, p, 0)
	if len(bs) != 2 {
		t.Fatalf("%d batches stored, want 2", len(bs))
	}
	if e0, e1 := bs[0].h.PartitionLeaderEpoch, bs[1].h.PartitionLeaderEpoch; e0 != 0 || e1 != 3 {
		t.Errorf("stored leader epochs %d, %d; want 0, 3", e0, e1)
	}
	if got := p.Log().LatestEpoch(); got != 3 {
		t.Errorf("log's latest epoch = %d, want 3", got)
	}
}

func TestApplyTopicConfigChangeReconfigures(t *testing.T) {
	e := newEnv(t)
	e.mustApply(createTopic("t", topicID(1), onNode(1), map[string]string{"max.message.bytes": "100"})...)
	p := e.partition("t", 0)
	b := produce(t, batchOpts{}, strings.Repeat("v", 100))
	if got := p.Config().MaxMessageBytes; got != 100 {
		t.Fatalf("MaxMessageBytes = %d, want 100", got)
	}
	if _, err := p.Append(b, 1); !errors.Is(err, record.ErrTooLarge) {
		t.Fatalf("Append of a %d-byte batch with max.message.bytes=100: err = %v, want ErrTooLarge", len(b), err)
	}
	resolvesBefore := e.resolves.Load()

	// AlterConfigs: raise max.message.bytes, set retention.ms.
	e.mustApply(topicConfig("t", "max.message.bytes", ptr("1000")), topicConfig("t", "retention.ms", ptr("60000")))

	if got := e.resolves.Load() - resolvesBefore; got != 1 {
		t.Errorf("Resolve called %d times for the change, want 1", got)
	}
	if got := e.partition("t", 0); got != p {
		t.Fatal("a config change replaced the partition")
	}
	cfg := p.Config()
	if cfg.MaxMessageBytes != 1000 || cfg.Log.RetentionMs != 60000 {
		t.Errorf("config: MaxMessageBytes %d, RetentionMs %d; want 1000, 60000", cfg.MaxMessageBytes, cfg.Log.RetentionMs)
	}
	if got := p.Log().Config().RetentionMs; got != 60000 {
		t.Errorf("log's retention.ms = %d, want 60000 (SetConfig not called?)", got)
	}
	info, err := p.Append(b, 1)
	if err != nil || info.FirstOffset != 0 || p.HighWatermark() != 1 {
		t.Errorf("Append after raising max.message.bytes: offset %d, HW %d, err %v; want 0, 1, nil", info.FirstOffset, p.HighWatermark(), err)
	}

	// Removing the override goes back to the default (7 days).
	e.mustApply(topicConfig("t", "retention.ms", nil))
	if got := p.Log().Config().RetentionMs; got != 7*24*3600*1000 {
		t.Errorf("retention.ms after removing the override = %d, want 604800000", got)
	}
}

func TestApplyDynamicBrokerConfigReachesTopicsWithoutOverride(t *testing.T) {
	e := newEnv(t)
	e.mustApply(append(createTopic("plain", topicID(1), onNode(1), nil),
		createTopic("own", topicID(2), onNode(1), map[string]string{"retention.ms": "5000"})...)...)
	plain, own := e.partition("plain", 0), e.partition("own", 0)

	// A cluster-wide dynamic default, then this node's own value.
	e.mustApply(&image.ConfigRecord{ResourceType: image.ResourceBroker, ResourceName: "", Name: "log.retention.ms", Value: ptr("1000")})
	if p, o := plain.Log().Config().RetentionMs, own.Log().Config().RetentionMs; p != 1000 || o != 5000 {
		t.Errorf("after the cluster default: retention.ms %d (plain), %d (own); want 1000, 5000", p, o)
	}
	e.mustApply(&image.ConfigRecord{ResourceType: image.ResourceBroker, ResourceName: "1", Name: "log.retention.ms", Value: ptr("2000")})
	if p, o := plain.Log().Config().RetentionMs, own.Log().Config().RetentionMs; p != 2000 || o != 5000 {
		t.Errorf("after node 1's value: retention.ms %d (plain), %d (own); want 2000, 5000", p, o)
	}
}

func TestApplyUnresolvableConfigKeepsTheOldOne(t *testing.T) {
	e := newEnv(t)
	e.resolveErr = "retention.bytes"
	id := topicID(1)
	e.mustApply(createTopic("t", id, onNode(1), map[string]string{"retention.ms": "60000"})...)
	p := e.partition("t", 0)
	before := p.Config()

	// An override Resolve rejects, together with a leader epoch change.
	e.mustApply(topicConfig("t", "retention.bytes", ptr("1")), newLeader(id, 0, 2))

	if p.Config() != before || p.Log().Config().RetentionMs != 60000 || p.Log().Config().RetentionBytes != -1 {
		t.Errorf("config changed to %+v, want the old one kept", *p.Config())
	}
	if got := p.LeaderEpoch(); got != 2 {
		t.Errorf("LeaderEpoch = %d, want 2 (epochs still follow the image)", got)
	}
	if !strings.Contains(e.logBuf.String(), "bad topic config; keeping the old one") {
		t.Errorf("nothing logged about the bad config; log: %q", e.logBuf.String())
	}
}

func TestApplyReturnsOpenError(t *testing.T) {
	e := newEnv(t)
	boom := errors.New("injected mkdir failure")
	e.fs.InjectError(func(op, path string) error {
		if op == "mkdir" && strings.HasSuffix(path, "broken-0") {
			return boom
		}
		return nil
	})
	err := e.apply(createTopic("broken", topicID(1), onNode(1), nil)...)
	if !errors.Is(err, vlog.ErrStorage) || !errors.Is(err, boom) {
		t.Fatalf("Apply: err = %v, want a storage error wrapping the injected one", err)
	}
	if !strings.Contains(err.Error(), "open log broken-0") {
		t.Errorf("error %q does not name the partition", err)
	}
	if p := e.m.Get("broken", 0); p != nil {
		t.Errorf("Get(broken, 0) = %v, want nil after a failed open", p)
	}
}

func TestApplyAfterRestartReopensLogs(t *testing.T) {
	e := newEnv(t)
	e.mustApply(createTopic("t", topicID(1), onNode(2), nil)...)
	for i, vs := range [][]string{{"a", "b"}, {"c", "d", "e"}} {
		if _, err := e.partition("t", int32(i)).Append(produce(t, batchOpts{}, vs...), -1); err != nil {
			t.Fatal(err)
		}
	}

	e.restart()
	if p := e.m.Get("t", 0); p != nil {
		t.Fatal("a new manager hosts partitions before its first Apply")
	}
	if err := e.m.Apply(e.im); err != nil { // the same image, as a broker applies it at start
		t.Fatal(err)
	}

	for i, want := range [][]string{{"a", "b"}, {"c", "d", "e"}} {
		p := e.partition("t", int32(i))
		n := int64(len(want))
		if leo, hw := p.Log().LogEndOffset(), p.HighWatermark(); leo != n || hw != n {
			t.Errorf("t-%d after restart: LEO %d, HW %d; want %d, %d", i, leo, hw, n, n)
		}
		if got := values(readStored(t, p, 0)); !slices.Equal(got, want) {
			t.Errorf("t-%d after restart: records %q, want %q", i, got, want)
		}
	}
}

// A new partition whose config does not resolve is not opened: a zero
// Config would mean retention 0, which deletes records.
func TestApplyDoesNotOpenWithoutConfig(t *testing.T) {
	e := newEnv(t)
	e.resolveErr = "retention.bytes"
	err := e.apply(createTopic("t", topicID(1), onNode(1), map[string]string{"retention.bytes": "1"})...)
	if err == nil || !strings.Contains(err.Error(), "partition t-0: not opened") {
		t.Fatalf("Apply: err = %v, want the partition not opened", err)
	}
	if p := e.m.Get("t", 0); p != nil {
		t.Fatalf("Get(t, 0) = %v, want nil", p)
	}
}
