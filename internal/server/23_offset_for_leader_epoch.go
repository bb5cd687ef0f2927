package server

// OffsetForLeaderEpoch: v2-4 (topics by name in every version; v4 is
// flexible)
//
// For each partition, the end offset of the requested leader epoch (the
// start offset of the next epoch the log knows, or the log end offset for
// the current epoch) and the largest epoch at or below the requested one
// (KIP-101, KIP-279); -1/-1 with no error for an epoch above the current
// one. The current epoch counts as started at the log end even before its
// first batch, as in Kafka, whose leader caches it on election. As Kafka,
// the answer is the same for consumers (KIP-320) and followers: ReplicaId
// (v3+) is not looked at and the end offset is not capped at the high
// watermark. CurrentLeaderEpoch (-1: no check) fences: below ours is
// FENCED_LEADER_EPOCH, above is UNKNOWN_LEADER_EPOCH.
//
// Left out: an offline data directory is not reported (Kafka answers
// KAFKA_STORAGE_ERROR): the epochs are in memory, and reads go on as for
// ListOffsets and Fetch.

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleOffsetForLeaderEpoch(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.OffsetForLeaderEpochRequest)
	resp := req.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewOffsetForLeaderEpochResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition() // LeaderEpoch, EndOffset -1
			sp.Partition = rp.Partition
			p := s.o.Replicas.Get(rt.Topic, rp.Partition)
			if p == nil {
				sp.ErrorCode = s.partitionAbsentCode(rt.Topic, rp.Partition).Code
			} else if code := checkLeaderEpoch(p, rp.CurrentLeaderEpoch); code != nil {
				sp.ErrorCode = code.Code
			} else {
				sp.EndOffset, sp.LeaderEpoch = p.EndOffsetForEpoch(rp.LeaderEpoch)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
