package group

import (
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/coord"
)

// The classic rebalance protocol (JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup), following Apache Kafka's ClassicGroup state machine:
//
//	Empty ──join──▶ PreparingRebalance ──all joined / timeout──▶ CompletingRebalance
//	  ▲                 ▲        │ (no member left: Empty)              │ leader's SyncGroup
//	  │                 └────────┴──── join, leave, expiry ◀──── Stable ◀┘
//	  └──────────── last member gone (a rebalance with no members)
//
// Joins wait for the rebalance to complete; syncs wait for the leader's
// assignment, which is written (GroupMetadataValue) before any sync is
// answered.

func joinTimerKey(g string) string       { return "join/" + g }
func syncTimerKey(g string) string       { return "sync/" + g }
func sessionTimerKey(g, m string) string { return "session/" + g + "/" + m }
func pendingTimerKey(g, m string) string { return "pending/" + g + "/" + m }
func ms(v int32) time.Duration           { return time.Duration(v) * time.Millisecond }

// errCode is the code of e; nil is no error.
func errCode(e *kerr.Error) int16 {
	if e == nil {
		return 0
	}
	return e.Code
}

func replyJoin(cb func(*kmsg.JoinGroupResponse), r *kmsg.JoinGroupResponse) func(error) {
	return func(error) { cb(r) }
}

func joinError(code *kerr.Error, memberID string) *kmsg.JoinGroupResponse {
	r := kmsg.NewPtrJoinGroupResponse()
	r.ErrorCode, r.MemberID, r.Generation = code.Code, memberID, -1
	return r
}

// JoinGroup handles a JoinGroup request; cb gets the response when the
// rebalance completes (or at once on an error).
func (s *Shard) JoinGroup(req *kmsg.JoinGroupRequest, clientID, clientHost string, cb func(*kmsg.JoinGroupResponse)) coord.Result {
	s.joinGroup(req, clientID, clientHost, cb)
	return s.result()
}

func (s *Shard) joinGroup(req *kmsg.JoinGroupRequest, clientID, clientHost string, cb func(*kmsg.JoinGroupResponse)) {
	fail := func(code *kerr.Error) { s.reply(replyJoin(cb, joinError(code, req.MemberID))) }
	session := ms(req.SessionTimeoutMillis)
	switch {
	case req.Group == "":
		fail(kerr.InvalidGroupID)
		return
	case session < s.d.cfg.MinSessionTimeout || session > s.d.cfg.MaxSessionTimeout:
		fail(kerr.InvalidSessionTimeout)
		return
	}
	g := s.groups[req.Group]
	if g != nil && g.cg != nil {
		if len(g.cg.members) > 0 {
			fail(kerr.InconsistentGroupProtocol) // Kafka's online migration is not served
			return
		}
		// An empty consumer group becomes a classic group; its offsets stay.
		s.consumerTombstones(g)
		g.cg = nil
	}
	if g == nil && req.MemberID != "" {
		fail(kerr.UnknownMemberID)
		return
	}
	if g != nil && !g.supports(req.ProtocolType, req.Protocols) || g == nil && (req.ProtocolType == "" || len(req.Protocols) == 0) {
		fail(kerr.InconsistentGroupProtocol)
		return
	}
	if g == nil {
		g = s.getOrCreate(req.Group)
	}
	if req.MemberID == "" {
		s.joinUnknown(g, req, clientID, clientHost, cb)
	} else {
		s.joinKnown(g, req, clientID, clientHost, cb)
	}
}

// newMember is the member a JoinGroup request describes.
func newMember(id string, req *kmsg.JoinGroupRequest, clientID, clientHost string) *member {
	m := &member{id: id, instanceID: req.InstanceID, clientID: clientID, clientHost: clientHost}
	m.update(req)
	return m
}

