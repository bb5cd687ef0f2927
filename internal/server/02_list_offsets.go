package server

// ListOffsets: v1-10
//
// Timestamps: -2 earliest (log start offset), -1 latest (high watermark; the
// last stable offset for read_committed), -3 max timestamp (v7+, KIP-734),
// -4 earliest local (v8+: the log start offset, there is no tiered
// storage), -5 latest tiered (v9+: -1, no tiered storage), and a time in ms:
// the first offset whose timestamp is at or after it. Checks
// CurrentLeaderEpoch (v4+).
//
// Left out: follower/replica ids are ignored (replication is a later issue).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleListOffsets(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.ListOffsetsRequest)
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewListOffsetsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			st.Partitions = append(st.Partitions, s.listOffset(rt.Topic, rp))
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}

func (s *Server) listOffset(topic string, rp kmsg.ListOffsetsRequestTopicPartition) kmsg.ListOffsetsResponseTopicPartition {
	sp := kmsg.NewListOffsetsResponseTopicPartition()
	sp.Partition = rp.Partition
	sp.Timestamp, sp.Offset, sp.LeaderEpoch = -1, -1, -1
	p := s.o.Replicas.Get(topic, rp.Partition)
	if p == nil {
		sp.ErrorCode = s.partitionAbsentCode(topic, rp.Partition).Code
		return sp
	}
	if code := checkLeaderEpoch(p, rp.CurrentLeaderEpoch); code != nil {
		sp.ErrorCode = code.Code
		return sp
	}
	l := p.Log()
	sp.LeaderEpoch = p.LeaderEpoch()
	switch rp.Timestamp {
	case -2, -4:
		sp.Offset = l.LogStartOffset()
	case -1:
		sp.Offset = p.HighWatermark()
	case -5:
	case -3:
		ts, off := l.MaxTimestamp()
		if off >= 0 && off < p.HighWatermark() {
			sp.Timestamp, sp.Offset = ts, off
		}
	default:
		if rp.Timestamp < 0 {
			sp.ErrorCode = kerr.InvalidRequest.Code
			return sp
		}
		off, ts, ok := l.OffsetForTimestamp(rp.Timestamp)
		if ok && off < p.HighWatermark() {
			sp.Timestamp, sp.Offset = ts, off
		}
	}
	return sp
}
