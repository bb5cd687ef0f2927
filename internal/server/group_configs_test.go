package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/testkit"
)

// groupConfigs describes GROUP resource group: name=value/source of each
// config, or the resource's error.
func groupConfigs(ctx context.Context, t *testing.T, cl *kgo.Client, group string) ([]string, error) {
	t.Helper()
	req := kmsg.NewPtrDescribeConfigsRequest()
	req.IncludeSynonyms = true
	res := kmsg.NewDescribeConfigsRequestResource()
	res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeGroupConfig, group
	req.Resources = append(req.Resources, res)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Resources[0]
	if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
		return nil, resourceErr{err, deref(r.ErrorMessage)}
	}
	var out []string
	for _, c := range r.Configs {
		if c.ReadOnly || c.IsSensitive || c.ConfigType != kmsg.ConfigTypeInt || len(c.ConfigSynonyms) != 1 || c.ConfigSynonyms[0].Source != c.Source {
			t.Errorf("group config %s described as %+v", c.Name, c)
		}
		out = append(out, c.Name+"="+deref(c.Value)+"/"+c.Source.String())
	}
	return out, nil
}

// alterGroupConfigs sends IncrementalAlterConfigs (or, if legacy, the
// AlterConfigs that replaces every config) for one group.
func alterGroupConfigs(ctx context.Context, t *testing.T, cl *kgo.Client, group string, legacy bool, kvs ...string) error {
	t.Helper()
	var code int16
	var msg *string
	if legacy {
		req := kmsg.NewPtrAlterConfigsRequest()
		res := kmsg.NewAlterConfigsRequestResource()
		res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeGroupConfig, group
		for i := 0; i < len(kvs); i += 2 {
			res.Configs = append(res.Configs, kmsg.AlterConfigsRequestResourceConfig{Name: kvs[i], Value: ptr(kvs[i+1])})
		}
		req.Resources = append(req.Resources, res)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		code, msg = resp.Resources[0].ErrorCode, resp.Resources[0].ErrorMessage
	} else {
		req := kmsg.NewPtrIncrementalAlterConfigsRequest()
		res := kmsg.NewIncrementalAlterConfigsRequestResource()
		res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeGroupConfig, group
		for i := 0; i < len(kvs); i += 2 {
			c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
			c.Name, c.Value = kvs[i], ptr(kvs[i+1])
			if kvs[i+1] == "<delete>" {
				c.Op, c.Value = kmsg.IncrementalAlterConfigOpDelete, nil
			}
			res.Configs = append(res.Configs, c)
		}
		req.Resources = append(req.Resources, res)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		code, msg = resp.Resources[0].ErrorCode, resp.Resources[0].ErrorMessage
	}
	if err := kerr.ErrorForCode(code); err != nil {
		return resourceErr{err, deref(msg)}
	}
	return nil
}

