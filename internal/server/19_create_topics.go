package server

// CreateTopics: v2-7
//
// Creates topics through the controller: partitions and replication factor
// (-1 for the broker defaults), manual replica assignments, configs
// (validated: INVALID_CONFIG), validate-only. v5+ responses carry the
// resulting partitions, replication factor and configs; v7 the topic id. A
// name that appears twice in one request fails with INVALID_REQUEST.
//
// Left out: the request timeout (creation is synchronous on a single node).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/metadata/controller"
)

func (s *Server) handleCreateTopics(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.CreateTopicsRequest)
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	count := map[string]int{}
	for _, t := range req.Topics {
		count[t.Topic]++
	}
	var specs []controller.CreateTopic
	var idx []int
	resp.Topics = make([]kmsg.CreateTopicsResponseTopic, len(req.Topics))
	for i, t := range req.Topics {
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = t.Topic, -1, -1
		resp.Topics[i] = rt
		if count[t.Topic] > 1 {
			setErr(&resp.Topics[i].ErrorCode, &resp.Topics[i].ErrorMessage, kerr.InvalidRequest, "Create topics request from client contains duplicate topic name")
			continue
		}
		spec := controller.CreateTopic{Name: t.Topic, NumPartitions: t.NumPartitions, ReplicationFactor: t.ReplicationFactor, Configs: map[string]string{}}
		for _, a := range t.ReplicaAssignment {
			spec.Assignment = append(spec.Assignment, a.Replicas)
		}
		for _, c := range t.Configs {
			if c.Value == nil {
				setErr(&resp.Topics[i].ErrorCode, &resp.Topics[i].ErrorMessage, kerr.InvalidConfig, "Null value not supported for topic configs: "+c.Name)
				spec.Name = ""
				break
			}
			spec.Configs[c.Name] = *c.Value
		}
		if spec.Name == "" {
			continue
		}
		specs = append(specs, spec)
		idx = append(idx, i)
	}
	res, err := s.o.Controller.CreateTopics(r.ctx, specs, req.ValidateOnly)
	if err != nil {
		s.log.Error("create topics", "err", err)
		for _, i := range idx {
			setErr(&resp.Topics[i].ErrorCode, &resp.Topics[i].ErrorMessage, kerr.UnknownServerError, err.Error())
		}
		return resp, nil
	}
	for k, cr := range res {
		rt := &resp.Topics[idx[k]]
		if cr.Err != nil {
			setErr(&rt.ErrorCode, &rt.ErrorMessage, cr.Err.Code, cr.Err.Message)
			continue
		}
		rt.TopicID, rt.NumPartitions, rt.ReplicationFactor = cr.ID, cr.NumPartitions, cr.ReplicationFactor
		for _, e := range s.o.Configs.DescribeTopic(s.o.Controller.Image(), specs[k].Configs) {
			c := kmsg.NewCreateTopicsResponseTopicConfig()
			c.Name, c.ReadOnly, c.Source, c.IsSensitive = e.Name, e.ReadOnly, e.Source, e.Sensitive
			if !e.Null && !e.Sensitive {
				v := e.Value
				c.Value = &v
			}
			rt.Configs = append(rt.Configs, c)
		}
	}
	return resp, nil
}

func setErr(code *int16, msg **string, e *kerr.Error, m string) {
	*code = e.Code
	if m != "" {
		*msg = &m
	}
}
