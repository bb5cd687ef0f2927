package group

import (
	"regexp"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/metadata/image"
)

// regex compiles a subscription regex with Kafka's full-match semantics
// (RE2/J's matches(); Go's RE2 is the same language); nil if invalid.
func (cg *consumerGroup) regex(expr string) *regexp.Regexp {
	if re, ok := cg.regexes[expr]; ok {
		return re
	}
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if err != nil {
		re = nil
	}
	cg.regexes[expr] = re
	return re
}

// matchesRegex tells whether a member's regex subscribes it to topic;
// internal topics never match, as in Kafka.
func (cg *consumerGroup) matchesRegex(m *cmember, topic string) bool {
	if m.regex == nil || isInternalTopic(topic) {
		return false
	}
	re := cg.regex(*m.regex)
	return re != nil && re.MatchString(topic)
}

func isInternalTopic(t string) bool { return t == OffsetsTopic || t == "__transaction_state" }

// refreshMetadata recomputes the subscribed topics (every member's names
// and regex matches, among the topics that exist) and, if they differ from
// what the group last wrote, writes them and tells that the group epoch
// must move.
func (s *Shard) refreshMetadata(g *group) bool {
	cg := g.cg
	im := s.d.image()
	next := map[string]topicMeta{}
	add := func(name string) {
		if _, ok := next[name]; ok {
			return
		}
		if t := im.Topics[name]; t != nil {
			next[name] = topicMeta{id: t.ID, name: name, partitions: int32(len(t.Partitions))}
		}
	}
	hasRegex := false
	for _, m := range cg.members {
		for _, t := range m.topics {
			add(t)
		}
		hasRegex = hasRegex || m.regex != nil
	}
	if hasRegex {
		for _, name := range im.TopicNames() {
			for _, m := range cg.members {
				if cg.matchesRegex(m, name) {
					add(name)
					break
				}
			}
		}
	}
	if sameMetadata(cg.metadata, next) {
		return false
	}
	cg.metadata = next
	s.write(partitionMetadataRecord(g.id, next))
	return true
}

func sameMetadata(a, b map[string]topicMeta) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// preferredAssignor is the assignor the group uses: the one most members
// ask for (ties: the earlier configured), else the configured default.
func (s *Shard) preferredAssignor(cg *consumerGroup) string {
	votes := map[string]int{}
	for _, m := range cg.members {
		if m.serverAssignor != nil {
			votes[*m.serverAssignor]++
		}
	}
	best := ""
	for _, a := range s.assignors() {
		if votes[a] > votes[best] {
			best = a
		}
	}
	if best == "" {
		return s.assignors()[0]
	}
	return best
}

// computeTarget runs the assignor over the members' subscriptions and
// writes the target assignments that changed and the new assignment
// epoch (the group epoch).
func (s *Shard) computeTarget(g *group) {
	cg := g.cg
	spec := assignSpec{partitions: map[image.Uuid]int32{}}
	for _, t := range cg.metadata {
		spec.partitions[t.id] = t.partitions
	}
	for _, m := range cg.sortedMembers() {
		am := assignMember{id: m.id, instanceID: m.instanceID, current: cg.target[m.id]}
		for _, name := range sortedKeys(cg.metadata) {
			if contains(m.topics, name) || cg.matchesRegex(m, name) {
				am.topics = append(am.topics, cg.metadata[name].id)
			}
		}
		am.topics = sortedTopicIDs(uuidSet(am.topics))
		spec.members = append(spec.members, am)
	}
	next := assign(s.preferredAssignor(cg), spec)
	for _, m := range cg.sortedMembers() {
		if cur, ok := cg.target[m.id]; !ok || !cur.equal(next[m.id]) {
			s.write(targetMemberRecord(g.id, m.id, next[m.id]))
		}
	}
	cg.target = next
	cg.assignmentEpoch = cg.epoch
	s.write(epochRecord(cgTargetMetadataType, g.id, cg.assignmentEpoch))
}

func uuidSet(ids []image.Uuid) map[image.Uuid]bool {
	out := map[image.Uuid]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out
}

