package server

// CreatePartitions: v0-3
//
// Grows topics to a new partition count, with optional manual assignments
// of the new partitions; validate-only. A topic named twice in one request
// fails with INVALID_REQUEST.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleCreatePartitions(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.CreatePartitionsRequest)
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
	count := map[string]int{}
	for _, t := range req.Topics {
		count[t.Topic]++
	}
	for _, t := range req.Topics {
		rt := kmsg.NewCreatePartitionsResponseTopic()
		rt.Topic = t.Topic
		if count[t.Topic] > 1 {
			setErr(&rt.ErrorCode, &rt.ErrorMessage, kerr.InvalidRequest, "Duplicate topic in request.")
			resp.Topics = append(resp.Topics, rt)
			continue
		}
		var assign [][]int32
		for _, a := range t.Assignment {
			assign = append(assign, a.Replicas)
		}
		cerr, err := s.o.Controller.CreatePartitions(r.ctx, t.Topic, t.Count, assign, req.ValidateOnly)
		switch {
		case err != nil:
			setErr(&rt.ErrorCode, &rt.ErrorMessage, kerr.UnknownServerError, err.Error())
		case cerr != nil:
			setErr(&rt.ErrorCode, &rt.ErrorMessage, cerr.Code, cerr.Message)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}
