package group

import (
	"bytes"
	"sort"

	"github.com/vltava/vltava/internal/metadata/image"
)

// Server-side assignors of KIP-848 consumer groups (group.consumer.assignors).
const (
	assignorUniform = "uniform"
	assignorRange   = "range"
)

// knownAssignor tells whether Vltava implements an assignor.
func knownAssignor(name string) bool { return name == assignorUniform || name == assignorRange }

// assignSpec is what an assignor assigns from.
type assignSpec struct {
	members    []assignMember       // sorted by id
	partitions map[image.Uuid]int32 // partition count of each subscribed topic that exists
}

// assignMember is one member as an assignor sees it.
type assignMember struct {
	id         string
	instanceID *string
	topics     []image.Uuid // subscribed topics that exist, sorted
	current    assignment   // its current target (uniform keeps what it can)
}

// assign runs the named assignor; every member gets an entry.
func assign(name string, spec assignSpec) map[string]assignment {
	if name == assignorRange {
		return assignRange(spec)
	}
	return assignUniform(spec)
}

// assignRange is Kafka's server-side range assignor: for each topic, the
// members subscribed to it, ordered by instance id (static members first)
// then member id, take contiguous ranges, the first partitions%members of
// them one partition more. Members with the same subscriptions over topics
// of equal size get the same partition numbers of every topic
// (co-partitioning). It is not sticky.
func assignRange(spec assignSpec) map[string]assignment {
	ms := append([]assignMember(nil), spec.members...)
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := ms[i].instanceID, ms[j].instanceID
		switch {
		case a != nil && b != nil:
			return *a < *b
		case a != nil || b != nil:
			return a != nil
		default:
			return ms[i].id < ms[j].id
		}
	})
	out := map[string]assignment{}
	for _, m := range ms {
		out[m.id] = assignment{}
	}
	for _, t := range sortedTopicIDs(spec.partitions) {
		var subs []string
		for _, m := range ms {
			if containsUUID(m.topics, t) {
				subs = append(subs, m.id)
			}
		}
		if len(subs) == 0 {
			continue
		}
		n := spec.partitions[t]
		quota, extra := n/int32(len(subs)), n%int32(len(subs))
		var next int32
		for i, id := range subs {
			k := quota
			if int32(i) < extra {
				k++
			}
			for p := next; p < next+k; p++ {
				out[id].add(t, p)
			}
			next += k
		}
	}
	return out
}

// assignUniform is a sticky, balanced assignor in the spirit of Kafka's
// uniform assignor: every member keeps the partitions of its current
// target that are still valid as long as that keeps the assignment
// balanced, and the others go to the least loaded subscribed members. When
// every member subscribes to the same topics, counts differ by at most
// one.
func assignUniform(spec assignSpec) map[string]assignment {
	load := map[string]int{}
	out := map[string]assignment{}
	owner := map[tpID]string{}
	all := allPartitions(spec.partitions)
	quota, homogeneous := uniformQuotas(spec, len(all))
	for _, m := range spec.members {
		out[m.id] = assignment{}
		for _, t := range m.current.topicIDs() {
			if !containsUUID(m.topics, t) {
				continue
			}
			for _, p := range m.current[t] {
				// Targets are disjoint, but a partition is kept once
				// even if two claim it.
				if _, taken := owner[tpID{t, p}]; !taken && p < spec.partitions[t] && load[m.id] < quota[m.id] {
					out[m.id].add(t, p)
					owner[tpID{t, p}] = m.id
					load[m.id]++
				}
			}
		}
	}
	subs := subscriberCounts(spec)
	// The most constrained partitions (fewest subscribers) go first.
	sort.SliceStable(all, func(i, j int) bool { return subs[all[i].topic] < subs[all[j].topic] })
	for _, tp := range all {
		if _, ok := owner[tp]; ok {
			continue
		}
		best := leastLoaded(spec.members, tp.topic, load, quota)
		if best == "" {
			continue
		}
		out[best].add(tp.topic, tp.partition)
		owner[tp] = best
		load[best]++
	}
	if !homogeneous {
		// With the same subscriptions everywhere the quotas, which add
		// up to the partitions, have balanced the counts already; the
		// pass below would cost a lookup of every member per partition.
		rebalance(spec, all, out, owner, load)
	}
	return out
}

func subscriberCounts(spec assignSpec) map[image.Uuid]int {
	n := map[image.Uuid]int{}
	for _, m := range spec.members {
		for _, t := range m.topics {
			n[t]++
		}
	}
	return n
}

