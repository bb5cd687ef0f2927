package server

// DescribeCluster: v0-2
//
// The cluster id, the controller (this node: a single node is its own
// controller), and the brokers with the endpoint of the listener the client
// used. EndpointType 2 (controllers, v1+) answers with this node too.
//
// Left out: authorized operations ("not provided").

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleDescribeCluster(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.DescribeClusterRequest)
	resp := req.ResponseKind().(*kmsg.DescribeClusterResponse)
	im := s.o.Controller.Image()
	resp.ClusterID = s.o.ClusterID
	resp.ControllerID = s.o.NodeID
	resp.EndpointType = req.EndpointType
	if resp.EndpointType == 0 {
		resp.EndpointType = 1
	}
	resp.ClusterAuthorizedOperations = authorizedOpsNotProvided
	for _, b := range s.metadataBrokers(im, r.c.listener) {
		db := kmsg.NewDescribeClusterResponseBroker()
		db.NodeID, db.Host, db.Port, db.Rack = b.NodeID, b.Host, b.Port, b.Rack
		resp.Brokers = append(resp.Brokers, db)
	}
	return resp, nil
}
