package group

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vltava/vltava/internal/metadata/image"
)

// randomSpec builds an assignment spec: topics of random sizes, members
// subscribed to all of them (homogeneous) or to random subsets, whose
// current targets are a random mix of valid and stale partitions, and
// overlap if shared (which targets never do, but the assignor must not
// hand a partition out twice for it).
func randomSpec(r *rand.Rand, homogeneous, shared bool) assignSpec {
	held := map[tpID]bool{}
	spec := assignSpec{partitions: map[image.Uuid]int32{}}
	var topics []image.Uuid
	for i := range 1 + r.IntN(4) {
		var id image.Uuid
		id[0], id[15] = byte(i+1), byte(r.IntN(256))
		spec.partitions[id] = int32(1 + r.IntN(60))
		topics = append(topics, id)
	}
	all := sortedTopicIDs(uuidSet(topics))
	for i := range 1 + r.IntN(40) {
		m := assignMember{id: fmt.Sprintf("m%03d", i), topics: all, current: assignment{}}
		if !homogeneous {
			var sub []image.Uuid
			for _, t := range all {
				if r.IntN(2) == 0 {
					sub = append(sub, t)
				}
			}
			m.topics = sub
		}
		for range r.IntN(30) {
			t := topics[r.IntN(len(topics))]
			p := int32(r.IntN(int(spec.partitions[t]) + 5)) // some out of range
			if !shared && held[tpID{t, p}] {
				continue
			}
			held[tpID{t, p}] = true
			m.current.add(t, p)
		}
		spec.members = append(spec.members, m)
	}
	return spec
}

// TestUniformAssignor checks the uniform assignor over random groups:
// every partition that has a subscriber goes to exactly one subscriber;
// with the same subscriptions everywhere, counts differ by at most one,
// the balancing pass the assignor skips there would move nothing, and
// each member keeps as many of its current partitions as its share allows.
func TestUniformAssignor(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		homogeneous, shared := i%2 == 0, i%3 == 0
		spec := randomSpec(r, homogeneous, shared)
		got := assignUniform(spec)
		owner := map[tpID]string{}
		load := map[string]int{}
		for _, m := range spec.members {
			a, ok := got[m.id]
			if !ok {
				t.Fatalf("case %d: member %s has no entry", i, m.id)
			}
			a.each(func(tp image.Uuid, p int32) {
				if !containsUUID(m.topics, tp) || p < 0 || p >= spec.partitions[tp] {
					t.Fatalf("case %d: %s got %v-%d, which it cannot have", i, m.id, tp, p)
				}
				if prev, dup := owner[tpID{tp, p}]; dup {
					t.Fatalf("case %d: partition %v-%d given to %s and %s", i, tp, p, prev, m.id)
				}
				owner[tpID{tp, p}] = m.id
			})
			load[m.id] = a.count()
		}
		subs := subscriberCounts(spec)
		for _, tp := range allPartitions(spec.partitions) {
			if _, ok := owner[tp]; !ok && subs[tp.topic] > 0 {
				t.Fatalf("case %d: partition %v-%d has subscribers but no owner", i, tp.topic, tp.partition)
			}
		}
		if !homogeneous {
			continue
		}
		lo, hi := len(owner), 0
		for _, n := range load {
			lo, hi = min(lo, n), max(hi, n)
		}
		if hi-lo > 1 {
			t.Fatalf("case %d: counts from %d to %d", i, lo, hi)
		}
		before := fmt.Sprint(got)
		rebalance(spec, allPartitions(spec.partitions), got, owner, load)
		if after := fmt.Sprint(got); after != before {
			t.Fatalf("case %d: the balancing pass moved partitions:\n%s\n%s", i, before, after)
		}
		if shared {
			continue
		}
		share := len(owner) / len(spec.members)
		for _, m := range spec.members {
			valid, kept := 0, 0
			m.current.each(func(tp image.Uuid, p int32) {
				if p < spec.partitions[tp] {
					valid++
					if owner[tpID{tp, p}] == m.id {
						kept++
					}
				}
			})
			if kept < min(valid, share) {
				t.Fatalf("case %d: %s kept %d of its %d partitions, share %d", i, m.id, kept, valid, share)
			}
		}
	}
}

// BenchmarkUniformAssignJoin assigns 1,000 partitions when a 100th member
// joins 99 that hold a balanced assignment: the assignor's work on every
// join of a large group.
func BenchmarkUniformAssignJoin(b *testing.B) {
	var topic image.Uuid
	topic[0] = 1
	spec := assignSpec{partitions: map[image.Uuid]int32{topic: 1000}}
	for i := range 99 {
		spec.members = append(spec.members, assignMember{id: fmt.Sprintf("m%03d", i), topics: []image.Uuid{topic}, current: assignment{}})
	}
	prev := assignUniform(spec)
	for i := range spec.members {
		spec.members[i].current = prev[spec.members[i].id]
	}
	spec.members = append(spec.members, assignMember{id: "m099", topics: []image.Uuid{topic}, current: assignment{}})
	for b.Loop() {
		assignUniform(spec)
	}
}