// rebalance moves partitions from a member to a subscribed one holding at
// least two fewer until no such move is left (with differing
// subscriptions, the quotas alone cannot balance).
func rebalance(spec assignSpec, all []tpID, out map[string]assignment, owner map[tpID]string, load map[string]int) {
	for moved := true; moved; {
		moved = false
		for _, tp := range all {
			from, ok := owner[tp]
			if !ok {
				continue
			}
			to := leastLoaded(spec.members, tp.topic, load, nil)
			if to == "" || load[to] >= load[from]-1 {
				continue
			}
			out[from].remove(tp.topic, tp.partition)
			out[to].add(tp.topic, tp.partition)
			owner[tp] = to
			load[from]--
			load[to]++
			moved = true
		}
	}
}

// leastLoaded is the subscribed member with the fewest partitions among
// those under their quota (else among all subscribed), the first in id
// order on ties; "" if no member subscribes to the topic.
func leastLoaded(ms []assignMember, topic image.Uuid, load, quota map[string]int) string {
	best, bestUnder := "", false
	for _, m := range ms {
		if !containsUUID(m.topics, topic) {
			continue
		}
		under := load[m.id] < quota[m.id]
		if best == "" || under && !bestUnder || under == bestUnder && load[m.id] < load[best] {
			best, bestUnder = m.id, under
		}
	}
	return best
}

// uniformQuotas is how many partitions each member may keep before the
// rest are spread: an equal share of what it can be given, rounded up for
// the first members (in id order) while partitions remain. It also tells
// whether every member subscribes to the same topics.
func uniformQuotas(spec assignSpec, total int) (map[string]int, bool) {
	q := map[string]int{}
	n := len(spec.members)
	if n == 0 {
		return q, true
	}
	homogeneous := true
	for _, m := range spec.members[1:] {
		if !equalUUIDs(m.topics, spec.members[0].topics) {
			homogeneous = false
			break
		}
	}
	if !homogeneous {
		// Members keep all they have; rebalance evens the counts after.
		for _, m := range spec.members {
			q[m.id] = total
		}
		return q, false
	}
	base, extra := total/n, total%n
	// Members that already hold more than the base keep one extra first.
	for _, m := range spec.members {
		q[m.id] = base
		if extra > 0 && m.current.count() > base {
			q[m.id]++
			extra--
		}
	}
	for _, m := range spec.members {
		if extra > 0 && q[m.id] == base {
			q[m.id]++
			extra--
		}
	}
	return q, true
}

// tpID is a partition of a topic by id.
type tpID struct {
	topic     image.Uuid
	partition int32
}

func allPartitions(parts map[image.Uuid]int32) []tpID {
	var out []tpID
	for _, t := range sortedTopicIDs(parts) {
		for p := int32(0); p < parts[t]; p++ {
			out = append(out, tpID{t, p})
		}
	}
	return out
}

func sortedTopicIDs[V any](m map[image.Uuid]V) []image.Uuid {
	out := make([]image.Uuid, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i][:], out[j][:]) < 0 })
	return out
}

func containsUUID(s []image.Uuid, v image.Uuid) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func equalUUIDs(a, b []image.Uuid) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// topicIDs lists the assignment's topics in id order.
func (a assignment) topicIDs() []image.Uuid { return sortedTopicIDs(a) }

// add adds a partition, keeping the topic's list sorted.
func (a assignment) add(t image.Uuid, p int32) {
	ps := a[t]
	i := sort.Search(len(ps), func(i int) bool { return ps[i] >= p })
	if i < len(ps) && ps[i] == p {
		return
	}
	ps = append(ps, 0)
	copy(ps[i+1:], ps[i:])
	ps[i] = p
	a[t] = ps
}

// remove removes a partition (and the topic once it has none left).
func (a assignment) remove(t image.Uuid, p int32) {
	ps := a[t]
	i := sort.Search(len(ps), func(i int) bool { return ps[i] >= p })
	if i == len(ps) || ps[i] != p {
		return
	}
	ps = append(ps[:i], ps[i+1:]...)
	if len(ps) == 0 {
		delete(a, t)
		return
	}
	a[t] = ps
}

func (a assignment) has(t image.Uuid, p int32) bool {
	ps := a[t]
	i := sort.Search(len(ps), func(i int) bool { return ps[i] >= p })
	return i < len(ps) && ps[i] == p
}

func (a assignment) count() int {
	n := 0
	for _, ps := range a {
		n += len(ps)
	}
	return n
}

func (a assignment) clone() assignment {
	out := assignment{}
	for t, ps := range a {
		out[t] = append([]int32(nil), ps...)
	}
	return out
}

func (a assignment) equal(b assignment) bool {
	if len(a) != len(b) {
		return false
	}
	for t, ps := range a {
		qs, ok := b[t]
		if !ok || len(ps) != len(qs) {
			return false
		}
		for i := range ps {
			if ps[i] != qs[i] {
				return false
			}
		}
	}
	return true
}

// each calls fn for every partition, in topic id then partition order.
func (a assignment) each(fn func(t image.Uuid, p int32)) {
	for _, t := range a.topicIDs() {
		for _, p := range a[t] {
			fn(t, p)
		}
	}
}
