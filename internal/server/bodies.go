package server

import (
	"context"
	"math/bits"
	"sync"
	"time"
)

// bodyPool recycles the bodies of Produce requests, the only large ones,
// so that the hot path neither allocates nor zeroes them, nor faults in
// fresh pages: on a virtual machine that hands freed memory back to its
// host, as this one does, the first write to such a page costs about
// 10 µs, so a fresh 4 MiB body cost 10 ms.
//
// Bodies have power-of-two capacities; a request gets the smallest free
// body that holds it. Up to maxPooledBytes in at most maxPooledBodies free
// bodies are kept, the largest first (so that get and put stay short
// walks of a short list). Unlike a sync.Pool, a garbage collection does not empty
// the pool, and a body put back by one P serves the next request whatever
// P reads it: with sync.Pool, bodies were allocated afresh often enough
// that 3,000 page faults fell in every 3 M records produced. The pool lets
// go of its bodies once it has not been used for bodyIdle.
//
// Bodies of mappedBody and more are mapped outside the Go heap on huge
// pages where the system has them (bodymem_linux.go): a busy producer's
// requests are a few MiB, and their batches are read three times (CRC,
// record scan, the copy into the log), each time through a TLB that 4 KiB
// pages of a virtual machine make costly; on huge pages the CRC took
// 9.4 rather than 11.3 ns per 100-byte record. Such a body must come back
// through put, which unmaps it when the pool lets it go, and nothing may
// read it after that.
type bodyPool struct {
	mu       sync.Mutex
	free     []body // by capacity, ascending
	retained int    // bytes in free
	used     bool   // a body was taken since the last trim
	closed   bool   // the server has stopped: put releases at once
}

// A body holds one request.
type body struct {
	b      []byte // the request; its capacity is what the pool counts
	mapped bool   // b is mapped memory (mapBody), released by unmapBody
}

const (
	minPooledBody   = 12       // 4 KiB; smaller bodies are not pooled
	mappedBody      = 21       // 2 MiB, a huge page: larger bodies are mapped
	maxPooledBody   = 23       // 8 MiB; larger ones are not pooled either
	maxPooledBytes  = 32 << 20 // free bodies kept at most, in bytes
	maxPooledBodies = 64       // and in bodies
	bodyIdle        = 30 * time.Second
)

// bodyClass is the smallest power of two of at least n bytes, as a shift.
func bodyClass(n int) int { return bits.Len(uint(n - 1)) }

// get returns a body of n bytes.
func (bp *bodyPool) get(n int) body {
	c := bodyClass(n)
	if n < 1<<minPooledBody || c > maxPooledBody {
		return body{b: make([]byte, n)}
	}
	bp.mu.Lock()
	bp.used = true
	for i, b := range bp.free {
		if cap(b.b) >= n {
			bp.free = append(bp.free[:i], bp.free[i+1:]...)
			bp.retained -= cap(b.b)
			bp.mu.Unlock()
			b.b = b.b[:n]
			return b
		}
	}
	bp.mu.Unlock()
	if c >= mappedBody {
		if b := mapBody(1 << c); b != nil {
			return body{b: b[:n], mapped: true}
		}
	}
	return body{b: make([]byte, n, 1<<c)}
}

// put gives back a body that get returned and nothing uses any more.
func (bp *bodyPool) put(b body) {
	if c := bits.Len(uint(cap(b.b))) - 1; c < minPooledBody || c > maxPooledBody {
		return // a heap body: mapped ones are all of pooled sizes
	}
	b.b = b.b[:cap(b.b)]
	bp.mu.Lock()
	drop := bp.putLocked(b)
	bp.mu.Unlock()
	release(drop)
}

// putLocked pools b, making room if need be, and returns the bodies it
// let go (b among them if it did not keep it). bp.mu is held.
func (bp *bodyPool) putLocked(b body) []body {
	var drop []body
	// Make room by letting smaller bodies go: a large one serves every
	// request a small one would.
	for len(bp.free) > 0 && (bp.retained+cap(b.b) > maxPooledBytes || len(bp.free) >= maxPooledBodies) && cap(bp.free[0].b) <= cap(b.b) {
		bp.retained -= cap(bp.free[0].b)
		drop = append(drop, bp.free[0])
		bp.free[0] = body{}
		bp.free = bp.free[1:]
	}
	if bp.closed || bp.retained+cap(b.b) > maxPooledBytes || len(bp.free) >= maxPooledBodies {
		return append(drop, b)
	}
	i := 0
	for i < len(bp.free) && cap(bp.free[i].b) < cap(b.b) {
		i++
	}
	bp.free = append(bp.free, body{})
	copy(bp.free[i+1:], bp.free[i:])
	bp.free[i] = b
	bp.retained += cap(b.b)
	return drop
}

// release unmaps the mapped bodies among drop, which the pool has let go
// (outside its lock: unmapping is a system call).
func release(drop []body) {
	for _, b := range drop {
		if b.mapped {
			unmapBody(b.b)
		}
	}
}

// takeAll empties the pool and returns what it held. bp.mu is held.
func (bp *bodyPool) takeAll() []body {
	drop := append([]body(nil), bp.free...)
	clear(bp.free)
	bp.free, bp.retained = bp.free[:0], 0
	return drop
}

// trim lets go of every free body unless a body was taken since the last
// trim.
func (bp *bodyPool) trim() {
	var drop []body
	bp.mu.Lock()
	if !bp.used {
		drop = bp.takeAll()
	}
	bp.used = false
	bp.mu.Unlock()
	release(drop)
}

// close lets go of every free body, and of every body put back from now on.
func (bp *bodyPool) close() {
	bp.mu.Lock()
	drop := bp.takeAll()
	bp.closed = true
	bp.mu.Unlock()
	release(drop)
}

// trimBodies trims the body pool every bodyIdle until ctx ends or the
// server closes, so that an idle broker holds no bodies.
func (s *Server) trimBodies(ctx context.Context) { s.every(ctx, bodyIdle, s.bodies.trim) }
