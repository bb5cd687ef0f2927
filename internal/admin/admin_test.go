package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/admin"
	"github.com/vltava/vltava/internal/broker"
	"github.com/vltava/vltava/internal/config"
	"github.com/vltava/vltava/internal/replica"
	"github.com/vltava/vltava/internal/testkit"
)

// get fetches url and returns its status, content type and body.
func get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

// produce writes one record per request to partition 0 of topic, so each
// record is its own 70-byte batch (61 bytes of header, 9 of record).
func produce(ctx context.Context, t *testing.T, b *testkit.Broker, topic string, kvs ...string) {
	t.Helper()
	cl := b.Client(kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for i := 0; i < len(kvs); i += 2 {
		r := &kgo.Record{Key: []byte(kvs[i]), Value: []byte(kvs[i+1]), Partition: 0}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

func createTopic(ctx context.Context, t *testing.T, b *testkit.Broker, topic string, partitions int32, cfg map[string]*string) {
	t.Helper()
	resp, err := b.Admin().CreateTopic(ctx, partitions, 1, cfg, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

func ptr(s string) *string { return &s }

func TestHealthz(t *testing.T) {
	b := testkit.StartBroker(t)
	code, _, body := get(t, "http://"+b.AdminAddr()+"/healthz")
	if code != http.StatusOK || body != "ok\n" {
		t.Fatalf("GET /healthz: %d %q, want 200 \"ok\\n\"", code, body)
	}
	resp, err := http.Post("http://"+b.AdminAddr()+"/healthz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST /healthz: %d, want 405", resp.StatusCode)
	}
}

// metricLines returns the sample lines of the scrape that name topic, in
// the order served (sorted by metric name).
func metricLines(body, topic string) []string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "vltava_") && strings.Contains(l, `topic="`+topic+`"`) {
			out = append(out, l)
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	b := testkit.StartBroker(t)
	ctx := testkit.Context(t, 30*time.Second)
	createTopic(ctx, t, b, "orders", 2, nil)
	produce(ctx, t, b, "orders", "k", "v", "k", "v", "k", "v")

	code, ctype, body := get(t, "http://"+b.AdminAddr()+"/metrics")
	if code != http.StatusOK || !strings.HasPrefix(ctype, "text/plain") {
		t.Fatalf("GET /metrics: %d %q", code, ctype)
	}
	want := []string{
		`vltava_log_end_offset{partition="0",topic="orders"} 3`,
		`vltava_log_end_offset{partition="1",topic="orders"} 0`,
		`vltava_log_high_watermark{partition="0",topic="orders"} 3`,
		`vltava_log_high_watermark{partition="1",topic="orders"} 0`,
		`vltava_log_segments{partition="0",topic="orders"} 1`,
		`vltava_log_segments{partition="1",topic="orders"} 1`,
		`vltava_log_size_bytes{partition="0",topic="orders"} 210`,
		`vltava_log_size_bytes{partition="1",topic="orders"} 0`,
		`vltava_log_start_offset{partition="0",topic="orders"} 0`,
		`vltava_log_start_offset{partition="1",topic="orders"} 0`,
	}
	if got := metricLines(body, "orders"); !slices.Equal(got, want) {
		t.Fatalf("orders metrics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, line := range []string{
		"# HELP vltava_log_end_offset The offset the next appended record gets.",
		"# TYPE vltava_log_end_offset gauge",
	} {
		if !strings.Contains(body, "\n"+line+"\n") {
			t.Errorf("scrape lacks line %q", line)
		}
	}
	// The produce's append went through the fast write path, which never
	// had to fall back here.
	if !strings.Contains(body, "\nvltava_fast_write_fallbacks_total 0\n") {
		t.Errorf("scrape lacks vltava_fast_write_fallbacks_total 0")
	}
	var writes int
	if i := strings.Index(body, "\nvltava_fast_writes_total "); i < 0 {
		t.Errorf("scrape lacks vltava_fast_writes_total")
	} else if _, err := fmt.Sscan(body[i+len("\nvltava_fast_writes_total "):], &writes); err != nil || writes < 1 {
		t.Errorf("vltava_fast_writes_total = %d (%v), want at least the append", writes, err)
	}
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_open_fds", "process_resident_memory_bytes"} {
		if !strings.Contains(body, "\n"+name+" ") {
			t.Errorf("scrape lacks %s", name)
		}
	}
}

// partitions fetches /v1/partitions?topic=topic.
func partitions(t *testing.T, b *testkit.Broker, topic string) []admin.PartitionJSON {
	t.Helper()
	code, ctype, body := get(t, "http://"+b.AdminAddr()+"/v1/partitions?topic="+topic)
	if code != http.StatusOK || ctype != "application/json" {
		t.Fatalf("GET /v1/partitions: %d %q %s", code, ctype, body)
	}
	var out []admin.PartitionJSON
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return out
}

func TestPartitionsJSON(t *testing.T) {
	b := testkit.StartBroker(t)
	ctx := testkit.Context(t, 30*time.Second)
	createTopic(ctx, t, b, "orders", 2, nil)
	createTopic(ctx, t, b, "other", 1, nil)
	produce(ctx, t, b, "orders", "k", "v", "k", "v", "k", "v")

	_, _, body := get(t, "http://"+b.AdminAddr()+"/v1/partitions?topic=orders")
	const want = `[
  {
    "topic": "orders",
    "partition": 0,
    "logStartOffset": 0,
    "logEndOffset": 3,
    "highWatermark": 3,
    "sizeBytes": 210,
    "segments": 1,
    "cleaner": {
      "compacted": false,
      "dirtyRatio": 0,
      "dirtyBytes": 0,
      "cleanBytes": 0,
      "firstDirtyOffset": 0,
      "lastCleanTime": null,
      "cleaning": false,
      "error": null
    }
  },
  {
    "topic": "orders",
    "partition": 1,
    "logStartOffset": 0,
    "logEndOffset": 0,
    "highWatermark": 0,
    "sizeBytes": 0,
    "segments": 1,
    "cleaner": {
      "compacted": false,
      "dirtyRatio": 0,
      "dirtyBytes": 0,
      "cleanBytes": 0,
      "firstDirtyOffset": 0,
      "lastCleanTime": null,
      "cleaning": false,
      "error": null
    }
  }
]
`
	if body != want {
		t.Fatalf("GET /v1/partitions?topic=orders:\n%s\nwant:\n%s", body, want)
	}
	if _, _, body := get(t, "http://"+b.AdminAddr()+"/v1/partitions?topic=nope"); body != "[]\n" {
		t.Fatalf("unknown topic: %q, want []", body)
	}
	var all []admin.PartitionJSON
	_, _, body = get(t, "http://"+b.AdminAddr()+"/v1/partitions")
	if err := json.Unmarshal([]byte(body), &all); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range all {
		names = append(names, fmt.Sprintf("%s-%d", p.Topic, p.Partition))
	}
	if !slices.Equal(names, []string{"orders-0", "orders-1", "other-0"}) {
		t.Fatalf("all partitions: %v", names)
	}
}

// TestCompactedCleaned: once the cleaner has cleaned a compacted topic
// whose segments roll every 100 ms, its partition shows a dirty ratio of 0
// and a last clean time, in JSON and in the metrics alike.
func TestCompactedCleaned(t *testing.T) {
	b := testkit.StartBroker(t, testkit.WithConfig("log.cleaner.backoff.ms", "50"))
	ctx := testkit.Context(t, 60*time.Second)
	createTopic(ctx, t, b, "users", 1, map[string]*string{
		"cleanup.policy": ptr("compact"), "segment.ms": ptr("100"), "min.cleanable.dirty.ratio": ptr("0.01"),
	})
	start := time.Now().Truncate(time.Millisecond)
	var kvs []string
	for i := range 10 {
		kvs = append(kvs, fmt.Sprintf("key-%d", i%2), fmt.Sprintf("v%d", i))
	}
	produce(ctx, t, b, "users", kvs...)

	var p admin.PartitionJSON
	testkit.Eventually(t, 30*time.Second, "users-0 cleaned up to its end", func() bool {
		p = partitions(t, b, "users")[0]
		return p.Cleaner.LastCleanTime != nil && p.Cleaner.FirstDirtyOffset == 10 && !p.Cleaner.Cleaning
	})
	c := p.Cleaner
	if !c.Compacted || c.DirtyRatio != 0 || c.DirtyBytes != 0 || c.Error != nil {
		t.Fatalf("cleaner status %+v, want compacted, dirty ratio 0, no error", c)
	}
	if c.CleanBytes != p.SizeBytes || p.SizeBytes >= 10*70 {
		t.Fatalf("clean bytes %d, size %d: want all of the log clean and smaller than the 700 bytes written", c.CleanBytes, p.SizeBytes)
	}
	if lc := *c.LastCleanTime; lc.Before(start) || lc.After(time.Now()) {
		t.Fatalf("last clean time %v, want between %v and now", lc, start)
	}
	if p.LogStartOffset != 0 || p.LogEndOffset != 10 || p.HighWatermark != 10 {
		t.Fatalf("offsets %+v", p)
	}

	_, _, body := get(t, "http://"+b.AdminAddr()+"/metrics")
	want := []string{
		`vltava_log_cleaner_clean_bytes{partition="0",topic="users"} ` + fmt.Sprint(c.CleanBytes),
		`vltava_log_cleaner_cleaning{partition="0",topic="users"} 0`,
		`vltava_log_cleaner_dirty_bytes{partition="0",topic="users"} 0`,
		`vltava_log_cleaner_dirty_ratio{partition="0",topic="users"} 0`,
		`vltava_log_cleaner_error{partition="0",topic="users"} 0`,
		`vltava_log_cleaner_last_clean_timestamp_seconds{partition="0",topic="users"} ` + promFloat(float64(c.LastCleanTime.UnixMilli())/1000),
	}
	var got []string
	for _, l := range metricLines(body, "users") {
		if strings.HasPrefix(l, "vltava_log_cleaner_") {
			got = append(got, l)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("users cleaner metrics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// promFloat formats v as the Prometheus text format does.
func promFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func TestDisabled(t *testing.T) {
	b := testkit.StartBroker(t, testkit.WithConfig("vltava.admin.listener", ""))
	if addr := b.AdminAddr(); addr != "" {
		t.Fatalf("AdminAddr %q with the listener disabled", addr)
	}
}

// TestBrokerAdminAddressInUse: a broker whose admin address is taken fails
// to start, naming the key, and releases its data directory.
func TestBrokerAdminAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	props := map[string]string{
		"listeners": "PLAINTEXT://127.0.0.1:0", "log.dirs": t.TempDir(), "vltava.admin.listener": ln.Addr().String(),
	}
	start := func() (*broker.Broker, error) {
		cfg, err := config.ParseBroker(props)
		if err != nil {
			t.Fatal(err)
		}
		return broker.Start(context.Background(), broker.Options{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
	}
	if _, err := start(); err == nil || !strings.HasPrefix(err.Error(), "vltava.admin.listener: listen tcp "+ln.Addr().String()) {
		t.Fatalf("start with the admin address taken: %v", err)
	}
	props["vltava.admin.listener"] = "127.0.0.1:0"
	b, err := start()
	if err != nil {
		t.Fatalf("restart on the same data directory: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = admin.Start(admin.Options{Addr: ln.Addr().String(), Partitions: func() []*replica.Partition { return nil }})
	if err == nil || !strings.HasPrefix(err.Error(), "vltava.admin.listener: listen tcp "+ln.Addr().String()) {
		t.Fatalf("start on a bound address: %v", err)
	}
}
