package group

import (
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/coord"
	"github.com/vltava/vltava/internal/metadata/image"
)

// The consumer rebalance protocol of KIP-848 (ConsumerGroupHeartbeat), as
// Apache Kafka 4.x serves it:
//
//   - Every member heartbeats. A change of the group's subscriptions (a
//     member joins, leaves, changes its subscription, a subscribed topic
//     appears or grows) bumps the group epoch.
//   - When the group epoch is ahead of the target assignment's epoch, the
//     server-side assignor (uniform or range) computes a new target, which
//     takes the group epoch as its assignment epoch.
//   - Each member then reconciles towards its target, one heartbeat at a
//     time: partitions it must give up are revoked first (the member keeps
//     its epoch, state UNREVOKED_PARTITIONS, until a heartbeat shows it no
//     longer owns them, or the rebalance timeout fences it); a partition
//     still owned by another member is withheld (UNRELEASED_PARTITIONS)
//     until that member releases it; otherwise the member moves to the
//     assignment epoch (STABLE). So no partition ever has two owners.
//
// Everything a heartbeat changes is written (the ConsumerGroup* records of
// consumer_records.go) before it is answered.

// memberState is a consumer group member's reconciliation state, with
// Kafka's values (MemberState).
type memberState int8

const (
	memberStable     memberState = 0
	memberUnrevoked  memberState = 1
	memberUnreleased memberState = 2
)

// Member epochs with a meaning of their own.
const (
	leaveEpoch       = -1 // the member leaves
	staticLeaveEpoch = -2 // a static member leaves for now, keeping its assignment
)

// consumerGroup is the KIP-848 state of a group (group.cg).
type consumerGroup struct {
	epoch           int32 // group epoch
	assignmentEpoch int32 // epoch of the target assignment
	members         map[string]*cmember
	instances       map[string]string     // static member's instance id → member id
	target          map[string]assignment // target assignment by member id
	metadata        map[string]topicMeta  // the subscribed topics, as last written
	regexes         map[string]*regexp.Regexp
}

// cmember is a consumer group member.
type cmember struct {
	id               string
	instanceID       *string
	rackID           *string
	clientID         string
	clientHost       string
	topics           []string // subscribed topic names, sorted
	regex            *string  // subscribed topic regex
	rebalanceTimeout time.Duration
	serverAssignor   *string

	epoch, prevEpoch int32
	state            memberState
	assigned         assignment // partitions it owns
	revoking         assignment // partitions it must revoke
}

func newConsumerGroup() *consumerGroup {
	return &consumerGroup{
		members: map[string]*cmember{}, instances: map[string]string{},
		target: map[string]assignment{}, metadata: map[string]topicMeta{},
		regexes: map[string]*regexp.Regexp{},
	}
}

func newCMember(id string) *cmember {
	return &cmember{id: id, assigned: assignment{}, revoking: assignment{}}
}

// stateName is the group's state as Kafka names it.
func (cg *consumerGroup) stateName() string {
	switch {
	case len(cg.members) == 0:
		return "Empty"
	case cg.epoch != cg.assignmentEpoch:
		return "Assigning"
	}
	for _, m := range cg.members {
		if m.epoch != cg.assignmentEpoch || m.state != memberStable {
			return "Reconciling"
		}
	}
	return "Stable"
}

func (cg *consumerGroup) sortedMembers() []*cmember {
	out := make([]*cmember, 0, len(cg.members))
	for _, id := range sortedKeys(cg.members) {
		out = append(out, cg.members[id])
	}
	return out
}

func csessionTimerKey(g, m string) string   { return "csession/" + g + "/" + m }
func crebalanceTimerKey(g, m string) string { return "crebalance/" + g + "/" + m }

// assignors are the configured server-side assignors (Kafka's class names
// taken as their short names); the first is the default.
func (s *Shard) assignors() []string {
	var out []string
	for _, a := range s.d.cfg.ConsumerAssignors {
		switch {
		case strings.HasSuffix(a, "UniformAssignor"):
			a = assignorUniform
		case strings.HasSuffix(a, "RangeAssignor"):
			a = assignorRange
		}
		if knownAssignor(a) && !contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		out = []string{assignorUniform, assignorRange}
	}
	return out
}

