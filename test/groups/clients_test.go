package groups_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/vltava/vltava/internal/testkit"
)

// twoRounds consumes a topic in two runs of one group consumer: the first
// run reads a first round of records, the second only the round produced
// after it, so it must resume from the offsets the first committed. consume
// runs one consumer that must process n records into the collector.
func twoRounds(t *testing.T, b *testkit.Broker, topic, group string, consume func(n int, col *collector)) {
	t.Helper()
	const partitions = int32(4)
	createTopic(t, b, topic, partitions)
	want := produceRound(t, b, topic, partitions, 25, 0, "r1")
	col := newCollector()
	consume(len(want), col)
	col.check(t, want)
	wantCommitted(t, b, group, topic, each(partitions, 25))

	want = append(want, produceRound(t, b, topic, partitions, 5, 25, "r2")...)
	consume(4*5, col)
	col.check(t, want)
	wantCommitted(t, b, group, topic, each(partitions, 30))
}

// runScript runs a testdata group consumer script for n records and adds
// what it consumed to col.
func runScript(t *testing.T, b *testkit.Broker, script, topic, group string, n int, col *collector) {
	t.Helper()
	out := run(t, testkit.SystemPython, "testdata/"+script, b.Addr(), topic, group, strconv.Itoa(n))
	if rest := parseLines(t, col, script, out); !slices.Equal(rest, []string{"done"}) {
		t.Fatalf("%s printed %q after its records, want \"done\"", script, rest)
	}
}

// TestConfluentKafkaPythonGroup consumes with confluent-kafka-python's
// group consumer, committing synchronously after each record.
func TestConfluentKafkaPythonGroup(t *testing.T) {
	testkit.NeedPythonModule(t, "confluent_kafka", "python3-confluent-kafka")
	b := testkit.StartBroker(t)
	twoRounds(t, b, "confluent-group", "confluent-g", func(n int, col *collector) {
		runScript(t, b, "confluent_group.py", "confluent-group", "confluent-g", n, col)
	})
}

// TestKafkaPythonGroup consumes with kafka-python's group consumer,
// committing synchronously after each record.
func TestKafkaPythonGroup(t *testing.T) {
	testkit.NeedPythonModule(t, "kafka", "python3-kafka")
	b := testkit.StartBroker(t)
	twoRounds(t, b, "kafka-python-group", "kafka-python-g", func(n int, col *collector) {
		runScript(t, b, "kafkapython_group.py", "kafka-python-group", "kafka-python-g", n, col)
	})
}

// TestKcatBalancedConsumer consumes with kcat -G (librdkafka's balanced
// consumer), which commits the offsets it consumed when it closes.
func TestKcatBalancedConsumer(t *testing.T) {
	kcat := testkit.NeedTool(t, "kcat")
	b := testkit.StartBroker(t)
	twoRounds(t, b, "kcat-group", "kcat-g", func(n int, col *collector) {
		out := run(t, kcat, "-b", b.Addr(), "-G", "kcat-g", "-e", "-q",
			"-X", "auto.offset.reset=earliest", "-X", "session.timeout.ms=6000",
			"-f", "consumed %p %o %s\n", "kcat-group")
		if rest := parseLines(t, col, "kcat", out); len(rest) != 0 {
			t.Fatalf("kcat printed %q besides records", rest)
		}
	})
}