// reconcile moves a member towards its target (see the package comment of
// consumer.go) and writes its current assignment if it changed. owned is
// what the member says it owns (nil: not said).
func (s *Shard) reconcile(g *group, m *cmember, owned []kmsg.ConsumerGroupHeartbeatRequestTopic, force bool) {
	cg := g.cg
	before := *m
	switch m.state {
	case memberStable:
		if m.epoch != cg.assignmentEpoch {
			s.nextAssignment(cg, m)
		}
	case memberUnrevoked:
		if owned != nil && !ownsAny(owned, m.revoking) {
			m.revoking = assignment{}
			s.nextAssignment(cg, m)
		}
	case memberUnreleased:
		s.nextAssignment(cg, m)
	}
	changed := force || m.epoch != before.epoch || m.prevEpoch != before.prevEpoch || m.state != before.state ||
		!m.assigned.equal(before.assigned) || !m.revoking.equal(before.revoking)
	if !changed {
		return
	}
	s.write(currentMemberRecord(g.id, m))
	if m.state == memberUnrevoked {
		if before.state != memberUnrevoked || before.epoch != m.epoch {
			s.scheduleRevocation(g, m)
		}
	} else {
		s.env.Cancel(crebalanceTimerKey(g.id, m.id))
	}
}

// ownsAny tells whether owned holds any partition of a.
func ownsAny(owned []kmsg.ConsumerGroupHeartbeatRequestTopic, a assignment) bool {
	for _, t := range owned {
		for _, p := range t.Partitions {
			if a.has(t.TopicID, p) {
				return true
			}
		}
	}
	return false
}

// nextAssignment is Kafka's CurrentAssignmentBuilder step: keep what is
// still targeted, revoke what is not (staying at the current epoch until
// the member acknowledges), and take the new partitions no other member
// still holds.
func (s *Shard) nextAssignment(cg *consumerGroup, m *cmember) {
	target := cg.target[m.id]
	kept, revoke := assignment{}, assignment{}
	m.assigned.each(func(t image.Uuid, p int32) {
		if target.has(t, p) {
			kept.add(t, p)
		} else {
			revoke.add(t, p)
		}
	})
	if revoke.count() > 0 {
		m.state, m.assigned, m.revoking = memberUnrevoked, kept, revoke
		return
	}
	var wanted []tpID // targeted, not yet the member's
	target.each(func(t image.Uuid, p int32) {
		if !kept.has(t, p) {
			wanted = append(wanted, tpID{t, p})
		}
	})
	unreleased := false
	isHeld := cg.heldByOthers(m.id, len(wanted))
	for _, tp := range wanted {
		if isHeld(tp) {
			unreleased = true
		} else {
			kept.add(tp.topic, tp.partition)
		}
	}
	m.assigned, m.revoking = kept, assignment{}
	if m.epoch != cg.assignmentEpoch {
		m.prevEpoch, m.epoch = m.epoch, cg.assignmentEpoch
	}
	m.state = memberStable
	if unreleased {
		m.state = memberUnreleased
	}
}

// heldByOthers tells whether another member owns a partition or still has
// to revoke it, for n lookups. A member that joins a big group looks up
// the few partitions it is new to, which a scan of the others answers
// cheaply; many lookups (a member taking over most of the partitions)
// build an index of every held partition once.
func (cg *consumerGroup) heldByOthers(id string, n int) func(tpID) bool {
	if n*(len(cg.members)-1) <= 1024 {
		return func(tp tpID) bool {
			for oid, o := range cg.members {
				if oid != id && (o.assigned.has(tp.topic, tp.partition) || o.revoking.has(tp.topic, tp.partition)) {
					return true
				}
			}
			return false
		}
	}
	held := map[tpID]bool{}
	for oid, o := range cg.members {
		if oid == id {
			continue
		}
		for _, a := range []assignment{o.assigned, o.revoking} {
			for t, ps := range a {
				for _, p := range ps {
					held[tpID{t, p}] = true
				}
			}
		}
	}
	return func(tp tpID) bool { return held[tp] }
}
