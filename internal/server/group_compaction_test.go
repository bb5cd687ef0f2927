package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/vltava/vltava/internal/testkit"
)

// __consumer_offsets is compacted by the same cleaner as any compacted
// topic: after many commits of the same partitions its closed segments are
// cleaned, and the committed offsets read back (also after a restart) are
// the latest ones.
func TestConsumerOffsetsTopicIsCompacted(t *testing.T) {
	b := testkit.StartBroker(t,
		testkit.WithConfig("offsets.topic.num.partitions", "1"),
		testkit.WithConfig("offsets.topic.segment.bytes", "1048576"),
		testkit.WithConfig("log.cleaner.backoff.ms", "50"))
	createTopic(t, b.Admin(), "tracked", 2, nil)
	adm := b.Admin()
	ctx := testkit.Context(t, 60*time.Second)
	meta := strings.Repeat("m", 3000) // big commits roll segments sooner
	const commits = 800
	for i := 1; i <= commits; i++ {
		os := kadm.Offsets{}
		os.Add(kadm.Offset{Topic: "tracked", Partition: int32(i % 2), At: int64(i), LeaderEpoch: -1, Metadata: meta})
		resp, err := adm.CommitOffsets(ctx, "compacted-group", os)
		if err != nil || resp.Error() != nil {
			t.Fatalf("commit %d: %v %v", i, err, resp.Error())
		}
	}
	type status struct {
		Topic   string
		Cleaner struct {
			LastCleanTime *string
			CleanBytes    int64
		}
		SizeBytes int64
	}
	var cleaned status
	testkit.Eventually(t, 30*time.Second, "__consumer_offsets cleaned", func() bool {
		resp, err := http.Get("http://" + b.AdminAddr() + "/v1/partitions?topic=__consumer_offsets")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var ps []status
		if json.NewDecoder(resp.Body).Decode(&ps) != nil || len(ps) != 1 {
			return false
		}
		cleaned = ps[0]
		return ps[0].Cleaner.LastCleanTime != nil
	})
	// 800 commits of ~3 kB were written; after cleaning, the closed
	// segments hold about one record per key.
	if cleaned.SizeBytes >= int64(commits)*3000 {
		t.Fatalf("__consumer_offsets holds %d bytes after cleaning", cleaned.SizeBytes)
	}
	t.Logf("__consumer_offsets after cleaning: %d bytes, clean %d bytes, last clean %s", cleaned.SizeBytes, cleaned.Cleaner.CleanBytes, *cleaned.Cleaner.LastCleanTime)
	check := func(when string) {
		got, err := b.Admin().FetchOffsets(testkit.Context(t, 10*time.Second), "compacted-group")
		if err != nil {
			t.Fatal(err)
		}
		for p, want := range map[int32]int64{0: commits, 1: commits - 1} {
			if o, ok := got.Lookup("tracked", p); !ok || o.At != want || o.Metadata != meta {
				t.Fatalf("%s: partition %d committed %+v, want %d", when, p, o.Offset, want)
			}
		}
	}
	check("after cleaning")
	b.Restart()
	check("after a restart (replayed from the compacted log)")
}
