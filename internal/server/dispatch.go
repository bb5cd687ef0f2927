package server

import "github.com/twmb/franz-go/pkg/kmsg"

// maxKey is the largest API key the dispatch table can hold.
const maxKey = 100

// handlerFunc serves one request. It returns the response, or nil when it
// will call r.respond later (or never answers: acks=0). An error closes the
// connection.
type handlerFunc func(s *Server, r *request) (kmsg.Response, error)

type handlerDef struct {
	key      int16
	min, max int16
	fn       handlerFunc
}

// handlerTable lists every API this broker serves, with the versions it
// accepts: at least the range Apache Kafka 4.x accepts.
var handlerTable = []handlerDef{
	{0, 3, 13, (*Server).handleProduce},
	{1, 4, 18, (*Server).handleFetch},
	{2, 1, 10, (*Server).handleListOffsets},
	{3, 0, 13, (*Server).handleMetadata},
	{8, 2, 9, (*Server).handleOffsetCommit},
	{9, 1, 9, (*Server).handleOffsetFetch},
	{10, 0, 6, (*Server).handleFindCoordinator},
	{11, 0, 9, (*Server).handleJoinGroup},
	{12, 0, 4, (*Server).handleHeartbeat},
	{13, 0, 5, (*Server).handleLeaveGroup},
	{14, 0, 5, (*Server).handleSyncGroup},
	{15, 0, 6, (*Server).handleDescribeGroups},
	{16, 0, 5, (*Server).handleListGroups},
	{18, 0, 4, (*Server).handleApiVersions},
	{19, 2, 7, (*Server).handleCreateTopics},
	{20, 1, 6, (*Server).handleDeleteTopics},
	{21, 0, 2, (*Server).handleDeleteRecords},
	{22, 0, 5, (*Server).handleInitProducerID},
	{23, 2, 4, (*Server).handleOffsetForLeaderEpoch},
	{32, 1, 4, (*Server).handleDescribeConfigs},
	{33, 0, 2, (*Server).handleAlterConfigs},
	{35, 1, 4, (*Server).handleDescribeLogDirs},
	{37, 0, 3, (*Server).handleCreatePartitions},
	{42, 0, 2, (*Server).handleDeleteGroups},
	{44, 0, 1, (*Server).handleIncrementalAlterConfigs},
	{47, 0, 0, (*Server).handleOffsetDelete},
	{60, 0, 2, (*Server).handleDescribeCluster},
	{61, 0, 0, (*Server).handleDescribeProducers},
	{68, 0, 1, (*Server).handleConsumerGroupHeartbeat},
	{69, 0, 1, (*Server).handleConsumerGroupDescribe},
}
