package server

// JoinGroup: v0-9
//
// Joins a classic group. A first join without a member id is answered
// MEMBER_ID_REQUIRED with one (KIP-394, v4+); the response to a real join
// waits until the rebalance completes: every member has rejoined, the
// rebalance timeout passed, or, for an empty group, after
// group.initial.rebalance.delay.ms. The protocol is the one every member
// supports with the most first-choice votes; the leader gets every member's
// metadata. Static members (group.instance.id, KIP-345, v5+) that restart
// get their assignment back without a rebalance (a static leader gets
// SkipAssignment, v9). Errors: INVALID_SESSION_TIMEOUT, UNKNOWN_MEMBER_ID,
// INCONSISTENT_GROUP_PROTOCOL, GROUP_MAX_SIZE_REACHED, FENCED_INSTANCE_ID.
//
// Left out: the join reason (v8+) is not logged.

import (
	"net"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleJoinGroup(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.JoinGroupRequest)
	s.o.Groups.JoinGroup(r.ctx, req, r.clientID, clientHost(r.c.nc), func(resp *kmsg.JoinGroupResponse) { r.respond(resp) })
	return nil, nil
}

// clientHost is the client's address as Kafka reports it ("/127.0.0.1").
func clientHost(nc net.Conn) string {
	host, _, err := net.SplitHostPort(nc.RemoteAddr().String())
	if err != nil {
		return "/" + nc.RemoteAddr().String()
	}
	return "/" + host
}
