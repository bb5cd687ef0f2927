package server_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/testkit"
)

// synonym is a described config synonym, for exact comparisons.
type synonym struct {
	Name, Value string
	Source      kmsg.ConfigSource
}

func synonymsOf(c kadm.Config) []synonym {
	var out []synonym
	for _, s := range c.Synonyms {
		v := ""
		if s.Value != nil {
			v = *s.Value
		}
		out = append(out, synonym{s.Key, v, s.Source})
	}
	return out
}

// describedConfig returns config key of one described resource.
func describedConfig(t *testing.T, rcs kadm.ResourceConfigs, err error, key string) kadm.Config {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if len(rcs) != 1 || rcs[0].Err != nil {
		t.Fatalf("describe: %+v", rcs)
	}
	for _, c := range rcs[0].Configs {
		if c.Key == key {
			return c
		}
	}
	t.Fatalf("config %s not described", key)
	return kadm.Config{}
}

// TestDynamicBrokerConfigs sets broker configs at run time, for the cluster
// and for the node, and checks that topics without overrides take them at
// once, with Kafka's precedence, sources and synonyms, and that they
// survive a restart.
func TestDynamicBrokerConfigs(t *testing.T) {
	b := testkit.StartBroker(t, testkit.WithConfig("log.retention.ms", "172800000"))
	adm := b.Admin()
	ctx := testkit.Context(t, 20*time.Second)
	createTopic(t, adm, "dyn", 1, nil)
	createTopic(t, adm, "own", 1, map[string]*string{"retention.ms": ptr("1000"), "max.message.bytes": ptr("100000")})

	topicCfg := func(topic, key string) kadm.Config {
		t.Helper()
		rcs, err := adm.DescribeTopicConfigs(ctx, topic)
		return describedConfig(t, rcs, err, key)
	}
	alter := func(cfgs []kadm.AlterConfig, brokers ...int32) {
		t.Helper()
		res, err := adm.AlterBrokerConfigs(ctx, cfgs, brokers...)
		if err != nil || len(res) != 1 || res[0].Err != nil {
			t.Fatalf("alter broker configs %v: %v %+v", brokers, err, res)
		}
	}

	// Cluster-wide defaults.
	alter([]kadm.AlterConfig{
		{Op: kadm.SetConfig, Name: "log.retention.ms", Value: ptr("5000")},
		{Op: kadm.SetConfig, Name: "message.max.bytes", Value: ptr("2000")},
	})
	c := topicCfg("dyn", "retention.ms")
	if c.MaybeValue() != "5000" || c.Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
		t.Fatalf("retention.ms: %s from %v", c.MaybeValue(), c.Source)
	}
	want := []synonym{
		{"log.retention.ms", "5000", kmsg.ConfigSourceDynamicDefaultBrokerConfig},
		{"log.retention.ms", "172800000", kmsg.ConfigSourceStaticBrokerConfig},
		{"log.retention.hours", "168", kmsg.ConfigSourceDefaultConfig},
	}
	if got := synonymsOf(c); !reflect.DeepEqual(got, want) {
		t.Fatalf("retention.ms synonyms:\n got %v\nwant %v", got, want)
	}
	if c := topicCfg("own", "retention.ms"); c.MaybeValue() != "1000" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Fatalf("own retention.ms: %s from %v", c.MaybeValue(), c.Source)
	}

	// The new message.max.bytes applies to "dyn" at once, not to "own".
	cl := b.Client(kgo.ProducerBatchMaxBytes(1<<20), kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.RecordRetries(0))
	big := make([]byte, 10000)
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "dyn", Value: big}).FirstErr(); !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("10 kB record with message.max.bytes=2000: %v", err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "own", Value: big}).FirstErr(); err != nil {
		t.Fatalf("10 kB record to a topic with max.message.bytes=100000: %v", err)
	}

	// This node's own config beats the cluster's.
	alter([]kadm.AlterConfig{{Op: kadm.SetConfig, Name: "log.retention.ms", Value: ptr("7000")}}, 1)
	c = topicCfg("dyn", "retention.ms")
	if c.MaybeValue() != "7000" || c.Source != kmsg.ConfigSourceDynamicBrokerConfig {
		t.Fatalf("retention.ms with a node config: %s from %v", c.MaybeValue(), c.Source)
	}
	rcs, err := adm.DescribeBrokerConfigs(ctx, 1)
	c = describedConfig(t, rcs, err, "log.retention.ms")
	want = []synonym{
		{"log.retention.ms", "7000", kmsg.ConfigSourceDynamicBrokerConfig},
		{"log.retention.ms", "5000", kmsg.ConfigSourceDynamicDefaultBrokerConfig},
		{"log.retention.ms", "172800000", kmsg.ConfigSourceStaticBrokerConfig},
		{"log.retention.hours", "168", kmsg.ConfigSourceDefaultConfig},
	}
	if c.MaybeValue() != "7000" || c.Source != kmsg.ConfigSourceDynamicBrokerConfig || !reflect.DeepEqual(synonymsOf(c), want) {
		t.Fatalf("broker 1 log.retention.ms: %s from %v, synonyms %v", c.MaybeValue(), c.Source, synonymsOf(c))
	}

	// The cluster-wide resource describes only what is set there.
	checkClusterDefaults := func(wantKeys map[string]string) {
		t.Helper()
		rcs, err := adm.DescribeBrokerConfigs(ctx)
		if err != nil || len(rcs) != 1 || rcs[0].Err != nil {
			t.Fatalf("describe cluster defaults: %v %+v", err, rcs)
		}
		got := map[string]string{}
		for _, c := range rcs[0].Configs {
			if c.Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
				t.Errorf("%s: source %v", c.Key, c.Source)
			}
			got[c.Key] = c.MaybeValue()
		}
		if !reflect.DeepEqual(got, wantKeys) {
			t.Fatalf("cluster defaults = %v, want %v", got, wantKeys)
		}
	}
	checkClusterDefaults(map[string]string{"log.retention.ms": "5000", "message.max.bytes": "2000"})

	// Survives a restart.
	b.Restart()
	adm = b.Admin()
	if c := topicCfg("dyn", "retention.ms"); c.MaybeValue() != "7000" || c.Source != kmsg.ConfigSourceDynamicBrokerConfig {
		t.Fatalf("retention.ms after restart: %s from %v", c.MaybeValue(), c.Source)
	}
	checkClusterDefaults(map[string]string{"log.retention.ms": "5000", "message.max.bytes": "2000"})

	// Deleting the node's config falls back to the cluster's; legacy
	// AlterConfigs replaces the cluster's whole set.
	alter([]kadm.AlterConfig{{Op: kadm.DeleteConfig, Name: "log.retention.ms"}}, 1)
	if c := topicCfg("dyn", "retention.ms"); c.MaybeValue() != "5000" {
		t.Fatalf("retention.ms after deleting the node config: %s", c.MaybeValue())
	}
	res, err := adm.AlterBrokerConfigsState(ctx, []kadm.AlterConfig{{Name: "log.segment.bytes", Value: ptr("2097152")}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("alter (state): %v %+v", err, res)
	}
	checkClusterDefaults(map[string]string{"log.segment.bytes": "2097152"})
	if c := topicCfg("dyn", "retention.ms"); c.MaybeValue() != "172800000" || c.Source != kmsg.ConfigSourceStaticBrokerConfig {
		t.Fatalf("retention.ms after replacing the cluster set: %s from %v", c.MaybeValue(), c.Source)
	}
	if c := topicCfg("dyn", "segment.bytes"); c.MaybeValue() != "2097152" {
		t.Fatalf("segment.bytes: %s", c.MaybeValue())
	}
}

