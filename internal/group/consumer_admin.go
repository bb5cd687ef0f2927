package group

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/coord"
	"github.com/vltava/vltava/internal/metadata/image"
)

// ConsumerGroupHeartbeat serves ConsumerGroupHeartbeat.
func (c *Coordinator) ConsumerGroupHeartbeat(ctx context.Context, req *kmsg.ConsumerGroupHeartbeatRequest, clientID, clientHost string, reply func(*kmsg.ConsumerGroupHeartbeatResponse)) {
	c.submit(ctx, req.Group, func(s *Shard) coord.Result {
		return s.ConsumerGroupHeartbeat(req, clientID, clientHost, reply)
	}, func(code *kerr.Error) { reply(cghbResponse(&hbError{code: code})) })
}

// ConsumerGroupDescribe serves ConsumerGroupDescribe, each group on its
// own shard.
func (c *Coordinator) ConsumerGroupDescribe(ctx context.Context, req *kmsg.ConsumerGroupDescribeRequest, reply func(*kmsg.ConsumerGroupDescribeResponse)) {
	resp := req.ResponseKind().(*kmsg.ConsumerGroupDescribeResponse)
	resp.Groups = make([]kmsg.ConsumerGroupDescribeResponseGroup, len(req.Groups))
	done := countdown(len(req.Groups), func() { reply(resp) })
	for i, id := range req.Groups {
		c.submit(ctx, id, func(s *Shard) coord.Result {
			resp.Groups[i] = s.DescribeConsumer(id, req.Version)
			return coord.Result{Done: func(error) { done() }}
		}, func(code *kerr.Error) {
			g := kmsg.NewConsumerGroupDescribeResponseGroup()
			g.Group, g.ErrorCode = id, code.Code
			resp.Groups[i] = g
			done()
		})
	}
}

// DescribeConsumer describes one consumer group as Kafka's
// ConsumerGroupDescribe does: GROUP_ID_NOT_FOUND for an unknown group or
// one that is not a consumer group.
func (s *Shard) DescribeConsumer(id string, version int16) kmsg.ConsumerGroupDescribeResponseGroup {
	out := kmsg.NewConsumerGroupDescribeResponseGroup()
	out.Group = id
	g := s.groups[id]
	switch {
	case g == nil:
		out.ErrorCode, out.ErrorMessage = kerr.GroupIDNotFound.Code, ptr("Group "+id+" not found.")
		return out
	case g.cg == nil:
		out.ErrorCode, out.ErrorMessage = kerr.GroupIDNotFound.Code, ptr("Group "+id+" is not a consumer group.")
		return out
	}
	cg := g.cg
	out.State, out.Epoch, out.AssignmentEpoch = cg.stateName(), cg.epoch, cg.assignmentEpoch
	out.AssignorName = s.preferredAssignor(cg)
	im := s.d.image()
	for _, m := range cg.sortedMembers() {
		dm := kmsg.NewConsumerGroupDescribeResponseGroupMember()
		dm.MemberID, dm.InstanceID, dm.RackID, dm.MemberEpoch = m.id, m.instanceID, m.rackID, m.epoch
		dm.ClientID, dm.ClientHost = m.clientID, m.clientHost
		dm.SubscribedTopics, dm.SubscribedTopicRegex = append([]string{}, m.topics...), m.regex
		dm.Assignment, dm.TargetAssignment = describedAssignment(im, m.assigned), describedAssignment(im, cg.target[m.id])
		if version >= 1 {
			dm.MemberType = 1 // a consumer-protocol member
		}
		out.Members = append(out.Members, dm)
	}
	return out
}

// describedAssignment lists an assignment with topic names (topics deleted
// since are left out).
func describedAssignment(im *image.Image, a assignment) kmsg.Assignment {
	out := kmsg.Assignment{TopicPartitions: []kmsg.AssignmentTopicPartition{}}
	for _, id := range a.topicIDs() {
		t := im.ByID[id]
		if t == nil {
			continue
		}
		out.TopicPartitions = append(out.TopicPartitions, kmsg.AssignmentTopicPartition{
			TopicID: id, Topic: t.Name, Partitions: append([]int32(nil), a[id]...),
		})
	}
	return out
}

