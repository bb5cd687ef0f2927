package server

// DeleteRecords: v0-2
//
// Moves each partition's log start offset up to the given offset (-1: the
// high watermark) and deletes the segments wholly below it. An offset above
// the high watermark is OFFSET_OUT_OF_RANGE.

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleDeleteRecords(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.DeleteRecordsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewDeleteRecordsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewDeleteRecordsResponseTopicPartition()
			sp.Partition, sp.LowWatermark = rp.Partition, -1
			p := s.o.Replicas.Get(rt.Topic, rp.Partition)
			if p == nil {
				sp.ErrorCode = s.partitionAbsentCode(rt.Topic, rp.Partition).Code
			} else if lso, err := p.DeleteRecordsBefore(rp.Offset); err != nil {
				sp.ErrorCode = appendErrorCode(err).Code
			} else {
				sp.LowWatermark = lso
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