// consumerTimeouts returns a consumer group's session timeout and
// heartbeat interval: its dynamic group configs (consumer.session.timeout.ms,
// consumer.heartbeat.interval.ms), else the broker's.
func (s *Shard) consumerTimeouts(groupID string) (session, heartbeat time.Duration) {
	session, heartbeat = 45*time.Second, 5*time.Second
	if d := s.d.cfg.ConsumerSessionTimeout; d > 0 {
		session = d
	}
	if d := s.d.cfg.ConsumerHeartbeatInterval; d > 0 {
		heartbeat = d
	}
	if s.d.cfg.ResolveGroup == nil {
		return session, heartbeat
	}
	if c := s.d.image().GroupConfigs[groupID]; len(c) > 0 {
		g := s.d.cfg.ResolveGroup(c)
		session, heartbeat = ms(g.ConsumerSessionTimeoutMs), ms(g.ConsumerHeartbeatIntervalMs)
	}
	return session, heartbeat
}

// hbError is a failed heartbeat's response.
type hbError struct {
	code *kerr.Error
	msg  string
}

func cghbResponse(e *hbError) *kmsg.ConsumerGroupHeartbeatResponse {
	r := kmsg.NewPtrConsumerGroupHeartbeatResponse()
	r.ErrorCode = e.code.Code
	if e.msg != "" {
		r.ErrorMessage = ptr(e.msg)
	}
	return r
}

// ConsumerGroupHeartbeat handles a ConsumerGroupHeartbeat request; cb gets
// the response once what it changed is written.
func (s *Shard) ConsumerGroupHeartbeat(req *kmsg.ConsumerGroupHeartbeatRequest, clientID, clientHost string, cb func(*kmsg.ConsumerGroupHeartbeatResponse)) coord.Result {
	resp := s.consumerHeartbeat(req, clientID, clientHost)
	s.reply(func(err error) {
		if err != nil {
			resp = cghbResponse(&hbError{code: kerr.NotCoordinator})
		}
		cb(resp)
	})
	return s.result()
}

func (s *Shard) consumerHeartbeat(req *kmsg.ConsumerGroupHeartbeatRequest, clientID, clientHost string) *kmsg.ConsumerGroupHeartbeatResponse {
	if e := s.validateHeartbeat(req); e != nil {
		return cghbResponse(e)
	}
	if req.MemberEpoch == leaveEpoch || req.MemberEpoch == staticLeaveEpoch {
		return s.consumerLeave(req)
	}
	g, e := s.consumerGroupFor(req.Group, req.MemberEpoch == 0)
	if e != nil {
		return cghbResponse(e)
	}
	m, isNew, e := s.consumerMember(g, req)
	if e != nil {
		if isEmptyConsumerGroup(g) && len(g.offsets) == 0 && g.cg.epoch == 0 {
			delete(s.groups, g.id) // created for this request only
		}
		return cghbResponse(e)
	}
	before := *m
	bump := s.updateSubscription(g, m, req, clientID, clientHost, isNew)
	if s.refreshMetadata(g) {
		bump = true
	}
	cg := g.cg
	if bump {
		cg.epoch++
		s.write(epochRecord(cgMetadataType, g.id, cg.epoch))
	}
	if cg.epoch > cg.assignmentEpoch {
		s.computeTarget(g)
	}
	s.reconcile(g, m, req.Topics, isNew || req.MemberEpoch == 0)
	s.scheduleConsumerSession(g, m)

	resp := kmsg.NewPtrConsumerGroupHeartbeatResponse()
	resp.MemberID, resp.MemberEpoch = ptr(m.id), m.epoch
	_, heartbeat := s.consumerTimeouts(g.id)
	resp.HeartbeatIntervalMillis = int32(heartbeat.Milliseconds())
	full := req.RebalanceTimeoutMillis != -1 && (req.SubscribedTopicNames != nil || req.SubscribedTopicRegex != nil) && req.Topics != nil
	if req.MemberEpoch == 0 || full || !before.assigned.equal(m.assigned) {
		a := kmsg.NewConsumerGroupHeartbeatResponseAssignment()
		m.assigned.each(func(t image.Uuid, p int32) {
			if n := len(a.Topics); n == 0 || a.Topics[n-1].TopicID != t {
				a.Topics = append(a.Topics, kmsg.ConsumerGroupHeartbeatResponseAssignmentTopic{TopicID: t})
			}
			last := &a.Topics[len(a.Topics)-1]
			last.Partitions = append(last.Partitions, p)
		})
		resp.Assignment = &a
	}
	return resp
}

func isEmptyConsumerGroup(g *group) bool { return g.cg != nil && len(g.cg.members) == 0 }

