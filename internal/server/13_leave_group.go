package server

// LeaveGroup: v0-5
//
// Removes members from a classic group (one before v3; a batch by member
// id or instance id since) and starts a rebalance. Per-member errors:
// UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID.

import "github.com/twmb/franz-go/pkg/kmsg"

func (s *Server) handleLeaveGroup(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.LeaveGroupRequest)
	s.o.Groups.LeaveGroup(r.ctx, req, func(resp *kmsg.LeaveGroupResponse) { r.respond(resp) })
	return nil, nil
}
