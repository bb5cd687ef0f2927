package server

// DeleteTopics: v1-6
//
// Deletes topics by name, or by id (v6+). The logs are deleted when the
// broker applies the metadata change.
//
// With delete.topic.enable=false every topic gets TOPIC_DELETION_DISABLED
// (INVALID_REQUEST before v3, which lacks that code), as in Kafka.
//
// Left out: the request timeout (deletion is synchronous on a single node).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleDeleteTopics(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.DeleteTopicsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)
	im := s.o.Controller.Image()
	type ask struct {
		name *string
		id   [16]byte
	}
	var asks []ask
	if req.Version < 6 {
		for _, n := range req.TopicNames {
			asks = append(asks, ask{name: &n})
		}
	} else {
		for _, t := range req.Topics {
			asks = append(asks, ask{name: t.Topic, id: t.TopicID})
		}
	}
	if s.o.Settings.DeleteTopicsDisabled {
		code := kerr.TopicDeletionDisabled
		if req.Version < 3 {
			code = kerr.InvalidRequest
		}
		for _, a := range asks {
			rt := kmsg.NewDeleteTopicsResponseTopic()
			rt.Topic, rt.TopicID, rt.ErrorCode = a.name, a.id, code.Code
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil
	}
	var names []string
	var idx []int
	for i, a := range asks {
		rt := kmsg.NewDeleteTopicsResponseTopic()
		rt.Topic, rt.TopicID = a.name, a.id
		if a.name == nil || *a.name == "" {
			t := im.ByID[a.id]
			if t == nil {
				rt.ErrorCode = kerr.UnknownTopicID.Code
				resp.Topics = append(resp.Topics, rt)
				continue
			}
			name := t.Name
			rt.Topic = &name
		}
		if t := im.Topics[*rt.Topic]; t != nil {
			rt.TopicID = t.ID
		}
		resp.Topics = append(resp.Topics, rt)
		names = append(names, *rt.Topic)
		idx = append(idx, i)
	}
	errs, err := s.o.Controller.DeleteTopics(r.ctx, names)
	for k, i := range idx {
		rt := &resp.Topics[i]
		switch {
		case err != nil:
			setErr(&rt.ErrorCode, &rt.ErrorMessage, kerr.UnknownServerError, err.Error())
		case errs[k] != nil:
			setErr(&rt.ErrorCode, &rt.ErrorMessage, errs[k].Code, errs[k].Message)
		}
	}
	return resp, nil
}
