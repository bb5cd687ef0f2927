package interop_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/testkit"
)

// binaryValues are values no line-based tool could carry: every byte
// value, newlines, NULs, invalid UTF-8, an empty value and a large one.
func binaryValues() [][]byte {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	large := bytes.Repeat([]byte("0123456789abcdef\x00\xff\n"), 20000)
	return [][]byte{all, []byte("line one\nline two\r\n"), {0, 0, 0}, {0xc3, 0x28, 0xa0, 0xa1}, {}, large, []byte("plain")}
}

// TestFranzReadsKcat has kcat produce files as single binary messages with
// headers, and franz-go read them byte for byte.
func TestFranzReadsKcat(t *testing.T) {
	testkit.NeedTool(t, "kcat")
	b := testkit.StartBroker(t)
	const topic = "kcat-to-franz"
	createTopic(t, b, topic, 1, nil)
	// kcat sends nothing for an empty file: leave the empty value out.
	values := slices.DeleteFunc(binaryValues(), func(v []byte) bool { return len(v) == 0 })
	dir := t.TempDir()
	var files []string
	for i, v := range values {
		f := filepath.Join(dir, fmt.Sprintf("value-%d", i))
		if err := os.WriteFile(f, v, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	args := append([]string{"-P", "-t", topic, "-p", "0", "-H", "h1=v1", "-H", "trace=a=b,c", "-X", "compression.codec=zstd"}, files...)
	kcat(t, b, nil, args...)

	got := consumeAll(t, b, topic, len(values))
	wantHeaders := []kgo.RecordHeader{{Key: "h1", Value: []byte("v1")}, {Key: "trace", Value: []byte("a=b,c")}}
	for i, r := range got {
		if r.Offset != int64(i) {
			t.Fatalf("record %d at offset %d", i, r.Offset)
		}
		if !bytes.Equal(r.Value, values[i]) {
			t.Fatalf("record %d: value of %d bytes differs from the %d bytes kcat sent (%q...)", i, len(r.Value), len(values[i]), prefix(r.Value))
		}
		if r.Key != nil {
			t.Fatalf("record %d: key %q, want null", i, r.Key)
		}
		if !headersEqual(r.Headers, wantHeaders) {
			t.Fatalf("record %d: headers %v, want %v", i, r.Headers, wantHeaders)
		}
	}
}

// TestKcatReadsFranz has franz-go produce binary values, keys, headers and
// a null value, and kcat print them: values length-prefixed (%R), the rest
// as text.
func TestKcatReadsFranz(t *testing.T) {
	testkit.NeedTool(t, "kcat")
	b := testkit.StartBroker(t)
	const topic = "franz-to-kcat"
	createTopic(t, b, topic, 1, nil)
	values := binaryValues()
	cl := b.Client(kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(kgo.Lz4Compression()))
	var recs []*kgo.Record
	for i, v := range values {
		recs = append(recs, &kgo.Record{
			Key: []byte(fmt.Sprintf("key-%d", i)), Value: v, Partition: 0,
			Headers: []kgo.RecordHeader{{Key: "n", Value: []byte(fmt.Sprint(i))}, {Key: "kind", Value: []byte("binary")}},
		})
	}
	recs = append(recs, &kgo.Record{Key: []byte("tombstone"), Value: nil, Partition: 0})
	ctx := testkit.Context(t, 30*time.Second)
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}

	// Values, length-prefixed: byte-exact, and -1 for the null value.
	out := kcat(t, b, nil, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%R%s")
	got, err := splitLengthPrefixed(out)
	if err != nil {
		t.Fatalf("kcat %%R%%s output: %v", err)
	}
	want := append(slices.Clone(values), nil)
	if len(got) != len(want) {
		t.Fatalf("kcat printed %d values, want %d", len(got), len(want))
	}
	for i := range want {
		if (got[i] == nil) != (want[i] == nil) || !bytes.Equal(got[i], want[i]) {
			t.Fatalf("value %d: kcat printed %d bytes (%q...), want %d", i, len(got[i]), prefix(got[i]), len(want[i]))
		}
	}

	// Keys, headers, sizes, partitions and offsets as text.
	text := string(kcat(t, b, nil, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%p %o %k %K %S [%h]\n"))
	var wantText strings.Builder
	for i, v := range values {
		fmt.Fprintf(&wantText, "0 %d key-%d %d %d [n=%d,kind=binary]\n", i, i, len(fmt.Sprintf("key-%d", i)), len(v), i)
	}
	fmt.Fprintf(&wantText, "0 %d tombstone 9 -1 []\n", len(values))
	if text != wantText.String() {
		t.Fatalf("kcat printed:\n%s\nwant:\n%s", text, wantText.String())
	}
}

// splitLengthPrefixed splits kcat's %R%s output: a big-endian int32 length
// (-1: null) and that many bytes, repeated.
func splitLengthPrefixed(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, fmt.Errorf("%d trailing bytes", len(b))
		}
		n := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		if n < 0 {
			out = append(out, nil)
			continue
		}
		if int(n) > len(b) {
			return nil, fmt.Errorf("length %d with %d bytes left", n, len(b))
		}
		out = append(out, append([]byte{}, b[:n]...))
		b = b[n:]
	}
	return out, nil
}

func headersEqual(a, b []kgo.RecordHeader) bool {
	return slices.EqualFunc(a, b, func(x, y kgo.RecordHeader) bool { return x.Key == y.Key && bytes.Equal(x.Value, y.Value) })
}

// prefix is the start of b, for messages.
func prefix(b []byte) []byte { return b[:min(len(b), 32)] }
