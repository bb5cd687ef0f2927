package server

// ConsumerGroupHeartbeat: v0-1
//
// The consumer rebalance protocol of KIP-848: members of a consumer group
// join (epoch 0), heartbeat with their epoch and owned partitions, and leave
// (epoch -1, or -2 for a static member that comes back); the coordinator
// assigns partitions server-side (uniform or range, group.consumer.assignors)
// and revokes a partition before it gives it to another member. v1 (KIP-1082)
// has the client generate its member id and adds SubscribedTopicRegex.
// Errors: INVALID_REQUEST, UNSUPPORTED_ASSIGNOR, INVALID_REGULAR_EXPRESSION,
// UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH, FENCED_INSTANCE_ID,
// UNRELEASED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED, GROUP_ID_NOT_FOUND (the group
// is a classic group with members), NOT_COORDINATOR,
// COORDINATOR_LOAD_IN_PROGRESS.
//
// With group.coordinator.rebalance.protocols lacking "consumer" it answers
// UNSUPPORTED_VERSION, as Kafka; unlike Kafka (whose ApiVersions still lists
// it), ApiVersions then leaves it out, so that clients choosing by
// ApiVersions (franz-go) use classic groups instead of failing.
//
// Left out: rack-aware assignment, classic members in consumer groups (online
// migration), the group-level configs of KIP-848 (group.consumer.* overrides
// through IncrementalAlterConfigs on a GROUP resource).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func cghbResponseErr(code *kerr.Error) *kmsg.ConsumerGroupHeartbeatResponse {
	resp := kmsg.NewPtrConsumerGroupHeartbeatResponse()
	resp.ErrorCode = code.Code
	return resp
}

func (s *Server) handleConsumerGroupHeartbeat(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.ConsumerGroupHeartbeatRequest)
	if s.hidden(req.Key()) { // as Kafka with the consumer protocol off
		return cghbResponseErr(kerr.UnsupportedVersion), nil
	}
	s.o.Groups.ConsumerGroupHeartbeat(r.ctx, req, r.clientID, clientHost(r.c.nc), func(resp *kmsg.ConsumerGroupHeartbeatResponse) { r.respond(resp) })
	return nil, nil
}
