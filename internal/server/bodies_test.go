package server

import "testing"

// TestBodyPool: a body put back serves the next request that fits, the
// smallest free one first; the pool keeps at most maxPooledBytes, large
// bodies before small ones, and a trim after an unused period empties it.
func TestBodyPool(t *testing.T) {
	var bp bodyPool
	if b := bp.get(100); len(b) != 100 || cap(b) != 100 {
		t.Fatalf("small body: len %d cap %d", len(b), cap(b))
	}
	a := bp.get(5000)
	if len(a) != 5000 || cap(a) != 8192 {
		t.Fatalf("len %d cap %d, want 5000 and 8192", len(a), cap(a))
	}
	bp.put(a)
	if b := bp.get(6000); &b[0] != &a[0] || len(b) != 6000 {
		t.Fatal("a body put back was not reused")
	}

	small, mid, big := bp.get(8<<10), bp.get(64<<10), bp.get(1<<20)
	bp.put(big)
	bp.put(small)
	bp.put(mid)
	if b := bp.get(10 << 10); &b[0] != &mid[0] {
		t.Fatalf("got a %d-byte body for 10 KiB, want the 64 KiB one", cap(b))
	}
	if b := bp.get(2 << 20); &b[0] == &big[0] || cap(b) != 2<<20 {
		t.Fatalf("got a %d-byte body for 2 MiB", cap(b))
	}

	// Fill the pool with 8 MiB bodies: the small ones go first, and
	// the pool never holds more than its budget.
	var bigs [][]byte
	for range 6 {
		bigs = append(bigs, bp.get(8<<20))
	}
	for _, b := range bigs {
		bp.put(b)
		if bp.retained > maxPooledBytes {
			t.Fatalf("pool holds %d bytes, over %d", bp.retained, maxPooledBytes)
		}
	}
	if bp.retained != maxPooledBytes || len(bp.free) != maxPooledBytes/(8<<20) {
		t.Fatalf("pool holds %d bytes in %d bodies, want four 8 MiB ones", bp.retained, len(bp.free))
	}
	bp.put(make([]byte, 4<<10))
	if bp.retained != maxPooledBytes {
		t.Fatal("a small body displaced a large one")
	}
	if b := bp.get(64 << 20); cap(b) != 64<<20 {
		t.Fatal("a body over the largest class was not made to size")
	} else if bp.put(b); bp.retained != maxPooledBytes {
		t.Fatal("a body over the largest class was pooled")
	}

	// At most maxPooledBodies bodies, however small.
	var few bodyPool
	var fours [][]byte
	for range maxPooledBodies + 10 {
		fours = append(fours, few.get(4<<10))
	}
	for _, b := range fours {
		few.put(b)
	}
	if len(few.free) != maxPooledBodies {
		t.Fatalf("%d bodies pooled, want at most %d", len(few.free), maxPooledBodies)
	}

	bp.get(5 << 20) // used since the last trim: the trim keeps the rest
	bp.trim()
	if len(bp.free) != 3 {
		t.Fatalf("%d bodies after a trim that follows use, want 3", len(bp.free))
	}
	bp.trim()
	if len(bp.free) != 0 || bp.retained != 0 {
		t.Fatalf("%d bodies (%d bytes) after an unused period", len(bp.free), bp.retained)
	}
}
