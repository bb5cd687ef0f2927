package server

// IncrementalAlterConfigs: v0-1
//
// SET, DELETE, APPEND and SUBTRACT (list configs) on the dynamic configs of
// a topic, a broker (this node's id, or "" for the cluster-wide defaults)
// or a group, validated as AlterConfigs does; validate-only. A config named
// twice for one resource fails with INVALID_REQUEST, as in Kafka. Broker
// loggers (resource type 8): SET or DELETE a level (broker_loggers.go).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/metadata/controller"
)

func (s *Server) handleIncrementalAlterConfigs(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.IncrementalAlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	for _, res := range req.Resources {
		rr := kmsg.NewIncrementalAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
		ops := make([]controller.ConfigOp, len(res.Configs))
		seen := map[string]bool{}
		dup := false
		for i, c := range res.Configs {
			dup = dup || seen[c.Name]
			seen[c.Name] = true
			ops[i] = controller.ConfigOp{Name: c.Name, Op: int8(c.Op), Value: c.Value}
		}
		switch {
		case dup:
			setErr(&rr.ErrorCode, &rr.ErrorMessage, kerr.InvalidRequest, "Error due to duplicate config keys")
		case res.ResourceType == kmsg.ConfigResourceTypeBrokerLogger:
			s.alterLoggers(res.ResourceName, res.Configs, req.ValidateOnly, &rr.ErrorCode, &rr.ErrorMessage)
		default:
			s.alterConfigs(r, res.ResourceType, res.ResourceName, ops, false, req.ValidateOnly, &rr.ErrorCode, &rr.ErrorMessage)
		}
		resp.Resources = append(resp.Resources, rr)
	}
	return resp, nil
}
