//go:build linux

package crash_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// killRuns is how many kill -9 and restart cycles each test goes through
// on one data directory, to shake out races between appends, flushes,
// checkpoints and the kill.
const killRuns = 5

// TestKillDuringProduce kills the broker with SIGKILL at a random moment
// while an idempotent acks=all producer writes, restarts it on the same
// data directory, and checks that every acknowledged record is there
// exactly once, in order, at its acknowledged offset; then does it again
// on top of the recovered log.
func TestKillDuringProduce(t *testing.T) {
	policies := []struct {
		name      string
		overrides []string
	}{
		// fsync before every acknowledgement.
		{"flush-every-message", []string{"log.flush.interval.messages=1"}},
		// Kafka's default: no fsync; a process crash keeps what was
		// written in the page cache.
		{"default-flush", nil},
	}
	for _, pol := range policies {
		t.Run(pol.name, func(t *testing.T) {
			seed := time.Now().UnixNano()
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(uint64(seed), 0))
			dir := t.TempDir()
			const topic, partitions = "crash", 3
			p := startProc(t, dir, pol.overrides...)
			// The smallest segments Kafka allows: some runs roll one.
			createTopic(t, p, topic, partitions, map[string]*string{"segment.bytes": kadm.StringPtr("1048576")})
			var all []ack
			for run := range killRuns {
				all = append(all, produceUntilKilled(t, p, topic, partitions, run, 500+rng.IntN(8000))...)
				p = startProc(t, dir, pol.overrides...)
				t.Logf("run %d: recovered in %v", run, p.ready.Sub(p.started))
				waitLeaders(t, p, topic, partitions)
				logs := readAll(t, p, topic)
				checkLog(t, logs, all)
				t.Logf("run %d: %d records acknowledged so far, %d on disk", run, len(all), countRecords(logs))
			}
			p.terminate()
		})
	}
}
