package server_test

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/testkit"
)

// Topic configs are validated over the broker's defaults, as Kafka's
// LogConfig.validate does: an override that contradicts a broker config is
// refused at creation and alteration, not found out later.
func TestTopicConfigsValidatedOverBrokerDefaults(t *testing.T) {
	b := testkit.StartBroker(t, testkit.WithConfig("log.cleaner.max.compaction.lag.ms", "60000"))
	adm := b.Admin()
	ctx := testkit.Context(t, 20*time.Second)
	const msg = "conflict topic config setting min.compaction.lag.ms (600000) > max.compaction.lag.ms (60000)"

	res, _ := adm.CreateTopic(ctx, 1, 1, map[string]*string{"min.compaction.lag.ms": kadm.StringPtr("600000")}, "lag")
	if res.Err != kerr.InvalidConfig || res.ErrMessage != msg {
		t.Fatalf("create: %v %q, want INVALID_CONFIG %q", res.Err, res.ErrMessage, msg)
	}
	createTopic(t, adm, "lag", 1, nil)
	rs, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "min.compaction.lag.ms", Value: kadm.StringPtr("600000")}}, "lag")
	if err != nil || len(rs) != 1 {
		t.Fatal(err, rs)
	}
	if rs[0].Err != kerr.InvalidConfig || rs[0].ErrMessage != msg {
		t.Fatalf("alter: %v %q, want INVALID_CONFIG %q", rs[0].Err, rs[0].ErrMessage, msg)
	}
	// Overriding the broker's bound too makes it valid.
	createTopic(t, adm, "lag2", 1, map[string]*string{"min.compaction.lag.ms": kadm.StringPtr("600000"), "max.compaction.lag.ms": kadm.StringPtr("700000")})
}

// A topic whose stored overrides contradict a broker config changed since
// (valid when set) still opens with its overrides and its records, as
// Kafka loads stored topic configs as they are.
func TestStoredTopicConfigsLoadAfterBrokerConfigChange(t *testing.T) {
	dir := t.TempDir()
	b := testkit.StartBroker(t, testkit.WithDir(dir))
	createTopic(t, b.Admin(), "keep", 1, map[string]*string{
		"min.compaction.lag.ms": kadm.StringPtr("600000"), "retention.ms": kadm.StringPtr("-1"),
	})
	// A control whose own retention deletes its records, to know that
	// retention has run.
	createTopic(t, b.Admin(), "gone", 1, map[string]*string{"retention.ms": kadm.StringPtr("1000"), "segment.ms": kadm.StringPtr("1")})
	cl := b.Client()
	ctx := testkit.Context(t, 20*time.Second)
	old := time.Now().Add(-30 * 24 * time.Hour) // older than any default retention
	for _, topic := range []string{"keep", "gone"} {
		for i := range 5 {
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte{byte('a' + i)}, Timestamp: old}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	cl.Close()
	b.Close()

	b = testkit.StartBroker(t, testkit.WithDir(dir), testkit.WithConfig("log.cleaner.max.compaction.lag.ms", "60000"),
		testkit.WithConfig("log.retention.check.interval.ms", "10"))
	adm := b.Admin()
	rcs, err := adm.DescribeTopicConfigs(ctx, "keep")
	if c := describedConfig(t, rcs, err, "retention.ms"); c.MaybeValue() != "-1" {
		t.Fatalf("retention.ms = %q after restart, want -1", c.MaybeValue())
	}
	// Had the partition opened without its overrides, retention would
	// delete the month-old records, as it does those of "gone".
	testkit.Eventually(t, 10*time.Second, "retention of gone", func() bool {
		offs, err := adm.ListStartOffsets(ctx, "gone")
		return err == nil && offs["gone"][0].Offset == 5
	})
	offs, err := adm.ListStartOffsets(ctx, "keep")
	if err != nil {
		t.Fatal(err)
	}
	ends, err := adm.ListEndOffsets(ctx, "keep")
	if err != nil {
		t.Fatal(err)
	}
	if s, e := offs["keep"][0].Offset, ends["keep"][0].Offset; s != 0 || e != 5 {
		t.Fatalf("after restart: offsets [%d, %d), want [0, 5)", s, e)
	}
}
