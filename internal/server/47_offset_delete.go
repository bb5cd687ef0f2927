package server

// OffsetDelete: v0
//
// Deletes committed offsets of a group (tombstones), except of topics its
// members subscribe to (GROUP_SUBSCRIBED_TO_TOPIC). An unknown group is
// GROUP_ID_NOT_FOUND; a non-empty group that is not a consumer group,
// NON_EMPTY_GROUP.

import "github.com/twmb/franz-go/pkg/kmsg"

func (s *Server) handleOffsetDelete(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.OffsetDeleteRequest)
	s.o.Groups.OffsetDelete(r.ctx, req, func(resp *kmsg.OffsetDeleteResponse) { r.respond(resp) })
	return nil, nil
}
