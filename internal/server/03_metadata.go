package server

// Metadata: v0-13
//
// Returns brokers (the endpoint of the listener the client connected on),
// topics with partitions, leaders, leader epochs, replicas and ISR, topic
// ids (v10+) and lookups by topic id (v12+). Unknown topics are created when
// auto.create.topics.enable is on and the request allows it (v4+, always
// for v0-3), with the broker's default partitions and replication factor.
//
// Left out: authorized operations are reported as "not provided" (ACLs come
// later).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/metadata/controller"
	"github.com/vltava/vltava/internal/metadata/image"
)

const authorizedOpsNotProvided = -2147483648

func (s *Server) handleMetadata(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.MetadataRequest)
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	im := s.o.Controller.Image()
	if toCreate := s.missingTopics(req, im); len(toCreate) > 0 {
		s.autoCreate(r, toCreate)
		im = s.o.Controller.Image()
	}
	resp.ClusterID = &s.o.ClusterID
	resp.ControllerID = s.o.NodeID
	resp.AuthorizedOperations = authorizedOpsNotProvided
	resp.Brokers = s.metadataBrokers(im, r.c.listener)
	switch {
	case req.Topics == nil || (req.Version == 0 && len(req.Topics) == 0):
		for _, name := range im.TopicNames() {
			resp.Topics = append(resp.Topics, topicMetadata(im.Topics[name], req.Version))
		}
	default:
		for _, rt := range req.Topics {
			resp.Topics = append(resp.Topics, s.requestedTopic(im, rt, req.Version))
		}
	}
	return resp, nil
}

func (s *Server) metadataBrokers(im *image.Image, listener string) []kmsg.MetadataResponseBroker {
	var out []kmsg.MetadataResponseBroker
	for _, id := range im.BrokerIDs() {
		b := im.Brokers[id]
		if b.Fenced {
			continue
		}
		for _, ep := range b.Endpoints {
			if ep.Name != listener {
				continue
			}
			mb := kmsg.NewMetadataResponseBroker()
			mb.NodeID, mb.Host, mb.Port = b.ID, ep.Host, ep.Port
			if b.Rack != "" {
				rack := b.Rack
				mb.Rack = &rack
			}
			out = append(out, mb)
		}
	}
	return out
}

// missingTopics lists requested topics that don't exist and may be
// auto-created.
func (s *Server) missingTopics(req *kmsg.MetadataRequest, im *image.Image) []string {
	if !s.o.Settings.AutoCreateTopics || (req.Version >= 4 && !req.AllowAutoTopicCreation) {
		return nil
	}
	var out []string
	for _, rt := range req.Topics {
		if rt.Topic == nil || *rt.Topic == "" {
			continue
		}
		if _, ok := im.Topics[*rt.Topic]; !ok && controller.ValidateTopicName(*rt.Topic) == nil {
			out = append(out, *rt.Topic)
		}
	}
	return out
}

func (s *Server) autoCreate(r *request, names []string) {
	specs := make([]controller.CreateTopic, len(names))
	for i, n := range names {
		specs[i] = controller.CreateTopic{Name: n, NumPartitions: -1, ReplicationFactor: -1}
	}
	res, err := s.o.Controller.CreateTopics(r.ctx, specs, false)
	if err != nil {
		s.log.Error("auto-create topics", "topics", names, "err", err)
		return
	}
	for i, cr := range res {
		if cr.Err != nil && cr.Err.Code != kerr.TopicAlreadyExists {
			s.log.Info("auto-create topic failed", "topic", names[i], "err", cr.Err)
		}
	}
}

func (s *Server) requestedTopic(im *image.Image, rt kmsg.MetadataRequestTopic, version int16) kmsg.MetadataResponseTopic {
	var t *image.Topic
	if rt.Topic != nil && *rt.Topic != "" {
		t = im.Topics[*rt.Topic]
	} else if rt.TopicID != [16]byte{} {
		t = im.ByID[rt.TopicID]
	}
	if t != nil {
		return topicMetadata(t, version)
	}
	mt := kmsg.NewMetadataResponseTopic()
	mt.Topic, mt.TopicID = rt.Topic, rt.TopicID
	mt.AuthorizedOperations = authorizedOpsNotProvided
	switch {
	case rt.Topic == nil || *rt.Topic == "":
		mt.ErrorCode = kerr.UnknownTopicID.Code
	case controller.ValidateTopicName(*rt.Topic) != nil:
		mt.ErrorCode = kerr.InvalidTopicException.Code
	default:
		mt.ErrorCode = kerr.UnknownTopicOrPartition.Code
	}
	return mt
}

func topicMetadata(t *image.Topic, version int16) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	name := t.Name
	mt.Topic, mt.TopicID = &name, t.ID
	mt.IsInternal = isInternalTopic(t.Name)
	mt.AuthorizedOperations = authorizedOpsNotProvided
	mt.Partitions = make([]kmsg.MetadataResponseTopicPartition, len(t.Partitions))
	for i, p := range t.Partitions {
		mp := kmsg.NewMetadataResponseTopicPartition()
		mp.Partition, mp.Leader, mp.LeaderEpoch = int32(i), p.Leader, p.LeaderEpoch
		mp.Replicas, mp.ISR = p.Replicas, p.ISR
		if p.Leader < 0 {
			mp.ErrorCode = kerr.LeaderNotAvailable.Code
		}
		mt.Partitions[i] = mp
	}
	return mt
}

func isInternalTopic(name string) bool {
	return name == "__consumer_offsets" || name == "__transaction_state"
}
