package log

import "testing"

func TestLeaderEpochCache(t *testing.T) {
	e := newEnv(t)
	l := e.open()
	if l.LatestEpoch() != -1 {
		t.Fatal("epoch of an empty log")
	}
	for _, ep := range []int32{1, 1, 3, 3, 3, 6} { // epoch 1 at 0, 3 at 2, 6 at 5
		if _, err := l.AppendAsLeader(plain(1, 0).build(), ep); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		epoch int32
		end   int64
		found int32
	}{
		{0, 0, 0}, {1, 2, 1}, {2, 2, 1}, {3, 5, 3}, {5, 5, 3}, {6, 6, 6}, {7, -1, -1}, {-1, -1, -1},
	}
	check := func(l *Log) {
		t.Helper()
		for _, c := range cases {
			if end, found := l.EndOffsetForEpoch(c.epoch); end != c.end || found != c.found {
				t.Errorf("EndOffsetForEpoch(%d) = %d, %d; want %d, %d", c.epoch, end, found, c.end, c.found)
			}
		}
	}
	check(l)
	if l.LatestEpoch() != 6 {
		t.Fatalf("latest %d", l.LatestEpoch())
	}
	l.Close()
	l = e.open()
	check(l)
	// Truncation drops the epochs that started at or after the new end.
	if err := l.TruncateTo(3); err != nil {
		t.Fatal(err)
	}
	if l.LatestEpoch() != 3 {
		t.Fatalf("latest after truncate %d", l.LatestEpoch())
	}
	if end, found := l.EndOffsetForEpoch(3); end != 3 || found != 3 {
		t.Fatalf("epoch 3 after truncate: %d %d", end, found)
	}
}

// TestEndOffsetForEpochAsLeader checks the answer of a leader whose epoch
// has no batch yet: as if the epoch started at the log end, as Kafka's
// cache says once a replica becomes leader, without changing the cache.
func TestEndOffsetForEpochAsLeader(t *testing.T) {
	e := newEnv(t)
	l := e.open()
	type want struct {
		epoch int32
		end   int64
		found int32
	}
	check := func(leaderEpoch int32, cases ...want) {
		t.Helper()
		for _, c := range cases {
			if end, found := l.EndOffsetForEpochAsLeader(c.epoch, leaderEpoch); end != c.end || found != c.found {
				t.Errorf("EndOffsetForEpochAsLeader(%d, %d) = %d, %d; want %d, %d", c.epoch, leaderEpoch, end, found, c.end, c.found)
			}
		}
	}
	// An empty log led in epoch 0.
	check(0, want{0, 0, 0}, want{1, -1, -1}, want{-1, -1, -1})
	for i := 0; i < 2; i++ { // epoch 1 at 0
		if _, err := l.AppendAsLeader(plain(1, 0).build(), 1); err != nil {
			t.Fatal(err)
		}
	}
	// Leader in epoch 4 with no batch of it yet: epoch 4 starts at 2.
	check(4, want{0, 0, 0}, want{1, 2, 1}, want{3, 2, 1}, want{4, 2, 4}, want{5, -1, -1})
	// The cache itself is unchanged.
	if end, found := l.EndOffsetForEpoch(4); end != -1 || found != -1 || l.LatestEpoch() != 1 {
		t.Fatalf("cache changed: EndOffsetForEpoch(4) = %d, %d; latest %d", end, found, l.LatestEpoch())
	}
	if _, err := l.AppendAsLeader(plain(1, 0).build(), 4); err != nil {
		t.Fatal(err)
	}
	check(4, want{1, 2, 1}, want{3, 2, 1}, want{4, 3, 4}, want{5, -1, -1})
}

func TestEpochCheckpointCodec(t *testing.T) {
	c := epochCache{entries: []epochEntry{{1, 0}, {4, 100}}}
	got, err := decodeEpochs(c.encode())
	if err != nil || len(got.entries) != 2 || got.entries[1] != (epochEntry{4, 100}) {
		t.Fatalf("%+v %v", got, err)
	}
	if string(c.encode()) != "0\n2\n1 0\n4 100\n" {
		t.Fatalf("format %q", c.encode())
	}
	for _, bad := range []string{"", "1\n0\n", "0\n2\n1 0\n", "0\n2\n4 0\n1 5\n"} {
		if _, err := decodeEpochs([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestTruncateTo(t *testing.T) {
	e := newEnv(t)
	size := int64(len(plain(2, 0).build()))
	e.cfg.SegmentBytes = 2 * size
	l := e.open()
	for i := int32(0); i < 6; i++ { // offsets 0..11, segments at 0, 4, 8
		if _, err := l.AppendAsLeader(idem(1, 0, i*2, 2).build(), 0); err != nil {
			t.Fatal(err)
		}
	}
	l.SetHighWatermark(12)
	if err := l.TruncateTo(7); err != nil { // the batch 6-7 goes whole
		t.Fatal(err)
	}
	if l.LogEndOffset() != 6 || l.HighWatermark() != 6 || l.NumSegments() != 2 {
		t.Fatalf("LEO %d HW %d segments %d", l.LogEndOffset(), l.HighWatermark(), l.NumSegments())
	}
	if _, seq, _ := l.ProducerState(1); seq != 5 {
		t.Fatalf("producer state not rolled back: last seq %d", seq)
	}
	info, err := l.AppendAsLeader(idem(1, 0, 6, 2).build(), 0)
	if err != nil || info.FirstOffset != 6 || info.Duplicate {
		t.Fatalf("%+v %v", info, err)
	}
	wantContiguous(t, readAll(t, l, 0), 0, 8, 2)
	if err := l.TruncateTo(0); err != nil {
		t.Fatal(err)
	}
	if l.LogEndOffset() != 0 || l.NumSegments() != 1 {
		t.Fatalf("LEO %d", l.LogEndOffset())
	}
}

func TestAppendAsFollower(t *testing.T) {
	e := newEnv(t)
	l := e.open()
	var in []byte
	for _, base := range []int64{0, 3, 10} {
		b := plain(3, 0).build()
		b[0], b[7] = 0, byte(base) // base offset as sent by the leader
		b[12], b[13], b[14], b[15] = 0, 0, 0, 4
		in = append(in, b...)
	}
	info, err := l.AppendAsFollower(in)
	if err != nil || info.FirstOffset != 0 || info.LastOffset != 12 {
		t.Fatalf("%+v %v", info, err)
	}
	if l.LogEndOffset() != 13 || l.LatestEpoch() != 4 {
		t.Fatalf("LEO %d epoch %d", l.LogEndOffset(), l.LatestEpoch())
	}
	bs, _ := readBatches(t, l, 6, 1<<20, 13)
	if len(bs) != 1 || bs[0].base != 10 {
		t.Fatalf("read in gap: %v", bs)
	}
	_, err = l.AppendAsFollower(in[:len(in)/3])
	wantErr(t, err, ErrCorruptBatch)
}
