package log

import (
	"context"
	"encoding/hex"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/vfs"
)

// producerIDs are the ids the log keeps state for, increasing.
func producerIDs(l *Log) []int64 {
	var ids []int64
	for _, p := range l.Producers() {
		ids = append(ids, p.ID)
	}
	return ids
}

func TestRemoveExpiredProducers(t *testing.T) {
	const exp = time.Hour
	e := newEnv(t)
	e.pidExpiration = exp
	l := e.open()
	now, expMs := t0.UnixMilli(), exp.Milliseconds()
	mustAppend(t, l, idemAt(1, 0, 0, now-expMs))   // idle for exactly the expiration: expired
	mustAppend(t, l, idemAt(2, 0, 0, now-expMs+1)) // 1 ms short of it: kept
	mustAppend(t, l, txnAt(3, 0, 0, now-10*expMs)) // open transaction: kept, however old
	mustAppend(t, l, txnAt(4, 0, 0, now-10*expMs)) // old batch, recent commit marker: kept
	mustAppend(t, l, markerAt(4, 0, now-expMs+1))
	mustAppend(t, l, txnAt(5, 0, 0, now-10*expMs)) // aborted with a bumped epoch: no batch left,
	mustAppend(t, l, markerAt(5, 1, now-expMs))    // idle since the marker: expired

	// While producer 1 is known, a gap in its sequence is refused.
	_, err := l.AppendAsLeader(idemAt(1, 0, 7, now).build(), 0)
	wantErr(t, err, ErrOutOfOrderSequence)

	if n := l.RemoveExpiredProducers(now); n != 2 {
		t.Fatalf("removed %d producers, want 2 (1 and 5); left %v", n, producerIDs(l))
	}
	if got := producerIDs(l); !slices.Equal(got, []int64{2, 3, 4}) {
		t.Fatalf("producers %v, want [2 3 4]", got)
	}
	if ps := l.Producers(); ps[2].LastTimestamp != now-expMs+1 || ps[2].LastSequence != 0 {
		t.Fatalf("producer 4 %+v: want the marker's timestamp %d and its batch kept", ps[2], now-expMs+1)
	}

	// Expired, producer 1 is unknown: it may go on at any sequence (KIP-360).
	leo := l.LogEndOffset()
	if info := mustAppend(t, l, idemAt(1, 0, 7, now)); info.FirstOffset != leo || info.Duplicate {
		t.Fatalf("retry after expiry: %+v, want appended at %d", info, leo)
	}
	if ep, seq, ok := l.ProducerState(1); !ok || ep != 0 || seq != 7 {
		t.Fatalf("producer 1 after expiry: epoch %d seq %d known %v", ep, seq, ok)
	}

	// A millisecond later, 2 and 4 go too; 3 stays until its transaction
	// ends, and then goes at once: it is long idle.
	if n := l.RemoveExpiredProducers(now + 1); n != 2 {
		t.Fatalf("removed %d producers a ms later, want 2 (2 and 4); left %v", n, producerIDs(l))
	}
	mustAppend(t, l, markerAt(3, 0, now-10*expMs))
	if n := l.RemoveExpiredProducers(now + 1); n != 1 {
		t.Fatalf("removed %d producers after 3's marker, want 1; left %v", n, producerIDs(l))
	}
	if got := producerIDs(l); !slices.Equal(got, []int64{1}) {
		t.Fatalf("producers %v, want [1]", got)
	}
}

// TestProducerSnapshotV1Expiry opens a log whose snapshot is VPS1: its
// producers count as seen when it was read, so none expires before a
// whole expiration has passed since the upgrade, though producer 1's
// newest batch is older than that; a later snapshot is VPS2.
func TestProducerSnapshotV1Expiry(t *testing.T) {
	e := newEnv(t)
	e.pidExpiration = time.Hour
	l := e.open()
	for i := range 21 {
		mustAppend(t, l, plain(1, int64(i)))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	golden, _ := hex.DecodeString(vps1Golden)
	if err := writeSynced(e.fs, fileName(e.dir, 21, extSnapshot), golden); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(30 * time.Minute)
	read := e.clk.Now().UnixMilli()
	l = e.open()
	if got := producerIDs(l); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("producers from VPS1: %v", got)
	}
	if n := l.RemoveExpiredProducers(read + time.Hour.Milliseconds() - 1); n != 0 {
		t.Fatalf("%d VPS1 producers expired within an hour of the upgrade; left %v", n, producerIDs(l))
	}
	if n := l.RemoveExpiredProducers(read + time.Hour.Milliseconds()); n != 2 || !slices.Equal(producerIDs(l), []int64{2}) {
		t.Fatalf("removed %d, left %v; want all but 2 (open transaction) gone", n, producerIDs(l))
	}
	mustAppend(t, l, idemAt(9, 0, 0, read))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	snap, err := vfs.ReadFile(e.fs, fileName(e.dir, 22, extSnapshot))
	if err != nil || string(snap[:4]) != "VPS2" {
		t.Fatalf("snapshot after the upgrade: %.4q %v, want VPS2", snap, err)
	}
}