// validateConsumerCommit checks an OffsetCommit to a consumer group as
// Kafka does: generation -1 commits only while the group has no members
// (an admin reset); otherwise the member must exist, use OffsetCommit v9+
// and send its current member epoch (else STALE_MEMBER_EPOCH).
func validateConsumerCommit(cg *consumerGroup, req *kmsg.OffsetCommitRequest) *kerr.Error {
	if req.Generation < 0 && len(cg.members) == 0 {
		return nil
	}
	m := cg.members[req.MemberID]
	switch {
	case m == nil:
		return kerr.UnknownMemberID
	case req.Version < 9:
		return kerr.UnsupportedVersion
	case req.Generation != m.epoch:
		return kerr.StaleMemberEpoch
	}
	return nil
}

// ValidateFetch checks the member of an OffsetFetch (v9+) of a consumer
// group as Kafka does: with no member id and a negative epoch anyone may
// fetch; otherwise the member must exist with that epoch.
func (s *Shard) ValidateFetch(groupID string, memberID *string, epoch int32) *kerr.Error {
	g := s.groups[groupID]
	if g == nil || g.cg == nil || memberID == nil && epoch < 0 {
		return nil
	}
	m := g.cg.members[deref(memberID)]
	switch {
	case m == nil:
		return kerr.UnknownMemberID
	case m.epoch != epoch:
		return kerr.StaleMemberEpoch
	}
	return nil
}

// consumerTombstones deletes an empty consumer group's records.
func (s *Shard) consumerTombstones(g *group) {
	for _, m := range g.cg.sortedMembers() {
		s.dropMember(g, m)
	}
	s.write(coord.Record{Key: cgKey(cgTargetMetadataType, g.id, "")})
	s.write(coord.Record{Key: cgKey(cgPartitionMetadataTyp, g.id, "")})
	s.write(coord.Record{Key: cgKey(cgMetadataType, g.id, "")})
}

// replayConsumer applies one consumer group record while loading.
func (s *Shard) replayConsumer(typ int16, r coord.Record) error {
	groupID, memberID, err := readCGKey(typ, r.Key)
	if err != nil {
		return fmt.Errorf("consumer group key type %d: %w", typ, err)
	}
	if r.Value == nil {
		s.replayConsumerTombstone(typ, groupID, memberID)
		return nil
	}
	g := s.getOrCreate(groupID)
	if g.cg == nil {
		g.cg = newConsumerGroup()
	}
	cg := g.cg
	member := func() *cmember {
		m := cg.members[memberID]
		if m == nil {
			m = newCMember(memberID)
			cg.members[memberID] = m
		}
		return m
	}
	switch typ {
	case cgMetadataType:
		cg.epoch, err = readEpoch(r.Value)
	case cgPartitionMetadataTyp:
		cg.metadata, err = readPartitionMetadata(r.Value)
	case cgMemberMetadataType:
		m := member()
		err = readMemberMetadata(m, r.Value)
		if m.instanceID != nil {
			cg.instances[*m.instanceID] = m.id
		}
	case cgTargetMetadataType:
		cg.assignmentEpoch, err = readEpoch(r.Value)
	case cgTargetMemberType:
		cg.target[memberID], err = readTargetMember(r.Value)
	case cgCurrentMemberType:
		err = readCurrentMember(member(), r.Value)
	}
	if err != nil {
		return fmt.Errorf("consumer group %s record type %d: %w", groupID, typ, err)
	}
	return nil
}

func (s *Shard) replayConsumerTombstone(typ int16, groupID, memberID string) {
	g := s.groups[groupID]
	if g == nil || g.cg == nil {
		return
	}
	cg := g.cg
	switch typ {
	case cgMetadataType:
		g.cg = nil
		if len(g.offsets) == 0 {
			delete(s.groups, groupID)
		}
	case cgMemberMetadataType:
		if m := cg.members[memberID]; m != nil {
			delete(cg.members, memberID)
			if m.instanceID != nil && cg.instances[*m.instanceID] == memberID {
				delete(cg.instances, *m.instanceID)
			}
		}
	case cgTargetMemberType:
		delete(cg.target, memberID)
	case cgCurrentMemberType:
		if m := cg.members[memberID]; m != nil {
			m.epoch, m.prevEpoch, m.state = 0, 0, memberStable
			m.assigned, m.revoking = assignment{}, assignment{}
		}
	}
}

// loadedConsumer arms the timers of a loaded consumer group's members.
func (s *Shard) loadedConsumer(g *group) {
	for _, m := range g.cg.sortedMembers() {
		s.scheduleConsumerSession(g, m)
		if m.state == memberUnrevoked {
			s.scheduleRevocation(g, m)
		}
	}
}
