package server_test

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/logging"
	"github.com/vltava/vltava/internal/testkit"
)

// describeLoggers returns name=level of every logger of broker "1", or
// the resource's error.
func describeLoggers(ctx context.Context, t *testing.T, cl *kgo.Client, name string) ([]string, error) {
	t.Helper()
	req := kmsg.NewPtrDescribeConfigsRequest()
	res := kmsg.NewDescribeConfigsRequestResource()
	res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeBrokerLogger, name
	req.Resources = append(req.Resources, res)
	kresp, err := cl.Broker(1).Request(ctx, req) // kgo would route by the name
	if err != nil {
		t.Fatal(err)
	}
	r := kresp.(*kmsg.DescribeConfigsResponse).Resources[0]
	if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
		return nil, resourceErr{err, deref(r.ErrorMessage)}
	}
	var out []string
	for _, c := range r.Configs {
		if c.Source != kmsg.ConfigSourceDynamicBrokerLoggerConfig || c.ReadOnly || c.IsSensitive || len(c.ConfigSynonyms) != 0 {
			t.Errorf("logger %s described as %+v", c.Name, c)
		}
		out = append(out, c.Name+"="+deref(c.Value))
	}
	return out, nil
}

// resourceErr is a resource's error code and message.
type resourceErr struct {
	err error
	msg string
}

func (e resourceErr) Error() string { return e.err.Error() + ": " + e.msg }

// loggerOp is one IncrementalAlterConfigs operation on a logger.
type loggerOp struct {
	op    kmsg.IncrementalAlterConfigOp
	name  string
	value *string
}

// alterLoggers sends one IncrementalAlterConfigs for BROKER_LOGGER name
// and returns its error, if any.
func alterLoggers(ctx context.Context, t *testing.T, cl *kgo.Client, name string, validateOnly bool, ops ...loggerOp) error {
	t.Helper()
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	req.ValidateOnly = validateOnly
	res := kmsg.NewIncrementalAlterConfigsRequestResource()
	res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeBrokerLogger, name
	for _, o := range ops {
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		c.Op, c.Name, c.Value = o.op, o.name, o.value
		res.Configs = append(res.Configs, c)
	}
	req.Resources = append(req.Resources, res)
	kresp, err := cl.Broker(1).Request(ctx, req) // kgo would route by the name
	if err != nil {
		t.Fatal(err)
	}
	resp := kresp.(*kmsg.IncrementalAlterConfigsResponse)
	if err := kerr.ErrorForCode(resp.Resources[0].ErrorCode); err != nil {
		return resourceErr{err, deref(resp.Resources[0].ErrorMessage)}
	}
	return nil
}

