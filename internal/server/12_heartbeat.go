package server

// Heartbeat: v0-4
//
// Keeps a classic group member alive (its session timeout restarts) and
// tells it when a rebalance is under way (REBALANCE_IN_PROGRESS). Errors:
// UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID (v3+).

import "github.com/twmb/franz-go/pkg/kmsg"

func (s *Server) handleHeartbeat(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.HeartbeatRequest)
	s.o.Groups.Heartbeat(r.ctx, req, func(resp *kmsg.HeartbeatResponse) { r.respond(resp) })
	return nil, nil
}
