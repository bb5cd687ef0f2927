package server

// FindCoordinator: v0-6
//
// Group keys (type 0) are answered with the leader of the group's
// __consumer_offsets partition (abs(hashCode) % partitions, as Kafka); the
// topic is created on the first lookup, as Kafka does, with
// offsets.topic.num.partitions partitions, cleanup.policy=compact and
// min(offsets.topic.replication.factor, brokers) replicas. v4+ batches keys.
//
// Left out: transaction coordinator keys (type 1) are answered
// COORDINATOR_NOT_AVAILABLE until the transaction coordinator exists; share
// group keys (type 2) INVALID_REQUEST.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/group"
)

func (s *Server) handleFindCoordinator(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.FindCoordinatorRequest)
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	keys := req.CoordinatorKeys
	if req.Version < 4 {
		keys = []string{req.CoordinatorKey}
	}
	for _, k := range keys {
		resp.Coordinators = append(resp.Coordinators, s.findCoordinator(r, req.CoordinatorType, k))
	}
	if req.Version < 4 {
		c := resp.Coordinators[0]
		resp.Coordinators = nil
		resp.ErrorCode, resp.ErrorMessage, resp.NodeID, resp.Host, resp.Port = c.ErrorCode, c.ErrorMessage, c.NodeID, c.Host, c.Port
	}
	return resp, nil
}

func (s *Server) findCoordinator(r *request, typ int8, key string) kmsg.FindCoordinatorResponseCoordinator {
	c := kmsg.NewFindCoordinatorResponseCoordinator()
	c.Key, c.NodeID, c.Port = key, -1, -1
	fail := func(e *kerr.Error, msg string) kmsg.FindCoordinatorResponseCoordinator {
		setErr(&c.ErrorCode, &c.ErrorMessage, e, msg)
		return c
	}
	switch {
	case typ == 1:
		return fail(kerr.CoordinatorNotAvailable, "the transaction coordinator is not available yet")
	case typ != 0:
		return fail(kerr.InvalidRequest, "unknown coordinator type")
	case s.o.Groups == nil:
		return fail(kerr.CoordinatorNotAvailable, "")
	}
	p, err := s.o.Groups.Partition(r.ctx, key)
	if err != nil {
		s.log.Error("find coordinator", "err", err)
		return fail(kerr.CoordinatorNotAvailable, "")
	}
	im := s.o.Controller.Image()
	t := im.Topics[group.OffsetsTopic]
	if t == nil || int(p) >= len(t.Partitions) {
		return fail(kerr.CoordinatorNotAvailable, "")
	}
	b := im.Brokers[t.Partitions[p].Leader]
	if b == nil || b.Fenced {
		return fail(kerr.CoordinatorNotAvailable, "")
	}
	for _, ep := range b.Endpoints {
		if ep.Name == r.c.listener {
			c.NodeID, c.Host, c.Port = b.ID, ep.Host, ep.Port
			return c
		}
	}
	return fail(kerr.CoordinatorNotAvailable, "")
}