// update takes the timeouts and protocols of a rejoin.
func (m *member) update(req *kmsg.JoinGroupRequest) {
	m.sessionTimeout = ms(req.SessionTimeoutMillis)
	m.rebalanceTimeout = ms(req.RebalanceTimeoutMillis)
	if req.Version == 0 || req.RebalanceTimeoutMillis <= 0 {
		m.rebalanceTimeout = m.sessionTimeout
	}
	m.protocolType, m.protocols = req.ProtocolType, req.Protocols
}

// acceptsNew tells whether the group has room for one more member
// (group.max.size): while rebalancing, members that have not rejoined do
// not count.
func (s *Shard) acceptsNew(g *group) bool {
	max := s.d.cfg.MaxSize
	if g.state == statePreparing {
		n := 0
		for _, m := range g.members {
			if m.join != nil {
				n++
			}
		}
		return n < max
	}
	return len(g.members) < max
}

func (s *Shard) joinUnknown(g *group, req *kmsg.JoinGroupRequest, clientID, clientHost string, cb func(*kmsg.JoinGroupResponse)) {
	if req.InstanceID != nil {
		if old, ok := g.instances[*req.InstanceID]; ok {
			s.replaceStatic(g, g.members[old], req, clientID, clientHost, cb)
			return
		}
	}
	if !s.acceptsNew(g) {
		s.reply(replyJoin(cb, joinError(kerr.GroupMaxSizeReached, "")))
		return
	}
	prefix := clientID
	if req.InstanceID != nil {
		prefix = *req.InstanceID
	}
	id := s.d.newMemberID(prefix)
	if req.InstanceID == nil && req.Version >= 4 {
		// KIP-394: the client must rejoin with this id, so that a
		// client that never gets the response leaves no member behind.
		g.pending[id] = true
		s.schedulePending(g, id, ms(req.SessionTimeoutMillis))
		s.reply(replyJoin(cb, joinError(kerr.MemberIDRequired, id)))
		return
	}
	s.addMemberAndRebalance(g, newMember(id, req, clientID, clientHost), cb)
}

func (s *Shard) schedulePending(g *group, id string, d time.Duration) {
	s.env.Schedule(pendingTimerKey(g.id, id), d, func() coord.Result {
		if s.groups[g.id] == g && g.pending[id] {
			delete(g.pending, id)
			s.tryCompleteJoin(g)
		}
		return s.result()
	})
}

func (s *Shard) joinKnown(g *group, req *kmsg.JoinGroupRequest, clientID, clientHost string, cb func(*kmsg.JoinGroupResponse)) {
	id := req.MemberID
	if g.pending[id] {
		s.env.Cancel(pendingTimerKey(g.id, id))
		delete(g.pending, id)
		if !s.acceptsNew(g) {
			s.reply(replyJoin(cb, joinError(kerr.GroupMaxSizeReached, id)))
			return
		}
		s.addMemberAndRebalance(g, newMember(id, req, clientID, clientHost), cb)
		return
	}
	m, code := g.validateMember(id, req.InstanceID)
	if code != nil {
		s.reply(replyJoin(cb, joinError(code, id)))
		return
	}
	switch g.state {
	case statePreparing:
		s.updateMemberAndRebalance(g, m, req, cb)
	case stateCompleting:
		if m.sameProtocols(req.Protocols) {
			s.reply(replyJoin(cb, s.joinResponse(g, m, m.id == g.leader)))
			return
		}
		s.updateMemberAndRebalance(g, m, req, cb)
	case stateStable:
		if m.id == g.leader || !m.sameProtocols(req.Protocols) {
			s.updateMemberAndRebalance(g, m, req, cb)
			return
		}
		s.reply(replyJoin(cb, s.joinResponse(g, m, false)))
	default:
		s.reply(replyJoin(cb, joinError(kerr.UnknownMemberID, id)))
	}
}