// TestGroupConfigs sets a consumer group's own session timeout and
// heartbeat interval through the GROUP config resource (Kafka 4,
// kafka-configs.sh --entity-type groups): described with their sources,
// validated against the broker's bounds, given to the group's members,
// and kept across a restart.
func TestGroupConfigs(t *testing.T) {
	b := groupBroker(t, testkit.WithConfig("group.consumer.min.heartbeat.interval.ms", "100"),
		testkit.WithConfig("group.consumer.min.session.timeout.ms", "1000"))
	cl := b.Client()
	ctx := testkit.Context(t, 30*time.Second)
	createTopic(t, b.Admin(), "t", 2, nil)

	want := func(what, group string, exp ...string) {
		t.Helper()
		got, err := groupConfigs(ctx, t, cl, group)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(got) != len(exp) || got[0] != exp[0] || got[1] != exp[1] {
			t.Fatalf("%s:\n got %v\nwant %v", what, got, exp)
		}
	}
	want("a group without configs", "g", "consumer.heartbeat.interval.ms=5000/DEFAULT_CONFIG", "consumer.session.timeout.ms=45000/DEFAULT_CONFIG")

	if err := alterGroupConfigs(ctx, t, cl, "g", false, "consumer.heartbeat.interval.ms", "250", "consumer.session.timeout.ms", "1500"); err != nil {
		t.Fatal(err)
	}
	want("after SET", "g", "consumer.heartbeat.interval.ms=250/GROUP_CONFIG", "consumer.session.timeout.ms=1500/GROUP_CONFIG")
	want("another group", "h", "consumer.heartbeat.interval.ms=5000/DEFAULT_CONFIG", "consumer.session.timeout.ms=45000/DEFAULT_CONFIG")

	// A member of g is told g's interval; one of h the broker's. The
	// first heartbeat may find the group's coordinator still loading:
	// retried, as clients do.
	join := func(group string) *kmsg.ConsumerGroupHeartbeatResponse {
		t.Helper()
		req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		req.Group, req.MemberID, req.MemberEpoch = group, "m-"+group, 0
		req.RebalanceTimeoutMillis, req.SubscribedTopicNames = 30000, []string{"t"}
		req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
		var resp *kmsg.ConsumerGroupHeartbeatResponse
		testkit.Eventually(t, 10*time.Second, "join "+group, func() bool {
			var err error
			resp, err = req.RequestWith(ctx, cl)
			if err != nil {
				t.Fatalf("join %s: %v", group, err)
			}
			code := kerr.ErrorForCode(resp.ErrorCode)
			if code != nil && !kerr.IsRetriable(code) {
				t.Fatalf("join %s: %v", group, code)
			}
			return code == nil
		})
		return resp
	}
	if r := join("g"); r.HeartbeatIntervalMillis != 250 {
		t.Fatalf("g's member told to heartbeat every %d ms, want 250", r.HeartbeatIntervalMillis)
	}
	if r := join("h"); r.HeartbeatIntervalMillis != 5000 {
		t.Fatalf("h's member told to heartbeat every %d ms, want 5000", r.HeartbeatIntervalMillis)
	}
	// g's member, silent, leaves after g's 1.5 s session timeout.
	members := func(group string) int {
		req := kmsg.NewPtrConsumerGroupDescribeRequest()
		req.Groups = []string{group}
		resp, err := req.RequestWith(ctx, cl)
		if err != nil || len(resp.Groups) != 1 || resp.Groups[0].ErrorCode != 0 {
			t.Fatalf("describe %s: %v %+v", group, err, resp)
		}
		return len(resp.Groups[0].Members)
	}
	testkit.Eventually(t, 15*time.Second, "g's silent member removed", func() bool { return members("g") == 0 })
	if n := members("h"); n != 1 {
		t.Fatalf("h has %d members, want 1 (its session is 45 s)", n)
	}

	// Refusals, with Kafka's codes and messages.
	for _, tc := range []struct {
		group  string
		legacy bool
		kvs    []string
		err    error
		msg    string
	}{
		{"g", false, []string{"share.record.lock.duration.ms", "30000"}, kerr.InvalidConfig, "Unknown group config name: share.record.lock.duration.ms"},
		{"g", false, []string{"consumer.session.timeout.ms", "999"}, kerr.InvalidConfig,
			"consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms"},
		{"g", false, []string{"consumer.heartbeat.interval.ms", "16000"}, kerr.InvalidConfig,
			"consumer.heartbeat.interval.ms must be less than or equal to group.consumer.max.heartbeat.interval.ms"},
		{"g", false, []string{"consumer.heartbeat.interval.ms", "1500"}, kerr.InvalidConfig,
			"consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms"},
		{"", false, []string{"consumer.session.timeout.ms", "50000"}, kerr.InvalidRequest, "Default group resources are not allowed."},
		{"", true, []string{"consumer.session.timeout.ms", "50000"}, kerr.InvalidRequest, "Default group resources are not allowed."},
	} {
		err := alterGroupConfigs(ctx, t, cl, tc.group, tc.legacy, tc.kvs...)
		if err != (resourceErr{tc.err, tc.msg}) {
			t.Errorf("alter %q %v: got %v, want %v: %s", tc.group, tc.kvs, err, tc.err, tc.msg)
		}
	}
	if _, err := groupConfigs(ctx, t, cl, ""); err != (resourceErr{kerr.InvalidRequest, "Group name must not be empty"}) {
		t.Errorf("describe \"\": %v", err)
	}
	want("after refusals", "g", "consumer.heartbeat.interval.ms=250/GROUP_CONFIG", "consumer.session.timeout.ms=1500/GROUP_CONFIG")

	// Legacy AlterConfigs replaces the set; DELETE returns to the broker's.
	if err := alterGroupConfigs(ctx, t, cl, "g", true, "consumer.session.timeout.ms", "50000"); err != nil {
		t.Fatal(err)
	}
	want("after AlterConfigs", "g", "consumer.heartbeat.interval.ms=5000/DEFAULT_CONFIG", "consumer.session.timeout.ms=50000/GROUP_CONFIG")
	b.Restart()
	cl = b.Client()
	want("after restart", "g", "consumer.heartbeat.interval.ms=5000/DEFAULT_CONFIG", "consumer.session.timeout.ms=50000/GROUP_CONFIG")
	if err := alterGroupConfigs(ctx, t, cl, "g", false, "consumer.session.timeout.ms", "<delete>"); err != nil {
		t.Fatal(err)
	}
	want("after DELETE", "g", "consumer.heartbeat.interval.ms=5000/DEFAULT_CONFIG", "consumer.session.timeout.ms=45000/DEFAULT_CONFIG")
}
