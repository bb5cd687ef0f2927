package log

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// modelRec is a record the model expects in the log.
type modelRec struct {
	off     int64
	key     string
	val     []byte // nil: tombstone
	horizon int64  // delete horizon given by a clean, 0: none yet
}

func (r modelRec) String() string {
	return readRec{offset: r.off, key: r.key, val: r.val}.String()
}

// cleanModel is what the log should hold: every record appended, less
// what cleans removed, by Kafka's rules.
type cleanModel struct {
	recs      []modelRec
	retention int64
	table     map[string]string // the producer's view: latest value per live key
}

// clean applies one clean that mapped [firstDirty, end) and rewrote the
// segments below cleanedTo at time now.
func (m *cleanModel) clean(firstDirty, end, cleanedTo, now int64) {
	latest := map[string]int64{}
	for _, r := range m.recs {
		if r.off >= firstDirty && r.off < end {
			latest[r.key] = r.off
		}
	}
	var out []modelRec
	for _, r := range m.recs {
		if r.off < cleanedTo {
			if lo, ok := latest[r.key]; ok && r.off < lo {
				continue
			}
			if r.val == nil && r.horizon != 0 && now >= r.horizon && r.off < end {
				continue
			}
			if r.val == nil && r.horizon == 0 {
				r.horizon = now + m.retention
			}
		}
		out = append(out, r)
	}
	m.recs = out
}

// segBases returns the segments' base offsets.
func segBases(l *Log) []int64 {
	l.rw.RLock()
	defer l.rw.RUnlock()
	var out []int64
	for _, s := range l.segs {
		out = append(out, s.base)
	}
	return out
}

// cleanedTo is where the segments (bases, the last one active) that a
// clean ending at end rewrites stop.
func cleanedTo(bases []int64, end int64) int64 {
	to := int64(0)
	for i := 0; i+1 < len(bases); i++ {
		if bases[i] < end {
			to = bases[i+1]
		}
	}
	return to
}

// tableOf replays records into a key -> value table.
func tableOf(rs []readRec) map[string]string {
	t := map[string]string{}
	for _, r := range rs {
		if r.val == nil {
			delete(t, r.key)
		} else {
			t[r.key] = string(r.val)
		}
	}
	return t
}

func TestCleanProperty(t *testing.T) {
	for seed := range uint64(40) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runCleanProperty(t, seed) })
	}
}

func runCleanProperty(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	e := compactEnv(t)
	e.cfg.DeleteRetentionMs = 60_000
	l := e.open()
	m := &cleanModel{retention: e.cfg.DeleteRetentionMs, table: map[string]string{}}
	c := e.testCleaner(int64(slotBytes * (8 + rng.IntN(30))))
	for step := range 300 {
		switch op := rng.IntN(20); {
		case op < 14:
			m.appendRandom(t, rng, l, step)
		case op < 17:
			rollNow(t, l)
		case op < 19:
			e.clk.Advance(time.Duration(rng.IntN(40)) * time.Second)
			bases := segBases(l)
			st := cleanNow(t, c, l)
			m.clean(st.FirstDirty, st.EndOffset, cleanedTo(bases, st.EndOffset), e.clk.Now().UnixMilli())
			m.check(t, l, step)
		default:
			l.Close()
			l = e.open()
		}
	}
}

// appendRandom appends a batch of 1-3 random puts and tombstones over a
// small key space.
func (m *cleanModel) appendRandom(t *testing.T, rng *rand.Rand, l *Log, step int) {
	var kvs []kv
	for range 1 + rng.IntN(3) {
		k := fmt.Sprintf("k%02d", rng.IntN(12))
		if rng.IntN(5) == 0 {
			kvs = append(kvs, del(k))
		} else {
			kvs = append(kvs, put(k, fmt.Sprintf("v%d", step)))
		}
	}
	info := appendKV(t, l, plainOpts(1000+int64(step)), kvs...)
	for i, r := range kvs {
		m.recs = append(m.recs, modelRec{off: info.FirstOffset + int64(i), key: r.key, val: r.val})
		if r.val == nil {
			delete(m.table, r.key)
		} else {
			m.table[r.key] = string(r.val)
		}
	}
}

// check compares the log with the model: the same records in the same
// (increasing) offsets, and the table a consumer rebuilds from it equal
// to the producer's.
func (m *cleanModel) check(t *testing.T, l *Log, step int) {
	t.Helper()
	got := readKeyed(t, l)
	want := make([]string, len(m.recs))
	for i, r := range m.recs {
		want[i] = r.String()
	}
	if g := recStrings(got); !slices.Equal(g, want) {
		t.Fatalf("step %d: log\n%v\nmodel\n%v", step, g, want)
	}
	for i := 1; i < len(got); i++ {
		if got[i].offset <= got[i-1].offset {
			t.Fatalf("step %d: offsets not increasing at %d", step, i)
		}
	}
	if tb := tableOf(got); !mapsEqual(tb, m.table) {
		t.Fatalf("step %d: table %v, want %v", step, tb, m.table)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
