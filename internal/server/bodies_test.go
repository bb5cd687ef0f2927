package server

import (
	"runtime"
	"testing"
	"unsafe"
)

// TestBodyPool: a body put back serves the next request that fits, the
// smallest free one first; the pool keeps at most maxPooledBytes, large
// bodies before small ones, and a trim after an unused period empties it.
func TestBodyPool(t *testing.T) {
	var bp bodyPool
	defer bp.close()
	if b := bp.get(100); len(b.b) != 100 || cap(b.b) != 100 {
		t.Fatalf("small body: len %d cap %d", len(b.b), cap(b.b))
	}
	a := bp.get(5000)
	if len(a.b) != 5000 || cap(a.b) != 8192 {
		t.Fatalf("len %d cap %d, want 5000 and 8192", len(a.b), cap(a.b))
	}
	bp.put(a)
	if b := bp.get(6000); &b.b[0] != &a.b[0] || len(b.b) != 6000 {
		t.Fatal("a body put back was not reused")
	}

	small, mid, big := bp.get(8<<10), bp.get(64<<10), bp.get(1<<20)
	bp.put(big)
	bp.put(small)
	bp.put(mid)
	if b := bp.get(10 << 10); &b.b[0] != &mid.b[0] {
		t.Fatalf("got a %d-byte body for 10 KiB, want the 64 KiB one", cap(b.b))
	}
	if b := bp.get(2 << 20); &b.b[0] == &big.b[0] || cap(b.b) != 2<<20 {
		t.Fatalf("got a %d-byte body for 2 MiB", cap(b.b))
	} else {
		bp.put(b) // mapped: it must come back (or be released)
	}

	// Fill the pool with 8 MiB bodies: the small ones go first, and
	// the pool never holds more than its budget.
	var bigs []body
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
	bp.put(body{b: make([]byte, 4<<10)})
	if bp.retained != maxPooledBytes {
		t.Fatal("a small body displaced a large one")
	}
	if b := bp.get(64 << 20); cap(b.b) != 64<<20 || b.mapped {
		t.Fatal("a body over the largest class was not made to size on the heap")
	} else if bp.put(b); bp.retained != maxPooledBytes {
		t.Fatal("a body over the largest class was pooled")
	}

	// At most maxPooledBodies bodies, however small.
	var few bodyPool
	var fours []body
	for range maxPooledBodies + 10 {
		fours = append(fours, few.get(4<<10))
	}
	for _, b := range fours {
		few.put(b)
	}
	if len(few.free) != maxPooledBodies {
		t.Fatalf("%d bodies pooled, want at most %d", len(few.free), maxPooledBodies)
	}

	bp.put(bp.get(5 << 20)) // used since the last trim: the trim keeps the rest
	bp.trim()
	if len(bp.free) != 4 {
		t.Fatalf("%d bodies after a trim that follows use, want 4", len(bp.free))
	}
	bp.trim()
	if len(bp.free) != 0 || bp.retained != 0 {
		t.Fatalf("%d bodies (%d bytes) after an unused period", len(bp.free), bp.retained)
	}
}

// TestMappedBodies: on Linux, bodies of 2 MiB and more are mapped outside
// the heap, aligned for huge pages, whole and writable; they are reused
// through the pool, and released when it lets them go, also after close.
func TestMappedBodies(t *testing.T) {
	var bp bodyPool
	if runtime.GOOS != "linux" { // bodies are mapped on Linux only
		b := bp.get(3 << 20)
		if b.mapped || len(b.b) != 3<<20 {
			t.Fatalf("3 MiB body off Linux: mapped %v len %d, want a heap one", b.mapped, len(b.b))
		}
		return
	}
	b := bp.get(3 << 20)
	if !b.mapped || len(b.b) != 3<<20 || cap(b.b) != 4<<20 {
		t.Fatalf("3 MiB body: mapped %v len %d cap %d, want a mapped 4 MiB one", b.mapped, len(b.b), cap(b.b))
	}
	if addr := uintptr(unsafePointer(b.b)); addr%(1<<mappedBody) != 0 {
		t.Fatalf("mapped body at %#x, not aligned to 2 MiB", addr)
	}
	full := b.b[:cap(b.b)]
	for i := range full {
		full[i] = byte(i)
	}
	if full[len(full)-1] != byte(len(full)-1) {
		t.Fatal("the last byte did not keep its value")
	}
	if s := bp.get(1 << 20); s.mapped {
		t.Fatal("a 1 MiB body was mapped; only 2 MiB and more are")
	}
	bp.put(b)
	again := bp.get(2<<20 + 1)
	if !again.mapped || &again.b[0] != &b.b[0] {
		t.Fatal("the mapped body put back was not reused")
	}
	if again.b[4097] != 4097&0xff {
		t.Fatal("a reused body lost its memory")
	}
	bp.put(again)
	bp.trim() // used since the last: keeps it
	bp.trim() // unused: unmaps it
	if len(bp.free) != 0 {
		t.Fatalf("%d bodies after an unused period", len(bp.free))
	}
	late := bp.get(4 << 20)
	bp.close()
	bp.put(late) // after close: released at once
	if len(bp.free) != 0 || bp.retained != 0 {
		t.Fatal("a body put back after close was kept")
	}
}

func unsafePointer(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }
