package server

// ListGroups: v0-5
//
// Lists the groups of every __consumer_offsets partition this broker leads,
// filtered by state (v4+) and type (v5+: every group here is "classic").

import "github.com/twmb/franz-go/pkg/kmsg"

func (s *Server) handleListGroups(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.ListGroupsRequest)
	s.o.Groups.ListGroups(r.ctx, req, func(resp *kmsg.ListGroupsResponse) { r.respond(resp) })
	return nil, nil
}
