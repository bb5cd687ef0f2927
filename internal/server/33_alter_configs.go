package server

// AlterConfigs: v0-2
//
// Replaces the dynamic configs of a topic, a broker (this node's id, or ""
// for the cluster-wide defaults) or a group with the given set: configs not
// named return to what the next source gives them. Topic and group configs
// are validated as on creation (INVALID_CONFIG); broker configs must be
// ones Vltava applies without a restart, with valid values
// (INVALID_REQUEST, as Kafka). Validate-only.

import (
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/metadata/controller"
)

func (s *Server) handleAlterConfigs(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.AlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.AlterConfigsResponse)
	for _, res := range req.Resources {
		rr := kmsg.NewAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
		ops := make([]controller.ConfigOp, len(res.Configs))
		for i, c := range res.Configs {
			ops[i] = controller.ConfigOp{Name: c.Name, Op: 0, Value: c.Value}
		}
		s.alterConfigs(r, res.ResourceType, res.ResourceName, ops, true, req.ValidateOnly, &rr.ErrorCode, &rr.ErrorMessage)
		resp.Resources = append(resp.Resources, rr)
	}
	return resp, nil
}

// alterConfigs applies config changes to one resource and sets its error.
func (s *Server) alterConfigs(r *request, typ kmsg.ConfigResourceType, name string, ops []controller.ConfigOp, replace, validateOnly bool, code *int16, msg **string) {
	var (
		cerr *controller.Error
		err  error
	)
	switch typ {
	case kmsg.ConfigResourceTypeTopic:
		cerr, err = s.o.Controller.AlterTopicConfigs(r.ctx, name, ops, replace, validateOnly)
	case kmsg.ConfigResourceTypeBroker:
		if m := s.checkBrokerResource(name); m != "" {
			setErr(code, msg, kerr.InvalidRequest, m)
			return
		}
		if name != "" {
			name = strconv.Itoa(int(s.o.NodeID)) // "01" is node 1 too
		}
		cerr, err = s.o.Controller.AlterBrokerConfigs(r.ctx, name, ops, replace, validateOnly)
	case kmsg.ConfigResourceTypeGroupConfig:
		cerr, err = s.o.Controller.AlterGroupConfigs(r.ctx, name, ops, replace, validateOnly)
	default:
		setErr(code, msg, kerr.InvalidRequest, "Unknown resource type "+strconv.Itoa(int(typ)))
		return
	}
	switch {
	case err != nil:
		setErr(code, msg, kerr.UnknownServerError, err.Error())
	case cerr != nil:
		setErr(code, msg, cerr.Code, cerr.Message)
	}
}

// checkBrokerResource checks the name of a BROKER config resource as
// Kafka's brokers do: "" (the cluster-wide defaults) or this node's id. It
// returns what is wrong, or "".
func (s *Server) checkBrokerResource(name string) string {
	switch numeric, self := s.nodeID(name); {
	case name == "" || self:
		return ""
	case !numeric:
		return "Node id must be an integer, but it is: " + name
	default:
		return fmt.Sprintf("Unexpected broker id, expected %d, but received %s", s.o.NodeID, name)
	}
}

// nodeID parses a BROKER or BROKER_LOGGER resource name: whether it is an
// integer, and whether it is this node's id. Kafka words the refusal
// differently in each API, so the callers do.
func (s *Server) nodeID(name string) (numeric, self bool) {
	id, err := strconv.ParseInt(name, 10, 32)
	return err == nil, err == nil && int32(id) == s.o.NodeID
}
