package server_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/testkit"
)

func TestCreateTopicsErrors(t *testing.T) {
	b := testkit.StartBroker(t)
	adm := b.Admin()
	ctx := testkit.Context(t, 10*time.Second)
	createTopic(t, adm, "exists", 1, nil)
	cases := []struct {
		name       string
		partitions int32
		rf         int16
		configs    map[string]*string
		want       error
	}{
		{"exists", 1, 1, nil, kerr.TopicAlreadyExists},
		{"bad/name", 1, 1, nil, kerr.InvalidTopicException},
		{strings.Repeat("x", 250), 1, 1, nil, kerr.InvalidTopicException},
		{"zero-partitions", 0, 1, nil, kerr.InvalidPartitions},
		{"rf-too-big", 1, 3, nil, kerr.InvalidReplicationFactor},
		{"rf-zero", 1, 0, nil, kerr.InvalidReplicationFactor},
		{"bad-config", 1, 1, map[string]*string{"retention.ms": ptr("soon")}, kerr.InvalidConfig},
		{"unknown-config", 1, 1, map[string]*string{"no.such.config": ptr("1")}, kerr.InvalidConfig},
	}
	for _, c := range cases {
		res, err := adm.CreateTopics(ctx, c.partitions, c.rf, c.configs, c.name)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := res[c.name].Err; got != c.want {
			t.Errorf("create %q: got %v, want %v", c.name, got, c.want)
		}
	}
	// Nothing but "exists" was created.
	td, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if names := td.Names(); len(names) != 1 || names[0] != "exists" {
		t.Fatalf("topics: %v", names)
	}
}

func TestCreateTopicValidateOnlyAndDefaults(t *testing.T) {
	b := testkit.StartBroker(t, testkit.WithConfig("num.partitions", "3"))
	adm := b.Admin()
	ctx := testkit.Context(t, 10*time.Second)
	res, err := adm.ValidateCreateTopics(ctx, 5, 1, nil, "dry")
	if err != nil || res["dry"].Err != nil {
		t.Fatalf("validate: %v %v", err, res["dry"].Err)
	}
	td, _ := adm.ListTopics(ctx)
	if len(td) != 0 {
		t.Fatalf("validate-only created %v", td.Names())
	}
	r, err := adm.CreateTopic(ctx, -1, -1, nil, "defaults")
	if err != nil || r.Err != nil {
		t.Fatalf("create with defaults: %v %v", err, r.Err)
	}
	if r.NumPartitions != 3 || r.ReplicationFactor != 1 || r.ID == [16]byte{} {
		t.Fatalf("create response: %+v", r)
	}
}

func TestDeleteTopic(t *testing.T) {
	b := testkit.StartBroker(t)
	adm := b.Admin()
	ctx := testkit.Context(t, 10*time.Second)
	createTopic(t, adm, "doomed", 2, nil)
	produceN(t, b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner())), "doomed", 10, 0)
	res, err := adm.DeleteTopics(ctx, "doomed", "never-was")
	if err != nil {
		t.Fatal(err)
	}
	if res["doomed"].Err != nil || res["never-was"].Err != kerr.UnknownTopicOrPartition {
		t.Fatalf("delete: doomed=%v never-was=%v", res["doomed"].Err, res["never-was"].Err)
	}
	// Re-creating the name starts an empty topic.
	createTopic(t, adm, "doomed", 1, nil)
	ends, err := adm.ListEndOffsets(ctx, "doomed")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := ends.Lookup("doomed", 0); o.Offset != 0 {
		t.Fatalf("recreated topic has end offset %d", o.Offset)
	}
}

