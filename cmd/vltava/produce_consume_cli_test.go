package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/testkit"
)

func TestProduceConsumeKeysHeaders(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "1")
	c.ok("k1:v1\nk2:v:2\r\n:empty-key\nk4:\n", "produce", "t", "--key-separator", ":", "--header", "a=1", "--header", "b=x=y")
	out := c.ok("", "consume", "t", "--from-beginning", "--format", `%T/%p/%o %k=%v [%h]\n`)
	wantEqual(t, "consume", out, "t/0/0 k1=v1 [a=1,b=x=y]\n"+
		"t/0/1 k2=v:2 [a=1,b=x=y]\n"+
		"t/0/2 =empty-key [a=1,b=x=y]\n"+
		"t/0/3 k4= [a=1,b=x=y]\n")
}

func TestProduceConsumeDefaultFormatAndOrder(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "1")
	var in, want strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&in, "record-%d\n", i)
	}
	in.WriteString("last-without-newline")
	want.WriteString(in.String() + "\n")
	c.ok(in.String(), "produce", "t", "--linger", "0s")
	wantEqual(t, "consume", c.ok("", "consume", "t", "--from-beginning"), want.String())
}

func TestProduceCompression(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "1")
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		c.ok(codec+"-1\n"+codec+"-2\n", "produce", "t", "--compression", codec)
	}
	wantEqual(t, "consume", c.ok("", "consume", "t", "--from-beginning", "--format", `%o:%v,`),
		"0:none-1,1:none-2,2:gzip-1,3:gzip-2,4:snappy-1,5:snappy-2,6:lz4-1,7:lz4-2,8:zstd-1,9:zstd-2,")
}

func TestProduceAcks(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "1")
	c.ok("a\n", "produce", "t", "--acks", "1")
	c.ok("b\n", "produce", "t", "--acks", "all", "--idempotent=false")
	c.ok("c\n", "produce", "t", "--acks", "-1")
	c.ok("d\n", "produce", "t", "--acks", "0")
	got := waitForOutput(t, c, "a\nb\nc\nd\n", "consume", "t", "--from-beginning")
	wantEqual(t, "consume", got, "a\nb\nc\nd\n")
}

// waitForOutput reruns a consume until it prints want (acks=0 records land
// after produce returns) or a deadline passes, returning the last output.
func waitForOutput(t *testing.T, c *cli, want string, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := c.ok("", args...)
		if out == want || time.Now().After(deadline) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestProducePartition(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "3")
	c.ok("p2-a\np2-b\n", "produce", "t", "--partition", "2")
	c.ok("p0-a\n", "produce", "t", "--partition", "0")
	wantEqual(t, "partition 2", c.ok("", "consume", "t", "--from-beginning", "--partition", "2", "--format", `%p:%o:%v\n`),
		"2:0:p2-a\n2:1:p2-b\n")
	wantEqual(t, "partitions 0,1", c.ok("", "consume", "t", "--from-beginning", "--partition", "0,1", "--format", `%p:%o:%v\n`),
		"0:0:p0-a\n")
}

func TestProduceFailures(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "1")

	r := c.run("a\nb\n", "produce", "t", "--partition", "5")
	if r.code != 1 {
		t.Fatalf("bad partition: exit %d", r.code)
	}
	wantEqual(t, "bad partition stderr", r.err,
		"vltava: line 1: topic \"t\" partition 5: invalid record partitioning choice of 5 from 1 available\n"+
			"vltava: line 2: topic \"t\" partition 5: invalid record partitioning choice of 5 from 1 available\n"+
			"vltava: produce to topic \"t\": 2 of 2 records failed\n")

	r = c.run("k:ok\nno-separator\nnever-read:x\n", "produce", "t", "--key-separator", ":")
	if r.code != 1 {
		t.Fatalf("missing separator: exit %d", r.code)
	}
	wantEqual(t, "missing separator stderr", r.err,
		"vltava: line 2: no key separator \":\" in line\n"+
			"vltava: produce to topic \"t\": 1 of 2 records failed; stopped reading input after line 2\n")

	long := strings.Repeat("x", 600)
	r = c.run("short\n"+long+"\nafter\n", "produce", "t", "--max-message-bytes", "512")
	if r.code != 1 {
		t.Fatalf("long line: exit %d", r.code)
	}
	wantEqual(t, "long line stderr", r.err,
		"vltava: line 2: line too long (--max-message-bytes 512)\n"+
			"vltava: produce to topic \"t\": 1 of 2 records failed; stopped reading input after line 2\n")

	wantEqual(t, "what landed", c.ok("", "consume", "t", "--from-beginning"), "ok\nshort\n")
}

func TestProduceUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"produce"}, "missing TOPIC argument"},
		{[]string{"produce", "t", "--acks", "2"}, `invalid --acks "2": want -1, all, 0 or 1`},
		{[]string{"produce", "t", "--compression", "brotli"}, `invalid --compression "brotli": want none, gzip, snappy, lz4 or zstd`},
		{[]string{"produce", "t", "--header", "nokey"}, `invalid --header "nokey": want key=value`},
		{[]string{"produce", "t", "--acks", "1", "--idempotent"}, "--idempotent requires --acks all"},
		{[]string{"produce", "t", "--max-message-bytes", "10"}, "invalid --max-message-bytes 10: want 512 to 1073741824"},
		{[]string{"produce", "t", "--partition", "-2"}, "invalid --partition -2"},
	} {
		r := runCLI(t, "", tc.args...)
		want := "vltava: vltava produce: " + tc.want + " (see 'vltava produce --help')\n"
		if r.code != 2 || r.err != want {
			t.Errorf("%v: exit %d, stderr %q; want exit 2, %q", tc.args, r.code, r.err, want)
		}
	}
}

func TestConsumeStartPositions(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "1")
	c.ok("r0\nr1\nr2\nr3\nr4\n", "produce", "t")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--from-beginning"}, "0 1 2 3 4 "},
		{nil, ""}, // default: the end, so nothing without --follow
		{[]string{"--offset", "3"}, "3 4 "},
		{[]string{"--offset", "0"}, "0 1 2 3 4 "},
		{[]string{"--offset", "-2"}, "3 4 "},
		{[]string{"--offset", "-100"}, "0 1 2 3 4 "},
		{[]string{"--offset", "99"}, ""},
		{[]string{"--from-beginning", "--count", "2"}, "0 1 "},
		{[]string{"--offset", "1", "--count", "2"}, "1 2 "},
		{[]string{"--from-beginning", "--count", "100"}, "0 1 2 3 4 "},
	} {
		args := append([]string{"consume", "t", "--format", "%o "}, tc.args...)
		if got := c.ok("", args...); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.args, got, tc.want)
		}
	}
}

func TestConsumeFromTimestamp(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "1")
	produceAt(t, c, "t", 1000, 2000, 3000)
	for _, tc := range []struct{ from, want string }{
		{"0", "a1000 a2000 a3000 "},
		{"2000", "a2000 a3000 "},
		{"2001", "a3000 "},
		{"1970-01-01T00:00:02Z", "a2000 a3000 "},
		{"1970-01-01T00:00:02.5+00:00", "a3000 "},
		{"1970-01-01T00:00:04Z", ""},
	} {
		got := c.ok("", "consume", "t", "--from-timestamp", tc.from, "--format", "%v ")
		if got != tc.want {
			t.Errorf("--from-timestamp %s: got %q, want %q", tc.from, got, tc.want)
		}
	}
	wantEqual(t, "timestamps", c.ok("", "consume", "t", "--from-beginning", "--format", `%t\n`), "1000\n2000\n3000\n")
}

// produceAt writes one record per timestamp (ms), with value "a<ms>".
func produceAt(t *testing.T, c *cli, topic string, millis ...int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addr), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, ms := range millis {
		r := &kgo.Record{Value: []byte("a" + strconv.FormatInt(ms, 10)), Timestamp: time.UnixMilli(ms)}
		if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestConsumeJSON(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "1")
	c.ok("k:v\n", "produce", "t", "--key-separator", ":", "--header", "h=1")
	c.ok("<no key> & \"quoted\"\n", "produce", "t")
	r := c.run("", "consume", "t", "--from-beginning", "--output", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	lines := strings.SplitAfter(r.out, "\n")
	if len(lines) != 3 {
		t.Fatalf("output %q: want two lines", r.out)
	}
	ts := c.ok("", "consume", "t", "--from-beginning", "--format", `%t\n`)
	stamps := strings.Fields(ts)
	wantEqual(t, "json", r.out,
		`{"topic":"t","partition":0,"offset":0,"timestamp":`+stamps[0]+`,"key":"k","value":"v","headers":[{"key":"h","value":"1"}]}`+"\n"+
			`{"topic":"t","partition":0,"offset":1,"timestamp":`+stamps[1]+`,"key":null,"value":"<no key> & \"quoted\"","headers":[]}`+"\n")
}

func TestConsumeFollow(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "1")
	c.ok("first\n", "produce", "t")
	done := make(chan cliResult, 1)
	go func() { done <- c.run("", "consume", "t", "--from-beginning", "--follow", "--count", "3") }()
	c.ok("second\nthird\nfourth\n", "produce", "t")
	select {
	case r := <-done:
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.err)
		}
		wantEqual(t, "follow", r.out, "first\nsecond\nthird\n")
	case <-time.After(30 * time.Second):
		t.Fatal("consume --follow --count 3 did not finish")
	}
}

