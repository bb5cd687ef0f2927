package log

import (
	"hash/maphash"
	"math/bits"
)

// offsetMap is the cleaner's dedupe map: the latest offset of each key
// seen in the dirty part of a log. Like Kafka's SkimpyOffsetMap it stores
// a hash of the key, not the key: 128 bits (two independent 64-bit
// hashes), so that a collision, which would drop a live record, is
// practically impossible. A slot is 24 bytes (two hashes and the offset
// plus one, 0 marking an empty slot), probed linearly.
//
// The table starts small and doubles while the load passes the load
// factor, up to limit bytes (log.cleaner.dedupe.buffer.size divided among
// the cleaner threads): its memory follows the number of keys, never past
// the limit. full reports when the next keys might not fit.
type offsetMap struct {
	slots      []uint64 // 3 per slot: hash1, hash2, offset+1
	n          uint64   // number of slots
	count      int      // occupied slots
	maxCount   int      // count allowed at the current size
	limitSlots uint64   // slots allowed by the memory limit
	load       float64
	seed1      maphash.Seed
	seed2      maphash.Seed
}

const (
	slotWords     = 3
	slotBytes     = slotWords * 8
	minSlots      = 1 << 12
	defaultLoadFc = 0.9
)

// newOffsetMap returns an empty map that may grow to limit bytes, filled
// to at most load (0 < load <= 1) of its slots.
func newOffsetMap(limit int64, load float64) *offsetMap {
	if load <= 0 || load > 1 {
		load = defaultLoadFc
	}
	ls := uint64(max(limit/slotBytes, 2))
	m := &offsetMap{limitSlots: ls, load: load, seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed()}
	m.alloc(min(ls, minSlots))
	return m
}

// alloc replaces the table by an empty one of n slots.
func (m *offsetMap) alloc(n uint64) {
	m.n = n
	m.slots = make([]uint64, n*slotWords)
	m.count = 0
	m.maxCount = max(int(float64(n)*m.load), 1)
}

// capacity is the most keys the map can hold at its largest size.
func (m *offsetMap) capacity() int {
	return max(min(int(float64(m.limitSlots)*m.load), int(m.limitSlots)-1), 1)
}

// reset empties the map, keeping its table.
func (m *offsetMap) reset() {
	clear(m.slots)
	m.count = 0
}

// size is the number of keys in the map.
func (m *offsetMap) size() int { return m.count }

// bytes is the memory the table uses.
func (m *offsetMap) bytes() int64 { return int64(len(m.slots)) * 8 }

// hash returns the key's two hashes.
func (m *offsetMap) hash(key []byte) (uint64, uint64) {
	return maphash.Bytes(m.seed1, key), maphash.Bytes(m.seed2, key)
}

// find returns the slot of (h1, h2), or the empty slot where it belongs.
func (m *offsetMap) find(h1, h2 uint64) (slot uint64, found bool) {
	i, _ := bits.Mul64(h1, m.n) // h1 scaled to [0, n)
	for {
		p := i * slotWords
		switch {
		case m.slots[p+2] == 0:
			return i, false
		case m.slots[p] == h1 && m.slots[p+1] == h2:
			return i, true
		}
		if i++; i == m.n {
			i = 0
		}
	}
}

// put records offset as the latest offset of key. The caller keeps the
// number of distinct keys within capacity.
func (m *offsetMap) put(key []byte, offset int64) {
	h1, h2 := m.hash(key)
	i, found := m.find(h1, h2)
	if !found {
		if m.count >= m.maxCount && m.n < m.limitSlots {
			m.grow()
			i, _ = m.find(h1, h2)
		}
		if m.count >= int(m.n)-1 { // keep one slot empty so that probes end
			return
		}
		m.count++
	}
	p := i * slotWords
	m.slots[p], m.slots[p+1], m.slots[p+2] = h1, h2, uint64(offset)+1
}

// get returns the latest offset recorded for key.
func (m *offsetMap) get(key []byte) (int64, bool) {
	h1, h2 := m.hash(key)
	i, found := m.find(h1, h2)
	if !found {
		return -1, false
	}
	return int64(m.slots[i*slotWords+2] - 1), true
}

// grow doubles the table (up to the limit) and rehashes it.
func (m *offsetMap) grow() {
	old := m.slots
	m.alloc(min(m.n*2, m.limitSlots))
	for p := 0; p < len(old); p += slotWords {
		if old[p+2] == 0 {
			continue
		}
		i, _ := m.find(old[p], old[p+1])
		q := i * slotWords
		m.slots[q], m.slots[q+1], m.slots[q+2] = old[p], old[p+1], old[p+2]
		m.count++
	}
}
