package log

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestOffsetMapGrowsWithinLimit(t *testing.T) {
	limit := int64(slotBytes * 20_000)
	m := newOffsetMap(limit, 0.9)
	if m.bytes() != slotBytes*minSlots {
		t.Fatalf("initial table %d bytes", m.bytes())
	}
	n := m.capacity()
	if n != 18_000 {
		t.Fatalf("capacity %d, want 18000", n)
	}
	for i := range n {
		m.put([]byte(fmt.Sprint("key", i)), int64(i))
	}
	for i := range n {
		m.put([]byte(fmt.Sprint("key", i)), int64(i)+100) // updates do not add keys
	}
	if m.size() != n || m.bytes() > limit {
		t.Fatalf("size %d bytes %d (limit %d)", m.size(), m.bytes(), limit)
	}
	for i := range n {
		if o, ok := m.get([]byte(fmt.Sprint("key", i))); !ok || o != int64(i)+100 {
			t.Fatalf("key%d: %d %v", i, o, ok)
		}
	}
	if _, ok := m.get([]byte("absent")); ok {
		t.Fatal("found an absent key")
	}
	m.reset()
	if _, ok := m.get([]byte("key1")); ok || m.size() != 0 {
		t.Fatal("reset kept keys")
	}
}

func TestCleanSmallMapCleansInSeveralPasses(t *testing.T) {
	e := compactEnv(t)
	l := e.open()
	for round := range 3 {
		for k := range 20 {
			appendKV(t, l, plainOpts(1000), put(fmt.Sprint("k", k), fmt.Sprint(round)))
		}
		rollNow(t, l)
	}
	c := e.testCleaner(slotBytes * 12) // room for 10 keys
	var ends []int64
	for range 8 {
		ends = append(ends, cleanNow(t, c, l).EndOffset)
	}
	if ends[0] != 10 || ends[len(ends)-1] != 60 || !slices.IsSorted(ends) {
		t.Fatalf("clean ends %v", ends)
	}
	recs := readKeyed(t, l)
	if len(recs) != 20 || recs[0].offset != 40 || string(recs[0].val) != "2" {
		t.Fatalf("after cleaning: %v", recStrings(recs))
	}
}

func TestCleanDedupeBufferTooSmallForABatch(t *testing.T) {
	e := compactEnv(t)
	l := e.open()
	appendKV(t, l, plainOpts(1000), put("a", "1"), put("b", "1"), put("c", "1"), put("d", "1"))
	rollNow(t, l)
	_, cleaned, err := e.testCleaner(slotBytes*3).clean(context.Background(), l, true)
	if cleaned || err == nil {
		t.Fatalf("cleaned %v err %v", cleaned, err)
	}
	if st := l.CleanerStatus(); st.Err != nil {
		t.Fatalf("a small buffer is not corruption: %v", st.Err)
	}
}

func TestThrottlerWaitsForTheRate(t *testing.T) {
	e := newEnv(t)
	if newThrottler(0, e.clk) != nil || newThrottler(1.7976931348623157e308, e.clk) != nil {
		t.Fatal("unlimited rates need no throttler")
	}
	th := newThrottler(1000, e.clk)
	if th.wait(context.Background(), 0) != nil {
		t.Fatal("wait")
	}
	done := make(chan error, 1)
	go func() { done <- th.wait(context.Background(), 2000) }() // 2 s worth
	e.clk.Advance(time.Second)
	select {
	case <-done:
		t.Fatal("returned before the rate allows")
	default:
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.clk.Advance(time.Second)
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("never returned")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestManagerCleanPassAndBackgroundCleaner(t *testing.T) {
	e := compactEnv(t)
	e.cfg.MinCleanableDirtyRatio = 0.1
	m, err := NewManager(ManagerOptions{FS: e.fs, Dir: "/data", Clock: e.clk, Cleaner: CleanerOptions{Threads: 2, Backoff: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	logs := map[string]*Log{}
	for _, name := range []string{"a", "b", "plain"} {
		cfg := e.cfg
		cfg.Compact = name != "plain"
		l, err := m.GetOrCreate(TopicPartition{Topic: name}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		logs[name] = l
		appendKV(t, l, plainOpts(1000), put("k", "1"), put("k", "2"))
		rollNow(t, l)
	}
	if n := m.CleanPass(context.Background()); n != 2 {
		t.Fatalf("clean pass cleaned %d logs, want 2", n)
	}
	if n := len(readKeyed(t, logs["plain"])); n != 2 {
		t.Fatalf("a delete-policy log was cleaned: %d records", n)
	}
	// The background threads clean when a compacted log rolls.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	appendKV(t, logs["a"], plainOpts(1000), put("k", "3"))
	rollNow(t, logs["a"])
	deadline := time.Now().Add(10 * time.Second)
	for len(readKeyed(t, logs["a"])) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the background cleaner did not clean after a roll")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}
