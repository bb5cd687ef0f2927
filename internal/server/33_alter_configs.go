package server

// AlterConfigs: v0-2
//
// Replaces a topic's dynamic configs with the given set (configs not named
// return to their defaults), validated as on creation; validate-only.
//
// Left out: dynamic broker configs (INVALID_REQUEST for now).

import (
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
	if typ != kmsg.ConfigResourceTypeTopic {
		setErr(code, msg, kerr.InvalidRequest, "Vltava does not support dynamic broker configs yet; set them in server.properties")
		return
	}
	cerr, err := s.o.Controller.AlterTopicConfigs(r.ctx, name, ops, replace, validateOnly)
	switch {
	case err != nil:
		setErr(code, msg, kerr.UnknownServerError, err.Error())
	case cerr != nil:
		setErr(code, msg, cerr.Code, cerr.Message)
	}
}
