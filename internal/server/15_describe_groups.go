package server

// DescribeGroups: v0-6
//
// Describes groups: state, protocol type, and members (id, instance id,
// client id and host; metadata and assignment while Stable). An unknown
// group is Dead, and from v6 GROUP_ID_NOT_FOUND (KIP-1043).
//
// Left out: authorized operations (ACLs come later).

import "github.com/twmb/franz-go/pkg/kmsg"

func (s *Server) handleDescribeGroups(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.DescribeGroupsRequest)
	s.o.Groups.DescribeGroups(r.ctx, req, func(resp *kmsg.DescribeGroupsResponse) { r.respond(resp) })
	return nil, nil
}
