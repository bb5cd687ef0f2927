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
type bodyPool struct {
	mu       sync.Mutex
	free     [][]byte // by capacity, ascending
	retained int      // bytes in free
	used     bool     // a body was taken since the last trim
}

const (
	minPooledBody   = 12       // 4 KiB; smaller bodies are not pooled
	maxPooledBody   = 23       // 8 MiB; larger ones are not either
	maxPooledBytes  = 32 << 20 // free bodies kept at most, in bytes
	maxPooledBodies = 64       // and in bodies
	bodyIdle        = 30 * time.Second
)

// bodyClass is the smallest power of two of at least n bytes, as a shift.
func bodyClass(n int) int { return bits.Len(uint(n - 1)) }

// get returns a body of n bytes.
func (bp *bodyPool) get(n int) []byte {
	c := bodyClass(n)
	if n < 1<<minPooledBody || c > maxPooledBody {
		return make([]byte, n)
	}
	bp.mu.Lock()
	bp.used = true
	for i, b := range bp.free {
		if cap(b) >= n {
			bp.free = append(bp.free[:i], bp.free[i+1:]...)
			bp.retained -= cap(b)
			bp.mu.Unlock()
			return b[:n]
		}
	}
	bp.mu.Unlock()
	return make([]byte, n, 1<<c)
}

// put gives back a body that get returned and nothing uses any more.
func (bp *bodyPool) put(b []byte) {
	c := bits.Len(uint(cap(b))) - 1
	if c < minPooledBody || c > maxPooledBody {
		return
	}
	b = b[:cap(b)]
	bp.mu.Lock()
	defer bp.mu.Unlock()
	// Make room by letting smaller bodies go: a large one serves every
	// request a small one would.
	for len(bp.free) > 0 && (bp.retained+cap(b) > maxPooledBytes || len(bp.free) >= maxPooledBodies) && cap(bp.free[0]) <= cap(b) {
		bp.retained -= cap(bp.free[0])
		bp.free[0] = nil
		bp.free = bp.free[1:]
	}
	if bp.retained+cap(b) > maxPooledBytes || len(bp.free) >= maxPooledBodies {
		return
	}
	i := 0
	for i < len(bp.free) && cap(bp.free[i]) < cap(b) {
		i++
	}
	bp.free = append(bp.free, nil)
	copy(bp.free[i+1:], bp.free[i:])
	bp.free[i] = b
	bp.retained += cap(b)
}

// trim lets go of every free body unless a body was taken since the last
// trim.
func (bp *bodyPool) trim() {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	if !bp.used {
		clear(bp.free)
		bp.free, bp.retained = bp.free[:0], 0
	}
	bp.used = false
}

// trimBodies trims the body pool every bodyIdle until ctx ends or the
// server closes, so that an idle broker holds no bodies.
func (s *Server) trimBodies(ctx context.Context) { s.every(ctx, bodyIdle, s.bodies.trim) }
