package interop_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vltava/vltava/internal/testkit"
)

// kcatCompression maps kcat's compression.codec names to Kafka's codec ids.
var kcatCompression = map[string]uint8{"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}

// kcat runs kcat against the broker with args and returns its output.
func kcat(t *testing.T, b *testkit.Broker, stdin []byte, args ...string) []byte {
	t.Helper()
	return run(t, stdin, testkit.NeedTool(t, "kcat"), append([]string{"-b", b.Addr()}, args...)...)
}

// TestKcatMetadata lists the broker and its topics with kcat -L, as text
// and as JSON.
func TestKcatMetadata(t *testing.T) {
	testkit.NeedTool(t, "kcat")
	b := testkit.StartBroker(t)
	createTopic(t, b, "kcat-meta-a", 3, nil)
	createTopic(t, b, "kcat-meta-b", 1, nil)

	got := string(kcat(t, b, nil, "-L", "-t", "kcat-meta-a"))
	want := fmt.Sprintf(`Metadata for kcat-meta-a (from broker 1: %[1]s/1):
 1 brokers:
  broker 1 at %[1]s (controller)
 1 topics:
  topic "kcat-meta-a" with 3 partitions:
    partition 0, leader 1, replicas: 1, isrs: 1
    partition 1, leader 1, replicas: 1, isrs: 1
    partition 2, leader 1, replicas: 1, isrs: 1
`, b.Addr())
	if got != want {
		t.Fatalf("kcat -L -t kcat-meta-a:\n%s\nwant:\n%s", got, want)
	}

	var md struct {
		ControllerID int32 `json:"controllerid"`
		Brokers      []struct {
			ID   int32  `json:"id"`
			Name string `json:"name"`
		} `json:"brokers"`
		Topics []struct {
			Topic      string `json:"topic"`
			Partitions []struct {
				Partition int32 `json:"partition"`
				Leader    int32 `json:"leader"`
			} `json:"partitions"`
		} `json:"topics"`
	}
	out := kcat(t, b, nil, "-L", "-J")
	if err := json.Unmarshal(out, &md); err != nil {
		t.Fatalf("kcat -L -J: %v\n%s", err, out)
	}
	if md.ControllerID != 1 || len(md.Brokers) != 1 || md.Brokers[0].ID != 1 || md.Brokers[0].Name != b.Addr() {
		t.Fatalf("kcat -L -J: controller %d brokers %+v", md.ControllerID, md.Brokers)
	}
	parts := map[string][]int32{}
	for _, tp := range md.Topics {
		for _, p := range tp.Partitions {
			if p.Leader != 1 {
				t.Fatalf("%s/%d has leader %d", tp.Topic, p.Partition, p.Leader)
			}
			parts[tp.Topic] = append(parts[tp.Topic], p.Partition)
		}
		slices.Sort(parts[tp.Topic])
	}
	wantParts := map[string][]int32{"kcat-meta-a": {0, 1, 2}, "kcat-meta-b": {0}}
	if fmt.Sprint(parts) != fmt.Sprint(wantParts) {
		t.Fatalf("kcat -L -J topics %v, want %v", parts, wantParts)
	}
}

// TestKcatKeysAndFormat produces keyed lines with kcat -P -K: into one
// partition and into the partitioner's choice, and reads them back with
// kcat -C -e and a format string.
func TestKcatKeysAndFormat(t *testing.T) {
	testkit.NeedTool(t, "kcat")
	b := testkit.StartBroker(t)
	const n = 200
	var in bytes.Buffer
	for i := range n {
		fmt.Fprintf(&in, "key-%d:value %d with spaces\n", i, i)
	}

	t.Run("one partition", func(t *testing.T) {
		createTopic(t, b, "kcat-keys", 2, nil)
		kcat(t, b, in.Bytes(), "-P", "-t", "kcat-keys", "-K:", "-p", "1")
		got := string(kcat(t, b, nil, "-C", "-t", "kcat-keys", "-p", "1", "-o", "beginning", "-e", "-q", "-f", "%k %s %p %o\n"))
		var want strings.Builder
		for i := range n {
			fmt.Fprintf(&want, "key-%d value %d with spaces 1 %d\n", i, i, i)
		}
		if got != want.String() {
			t.Fatalf("kcat -C output:\n%s\nwant:\n%s", got, want.String())
		}
		if ends := endOffsets(t, b, "kcat-keys"); ends[0] != 0 || ends[1] != n {
			t.Fatalf("end offsets %v, want 0:0 1:%d", ends, n)
		}
	})

	t.Run("partitioner", func(t *testing.T) {
		createTopic(t, b, "kcat-spread", 3, nil)
		kcat(t, b, in.Bytes(), "-P", "-t", "kcat-spread", "-K:")
		out := kcat(t, b, nil, "-C", "-t", "kcat-spread", "-o", "beginning", "-e", "-q", "-f", "%p %o %k=%s\n")
		checkSpread(t, string(out), n)
	})
}

// checkSpread checks kcat output lines "<p> <o> key-<i>=value <i> with
// spaces": every key exactly once, and each partition's offsets 0, 1, ...
// in the order kcat produced them.
func checkSpread(t *testing.T, out string, n int) {
	t.Helper()
	seen := map[int]bool{}
	perPart := map[int][]int{}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var p, o, i, j int
		if _, err := fmt.Sscanf(line, "%d %d key-%d=value %d with spaces", &p, &o, &i, &j); err != nil || i != j {
			t.Fatalf("bad line %q: %v", line, err)
		}
		if seen[i] {
			t.Fatalf("key-%d consumed twice", i)
		}
		seen[i] = true
		if o != len(perPart[p]) {
			t.Fatalf("partition %d: offset %d after %d records", p, o, len(perPart[p]))
		}
		perPart[p] = append(perPart[p], i)
	}
	if len(seen) != n {
		t.Fatalf("consumed %d distinct keys, want %d", len(seen), n)
	}
	for p, keys := range perPart {
		if !sort.IntsAreSorted(keys) {
			t.Fatalf("partition %d holds keys out of produce order: %v", p, keys)
		}
	}
}

// TestKcatCompression produces with each of kcat's codecs and checks that
// kcat reads the lines back and that the broker kept the batches as sent.
func TestKcatCompression(t *testing.T) {
	testkit.NeedTool(t, "kcat")
	b := testkit.StartBroker(t)
	const n = 1000
	in := lines("compressible line number ", n)
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			topic := "kcat-codec-" + codec
			createTopic(t, b, topic, 1, nil)
			kcat(t, b, in, "-P", "-t", topic, "-X", "compression.codec="+codec, "-X", "linger.ms=50")
			got := kcat(t, b, nil, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n")
			if !bytes.Equal(got, in) {
				t.Fatalf("kcat read back:\n%s\nwant:\n%s", got, in)
			}
			for _, r := range consumeAll(t, b, topic, n) {
				if got := r.Attrs.CompressionType(); got != kcatCompression[codec] {
					// librdkafka falls back to no compression unless
					// ApiVersions advertises Produce from v0 for gzip,
					// snappy and lz4 (Kafka 4 does so on purpose:
					// KAFKA-18659) and, for lz4, FindCoordinator v0.
					t.Fatalf("record at offset %d: batch codec %d, want %d (%s)", r.Offset, got, kcatCompression[codec], codec)
				}
				if want := "compressible line number " + strconv.FormatInt(r.Offset, 10); string(r.Value) != want {
					t.Fatalf("record at offset %d: %q, want %q", r.Offset, r.Value, want)
				}
			}
		})
	}
}
