package server

// OffsetCommit: v2-9
//
// Commits offsets (with leader epoch, v6+, and metadata) of a group's
// members, checked against the generation (UNKNOWN_MEMBER_ID,
// ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS, FENCED_INSTANCE_ID), or with
// generation -1 for a group without members (created on the fly; from v9
// an unknown group with a generation is GROUP_ID_NOT_FOUND, before
// ILLEGAL_GENERATION). Each offset is an OffsetCommitValue record in
// __consumer_offsets, written before the response. A missing partition is
// UNKNOWN_TOPIC_OR_PARTITION; metadata over offset.metadata.max.bytes is
// OFFSET_METADATA_TOO_LARGE (as Kafka; INVALID_COMMIT_OFFSET_SIZE is for a
// commit too large to write). Members of KIP-848 consumer groups commit
// with v9+ and their member epoch as the generation (UNKNOWN_MEMBER_ID,
// STALE_MEMBER_EPOCH, UNSUPPORTED_VERSION below v9).
//
// Left out: v10 (topic ids), the retention time of v2-4 (ignored, as Kafka
// does since 2.1), KIP-1251's relaxed epoch check.

import "github.com/twmb/franz-go/pkg/kmsg"

func (s *Server) handleOffsetCommit(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.OffsetCommitRequest)
	s.o.Groups.OffsetCommit(r.ctx, req, func(resp *kmsg.OffsetCommitResponse) { r.respond(resp) })
	return nil, nil
}
