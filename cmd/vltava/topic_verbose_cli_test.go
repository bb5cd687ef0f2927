package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/admin"
	"github.com/vltava/vltava/internal/testkit"
)

// verboseCLI starts a broker whose cleaner retries every 50 ms and returns
// a runner on it and the broker's admin URL.
func verboseCLI(t *testing.T) (*cli, string) {
	t.Helper()
	b := testkit.StartBroker(t, testkit.WithConfig("log.cleaner.backoff.ms", "50"))
	return &cli{t: t, addr: b.Addr()}, "http://" + b.AdminAddr()
}

// adminPartition reads one partition from the admin listener.
func adminPartition(t *testing.T, adminURL, topic string, partition int32) admin.PartitionJSON {
	t.Helper()
	resp, err := http.Get(adminURL + "/v1/partitions?topic=" + topic)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ps []admin.PartitionJSON
	if err := json.NewDecoder(resp.Body).Decode(&ps); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Partition == partition {
			return p
		}
	}
	t.Fatalf("admin listener lacks %s-%d: %+v", topic, partition, ps)
	return admin.PartitionJSON{}
}

// produceKeyed writes ten updates over two keys to partition 0 of topic.
func produceKeyed(t *testing.T, addr, topic string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 10 {
		r := &kgo.Record{Key: fmt.Appendf(nil, "key-%d", i%2), Value: fmt.Appendf(nil, "v%d", i)}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTopicDescribeVerbose: a cleaned compacted partition shows dirty
// ratio 0.00 and its last clean time, one not cleaned yet "never", and a
// topic that is not compacted "-", in the table and in JSON.
func TestTopicDescribeVerbose(t *testing.T) {
	c, adminURL := verboseCLI(t)
	c.ok("", "topic", "create", "users", "--partitions", "2",
		"--config", "cleanup.policy=compact", "--config", "segment.ms=100", "--config", "min.cleanable.dirty.ratio=0.01")
	c.ok("", "topic", "create", "plain")
	produceKeyed(t, c.addr, "users")
	var cleaned admin.PartitionJSON
	testkit.Eventually(t, 30*time.Second, "users-0 cleaned up to its end", func() bool {
		cleaned = adminPartition(t, adminURL, "users", 0)
		return cleaned.Cleaner.LastCleanTime != nil && cleaned.Cleaner.FirstDirtyOffset == 10 && !cleaned.Cleaner.Cleaning
	})
	// users-1 is empty: nothing to roll, so never cleaned.
	if p1 := adminPartition(t, adminURL, "users", 1); p1.Cleaner.LastCleanTime != nil {
		t.Fatalf("users-1 cleaned: %+v", p1.Cleaner)
	}
	lastClean := cleaned.Cleaner.LastCleanTime.UTC().Format(time.RFC3339)

	got := c.ok("", "topic", "describe", "users", "plain", "--verbose", "--admin-url", adminURL)
	wantEqual(t, "describe --verbose", got, c.withNode(`Topic: users
ID: `+c.topicID("users")+`
Partitions: 2
Replication factor: 1
Configs: cleanup.policy=compact, min.cleanable.dirty.ratio=0.01, segment.ms=100
PARTITION  LEADER  EPOCH  REPLICAS  ISR  LOG-START  LOG-END  DIRTY-RATIO  LAST-CLEAN
0          N       0      N         N    0          10       0.00         `+lastClean+`
1          N       0      N         N    0          0        0.00         never

Topic: plain
ID: `+c.topicID("plain")+`
Partitions: 1
Replication factor: 1
Configs: (none)
PARTITION  LEADER  EPOCH  REPLICAS  ISR  LOG-START  LOG-END  DIRTY-RATIO  LAST-CLEAN
0          N       0      N         N    0          0        -            -
`))

	// The admin URL also comes from VLTAVA_ADMIN_URL, and host:port will do.
	t.Setenv(adminURLEnv, strings.TrimPrefix(adminURL, "http://"))
	got = c.ok("", "topic", "describe", "users", "--verbose", "--output", "json")
	var topics []describedTopic
	if err := json.Unmarshal([]byte(got), &topics); err != nil {
		t.Fatalf("describe --output json: %v\n%s", err, got)
	}
	p0 := topics[0].Partitions[0].Cleaner
	if p0 == nil {
		t.Fatalf("no cleaner in JSON:\n%s", got)
	}
	wantJSON := fmt.Sprintf(`"cleaner": {
          "compacted": true,
          "dirty_ratio": 0,
          "dirty_bytes": 0,
          "clean_bytes": %d,
          "first_dirty_offset": 10,
          "last_clean_time": "%s",
          "cleaning": false,
          "error": null
        }`, cleaned.Cleaner.CleanBytes, cleaned.Cleaner.LastCleanTime.UTC().Format(time.RFC3339Nano))
	if !strings.Contains(got, wantJSON) {
		t.Fatalf("describe --verbose --output json:\n%s\nlacks:\n%s", got, wantJSON)
	}
	if c.ok("", "topic", "describe", "users", "--output", "json") == got {
		t.Fatal("JSON without --verbose has the cleaner status")
	}
}

// TestTopicDescribeVerboseUnavailable: without an admin listener (Apache
// Kafka, or a wrong URL) describe prints its usual output, says why on
// stderr in one line, and succeeds.
func TestTopicDescribeVerboseUnavailable(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "plain")
	plain := c.ok("", "topic", "describe", "plain")

	closed := closedAddr(t)
	r := c.run("", "topic", "describe", "plain", "--verbose", "--admin-url", "http://"+closed)
	wantEqual(t, "stdout", r.out, plain)
	wantEqual(t, "stderr", r.err, "vltava: cleaner status unavailable from http://"+closed+": dial tcp "+closed+
		": connect: connection refused (set --admin-url or VLTAVA_ADMIN_URL to a Vltava broker's admin listener)\n")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}

	notVltava := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notVltava.Close)
	r = c.run("", "topic", "describe", "plain", "--verbose", "--admin-url", notVltava.URL, "--output", "json")
	wantEqual(t, "json stdout", r.out, c.ok("", "topic", "describe", "plain", "--output", "json"))
	wantEqual(t, "json stderr", r.err, "vltava: cleaner status unavailable from "+notVltava.URL+
		": GET /v1/partitions: HTTP 404 Not Found (set --admin-url or VLTAVA_ADMIN_URL to a Vltava broker's admin listener)\n")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}

	r = c.run("", "topic", "describe", "plain", "--verbose", "--admin-url", "ftp://x")
	wantEqual(t, "bad url", r.err, "vltava: vltava topic describe: invalid --admin-url \"ftp://x\": want http://HOST:PORT (see 'vltava topic describe --help')\n")
	if r.code != 2 {
		t.Fatalf("bad --admin-url: exit %d, want 2", r.code)
	}
}