// validateMember checks a member id and instance id as Kafka does.
func (g *group) validateMember(id string, instanceID *string) (*member, *kerr.Error) {
	if instanceID != nil {
		cur, ok := g.instances[*instanceID]
		if !ok {
			return nil, kerr.UnknownMemberID
		}
		if cur != id {
			return nil, kerr.FencedInstanceID
		}
	}
	m := g.members[id]
	if m == nil {
		return nil, kerr.UnknownMemberID
	}
	return m, nil
}

// joinResponse is the response of a member that joined generation
// g.generation; the leader's lists every member with its metadata.
func (s *Shard) joinResponse(g *group, m *member, withMembers bool) *kmsg.JoinGroupResponse {
	r := kmsg.NewPtrJoinGroupResponse()
	r.Generation, r.LeaderID, r.MemberID = g.generation, g.leader, m.id
	r.ProtocolType, r.Protocol = ptr(g.protocolType), ptr(g.protocol)
	if withMembers {
		for _, gm := range g.sortedMembers() {
			rm := kmsg.NewJoinGroupResponseMember()
			rm.MemberID, rm.InstanceID, rm.ProtocolMetadata = gm.id, gm.instanceID, gm.metadataFor(g.protocol)
			r.Members = append(r.Members, rm)
		}
	}
	return r
}

func (s *Shard) addMemberAndRebalance(g *group, m *member, cb func(*kmsg.JoinGroupResponse)) {
	if len(g.members) == 0 {
		g.protocolType = m.protocolType
	}
	m.join = cb
	s.addMember(g, m)
	if g.state == statePreparing && g.initialJoin {
		g.newMemberAdded = true
	}
	s.scheduleSession(g, m)
	s.maybePrepareRebalance(g)
}

func (s *Shard) updateMemberAndRebalance(g *group, m *member, req *kmsg.JoinGroupRequest, cb func(*kmsg.JoinGroupResponse)) {
	if m.join != nil { // a second join while the first waits: the first is superseded
		s.reply(replyJoin(m.join, joinError(kerr.RebalanceInProgress, m.id)))
	}
	m.update(req)
	m.join = cb
	s.maybePrepareRebalance(g)
}

// replaceStatic handles a static member that rejoins with an unknown member
// id (it restarted): the new member id replaces the old one. In a Stable
// group whose protocol this does not change, it gets its old assignment
// back without a rebalance (KIP-345), once the new id is written.
func (s *Shard) replaceStatic(g *group, old *member, req *kmsg.JoinGroupRequest, clientID, clientHost string, cb func(*kmsg.JoinGroupResponse)) {
	if old.join != nil {
		s.reply(replyJoin(old.join, joinError(kerr.FencedInstanceID, old.id)))
		old.join = nil
	}
	if old.sync != nil {
		fenced := syncError(kerr.FencedInstanceID)
		oldSync := old.sync
		s.reply(func(error) { oldSync(fenced) })
		old.sync = nil
	}
	s.env.Cancel(sessionTimerKey(g.id, old.id))
	delete(g.members, old.id)
	m := newMember(s.d.newMemberID(*req.InstanceID), req, clientID, clientHost)
	m.assignment, m.seq = old.assignment, old.seq
	g.members[m.id] = m
	g.instances[*req.InstanceID] = m.id
	if g.leader == old.id {
		g.leader = m.id
	}
	if g.pendingSync[old.id] {
		delete(g.pendingSync, old.id)
		g.pendingSync[m.id] = true
	}
	s.scheduleSession(g, m)
	switch {
	case g.state == stateStable && g.selectProtocol() == g.protocol:
		s.write(groupRecord(g))
		isLeader := m.id == g.leader
		resp := s.joinResponse(g, m, isLeader && req.Version >= 9)
		resp.SkipAssignment = isLeader
		s.reply(func(err error) {
			if err != nil {
				resp = joinError(kerr.UnknownServerError, "")
			}
			cb(resp)
		})
	default:
		m.join = cb
		s.maybePrepareRebalance(g)
	}
}

