package server

// InitProducerId: v0-5
//
// Hands idempotent producers a new producer id with epoch 0; ids are
// reserved in blocks through the metadata log so none is handed out twice.
// A retry with an existing id and epoch (KIP-360, v3+) also gets a fresh id,
// as Kafka does for producers without a transactional id.
//
// Left out: transactional ids (the transaction coordinator is a later
// issue): answered with COORDINATOR_NOT_AVAILABLE.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleInitProducerID(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.InitProducerIDRequest)
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if req.TransactionalID != nil {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp, nil
	}
	id, err := s.o.Controller.AllocateProducerID(r.ctx)
	if err != nil {
		s.log.Error("allocate producer id", "err", err)
		resp.ErrorCode = kerr.UnknownServerError.Code
		return resp, nil
	}
	resp.ProducerID, resp.ProducerEpoch = id, 0
	return resp, nil
}
