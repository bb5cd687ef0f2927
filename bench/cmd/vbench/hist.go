package main

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// histSubBits sets the histogram's precision: each power of two is split into
// 2^histSubBits linear buckets, so a reported quantile is within 1/128 (0.8%)
// of the true value.
const histSubBits = 7

// histBuckets covers durations up to 2^40 ns (about 18 minutes).
const histBuckets = (40 - histSubBits + 1) << histSubBits

// hist is a log-linear latency histogram safe for concurrent use. Recording
// is one atomic add, so producer promises on many goroutines can share one.
type hist struct {
	counts [histBuckets]atomic.Uint64
	max    atomic.Int64
}

// bucketOf maps a value in nanoseconds to its bucket.
func bucketOf(ns int64) int {
	if ns < 1<<histSubBits {
		if ns < 0 {
			ns = 0
		}
		return int(ns)
	}
	exp := bits.Len64(uint64(ns)) - 1 - histSubBits
	idx := (exp+1)<<histSubBits + int(ns>>exp) - 1<<histSubBits
	return min(idx, histBuckets-1)
}

// lowerBound is the smallest value that falls into bucket idx.
func lowerBound(idx int) int64 {
	if idx < 1<<histSubBits {
		return int64(idx)
	}
	exp := idx>>histSubBits - 1
	sub := int64(idx&(1<<histSubBits-1)) + 1<<histSubBits
	return sub << exp
}

// record adds one observation.
func (h *hist) record(d time.Duration) {
	ns := int64(d)
	h.counts[bucketOf(ns)].Add(1)
	for {
		cur := h.max.Load()
		if ns <= cur || h.max.CompareAndSwap(cur, ns) {
			return
		}
	}
}

// total is the number of observations.
func (h *hist) total() uint64 {
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	return n
}

// quantile returns the value at quantile q (0 < q <= 1): the lower bound of
// the bucket holding the ceil(q*n)-th smallest observation, or 0 when empty.
func (h *hist) quantile(q float64) time.Duration {
	n := h.total()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	rank = max(rank, 1)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return time.Duration(lowerBound(i))
		}
	}
	return time.Duration(h.max.Load())
}

// maxValue is the largest recorded observation.
func (h *hist) maxValue() time.Duration { return time.Duration(h.max.Load()) }