// TestDynamicBrokerConfigErrors checks what Kafka refuses, with its error
// codes, and that a refused or validate-only change changes nothing.
func TestDynamicBrokerConfigErrors(t *testing.T) {
	b := testkit.StartBroker(t)
	cl := b.Client()
	ctx := testkit.Context(t, 10*time.Second)
	incremental := func(name string, validateOnly bool, cfgs ...kmsg.IncrementalAlterConfigsRequestResourceConfig) (int16, string) {
		t.Helper()
		req := kmsg.NewPtrIncrementalAlterConfigsRequest()
		req.ValidateOnly = validateOnly
		r := kmsg.NewIncrementalAlterConfigsRequestResource()
		r.ResourceType, r.ResourceName, r.Configs = kmsg.ConfigResourceTypeBroker, name, cfgs
		req.Resources = append(req.Resources, r)
		// Straight to node 1: kgo would route a resource named "7" to
		// broker 7.
		kresp, err := cl.Broker(1).Request(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		rr := kresp.(*kmsg.IncrementalAlterConfigsResponse).Resources[0]
		msg := ""
		if rr.ErrorMessage != nil {
			msg = *rr.ErrorMessage
		}
		return rr.ErrorCode, msg
	}
	set := func(k, v string) kmsg.IncrementalAlterConfigsRequestResourceConfig {
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		c.Name, c.Value = k, &v
		return c
	}
	for _, tc := range []struct {
		name     string
		resource string
		cfg      kmsg.IncrementalAlterConfigsRequestResourceConfig
		code     int16
		msg      string
	}{
		{"static only", "", set("log.retention.hours", "1"), kerr.InvalidRequest.Code,
			"Cannot update these configs dynamically: Set(log.retention.hours)"},
		{"listeners", "1", set("listeners", "PLAINTEXT://:9093"), kerr.InvalidRequest.Code,
			"Cannot update these configs dynamically: Set(listeners)"},
		{"unknown key", "", set("log.retention.msx", "1"), kerr.InvalidRequest.Code,
			"unknown broker config log.retention.msx"},
		{"bad value", "", set("log.retention.ms", "soon"), kerr.InvalidRequest.Code,
			"Invalid value soon for configuration log.retention.ms: Not an integer"},
		{"out of range", "1", set("log.segment.bytes", "10"), kerr.InvalidRequest.Code,
			"Invalid value 10 for configuration log.segment.bytes: Must be at least 1048576"},
		{"another broker", "7", set("log.retention.ms", "1"), kerr.InvalidRequest.Code,
			"Unexpected broker id, expected 1, but received 7"},
		{"not an id", "one", set("log.retention.ms", "1"), kerr.InvalidRequest.Code,
			"Node id must be an integer, but it is: one"},
		{"null value", "", kmsg.IncrementalAlterConfigsRequestResourceConfig{Name: "log.retention.ms"}, kerr.InvalidRequest.Code,
			"Null value not supported for : log.retention.ms"},
	} {
		code, msg := incremental(tc.resource, false, tc.cfg)
		if code != tc.code || msg != tc.msg {
			t.Errorf("%s: error %d %q, want %d %q", tc.name, code, msg, tc.code, tc.msg)
		}
	}
	if code, msg := incremental("", true, set("log.retention.ms", "1000")); code != 0 {
		t.Fatalf("validate-only: %d %s", code, msg)
	}
	rcs, err := kadm.NewClient(cl).DescribeBrokerConfigs(ctx)
	if err != nil || len(rcs) != 1 || len(rcs[0].Configs) != 0 {
		t.Fatalf("cluster defaults after refused and validate-only changes: %v %+v", err, rcs)
	}
	dreq := kmsg.NewPtrDescribeConfigsRequest()
	dr := kmsg.NewDescribeConfigsRequestResource()
	dr.ResourceType, dr.ResourceName, dr.ConfigNames = kmsg.ConfigResourceTypeBroker, "1", []string{"log.retention.hours", "log.retention.ms"}
	dreq.Resources = append(dreq.Resources, dr)
	dresp, err := dreq.RequestWith(ctx, cl)
	if err != nil || len(dresp.Resources) != 1 || len(dresp.Resources[0].Configs) != 2 {
		t.Fatalf("describe broker 1: %v %+v", err, dresp)
	}
	for _, c := range dresp.Resources[0].Configs {
		if wantRO := c.Name == "log.retention.hours"; c.ReadOnly != wantRO || c.Source != kmsg.ConfigSourceDefaultConfig {
			t.Errorf("%s: read-only %v, source %v", c.Name, c.ReadOnly, c.Source)
		}
	}
	// "01" names node 1, and sets what node 1 reads.
	if code, msg := incremental("01", false, set("log.retention.ms", "1234")); code != 0 {
		t.Fatalf("resource 01: %d %s", code, msg)
	}
	rcs1, err := kadm.NewClient(cl).DescribeBrokerConfigs(ctx, 1)
	if c := describedConfig(t, rcs1, err, "log.retention.ms"); c.MaybeValue() != "1234" || c.Source != kmsg.ConfigSourceDynamicBrokerConfig {
		t.Fatalf("log.retention.ms set through resource 01: %s from %v", c.MaybeValue(), c.Source)
	}
}