// TestBrokerLoggers describes and changes the broker's log levels through
// the BROKER_LOGGER resource, as kafka-configs.sh --entity-type
// broker-loggers does, and checks that a level change takes effect.
func TestBrokerLoggers(t *testing.T) {
	var out testkit.Buffer
	levels := logging.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: logging.LevelTrace}), slog.LevelInfo)
	b := testkit.StartBroker(t, testkit.WithLoggers(levels))
	cl := b.Client()
	ctx := testkit.Context(t, 20*time.Second)
	set := func(name, level string) loggerOp { return loggerOp{kmsg.IncrementalAlterConfigOpSet, name, ptr(level)} }
	del := func(name string) loggerOp { return loggerOp{kmsg.IncrementalAlterConfigOpDelete, name, nil} }

	want := func(what string, levels ...string) {
		t.Helper()
		got, err := describeLoggers(ctx, t, cl, "1")
		if err != nil {
			t.Fatal(err)
		}
		names := []string{"root", "vltava", "vltava.admin", "vltava.broker", "vltava.group", "vltava.log", "vltava.metadata", "vltava.replica", "vltava.server"}
		var exp []string
		for i, n := range names {
			exp = append(exp, n+"="+levels[i])
		}
		if !reflect.DeepEqual(got, exp) {
			t.Fatalf("%s:\n got %v\nwant %v", what, got, exp)
		}
	}
	I, D, W, E := "INFO", "DEBUG", "WARN", "ERROR"
	want("at start", I, I, I, I, I, I, I, I, I)

	// Not yet DEBUG: a new connection logs nothing.
	newConn := func() {
		t.Helper()
		c := b.Client()
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	newConn()
	if s := out.String(); strings.Contains(s, "connection opened") {
		t.Fatalf("logged below INFO:\n%s", s)
	}

	if err := alterLoggers(ctx, t, cl, "1", false, set("vltava.server", "DEBUG"), set("vltava", "WARN")); err != nil {
		t.Fatal(err)
	}
	want("after SET", I, W, W, W, W, W, W, W, D)
	testkit.Eventually(t, 10*time.Second, "a DEBUG line of vltava.server", func() bool {
		newConn()
		return strings.Contains(out.String(), "level=DEBUG msg=\"connection opened\" logger=vltava.server")
	})
	if s := out.String(); !strings.Contains(s, `level=WARN msg="updated the log level of a logger" logger=vltava.server`) {
		t.Fatalf("the change was not logged:\n%s", s)
	}

	// Validate-only changes nothing; DELETE returns to the parent's level;
	// the root reaches loggers without a level of their own.
	if err := alterLoggers(ctx, t, cl, "1", true, set("vltava.log", "ERROR")); err != nil {
		t.Fatal(err)
	}
	want("after validate-only", I, W, W, W, W, W, W, W, D)
	if err := alterLoggers(ctx, t, cl, "1", false, del("vltava.server"), del("vltava"), set("root", "ERROR"), set("vltava.log", "DEBUG")); err != nil {
		t.Fatal(err)
	}
	want("after DELETE", E, E, E, E, E, D, E, E, E)

	// Refusals, with Kafka's codes and messages; nothing is applied.
	for _, tc := range []struct {
		name string
		ops  []loggerOp
		err  error
		msg  string
	}{
		{"1", []loggerOp{set("kafka.server.ReplicaManager", "DEBUG")}, kerr.InvalidConfig, "Logger kafka.server.ReplicaManager does not exist!"},
		{"1", []loggerOp{set("vltava.log", "INFO"), set("vltava.server", "debug")}, kerr.InvalidConfig,
			"Cannot set the log level of vltava.server to debug as it is not a supported log level. Valid log levels are DEBUG, ERROR, FATAL, INFO, TRACE, WARN"},
		{"1", []loggerOp{del("root")}, kerr.InvalidRequest, "Removing the log level of the root logger is not allowed"},
		{"1", []loggerOp{{kmsg.IncrementalAlterConfigOpAppend, "vltava", ptr("DEBUG")}}, kerr.InvalidRequest, "APPEND operation is not allowed for the BROKER_LOGGER resource"},
		{"1", []loggerOp{{kmsg.IncrementalAlterConfigOpSubtract, "vltava", ptr("DEBUG")}}, kerr.InvalidRequest, "SUBTRACT operation is not allowed for the BROKER_LOGGER resource"},
		{"1", []loggerOp{{7, "vltava", ptr("DEBUG")}}, kerr.InvalidRequest, "Unknown operation type 7 is not allowed for the BROKER_LOGGER resource"},
		{"1", []loggerOp{{kmsg.IncrementalAlterConfigOpSet, "vltava", nil}}, kerr.InvalidRequest, "Null value not supported for : vltava"},
		{"1", []loggerOp{set("vltava", "DEBUG"), set("vltava", "INFO")}, kerr.InvalidRequest, "Error due to duplicate config keys"},
		{"x", []loggerOp{set("vltava", "DEBUG")}, kerr.InvalidRequest, "Node id must be an integer, but it is: x"},
		{"", []loggerOp{set("vltava", "DEBUG")}, kerr.InvalidRequest, "Node id must be an integer, but it is: "},
		{"7", []loggerOp{set("vltava", "DEBUG")}, kerr.InvalidRequest, "Unexpected node id. Expected 1, but received 7"},
	} {
		err := alterLoggers(ctx, t, cl, tc.name, false, tc.ops...)
		if err != (resourceErr{tc.err, tc.msg}) {
			t.Errorf("alter %q %v: got %v, want %v: %s", tc.name, tc.ops, err, tc.err, tc.msg)
		}
	}
	want("after refusals", E, E, E, E, E, D, E, E, E)

	for _, tc := range []struct{ name, msg string }{
		{"", "Broker id must not be empty"},
		{"one", "Broker id must be an integer, but it is: one"},
		{"2", "Unexpected broker id, expected 1 but received 2"},
	} {
		_, err := describeLoggers(ctx, t, cl, tc.name)
		if err != (resourceErr{kerr.InvalidRequest, tc.msg}) {
			t.Errorf("describe %q: got %v, want INVALID_REQUEST: %s", tc.name, err, tc.msg)
		}
	}

	// Legacy AlterConfigs does not take loggers, as in Kafka.
	req := kmsg.NewPtrAlterConfigsRequest()
	res := kmsg.NewAlterConfigsRequestResource()
	res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeBrokerLogger, "1"
	res.Configs = []kmsg.AlterConfigsRequestResourceConfig{{Name: "vltava", Value: ptr("DEBUG")}}
	req.Resources = append(req.Resources, res)
	kresp, err := cl.Broker(1).Request(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if r := kresp.(*kmsg.AlterConfigsResponse).Resources[0]; r.ErrorCode != kerr.InvalidRequest.Code || deref(r.ErrorMessage) != "Unknown resource type 8" {
		t.Fatalf("legacy AlterConfigs of a logger: %d %s", r.ErrorCode, deref(r.ErrorMessage))
	}

}