// validateHeartbeat checks a request as Kafka does before looking at the
// group.
func (s *Shard) validateHeartbeat(req *kmsg.ConsumerGroupHeartbeatRequest) *hbError {
	bad := func(msg string) *hbError { return &hbError{kerr.InvalidRequest, msg} }
	switch {
	case req.Group == "":
		return bad("GroupId can't be empty.")
	case req.InstanceID != nil && *req.InstanceID == "":
		return bad("InstanceId can't be empty.")
	case req.RackID != nil && *req.RackID == "":
		return bad("RackId can't be empty.")
	case req.MemberID == "" && (req.Version >= 1 || req.MemberEpoch != 0):
		return bad("MemberId can't be empty.")
	}
	switch {
	case req.MemberEpoch == 0:
		if req.RebalanceTimeoutMillis == -1 {
			return bad("RebalanceTimeoutMs must be provided in first request.")
		}
		if req.Topics == nil || len(req.Topics) > 0 {
			return bad("TopicPartitions must be empty when (re-)joining.")
		}
		if len(req.SubscribedTopicNames) == 0 && (req.SubscribedTopicRegex == nil || *req.SubscribedTopicRegex == "") {
			return bad("SubscribedTopicNames or SubscribedTopicRegex must be set in first request.")
		}
	case req.MemberEpoch == staticLeaveEpoch:
		if req.InstanceID == nil {
			return bad("InstanceId can't be null.")
		}
	case req.MemberEpoch < staticLeaveEpoch:
		return bad("MemberEpoch is invalid.")
	}
	if req.SubscribedTopicRegex != nil && *req.SubscribedTopicRegex != "" {
		if _, err := regexp.Compile(*req.SubscribedTopicRegex); err != nil {
			return &hbError{kerr.InvalidRegularExpression, "SubscribedTopicRegex `" + *req.SubscribedTopicRegex + "` is not a valid regular expression: " + err.Error() + "."}
		}
	}
	if a := req.ServerAssignor; a != nil && !contains(s.assignors(), *a) {
		return &hbError{kerr.UnsupportedAssignor, "ServerAssignor " + *a + " is not supported. Supported assignors: " + strings.Join(s.assignors(), ", ") + "."}
	}
	return nil
}

// consumerGroupFor returns the consumer group, creating it when a member
// joins. An empty classic group (one holding offsets only, say) becomes a
// consumer group, keeping its offsets; one with members is not a consumer
// group.
func (s *Shard) consumerGroupFor(id string, create bool) (*group, *hbError) {
	g := s.groups[id]
	if g != nil && g.cg != nil {
		return g, nil
	}
	if g == nil && !create {
		return nil, &hbError{kerr.UnknownMemberID, "Group " + id + " not found."}
	}
	if g != nil && (len(g.members) > 0 || len(g.pending) > 0 || g.state != stateEmpty) {
		return nil, &hbError{kerr.GroupIDNotFound, "Group " + id + " is not a consumer group."}
	}
	if g != nil && !create {
		return nil, &hbError{kerr.UnknownMemberID, "Group " + id + " not found."}
	}
	if g == nil {
		g = s.getOrCreate(id)
	} else if g.protocolType != "" {
		s.write(coord.Record{Key: groupKey(id)}) // the classic group's record goes
		g.protocolType, g.protocol, g.leader, g.generation = "", "", "", 0
	}
	g.cg = newConsumerGroup()
	g.stateTime = s.env.Now()
	return g, nil
}