func TestManagerExpiresProducers(t *testing.T) {
	fs := vfs.NewMem()
	clk := clock.NewManual(t0)
	m, err := NewManager(ManagerOptions{FS: fs, Dir: "/data", Clock: clk,
		ProducerIDExpiration: time.Hour, ProducerIDExpirationCheckInterval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	l, err := m.GetOrCreate(TopicPartition{"t", 0}, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	now := t0.UnixMilli()
	mustAppend(t, l, idemAt(1, 0, 0, now))
	mustAppend(t, l, idemAt(2, 0, 0, now-2*time.Hour.Milliseconds())) // expired already
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); m.Run(ctx) }()
	defer func() { cancel(); wg.Wait() }()
	// Advance until Run has registered its timers and a pass has run.
	waitFor(t, func() bool { clk.Advance(time.Second); return slices.Equal(producerIDs(l), []int64{1}) })
	// Passes now run every minute, inside Advance: producer 1 stays until
	// the first pass at or after its hour.
	deadline := t0.Add(time.Hour)
	for clk.Now().Before(deadline) {
		clk.Advance(time.Minute)
		if clk.Now().Before(deadline) && !slices.Equal(producerIDs(l), []int64{1}) {
			t.Fatalf("at %v: producers %v, want [1]", clk.Now().Sub(t0), producerIDs(l))
		}
	}
	if got := producerIDs(l); len(got) != 0 {
		t.Fatalf("at %v: producers %v, want none", clk.Now().Sub(t0), got)
	}
}

func TestProducerExpiryDefaults(t *testing.T) {
	m, err := NewManager(ManagerOptions{FS: vfs.NewMem(), Dir: "/data"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.o.ProducerIDExpiration != 24*time.Hour || m.o.ProducerIDExpirationCheckInterval != 10*time.Minute {
		t.Fatalf("defaults %v %v, want Kafka's 24h and 10m", m.o.ProducerIDExpiration, m.o.ProducerIDExpirationCheckInterval)
	}
	l, err := m.GetOrCreate(TopicPartition{"t", 0}, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if l.pidExpirationMs != 86_400_000 {
		t.Fatalf("a managed log's expiration %d ms", l.pidExpirationMs)
	}
	m2, err := NewManager(ManagerOptions{FS: vfs.NewMem(), Dir: "/data", ProducerIDExpiration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if l, err = m2.GetOrCreate(TopicPartition{"t", 0}, DefaultConfig()); err != nil || l.pidExpirationMs != 60_000 {
		t.Fatalf("a managed log's expiration %d ms, want 60000 (%v)", l.pidExpirationMs, err)
	}
}

// TestSnapshotLoadDropsExpiredProducers: as Kafka, reopening a log leaves
// out the snapshot's producers that have expired by then; a producer
// replayed from batches after the snapshot waits for the next pass.
func TestSnapshotLoadDropsExpiredProducers(t *testing.T) {
	const exp = time.Hour
	e := newEnv(t)
	e.pidExpiration = exp
	l := e.open()
	now := t0.UnixMilli()
	mustAppend(t, l, idemAt(1, 0, 0, now-exp.Milliseconds()/2)) // expires half an hour from now
	mustAppend(t, l, idemAt(2, 0, 0, now))                      // expires in an hour
	l.Close()                                                   // a clean close snapshots both

	e.clk.Advance(exp / 2)
	l = e.open()
	if got := producerIDs(l); !slices.Equal(got, []int64{2}) {
		t.Fatalf("producers after reopening half an hour later: %v, want [2]", got)
	}
	// Producer 3's batch comes after the snapshot: replayed after a
	// crash, it is kept although already expired, until a pass.
	mustAppend(t, l, idemAt(3, 0, 0, now-2*exp.Milliseconds()))
	if err := l.Flush(l.LogEndOffset()); err != nil {
		t.Fatal(err)
	}
	e.fs.Crash()
	l = e.open()
	if got := producerIDs(l); !slices.Equal(got, []int64{2, 3}) {
		t.Fatalf("producers after the crash: %v, want [2 3]", got)
	}
	if n := l.RemoveExpiredProducers(e.clk.Now().UnixMilli()); n != 1 || !slices.Equal(producerIDs(l), []int64{2}) {
		t.Fatalf("pass removed %d, left %v; want 3 removed", n, producerIDs(l))
	}
}