// maybePrepareRebalance starts a rebalance, or, when one is under way,
// completes it if every member has now joined.
func (s *Shard) maybePrepareRebalance(g *group) {
	switch g.state {
	case stateEmpty, stateStable, stateCompleting:
		s.prepareRebalance(g)
	case statePreparing:
		s.tryCompleteJoin(g)
	}
}

func (s *Shard) prepareRebalance(g *group) {
	if g.state == stateCompleting {
		s.failPendingSyncs(g, kerr.RebalanceInProgress)
	}
	s.env.Cancel(syncTimerKey(g.id))
	clear(g.pendingSync)
	wasEmpty := g.state == stateEmpty
	g.setState(statePreparing, s.env.Now())
	if wasEmpty {
		// Kafka's InitialDelayedJoin: wait group.initial.rebalance.delay.ms
		// for more members, extended while they keep coming, up to the
		// rebalance timeout.
		g.initialJoin, g.newMemberAdded = true, false
		delay := s.d.cfg.InitialRebalanceDelay
		s.scheduleInitialJoin(g, delay, max(g.maxRebalanceTimeout()-delay, 0))
		return
	}
	g.initialJoin = false
	s.env.Schedule(joinTimerKey(g.id), g.maxRebalanceTimeout(), func() coord.Result {
		s.completeJoin(g)
		return s.result()
	})
	s.tryCompleteJoin(g)
}

func (s *Shard) scheduleInitialJoin(g *group, delay, remaining time.Duration) {
	s.env.Schedule(joinTimerKey(g.id), delay, func() coord.Result {
		if g.newMemberAdded && remaining > 0 {
			g.newMemberAdded = false
			d := min(s.d.cfg.InitialRebalanceDelay, remaining)
			s.scheduleInitialJoin(g, d, remaining-d)
		} else {
			s.completeJoin(g)
		}
		return s.result()
	})
}

// tryCompleteJoin completes the rebalance once every member has rejoined
// and no KIP-394 member is still expected.
func (s *Shard) tryCompleteJoin(g *group) {
	if g.state != statePreparing || g.initialJoin || len(g.pending) > 0 {
		return
	}
	for _, m := range g.members {
		if m.join == nil {
			return
		}
	}
	s.completeJoin(g)
}

// completeJoin ends the join phase: members that did not rejoin are
// removed, the generation moves on, and the members get their responses
// (the leader with every member's metadata).
func (s *Shard) completeJoin(g *group) {
	if g.state != statePreparing || s.groups[g.id] != g {
		return
	}
	s.env.Cancel(joinTimerKey(g.id))
	g.initialJoin = false
	for _, m := range g.sortedMembers() {
		if m.join == nil {
			s.removeMember(g, m)
		}
	}
	g.generation++
	now := s.env.Now()
	if len(g.members) == 0 {
		g.protocol, g.leader = "", ""
		g.setState(stateEmpty, now)
		s.write(groupRecord(g))
		return
	}
	if g.members[g.leader] == nil {
		g.leader = g.sortedMembers()[0].id
	}
	g.protocol = g.selectProtocol()
	g.setState(stateCompleting, now)
	for _, m := range g.sortedMembers() {
		s.reply(replyJoin(m.join, s.joinResponse(g, m, m.id == g.leader)))
		m.join = nil
		g.pendingSync[m.id] = true
		s.scheduleSession(g, m)
	}
	s.scheduleSyncExpiry(g)
}

// scheduleSyncExpiry removes, after the rebalance timeout, the members that
// joined this generation but never synced, and rebalances without them.
func (s *Shard) scheduleSyncExpiry(g *group) {
	gen := g.generation
	s.env.Schedule(syncTimerKey(g.id), g.maxRebalanceTimeout(), func() coord.Result {
		if s.groups[g.id] != g || g.generation != gen || len(g.pendingSync) == 0 ||
			(g.state != stateCompleting && g.state != stateStable) {
			return s.result()
		}
		for _, id := range sortedKeys(g.pendingSync) {
			if m := g.members[id]; m != nil {
				s.removeMember(g, m)
			}
		}
		s.prepareRebalance(g)
		return s.result()
	})
}