// consumerMember finds (or, on a join, makes) the member a heartbeat is
// from and checks its epoch as Kafka does: a greater epoch than the
// member's, or a smaller one other than its previous epoch with owned
// partitions within its assignment (the response that bumped it was lost),
// is FENCED_MEMBER_EPOCH. A join (epoch 0) of a known member re-admits it
// in place with no partitions.
func (s *Shard) consumerMember(g *group, req *kmsg.ConsumerGroupHeartbeatRequest) (*cmember, bool, *hbError) {
	cg := g.cg
	id := req.MemberID
	if id == "" {
		id = s.d.newMemberID("")
		id = strings.TrimPrefix(id, "-")
	}
	if inst := req.InstanceID; inst != nil {
		if cur, ok := cg.instances[*inst]; ok && cur != id {
			old := cg.members[cur]
			switch {
			case req.MemberEpoch != 0:
				if cg.members[id] == nil {
					return nil, false, &hbError{kerr.UnknownMemberID, "Unknown member " + id + "."}
				}
				return nil, false, &hbError{kerr.FencedInstanceID, "Static member " + id + " with instance id " + *inst + " was fenced by member " + cur + "."}
			case old.epoch != staticLeaveEpoch:
				return nil, false, &hbError{kerr.UnreleasedInstanceID, "Static member " + cur + " with instance id " + *inst + " is not released yet."}
			}
			return s.replaceStaticConsumer(g, old, id), false, nil
		}
	}
	m := cg.members[id]
	if m == nil {
		if req.MemberEpoch != 0 {
			return nil, false, &hbError{kerr.UnknownMemberID, "Unknown member " + id + "."}
		}
		if max := s.d.cfg.ConsumerMaxSize; max > 0 && len(cg.members) >= max {
			return nil, false, &hbError{kerr.GroupMaxSizeReached, "The consumer group has reached its maximum capacity of " + itoa(max) + " members."}
		}
		m = newCMember(id)
		cg.members[id] = m
		if req.InstanceID != nil {
			cg.instances[*req.InstanceID] = id
		}
		return m, true, nil
	}
	if req.MemberEpoch == 0 {
		if m.epoch != 0 || m.assigned.count() > 0 || m.revoking.count() > 0 {
			m.epoch, m.prevEpoch, m.state = 0, 0, memberStable
			m.assigned, m.revoking = assignment{}, assignment{}
		}
		return m, false, nil
	}
	if req.MemberEpoch > m.epoch ||
		req.MemberEpoch < m.epoch && (req.MemberEpoch != m.prevEpoch || !ownedWithin(req.Topics, m.assigned)) {
		return nil, false, &hbError{kerr.FencedMemberEpoch, "The consumer group member has a different member epoch (" +
			itoa(int(req.MemberEpoch)) + ") than the one known by the group coordinator (" + itoa(int(m.epoch)) +
			"). The member must abandon all its partitions and rejoin."}
	}
	return m, false, nil
}

// replaceStaticConsumer lets a static member that left (epoch -2) come back under
// a new member id with its assignment: the old id's records go, the new
// one's are written.
func (s *Shard) replaceStaticConsumer(g *group, old *cmember, id string) *cmember {
	cg := g.cg
	m := *old
	m.id, m.epoch, m.prevEpoch = id, 0, 0
	target := cg.target[old.id]
	s.dropMember(g, old)
	cg.members[id] = &m
	cg.instances[*m.instanceID] = id
	if target == nil {
		target = assignment{}
	}
	cg.target[id] = target
	s.write(memberMetadataRecord(g.id, &m))
	s.write(targetMemberRecord(g.id, id, cg.target[id]))
	s.write(currentMemberRecord(g.id, &m))
	return &m
}

// ownedWithin tells whether the partitions a member says it owns are all
// in assigned (nil: it did not say).
func ownedWithin(owned []kmsg.ConsumerGroupHeartbeatRequestTopic, assigned assignment) bool {
	if owned == nil {
		return false
	}
	for _, t := range owned {
		for _, p := range t.Partitions {
			if !assigned.has(t.TopicID, p) {
				return false
			}
		}
	}
	return true
}

// updateSubscription takes the request's member fields (a field left
// null keeps its value), writes the member's metadata if it changed, and
// tells whether the group epoch must move (a new member, or a new
// subscription or assignor).
func (s *Shard) updateSubscription(g *group, m *cmember, req *kmsg.ConsumerGroupHeartbeatRequest, clientID, clientHost string, isNew bool) bool {
	old := *m
	if req.InstanceID != nil {
		m.instanceID = req.InstanceID
	}
	if req.RackID != nil {
		m.rackID = req.RackID
	}
	if req.RebalanceTimeoutMillis != -1 {
		m.rebalanceTimeout = ms(req.RebalanceTimeoutMillis)
	}
	if req.ServerAssignor != nil {
		m.serverAssignor = req.ServerAssignor
	}
	if req.SubscribedTopicNames != nil {
		m.topics = append([]string(nil), req.SubscribedTopicNames...)
		sort.Strings(m.topics)
	}
	if r := req.SubscribedTopicRegex; r != nil {
		m.regex = r
		if *r == "" {
			m.regex = nil
		}
	}
	m.clientID, m.clientHost = clientID, clientHost
	subChanged := !equalStrings(old.topics, m.topics) || deref(old.regex) != deref(m.regex) ||
		deref(old.serverAssignor) != deref(m.serverAssignor)
	if isNew || subChanged || deref(old.instanceID) != deref(m.instanceID) || deref(old.rackID) != deref(m.rackID) ||
		old.rebalanceTimeout != m.rebalanceTimeout || old.clientID != m.clientID || old.clientHost != m.clientHost {
		s.write(memberMetadataRecord(g.id, m))
	}
	return isNew || subChanged
}