func TestCreatePartitions(t *testing.T) {
	b := testkit.StartBroker(t)
	adm := b.Admin()
	ctx := testkit.Context(t, 10*time.Second)
	createTopic(t, adm, "grow", 2, nil)
	r, err := adm.UpdatePartitions(ctx, 5, "grow")
	if err != nil || r["grow"].Err != nil {
		t.Fatalf("grow: %v %v", err, r["grow"].Err)
	}
	r, _ = adm.UpdatePartitions(ctx, 3, "grow")
	if r["grow"].Err != kerr.InvalidPartitions {
		t.Fatalf("shrink: %v", r["grow"].Err)
	}
	r, _ = adm.UpdatePartitions(ctx, 3, "missing")
	if r["missing"].Err != kerr.UnknownTopicOrPartition {
		t.Fatalf("missing: %v", r["missing"].Err)
	}
	produceN(t, b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner())), "grow", 5, 4)
	ends, _ := adm.ListEndOffsets(ctx, "grow")
	if o, _ := ends.Lookup("grow", 4); o.Offset != 5 {
		t.Fatalf("new partition 4 end offset %d", o.Offset)
	}
}

func TestDescribeAndAlterConfigs(t *testing.T) {
	b := testkit.StartBroker(t, testkit.WithConfig("log.retention.ms", "172800000"))
	adm := b.Admin()
	ctx := testkit.Context(t, 10*time.Second)
	createTopic(t, adm, "cfg", 1, map[string]*string{"segment.bytes": ptr("2000000")})
	get := func(key string) kadm.Config {
		t.Helper()
		rc, err := adm.DescribeTopicConfigs(ctx, "cfg")
		if err != nil {
			t.Fatal(err)
		}
		c, err := rc.On("cfg", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range c.Configs {
			if e.Key == key {
				return e
			}
		}
		t.Fatalf("config %s not described", key)
		return kadm.Config{}
	}
	if c := get("segment.bytes"); c.MaybeValue() != "2000000" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Fatalf("segment.bytes: %v from %v", c.MaybeValue(), c.Source)
	}
	if c := get("retention.ms"); c.MaybeValue() != "172800000" || c.Source != kmsg.ConfigSourceStaticBrokerConfig {
		t.Fatalf("retention.ms: %v from %v", c.MaybeValue(), c.Source)
	}
	if c := get("cleanup.policy"); c.MaybeValue() != "delete" || c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Fatalf("cleanup.policy: %v from %v", c.MaybeValue(), c.Source)
	}
	// Incremental: set one, delete another.
	res, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{
		{Op: kadm.SetConfig, Name: "retention.ms", Value: ptr("1000")},
		{Op: kadm.DeleteConfig, Name: "segment.bytes"},
	}, "cfg")
	if err != nil || res[0].Err != nil {
		t.Fatalf("alter: %v %+v", err, res)
	}
	if c := get("retention.ms"); c.MaybeValue() != "1000" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Fatalf("retention.ms after alter: %v from %v", c.MaybeValue(), c.Source)
	}
	if c := get("segment.bytes"); c.MaybeValue() != "1073741824" || c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Fatalf("segment.bytes after delete: %v from %v", c.MaybeValue(), c.Source)
	}
	res, _ = adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "cleanup.policy", Value: ptr("shred")}}, "cfg")
	if res[0].Err != kerr.InvalidConfig {
		t.Fatalf("invalid cleanup.policy: %v", res[0].Err)
	}
	// Legacy AlterConfigs replaces the whole set.
	lres, err := adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "max.message.bytes", Value: ptr("5000")}}, "cfg")
	if err != nil || lres[0].Err != nil {
		t.Fatalf("alter (state): %v %+v", err, lres)
	}
	if c := get("retention.ms"); c.Source != kmsg.ConfigSourceStaticBrokerConfig {
		t.Fatalf("retention.ms after full replace: %v from %v", c.MaybeValue(), c.Source)
	}
	// max.message.bytes now rejects a large batch.
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchMaxBytes(1<<20), kgo.ProducerBatchCompression(kgo.NoCompression()))
	err = cl.ProduceSync(ctx, &kgo.Record{Topic: "cfg", Value: make([]byte, 10000)}).FirstErr()
	if !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("a 10 kB record with max.message.bytes=5000: %v", err)
	}
}