// removeMember drops a member, answering whatever it waits for with
// UNKNOWN_MEMBER_ID.
func (s *Shard) removeMember(g *group, m *member) {
	if m.join != nil {
		s.reply(replyJoin(m.join, joinError(kerr.UnknownMemberID, m.id)))
		m.join = nil
	}
	if m.sync != nil {
		cb := m.sync
		s.reply(func(error) { cb(syncError(kerr.UnknownMemberID)) })
		m.sync = nil
	}
	s.env.Cancel(sessionTimerKey(g.id, m.id))
	delete(g.members, m.id)
	delete(g.pendingSync, m.id)
	if m.instanceID != nil && g.instances[*m.instanceID] == m.id {
		delete(g.instances, *m.instanceID)
	}
}

// removeAndRebalance removes a member that left or expired.
func (s *Shard) removeAndRebalance(g *group, m *member) {
	s.removeMember(g, m)
	switch g.state {
	case stateStable, stateCompleting:
		s.prepareRebalance(g)
	case statePreparing:
		s.tryCompleteJoin(g)
	}
}

// scheduleSession (re)arms a member's session timeout. A member waiting for
// a join or sync response is kept: the rebalance timeout covers it.
func (s *Shard) scheduleSession(g *group, m *member) {
	s.env.Schedule(sessionTimerKey(g.id, m.id), m.sessionTimeout, func() coord.Result {
		if s.groups[g.id] != g || g.members[m.id] != m {
			return s.result()
		}
		if m.join != nil || m.sync != nil {
			s.scheduleSession(g, m)
		} else {
			s.removeAndRebalance(g, m)
		}
		return s.result()
	})
}

func syncError(code *kerr.Error) *kmsg.SyncGroupResponse {
	r := kmsg.NewPtrSyncGroupResponse()
	r.ErrorCode = code.Code
	return r
}

func (s *Shard) failPendingSyncs(g *group, code *kerr.Error) {
	for _, m := range g.sortedMembers() {
		m.assignment = nil
		if m.sync != nil {
			cb := m.sync
			s.reply(func(error) { cb(syncError(code)) })
			m.sync = nil
		}
	}
}

// SyncGroup handles a SyncGroup request; cb gets the member's assignment
// once the leader's is written.
func (s *Shard) SyncGroup(req *kmsg.SyncGroupRequest, cb func(*kmsg.SyncGroupResponse)) coord.Result {
	s.syncGroup(req, cb)
	return s.result()
}

func (s *Shard) syncGroup(req *kmsg.SyncGroupRequest, cb func(*kmsg.SyncGroupResponse)) {
	fail := func(code *kerr.Error) { r := syncError(code); s.reply(func(error) { cb(r) }) }
	g := s.groups[req.Group]
	if g == nil {
		fail(kerr.UnknownMemberID)
		return
	}
	m, code := g.validateMember(req.MemberID, req.InstanceID)
	switch {
	case code != nil:
		fail(code)
		return
	case req.Generation != g.generation:
		fail(kerr.IllegalGeneration)
		return
	case req.ProtocolType != nil && *req.ProtocolType != g.protocolType,
		req.Protocol != nil && *req.Protocol != g.protocol:
		fail(kerr.InconsistentGroupProtocol)
		return
	}
	switch g.state {
	case statePreparing:
		fail(kerr.RebalanceInProgress)
	case stateCompleting:
		m.sync = cb
		delete(g.pendingSync, m.id)
		s.scheduleSession(g, m)
		if m.id == g.leader {
			s.assign(g, req.GroupAssignment)
		}
	case stateStable:
		delete(g.pendingSync, m.id)
		s.scheduleSession(g, m)
		r := s.syncResponse(g, m)
		s.reply(func(error) { cb(r) })
	default:
		fail(kerr.UnknownMemberID)
	}
}

