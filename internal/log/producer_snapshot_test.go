package log

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// vps1Golden is a VPS1 snapshot as the code before VPS2 wrote it, of
// producer 1 (epoch 3, batches 0-4 at offsets 10-14 and 5 at 20, with
// timestamps t0-5s and t0-4s), producer 2 (epoch 0, transaction open at
// offset 7, no batch) and producer 3 (epoch 1, no batch).
const vps1Golden = "" +
	"56505331bd61dce900000003" + // "VPS1" CRC n=3
	"00000000000000010003ffffffffffffffff02" + // producer 1: id, epoch 3, no transaction, 2 batches
	"0000000000000004000000000000000a000000000000000e0000019b76da9478" + // seq 0-4, offsets 10-14, t0-5s
	"0000000500000005000000000000001400000000000000140000019b76da9860" + // seq 5-5, offsets 20-20, t0-4s
	"00000000000000020000000000000000000700" + // producer 2: epoch 0, transaction from 7, no batch
	"00000000000000030001ffffffffffffffff00" // producer 3: epoch 1, no transaction, no batch

func TestProducerSnapshotV1(t *testing.T) {
	b, err := hex.DecodeString(vps1Golden)
	if err != nil {
		t.Fatal(err)
	}
	t0ms := t0.UnixMilli()
	for _, v1Now := range []int64{t0ms - 10_000, t0ms} {
		ps, err := decodeProducers(b, v1Now)
		if err != nil {
			t.Fatalf("VPS1 read at %d: %v", v1Now, err)
		}
		want := producers{
			// The newest batch is later than a read at t0-10s: its
			// timestamp is the later of the two.
			1: {epoch: 3, txnFirstOffset: -1, lastTimestamp: max(v1Now, t0ms-4000),
				batches: []batchMeta{{0, 4, 10, 14, t0ms - 5000}, {5, 5, 20, 20, t0ms - 4000}}},
			2: {epoch: 0, txnFirstOffset: 7, lastTimestamp: v1Now},
			3: {epoch: 1, txnFirstOffset: -1, lastTimestamp: v1Now},
		}
		if !reflect.DeepEqual(ps, want) {
			t.Fatalf("VPS1 read at %d:\n got %s\nwant %s", v1Now, dumpProducers(ps), dumpProducers(want))
		}
	}
}

// TestProducerLastTimestampSurvivesReopen: lastTimestamp comes back from
// the snapshot (including a producer with no batch left) and from the
// replay after it, after a clean close and after a crash, and expiry then
// counts from it rather than from the reopen.
func TestProducerLastTimestampSurvivesReopen(t *testing.T) {
	for _, crash := range []bool{false, true} {
		e := newEnv(t)
		e.pidExpiration = time.Hour
		l := e.open()
		now, minute := t0.UnixMilli(), time.Minute.Milliseconds()
		mustAppend(t, l, txnAt(1, 0, 0, now-50*minute))
		mustAppend(t, l, markerAt(1, 1, now-40*minute)) // epoch bump: no batch left
		rollNow(t, l)                                   // a snapshot holding producer 1
		mustAppend(t, l, idemAt(2, 0, 0, now-30*minute))
		want := []ProducerInfo{
			{ID: 1, Epoch: 1, LastSequence: -1, LastTimestamp: now - 40*minute, TxnStartOffset: -1},
			{ID: 2, Epoch: 0, LastSequence: 0, LastTimestamp: now - 30*minute, TxnStartOffset: -1},
		}
		if got := l.Producers(); !slices.Equal(got, want) {
			t.Fatalf("before reopen: %+v, want %+v", got, want)
		}
		e.stop(l, crash)
		e.clk.Advance(10 * time.Minute)
		l = e.open()
		if got := l.Producers(); !slices.Equal(got, want) {
			t.Fatalf("crash=%v: after reopen: %+v, want %+v", crash, got, want)
		}
		if n := l.RemoveExpiredProducers(now + 20*minute - 1); n != 0 {
			t.Fatalf("crash=%v: %d removed before producer 1's hour was up", crash, n)
		}
		if n := l.RemoveExpiredProducers(now + 20*minute); n != 1 || !slices.Equal(producerIDs(l), []int64{2}) {
			t.Fatalf("crash=%v: removed %d, left %v; want producer 1 gone", crash, n, producerIDs(l))
		}
	}
}

// dumpProducers prints producer state by id, for failure messages.
func dumpProducers(ps producers) string {
	var b strings.Builder
	for _, id := range slices.Sorted(maps.Keys(ps)) {
		fmt.Fprintf(&b, " %d:%+v", id, *ps[id])
	}
	return b.String()
}

// FuzzProducerSnapshot decodes arbitrary snapshot bodies of either
// version, with a valid CRC so that the parser itself is exercised: it
// must not panic, and whatever decodes must encode (as VPS2) to a file
// that decodes to the same state and encodes to the same bytes.
func FuzzProducerSnapshot(f *testing.F) {
	golden, _ := hex.DecodeString(vps1Golden)
	f.Add(true, golden[8:])
	f.Add(false, producers{
		1: {epoch: 3, txnFirstOffset: -1, lastTimestamp: 100, batches: []batchMeta{{0, 4, 10, 14, 99}, {5, 5, 20, 20, 100}}},
		2: {epoch: 0, txnFirstOffset: 7, lastTimestamp: -1},
	}.encode()[8:])
	f.Add(false, []byte{})
	f.Add(true, []byte{0, 0, 0, 1})
	f.Add(false, []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 6})
	f.Fuzz(func(t *testing.T, v1 bool, body []byte) {
		magic := snapshotMagic
		if v1 {
			magic = snapshotMagicV1
		}
		b := append([]byte(magic), 0, 0, 0, 0)
		b = append(b, body...)
		binary.BigEndian.PutUint32(b[4:], crc32.Checksum(b[8:], castagnoli))
		ps, err := decodeProducers(b, 12345)
		if err != nil {
			return
		}
		enc := ps.encode()
		back, err := decodeProducers(enc, 0)
		if err != nil || !reflect.DeepEqual(back, ps) {
			t.Fatalf("round trip: %v\n got %s\nwant %s", err, dumpProducers(back), dumpProducers(ps))
		}
		if !bytes.Equal(back.encode(), enc) {
			t.Fatal("encoding is not deterministic")
		}
	})
}