func TestConsumeFollowUntilInterrupted(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "1")
	root := newRootCmd()
	out := &testkit.Buffer{}
	root.SetArgs([]string{"consume", "t", "-f", "-b", c.addr})
	root.SetOut(out)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "x\n") {
		if time.Now().After(deadline) {
			t.Fatalf("follow never printed the record; output %q", out.String())
		}
		c.ok("x\n", "produce", "t")
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("interrupted consume returned %v, want nil", err)
	}
}

func TestConsumeGroup(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "2")
	c.ok("a\nb\n", "produce", "t", "--partition", "0")
	c.ok("c\n", "produce", "t", "--partition", "1")
	got := c.ok("", "consume", "t", "--group", "g", "--from-beginning", "--format", `%p:%v\n`)
	wantEqual(t, "first run (sorted)", sortLines(got), "0:a\n0:b\n1:c\n")
	wantEqual(t, "second run", c.ok("", "consume", "t", "--group", "g", "--from-beginning"), "")
	c.ok("d\n", "produce", "t", "--partition", "1")
	wantEqual(t, "third run", c.ok("", "consume", "t", "--group", "g", "--from-beginning"), "d\n")
}

func TestConsumeGroupCount(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "1")
	c.ok("a\nb\nc\n", "produce", "t")
	wantEqual(t, "first", c.ok("", "consume", "t", "--group", "g", "--from-beginning", "--count", "2"), "a\nb\n")
	wantEqual(t, "rest", c.ok("", "consume", "t", "--group", "g", "--from-beginning"), "c\n")
}

func TestConsumeErrors(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "2")
	r := c.run("", "consume", "nope")
	if r.code != 1 || r.out != "" {
		t.Fatalf("unknown topic: exit %d, stdout %q", r.code, r.out)
	}
	wantLine(t, "unknown topic", r.err, `vltava: topic "nope": UNKNOWN_TOPIC_OR_PARTITION: `)
	r = c.run("", "consume", "t", "--partition", "7")
	if r.code != 1 {
		t.Fatalf("unknown partition: exit %d", r.code)
	}
	wantEqual(t, "unknown partition", r.err, "vltava: topic \"t\" partition 7: no such partition (the topic has 2)\n")
}

func TestConsumeUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"consume"}, "missing TOPIC argument"},
		{[]string{"consume", "t", "--from-beginning", "--offset", "2"}, "--from-beginning, --offset and --from-timestamp exclude each other"},
		{[]string{"consume", "t", "--from-timestamp", "yesterday"}, `invalid --from-timestamp "yesterday": want RFC 3339 or Unix milliseconds`},
		{[]string{"consume", "t", "--format", "%x"}, "invalid --format: unknown verb %x"},
		{[]string{"consume", "t", "--isolation", "dirty"}, `invalid --isolation "dirty": want read_uncommitted or read_committed`},
		{[]string{"consume", "t", "--output", "xml"}, `invalid --output "xml": want text or json`},
		{[]string{"consume", "t", "--output", "json", "--format", "%v"}, "--format cannot be used with --output json"},
		{[]string{"consume", "t", "--group", "g", "--partition", "1"}, "--partition cannot be used with --group"},
		{[]string{"consume", "t", "--count", "-1"}, "invalid --count -1: must not be negative"},
		{[]string{"consume", "t", "--partition", "x"}, `invalid argument "x" for "--partition" flag: strconv.ParseInt: parsing "x": invalid syntax`},
	} {
		r := runCLI(t, "", tc.args...)
		want := "vltava: vltava consume: " + tc.want + " (see 'vltava consume --help')\n"
		if r.code != 2 || r.err != want {
			t.Errorf("%v: exit %d, stderr %q; want exit 2, %q", tc.args, r.code, r.err, want)
		}
	}
}

func TestConsumeReadCommitted(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "1")
	c.ok("a\nb\n", "produce", "t")
	wantEqual(t, "read_committed", c.ok("", "consume", "t", "--from-beginning", "--isolation", "read_committed"), "a\nb\n")
}

func TestProduceLargeInputStreams(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "3")
	const n = 200000
	var in strings.Builder
	for i := range n {
		fmt.Fprintf(&in, "%d\n", i)
	}
	c.ok(in.String(), "produce", "t")
	out := c.ok("", "consume", "t", "--from-beginning", "--format", `%v\n`)
	if got := strings.Count(out, "\n"); got != n {
		t.Fatalf("consumed %d records, want %d", got, n)
	}
}