func TestListOffsetsAndDeleteRecords(t *testing.T) {
	b := testkit.StartBroker(t)
	adm := b.Admin()
	ctx := testkit.Context(t, 10*time.Second)
	createTopic(t, adm, "lo", 1, nil)
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	var recs []*kgo.Record
	for i := range 10 {
		recs = append(recs, &kgo.Record{Topic: "lo", Value: []byte{byte(i)}, Timestamp: base.Add(time.Duration(i) * time.Minute)})
	}
	// One record per batch, so that timestamps map to exact offsets.
	for _, r := range recs {
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	lookup := func(l kadm.ListedOffsets) int64 {
		o, ok := l.Lookup("lo", 0)
		if !ok || o.Err != nil {
			t.Fatalf("list offsets: %v", o.Err)
		}
		return o.Offset
	}
	start, _ := adm.ListStartOffsets(ctx, "lo")
	end, _ := adm.ListEndOffsets(ctx, "lo")
	if lookup(start) != 0 || lookup(end) != 10 {
		t.Fatalf("start %d end %d", lookup(start), lookup(end))
	}
	at, _ := adm.ListOffsetsAfterMilli(ctx, base.Add(3*time.Minute+time.Second).UnixMilli(), "lo")
	if lookup(at) != 4 {
		t.Fatalf("offset after minute 3: %d", lookup(at))
	}
	after, _ := adm.ListOffsetsAfterMilli(ctx, time.Now().Add(time.Hour).UnixMilli(), "lo")
	if got := lookup(after); got != 10 { // kadm maps "none" (-1) to the end offset
		t.Fatalf("offset after the future: %d", got)
	}
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = "lo"
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Timestamp = -3 // max timestamp
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if p := resp.Topics[0].Partitions[0]; p.Offset != 9 || p.Timestamp != base.Add(9*time.Minute).UnixMilli() {
		t.Fatalf("max timestamp: offset %d ts %d", p.Offset, p.Timestamp)
	}
	// DeleteRecords moves the log start offset.
	dres, err := adm.DeleteRecords(ctx, kadm.Offsets{"lo": {0: {At: 6}}})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := dres.Lookup("lo", 0); d.Err != nil || d.LowWatermark != 6 {
		t.Fatalf("delete records: %+v", d)
	}
	start, _ = adm.ListStartOffsets(ctx, "lo")
	if lookup(start) != 6 {
		t.Fatalf("start after delete: %d", lookup(start))
	}
	dres, _ = adm.DeleteRecords(ctx, kadm.Offsets{"lo": {0: {At: 11}}})
	if d, _ := dres.Lookup("lo", 0); d.Err != kerr.OffsetOutOfRange {
		t.Fatalf("delete beyond the end: %v", d.Err)
	}
	got := consumeN(t, b, "lo", 4)
	if got[0].Offset != 6 {
		t.Fatalf("first record after delete: %d", got[0].Offset)
	}
}

func TestDescribeClusterAndLogDirs(t *testing.T) {
	b := testkit.StartBroker(t)
	adm := b.Admin()
	ctx := testkit.Context(t, 10*time.Second)
	createTopic(t, adm, "dirs", 2, nil)
	produceN(t, b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner())), "dirs", 10, 1)
	cl, err := kmsg.NewPtrDescribeClusterRequest().RequestWith(ctx, b.Client())
	if err != nil {
		t.Fatal(err)
	}
	if cl.ErrorCode != 0 || cl.ControllerID != 1 || len(cl.Brokers) != 1 || cl.Brokers[0].NodeID != 1 || cl.ClusterID == "" {
		t.Fatalf("cluster: %+v", cl)
	}
	dirs, err := adm.DescribeAllLogDirs(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sizes [2]int64
	dirs.Each(func(d kadm.DescribedLogDir) {
		d.Topics.Each(func(p kadm.DescribedLogDirPartition) {
			if p.Topic == "dirs" {
				sizes[p.Partition] = p.Size
			}
		})
	})
	if sizes[0] != 0 || sizes[1] <= 0 {
		t.Fatalf("partition sizes %v", sizes)
	}
}
