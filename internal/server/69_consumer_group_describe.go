package server

// ConsumerGroupDescribe: v0-1
//
// Describes KIP-848 consumer groups: state (Empty, Assigning, Reconciling,
// Stable), group and assignment epochs, the assignor, and each member with
// its subscription, current and target assignments (and, v1, its member
// type). An unknown group, or one that is not a consumer group, is
// GROUP_ID_NOT_FOUND.
//
// Left out: authorized operations (ACLs come later).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleConsumerGroupDescribe(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.ConsumerGroupDescribeRequest)
	if s.hidden(req.Key()) { // as Kafka with the consumer protocol off
		resp := req.ResponseKind().(*kmsg.ConsumerGroupDescribeResponse)
		for _, g := range req.Groups {
			rg := kmsg.NewConsumerGroupDescribeResponseGroup()
			rg.Group, rg.ErrorCode = g, kerr.UnsupportedVersion.Code
			resp.Groups = append(resp.Groups, rg)
		}
		return resp, nil
	}
	s.o.Groups.ConsumerGroupDescribe(r.ctx, req, func(resp *kmsg.ConsumerGroupDescribeResponse) { r.respond(resp) })
	return nil, nil
}
