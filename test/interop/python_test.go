package interop_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vltava/vltava/internal/testkit"
)

// pythonRoundTrip runs a testdata script that produces n records to
// partition 0 of a fresh topic and consumes them back, checks its output
// line for line, and returns the lines after the consumed records (before
// "done").
func pythonRoundTrip(t *testing.T, b *testkit.Broker, script, topic, codec string, n int) []string {
	t.Helper()
	createTopic(t, b, topic, 2, nil)
	out := string(run(t, nil, testkit.SystemPython, "testdata/"+script, b.Addr(), topic, fmt.Sprint(n), codec))
	var want strings.Builder
	for i := range n {
		fmt.Fprintf(&want, "produced 0 %d k%d v%d\n", i, i, i)
	}
	for i := range n {
		fmt.Fprintf(&want, "consumed 0 %d k%d v%d i=%d\n", i, i, i, i)
	}
	rest, ok := strings.CutPrefix(out, want.String())
	if !ok || !strings.HasSuffix(rest, "done\n") {
		t.Fatalf("%s printed:\n%s\nwant:\n%s...done", script, out, want.String())
	}
	if ends := endOffsets(t, b, topic); ends[0] != int64(n) || ends[1] != 0 {
		t.Fatalf("end offsets %v, want 0:%d 1:0", ends, n)
	}
	return strings.Split(strings.TrimSuffix(rest, "done\n"), "\n")
}

// TestConfluentKafkaPython round-trips records through confluent-kafka's
// idempotent producer and an assign()ed consumer.
func TestConfluentKafkaPython(t *testing.T) {
	testkit.NeedPythonModule(t, "confluent_kafka", "python3-confluent-kafka")
	b := testkit.StartBroker(t)
	for _, codec := range []string{"none", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			const n = 500
			topic := "confluent-python-" + codec
			pythonRoundTrip(t, b, "confluent_roundtrip.py", topic, codec, n)
			var pid int64 = -1
			for _, r := range consumeAll(t, b, topic, n) {
				if r.ProducerID < 0 || (pid >= 0 && r.ProducerID != pid) {
					t.Fatalf("record at offset %d has producer id %d: want one idempotent producer's id", r.Offset, r.ProducerID)
				}
				pid = r.ProducerID
				if got := r.Attrs.CompressionType(); got != kcatCompression[codec] {
					t.Fatalf("record at offset %d: batch codec %d, want %d", r.Offset, got, kcatCompression[codec])
				}
			}
		})
	}
}

// TestKafkaPython round-trips records through kafka-python, which picks
// its protocol versions by probing ApiVersions.
func TestKafkaPython(t *testing.T) {
	testkit.NeedPythonModule(t, "kafka", "python3-kafka")
	b := testkit.StartBroker(t)
	for _, codec := range []string{"none", "gzip"} {
		t.Run(codec, func(t *testing.T) {
			const n = 300
			rest := pythonRoundTrip(t, b, "kafkapython_roundtrip.py", "kafka-python-"+codec, codec, n)
			var major, minor, patch int
			if len(rest) != 2 || rest[1] != "" {
				t.Fatalf("after the records kafka-python printed %q, want one api_version line", rest)
			}
			if _, err := fmt.Sscanf(rest[0], "api_version %d.%d.%d", &major, &minor, &patch); err != nil || major < 2 {
				t.Fatalf("kafka-python detected %q (%v), want a 2.x broker: one with record headers and v2 batches", rest[0], err)
			}
			t.Logf("kafka-python detected broker version %d.%d.%d", major, minor, patch)
			for _, r := range consumeAll(t, b, "kafka-python-"+codec, n) {
				if got := r.Attrs.CompressionType(); got != kcatCompression[codec] {
					t.Fatalf("record at offset %d: batch codec %d, want %d", r.Offset, got, kcatCompression[codec])
				}
			}
		})
	}
}
