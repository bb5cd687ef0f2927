package server

// DeleteGroups: v0-2
//
// Deletes empty groups with their offsets (tombstones in
// __consumer_offsets). Errors: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP.

import "github.com/twmb/franz-go/pkg/kmsg"

func (s *Server) handleDeleteGroups(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.DeleteGroupsRequest)
	s.o.Groups.DeleteGroups(r.ctx, req, func(resp *kmsg.DeleteGroupsResponse) { r.respond(resp) })
	return nil, nil
}
