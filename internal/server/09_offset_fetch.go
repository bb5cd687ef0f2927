package server

// OffsetFetch: v1-9
//
// Returns a group's committed offsets (offset, leader epoch v5+, metadata):
// of the partitions asked for (-1 where none), or of every partition with
// one when topics is null (v2+). v8+ asks for several groups at once, each
// answered by its own shard. require_stable (v7+) has nothing to wait for
// until transactions exist.
//
// v9+ from a member of a KIP-848 consumer group checks its member id and
// epoch.
//
// Left out: v10 (topic ids).

import "github.com/twmb/franz-go/pkg/kmsg"

func (s *Server) handleOffsetFetch(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.OffsetFetchRequest)
	s.o.Groups.OffsetFetch(r.ctx, req, func(resp *kmsg.OffsetFetchResponse) { r.respond(resp) })
	return nil, nil
}