// assign stores the leader's assignment, writes the group and answers every
// waiting sync once it is written.
func (s *Shard) assign(g *group, as []kmsg.SyncGroupRequestGroupAssignment) {
	byID := map[string][]byte{}
	for _, a := range as {
		byID[a.MemberID] = a.MemberAssignment
	}
	for _, m := range g.members {
		m.assignment = byID[m.id]
	}
	g.setState(stateStable, s.env.Now())
	s.write(groupRecord(g))
	for _, m := range g.sortedMembers() {
		if m.sync == nil {
			continue
		}
		cb, r := m.sync, s.syncResponse(g, m)
		m.sync = nil
		s.reply(func(err error) {
			if err != nil {
				r = syncError(kerr.NotCoordinator)
			}
			cb(r)
		})
	}
}

func (s *Shard) syncResponse(g *group, m *member) *kmsg.SyncGroupResponse {
	r := kmsg.NewPtrSyncGroupResponse()
	r.ProtocolType, r.Protocol = ptr(g.protocolType), ptr(g.protocol)
	r.MemberAssignment = m.assignment
	if r.MemberAssignment == nil {
		r.MemberAssignment = []byte{}
	}
	return r
}

// Heartbeat handles a Heartbeat request.
func (s *Shard) Heartbeat(req *kmsg.HeartbeatRequest) (*kmsg.HeartbeatResponse, coord.Result) {
	r := kmsg.NewPtrHeartbeatResponse()
	r.ErrorCode = errCode(s.heartbeat(req))
	return r, s.result()
}

func (s *Shard) heartbeat(req *kmsg.HeartbeatRequest) *kerr.Error {
	g := s.groups[req.Group]
	if g == nil || g.state == stateEmpty {
		return kerr.UnknownMemberID
	}
	m, code := g.validateMember(req.MemberID, req.InstanceID)
	if code != nil {
		return code
	}
	if req.Generation != g.generation {
		return kerr.IllegalGeneration
	}
	s.scheduleSession(g, m)
	if g.state == statePreparing {
		return kerr.RebalanceInProgress
	}
	return nil
}

// LeaveGroup handles a LeaveGroup request (one member before v3, a batch
// since).
func (s *Shard) LeaveGroup(req *kmsg.LeaveGroupRequest) (*kmsg.LeaveGroupResponse, coord.Result) {
	r := kmsg.NewPtrLeaveGroupResponse()
	members := req.Members
	if req.Version < 3 {
		members = []kmsg.LeaveGroupRequestMember{{MemberID: req.MemberID}}
	}
	g := s.groups[req.Group]
	if g == nil {
		r.ErrorCode = kerr.UnknownMemberID.Code
		return r, s.result()
	}
	for _, lm := range members {
		rm := kmsg.NewLeaveGroupResponseMember()
		rm.MemberID, rm.InstanceID = lm.MemberID, lm.InstanceID
		rm.ErrorCode = errCode(s.leave(g, lm.MemberID, lm.InstanceID))
		r.Members = append(r.Members, rm)
	}
	if req.Version < 3 {
		r.ErrorCode, r.Members = r.Members[0].ErrorCode, nil
	}
	return r, s.result()
}

func (s *Shard) leave(g *group, id string, instanceID *string) *kerr.Error {
	if id == "" && instanceID != nil {
		cur, ok := g.instances[*instanceID]
		if !ok {
			return kerr.UnknownMemberID
		}
		id = cur
	}
	if g.pending[id] {
		s.env.Cancel(pendingTimerKey(g.id, id))
		delete(g.pending, id)
		s.tryCompleteJoin(g)
		return nil
	}
	m, code := g.validateMember(id, instanceID)
	if code != nil {
		return code
	}
	s.removeAndRebalance(g, m)
	return nil
}
