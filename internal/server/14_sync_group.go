package server

// SyncGroup: v0-5
//
// The leader sends the assignment of the generation; it is written to
// __consumer_offsets (GroupMetadataValue) and then every member gets its
// own. Followers wait for it. Errors: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
// REBALANCE_IN_PROGRESS, FENCED_INSTANCE_ID (v3+), INCONSISTENT_GROUP_PROTOCOL
// (v5+ protocol type and name).

import "github.com/twmb/franz-go/pkg/kmsg"

func (s *Server) handleSyncGroup(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.SyncGroupRequest)
	s.o.Groups.SyncGroup(r.ctx, req, func(resp *kmsg.SyncGroupResponse) { r.respond(resp) })
	return nil, nil
}
