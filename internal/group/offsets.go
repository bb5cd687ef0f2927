package group

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/coord"
	"github.com/vltava/vltava/internal/record"
)

// OffsetCommit handles an OffsetCommit request: the offsets are written
// (OffsetCommitValue records) before cb gets the response.
func (s *Shard) OffsetCommit(req *kmsg.OffsetCommitRequest, cb func(*kmsg.OffsetCommitResponse)) coord.Result {
	resp := commitResponse(req, nil)
	g := s.groups[req.Group]
	if code := s.validateCommit(g, req); code != nil {
		resp = commitResponse(req, code)
		s.reply(func(error) { cb(resp) })
		return s.result()
	}
	if g == nil { // a group used only to store offsets
		g = s.getOrCreate(req.Group)
	}
	now := s.env.Now().UnixMilli()
	var written []*kmsg.OffsetCommitResponseTopicPartition
	for i, t := range req.Topics {
		for j, p := range t.Partitions {
			rp := &resp.Topics[i].Partitions[j]
			switch {
			case p.Metadata != nil && len(*p.Metadata) > s.d.cfg.MetadataMaxBytes:
				rp.ErrorCode = kerr.OffsetMetadataTooLarge.Code
			case !s.d.partitionExists(t.Topic, p.Partition):
				rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			default:
				o := &offset{offset: p.Offset, leaderEpoch: p.LeaderEpoch, metadata: deref(p.Metadata), commitMs: now}
				if req.Version < 6 {
					o.leaderEpoch = -1
				}
				g.offsets[topicPartition{t.Topic, p.Partition}] = o
				s.write(offsetRecord(g.id, t.Topic, p.Partition, o))
				written = append(written, rp)
			}
		}
	}
	if len(written) == 0 && len(g.members) == 0 && len(g.offsets) == 0 && g.protocolType == "" {
		delete(s.groups, g.id) // nothing stored: don't keep an empty simple group
	}
	s.reply(func(err error) {
		if err != nil {
			code := commitWriteError(err)
			for _, rp := range written {
				rp.ErrorCode = code.Code
			}
		}
		cb(resp)
	})
	return s.result()
}

// commitWriteError maps a failed write of offsets as Kafka does.
func commitWriteError(err error) *kerr.Error {
	if errors.Is(err, record.ErrTooLarge) {
		return kerr.InvalidCommitOffsetSize
	}
	return kerr.NotCoordinator
}

// validateCommit checks who commits, as Kafka's classic groups do. A
// commit with generation -1 and no member id stores offsets for a group
// without members (creating it); members must be current.
func (s *Shard) validateCommit(g *group, req *kmsg.OffsetCommitRequest) *kerr.Error {
	if req.Group == "" {
		return kerr.InvalidGroupID
	}
	if g != nil && g.cg != nil {
		return validateConsumerCommit(g.cg, req)
	}
	if g == nil || g.state == stateDead {
		switch {
		case req.Generation < 0:
			return nil
		case req.Version >= 9:
			return kerr.GroupIDNotFound
		default:
			return kerr.IllegalGeneration
		}
	}
	if req.Generation < 0 && g.state == stateEmpty {
		return nil
	}
	if req.Generation >= 0 || req.MemberID != "" || req.InstanceID != nil {
		m, code := g.validateMember(req.MemberID, req.InstanceID)
		if code != nil {
			return code
		}
		if req.Generation != g.generation {
			return kerr.IllegalGeneration
		}
		s.scheduleSession(g, m) // a commit counts as a heartbeat, as in Kafka
	} else if g.state != stateEmpty {
		return kerr.UnknownMemberID
	}
	if g.state == stateCompleting {
		return kerr.RebalanceInProgress
	}
	return nil
}

func commitResponse(req *kmsg.OffsetCommitRequest, code *kerr.Error) *kmsg.OffsetCommitResponse {
	resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, errCode(code)
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// FetchOffsets answers one group of an OffsetFetch request: the committed
// offsets of the partitions asked for (-1 for those without one), or of
// every partition with one when topics is nil.
func (s *Shard) FetchOffsets(groupID string, topics []kmsg.OffsetFetchRequestGroupTopic) kmsg.OffsetFetchResponseGroup {
	out := kmsg.NewOffsetFetchResponseGroup()
	out.Group = groupID
	g := s.groups[groupID]
	if topics == nil {
		if g == nil {
			return out
		}
		var cur *kmsg.OffsetFetchResponseGroupTopic
		for _, tp := range g.sortedOffsets() {
			if cur == nil || cur.Topic != tp.topic {
				out.Topics = append(out.Topics, kmsg.OffsetFetchResponseGroupTopic{Topic: tp.topic})
				cur = &out.Topics[len(out.Topics)-1]
			}
			cur.Partitions = append(cur.Partitions, fetchedPartition(g, tp))
		}
		return out
	}
	for _, t := range topics {
		rt := kmsg.NewOffsetFetchResponseGroupTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rt.Partitions = append(rt.Partitions, fetchedPartition(g, topicPartition{t.Topic, p}))
		}
		out.Topics = append(out.Topics, rt)
	}
	return out
}

func fetchedPartition(g *group, tp topicPartition) kmsg.OffsetFetchResponseGroupTopicPartition {
	rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
	rp.Partition, rp.Offset, rp.LeaderEpoch, rp.Metadata = tp.partition, -1, -1, ptr("")
	if g == nil {
		return rp
	}
	if o := g.offsets[tp]; o != nil {
		rp.Offset, rp.LeaderEpoch, rp.Metadata = o.offset, o.leaderEpoch, ptr(o.metadata)
	}
	return rp
}

// OffsetDelete handles an OffsetDelete request: it deletes (tombstones) the
// offsets of topics the group does not subscribe to.
func (s *Shard) OffsetDelete(req *kmsg.OffsetDeleteRequest, cb func(*kmsg.OffsetDeleteResponse)) coord.Result {
	resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
	g := s.groups[req.Group]
	switch {
	case g == nil || g.state == stateDead:
		resp.ErrorCode = kerr.GroupIDNotFound.Code
	case g.state != stateEmpty && g.protocolType != "consumer" && g.cg == nil:
		resp.ErrorCode = kerr.NonEmptyGroup.Code
	default:
		s.deleteOffsets(g, req, resp)
	}
	s.reply(func(err error) {
		if err != nil {
			resp.ErrorCode, resp.Topics = kerr.NotCoordinator.Code, nil
		}
		cb(resp)
	})
	return s.result()
}

func (s *Shard) deleteOffsets(g *group, req *kmsg.OffsetDeleteRequest, resp *kmsg.OffsetDeleteResponse) {
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetDeleteResponseTopic()
		rt.Topic = t.Topic
		subscribed := g.subscribedTo(t.Topic)
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetDeleteResponseTopicPartition()
			rp.Partition = p.Partition
			tp := topicPartition{t.Topic, p.Partition}
			switch {
			case subscribed:
				rp.ErrorCode = kerr.GroupSubscribedToTopic.Code
			case g.offsets[tp] != nil:
				delete(g.offsets, tp)
				s.write(coord.Record{Key: offsetKey(g.id, tp.topic, tp.partition)})
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
}