func equalStrings(a, b []string) bool {
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

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}

// consumerLeave handles a leave (epoch -1) or a static member's temporary
// leave (epoch -2, which keeps its assignment for its return until its
// session expires).
func (s *Shard) consumerLeave(req *kmsg.ConsumerGroupHeartbeatRequest) *kmsg.ConsumerGroupHeartbeatResponse {
	g := s.groups[req.Group]
	unknown := &hbError{kerr.UnknownMemberID, "Unknown member " + req.MemberID + "."}
	if g == nil || g.cg == nil {
		return cghbResponse(unknown)
	}
	cg := g.cg
	m := cg.members[req.MemberID]
	if req.InstanceID != nil {
		cur, ok := cg.instances[*req.InstanceID]
		switch {
		case !ok:
			return cghbResponse(unknown)
		case cur != req.MemberID:
			return cghbResponse(&hbError{kerr.FencedInstanceID, "Static member " + req.MemberID + " with instance id " + *req.InstanceID + " was fenced by member " + cur + "."})
		}
	}
	if m == nil {
		return cghbResponse(unknown)
	}
	resp := kmsg.NewPtrConsumerGroupHeartbeatResponse()
	resp.MemberID, resp.MemberEpoch = ptr(m.id), req.MemberEpoch
	if req.MemberEpoch == staticLeaveEpoch {
		m.epoch = staticLeaveEpoch
		s.env.Cancel(crebalanceTimerKey(g.id, m.id))
		s.write(currentMemberRecord(g.id, m))
		return resp
	}
	s.removeConsumerMember(g, m)
	return resp
}

// removeConsumerMember drops a member that left or was fenced, freeing its
// partitions, and bumps the group epoch so that the others get them.
func (s *Shard) removeConsumerMember(g *group, m *cmember) {
	s.dropMember(g, m)
	s.refreshMetadata(g)
	g.cg.epoch++
	s.write(epochRecord(cgMetadataType, g.id, g.cg.epoch))
	if len(g.cg.members) == 0 {
		g.stateTime = s.env.Now()
	}
}

// dropMember deletes a member and its records (current assignment, target
// assignment, subscription, in that order as Kafka writes them).
func (s *Shard) dropMember(g *group, m *cmember) {
	cg := g.cg
	s.write(coord.Record{Key: cgKey(cgCurrentMemberType, g.id, m.id)})
	s.write(coord.Record{Key: cgKey(cgTargetMemberType, g.id, m.id)})
	s.write(coord.Record{Key: cgKey(cgMemberMetadataType, g.id, m.id)})
	delete(cg.members, m.id)
	delete(cg.target, m.id)
	if m.instanceID != nil && cg.instances[*m.instanceID] == m.id {
		delete(cg.instances, *m.instanceID)
	}
	s.env.Cancel(csessionTimerKey(g.id, m.id))
	s.env.Cancel(crebalanceTimerKey(g.id, m.id))
}

// scheduleConsumerSession (re)arms a member's session: a member that does
// not heartbeat within its session timeout (the group's
// consumer.session.timeout.ms, else the broker's
// group.consumer.session.timeout.ms) is removed.
func (s *Shard) scheduleConsumerSession(g *group, m *cmember) {
	session, _ := s.consumerTimeouts(g.id)
	s.env.Schedule(csessionTimerKey(g.id, m.id), session, func() coord.Result {
		if s.groups[g.id] == g && g.cg != nil && g.cg.members[m.id] == m {
			s.removeConsumerMember(g, m)
		}
		return s.result()
	})
}

// scheduleRevocation fences a member that has not revoked its partitions
// within its rebalance timeout.
func (s *Shard) scheduleRevocation(g *group, m *cmember) {
	epoch := m.epoch
	s.env.Schedule(crebalanceTimerKey(g.id, m.id), m.rebalanceTimeout, func() coord.Result {
		if s.groups[g.id] == g && g.cg != nil && g.cg.members[m.id] == m && m.state == memberUnrevoked && m.epoch == epoch {
			s.removeConsumerMember(g, m)
		}
		return s.result()
	})
}
