package config

import (
	"maps"
	"slices"
	"sort"
	"strings"
)

// Broker is a broker's static configuration, parsed and resolved: synonyms
// applied (log.retention.ms over .minutes over .hours), listeners checked.
type Broker struct {
	// Cluster membership (KRaft).
	NodeID                           int32
	ProcessRoles                     []string // broker, controller
	ControllerListenerNames          []string // upper case; nil if not set
	ControllerQuorumVoters           []string // id@host:port
	ControllerQuorumBootstrapServers []string // host:port

	// Listeners. Listeners are what to bind; AdvertisedListeners are what
	// Metadata tells clients, without the controller listeners. A listener
	// bound to port 0 is advertised with port 0: the server must put the
	// bound port in its place.
	Listeners               []Listener
	AdvertisedListeners     []Listener
	SecurityProtocolMap     map[string]string // listener name -> protocol
	InterBrokerListenerName string
	AdminListener           string // vltava.admin.listener; "" for none

	// Storage.
	LogDirs        []string // log.dirs, else log.dir
	MetadataLogDir string   // metadata.log.dir, else LogDirs[0]

	// Network.
	NumNetworkThreads        int32 // accepted, ignored
	NumIOThreads             int32 // accepted, ignored
	SocketRequestMaxBytes    int32
	SocketSendBufferBytes    int32
	SocketReceiveBufferBytes int32
	QueuedMaxRequests        int32
	ConnectionsMaxIdleMs     int64
	FetchMaxBytes            int32

	// Topic creation and produce.
	NumPartitions            int32
	DefaultReplicationFactor int16
	AutoCreateTopics         bool
	DeleteTopicEnable        bool
	AutoLeaderRebalance      bool
	MinInsyncReplicas        int32
	UncleanLeaderElection    bool
	CompressionType          string
	CompressionGzipLevel     int32
	CompressionLz4Level      int32
	CompressionZstdLevel     int32
	MessageMaxBytes          int32

	Log     BrokerLog
	Cleaner BrokerCleaner
	Group   BrokerGroup
	Txn     BrokerTxn
	Replica BrokerReplica

	// Raw holds the keys set explicitly (server.properties and overrides),
	// as given. TopicDefaults and DescribeBroker read it.
	Raw map[string]string
}

// BrokerLog holds the log.* settings, synonyms resolved.
type BrokerLog struct {
	SegmentBytes                         int32
	RollMs                               int64 // log.roll.ms, else log.roll.hours
	RollJitterMs                         int64 // log.roll.jitter.ms, else .hours
	RetentionMs                          int64 // log.retention.ms, .minutes, .hours; -1: forever
	RetentionBytes                       int64
	RetentionCheckIntervalMs             int64
	IndexSizeMaxBytes                    int32
	IndexIntervalBytes                   int32
	FlushIntervalMessages                int64
	FlushIntervalMs                      int64 // log.flush.interval.ms, else the scheduler interval
	FlushSchedulerIntervalMs             int64
	FlushOffsetCheckpointIntervalMs      int32
	FlushStartOffsetCheckpointIntervalMs int32
	SegmentDeleteDelayMs                 int64
	Preallocate                          bool
	MessageTimestampType                 string // CreateTime or LogAppendTime
	MessageTimestampBeforeMaxMs          int64
	MessageTimestampAfterMaxMs           int64
	CleanupPolicy                        []string
	NumRecoveryThreadsPerDataDir         int32
}

// BrokerCleaner holds the log.cleaner.* settings.
type BrokerCleaner struct {
	Enable              bool
	Threads             int32
	DedupeBufferSize    int64
	IOBufferSize        int32
	IOBufferLoadFactor  float64
	IOMaxBytesPerSecond float64
	BackoffMs           int64
	MinCleanableRatio   float64
	DeleteRetentionMs   int64
	MinCompactionLagMs  int64
	MaxCompactionLagMs  int64
}

// BrokerGroup holds the group coordinator's and committed offsets' settings.
type BrokerGroup struct {
	InitialRebalanceDelayMs         int32
	MinSessionTimeoutMs             int32
	MaxSessionTimeoutMs             int32
	MaxSize                         int32
	RebalanceProtocols              []string
	ConsumerAssignors               []string
	ConsumerSessionTimeoutMs        int32
	ConsumerMinSessionTimeoutMs     int32
	ConsumerMaxSessionTimeoutMs     int32
	ConsumerHeartbeatIntervalMs     int32
	ConsumerMinHeartbeatIntervalMs  int32
	ConsumerMaxHeartbeatIntervalMs  int32
	ConsumerMaxSize                 int32
	OffsetsTopicNumPartitions       int32
	OffsetsTopicReplicationFactor   int16
	OffsetsTopicSegmentBytes        int32
	OffsetsRetentionMinutes         int32
	OffsetsRetentionCheckIntervalMs int64
	OffsetsCommitTimeoutMs          int32
	OffsetsLoadBufferSize           int32
	OffsetMetadataMaxBytes          int32
}

// BrokerTxn holds the transaction coordinator's and producer ids' settings.
type BrokerTxn struct {
	StateLogNumPartitions               int32
	StateLogReplicationFactor           int16
	StateLogMinISR                      int32
	StateLogSegmentBytes                int32
	StateLogLoadBufferSize              int32
	TransactionalIDExpirationMs         int32
	MaxTimeoutMs                        int32
	AbortTimedOutCleanupIntervalMs      int32
	RemoveExpiredCleanupIntervalMs      int32
	ProducerIDExpirationMs              int32
	ProducerIDExpirationCheckIntervalMs int32
	ShareStateTopicReplicationFactor    int16 // accepted, ignored
	ShareStateTopicMinISR               int16 // accepted, ignored
}

// BrokerReplica holds the replication settings.
type BrokerReplica struct {
	FetchMaxBytes                     int32
	FetchResponseMaxBytes             int32
	FetchWaitMaxMs                    int32
	FetchMinBytes                     int32
	FetchBackoffMs                    int32
	LagTimeMaxMs                      int64
	SocketTimeoutMs                   int32
	HighWatermarkCheckpointIntervalMs int64
	NumFetchers                       int32
}

// ParseBroker checks props (server.properties with any overrides applied)
// and resolves them into a Broker. An unknown key, a bad value or an
// inconsistent combination is a *ConfigError naming the key.
func ParseBroker(props map[string]string) (*Broker, error) {
	vals, err := brokerValues(props)
	if err != nil {
		return nil, err
	}
	b := &Broker{Raw: maps.Clone(props)}
	if b.Raw == nil {
		b.Raw = map[string]string{}
	}
	b.fillNetwork(vals)
	b.fillTopics(vals)
	b.fillLog(vals)
	b.fillCleaner(vals)
	b.fillGroup(vals)
	b.fillTxn(vals)
	b.fillReplica(vals)
	for _, step := range []func(values) error{b.resolveNode, b.resolveListeners, b.resolveDirs, b.checkCross} {
		if err := step(vals); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// brokerValues validates every key of props and returns the parsed value of
// every broker config, defaults included (nil for a null default).
func brokerValues(props map[string]string) (values, error) {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		d, ok := brokerRegistry.Lookup(k)
		if !ok {
			return nil, unknownKey(k)
		}
		if err := d.Validate(props[k]); err != nil {
			return nil, invalidValue(k, props[k], err)
		}
	}
	vals := make(values, len(brokerRegistry.defs))
	for _, d := range brokerRegistry.defs {
		raw, set := props[d.Name]
		vals[d.Name] = d.value(raw, set)
	}
	return vals, nil
}

func (b *Broker) fillNetwork(v values) {
	b.ProcessRoles = v.list("process.roles")
	b.ControllerQuorumVoters = v.list("controller.quorum.voters")
	b.ControllerQuorumBootstrapServers = v.list("controller.quorum.bootstrap.servers")
	b.AdminListener = v.str("vltava.admin.listener")
	b.NumNetworkThreads = v.i32("num.network.threads")
	b.NumIOThreads = v.i32("num.io.threads")
	b.SocketRequestMaxBytes = v.i32("socket.request.max.bytes")
	b.SocketSendBufferBytes = v.i32("socket.send.buffer.bytes")
	b.SocketReceiveBufferBytes = v.i32("socket.receive.buffer.bytes")
	b.QueuedMaxRequests = v.i32("queued.max.requests")
	b.ConnectionsMaxIdleMs = v.i64("connections.max.idle.ms")
	b.FetchMaxBytes = v.i32("fetch.max.bytes")
}

func (b *Broker) fillTopics(v values) {
	b.NumPartitions = v.i32("num.partitions")
	b.DefaultReplicationFactor = int16(v.i32("default.replication.factor")) // checked to fit
	b.AutoCreateTopics = v.bool("auto.create.topics.enable")
	b.DeleteTopicEnable = v.bool("delete.topic.enable")
	b.AutoLeaderRebalance = v.bool("auto.leader.rebalance.enable")
	b.MinInsyncReplicas = v.i32("min.insync.replicas")
	b.UncleanLeaderElection = v.bool("unclean.leader.election.enable")
	b.CompressionType = v.str("compression.type")
	b.CompressionGzipLevel = v.i32("compression.gzip.level")
	b.CompressionLz4Level = v.i32("compression.lz4.level")
	b.CompressionZstdLevel = v.i32("compression.zstd.level")
	b.MessageMaxBytes = v.i32("message.max.bytes")
}

func (b *Broker) fillLog(v values) {
	b.Log = BrokerLog{
		SegmentBytes:                         v.i32("log.segment.bytes"),
		RollMs:                               v.synonymInt("segment.ms"),
		RollJitterMs:                         v.synonymInt("segment.jitter.ms"),
		RetentionMs:                          v.synonymInt("retention.ms"),
		RetentionBytes:                       v.i64("log.retention.bytes"),
		RetentionCheckIntervalMs:             v.i64("log.retention.check.interval.ms"),
		IndexSizeMaxBytes:                    v.i32("log.index.size.max.bytes"),
		IndexIntervalBytes:                   v.i32("log.index.interval.bytes"),
		FlushIntervalMessages:                v.i64("log.flush.interval.messages"),
		FlushIntervalMs:                      v.synonymInt("flush.ms"),
		FlushSchedulerIntervalMs:             v.i64("log.flush.scheduler.interval.ms"),
		FlushOffsetCheckpointIntervalMs:      v.i32("log.flush.offset.checkpoint.interval.ms"),
		FlushStartOffsetCheckpointIntervalMs: v.i32("log.flush.start.offset.checkpoint.interval.ms"),
		SegmentDeleteDelayMs:                 v.i64("log.segment.delete.delay.ms"),
		Preallocate:                          v.bool("log.preallocate"),
		MessageTimestampType:                 v.str("log.message.timestamp.type"),
		MessageTimestampBeforeMaxMs:          v.i64("log.message.timestamp.before.max.ms"),
		MessageTimestampAfterMaxMs:           v.i64("log.message.timestamp.after.max.ms"),
		CleanupPolicy:                        v.list("log.cleanup.policy"),
		NumRecoveryThreadsPerDataDir:         v.i32("num.recovery.threads.per.data.dir"),
	}
}

func (b *Broker) fillCleaner(v values) {
	b.Cleaner = BrokerCleaner{
		Enable:              v.bool("log.cleaner.enable"),
		Threads:             v.i32("log.cleaner.threads"),
		DedupeBufferSize:    v.i64("log.cleaner.dedupe.buffer.size"),
		IOBufferSize:        v.i32("log.cleaner.io.buffer.size"),
		IOBufferLoadFactor:  v.f64("log.cleaner.io.buffer.load.factor"),
		IOMaxBytesPerSecond: v.f64("log.cleaner.io.max.bytes.per.second"),
		BackoffMs:           v.i64("log.cleaner.backoff.ms"),
		MinCleanableRatio:   v.f64("log.cleaner.min.cleanable.ratio"),
		DeleteRetentionMs:   v.i64("log.cleaner.delete.retention.ms"),
		MinCompactionLagMs:  v.i64("log.cleaner.min.compaction.lag.ms"),
		MaxCompactionLagMs:  v.i64("log.cleaner.max.compaction.lag.ms"),
	}
}

func (b *Broker) fillGroup(v values) {
	b.Group = BrokerGroup{
		InitialRebalanceDelayMs:         v.i32("group.initial.rebalance.delay.ms"),
		MinSessionTimeoutMs:             v.i32("group.min.session.timeout.ms"),
		MaxSessionTimeoutMs:             v.i32("group.max.session.timeout.ms"),
		MaxSize:                         v.i32("group.max.size"),
		RebalanceProtocols:              v.list("group.coordinator.rebalance.protocols"),
		ConsumerAssignors:               v.list("group.consumer.assignors"),
		ConsumerSessionTimeoutMs:        v.i32("group.consumer.session.timeout.ms"),
		ConsumerMinSessionTimeoutMs:     v.i32("group.consumer.min.session.timeout.ms"),
		ConsumerMaxSessionTimeoutMs:     v.i32("group.consumer.max.session.timeout.ms"),
		ConsumerHeartbeatIntervalMs:     v.i32("group.consumer.heartbeat.interval.ms"),
		ConsumerMinHeartbeatIntervalMs:  v.i32("group.consumer.min.heartbeat.interval.ms"),
		ConsumerMaxHeartbeatIntervalMs:  v.i32("group.consumer.max.heartbeat.interval.ms"),
		ConsumerMaxSize:                 v.i32("group.consumer.max.size"),
		OffsetsTopicNumPartitions:       v.i32("offsets.topic.num.partitions"),
		OffsetsTopicReplicationFactor:   v.i16("offsets.topic.replication.factor"),
		OffsetsTopicSegmentBytes:        v.i32("offsets.topic.segment.bytes"),
		OffsetsRetentionMinutes:         v.i32("offsets.retention.minutes"),
		OffsetsRetentionCheckIntervalMs: v.i64("offsets.retention.check.interval.ms"),
		OffsetsCommitTimeoutMs:          v.i32("offsets.commit.timeout.ms"),
		OffsetsLoadBufferSize:           v.i32("offsets.load.buffer.size"),
		OffsetMetadataMaxBytes:          v.i32("offset.metadata.max.bytes"),
	}
}

func (b *Broker) fillTxn(v values) {
	b.Txn = BrokerTxn{
		StateLogNumPartitions:               v.i32("transaction.state.log.num.partitions"),
		StateLogReplicationFactor:           v.i16("transaction.state.log.replication.factor"),
		StateLogMinISR:                      v.i32("transaction.state.log.min.isr"),
		StateLogSegmentBytes:                v.i32("transaction.state.log.segment.bytes"),
		StateLogLoadBufferSize:              v.i32("transaction.state.log.load.buffer.size"),
		TransactionalIDExpirationMs:         v.i32("transactional.id.expiration.ms"),
		MaxTimeoutMs:                        v.i32("transaction.max.timeout.ms"),
		AbortTimedOutCleanupIntervalMs:      v.i32("transaction.abort.timed.out.transaction.cleanup.interval.ms"),
		RemoveExpiredCleanupIntervalMs:      v.i32("transaction.remove.expired.transaction.cleanup.interval.ms"),
		ProducerIDExpirationMs:              v.i32("producer.id.expiration.ms"),
		ProducerIDExpirationCheckIntervalMs: v.i32("producer.id.expiration.check.interval.ms"),
		ShareStateTopicReplicationFactor:    v.i16("share.coordinator.state.topic.replication.factor"),
		ShareStateTopicMinISR:               v.i16("share.coordinator.state.topic.min.isr"),
	}
}

func (b *Broker) fillReplica(v values) {
	b.Replica = BrokerReplica{
		FetchMaxBytes:                     v.i32("replica.fetch.max.bytes"),
		FetchResponseMaxBytes:             v.i32("replica.fetch.response.max.bytes"),
		FetchWaitMaxMs:                    v.i32("replica.fetch.wait.max.ms"),
		FetchMinBytes:                     v.i32("replica.fetch.min.bytes"),
		FetchBackoffMs:                    v.i32("replica.fetch.backoff.ms"),
		LagTimeMaxMs:                      v.i64("replica.lag.time.max.ms"),
		SocketTimeoutMs:                   v.i32("replica.socket.timeout.ms"),
		HighWatermarkCheckpointIntervalMs: v.i64("replica.high.watermark.checkpoint.interval.ms"),
		NumFetchers:                       v.i32("num.replica.fetchers"),
	}
}

// resolveNode applies broker.id, Kafka's older name for node.id.
func (b *Broker) resolveNode(v values) error {
	b.NodeID = v.i32("node.id")
	brokerID := v.i32("broker.id")
	if brokerID == -1 {
		return nil
	}
	if _, set := b.Raw["node.id"]; !set {
		b.NodeID = brokerID
		return nil
	}
	if brokerID != b.NodeID {
		return inconsistent("broker.id", b.Raw["broker.id"], "must equal node.id (%d) when both are set", b.NodeID)
	}
	return nil
}

// resolveDirs picks log.dirs over log.dir, and the metadata log directory.
func (b *Broker) resolveDirs(v values) error {
	b.LogDirs = v.list("log.dir")
	if dirs := v.list("log.dirs"); dirs != nil {
		b.LogDirs = dirs
	}
	b.MetadataLogDir = b.LogDirs[0]
	if dir := v.str("metadata.log.dir"); v["metadata.log.dir"] != nil {
		if dir == "" {
			return inconsistent("metadata.log.dir", dir, "must not be empty")
		}
		b.MetadataLogDir = dir
	}
	return nil
}

// checkCross checks constraints that span keys.
func (b *Broker) checkCross(v values) error {
	for _, pair := range [][2]string{
		{"log.cleaner.min.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms"},
		{"group.min.session.timeout.ms", "group.max.session.timeout.ms"},
		{"group.consumer.min.session.timeout.ms", "group.consumer.max.session.timeout.ms"},
		{"group.consumer.min.heartbeat.interval.ms", "group.consumer.max.heartbeat.interval.ms"},
		{"group.consumer.min.session.timeout.ms", "group.consumer.session.timeout.ms"},
		{"group.consumer.session.timeout.ms", "group.consumer.max.session.timeout.ms"},
		{"group.consumer.min.heartbeat.interval.ms", "group.consumer.heartbeat.interval.ms"},
		{"group.consumer.heartbeat.interval.ms", "group.consumer.max.heartbeat.interval.ms"},
	} {
		lo, _ := asInt64(v[pair[0]])
		hi, _ := asInt64(v[pair[1]])
		if lo > hi {
			return inconsistent(pair[0], formatValue(v[pair[0]]), "must not exceed %s (%d)", pair[1], hi)
		}
	}
	if ps := v.list("group.coordinator.rebalance.protocols"); !slices.Contains(ps, "classic") {
		return inconsistent("group.coordinator.rebalance.protocols", strings.Join(ps, ","), "disabling the 'classic' protocol is not supported")
	}
	if hb, st := v.i32("group.consumer.heartbeat.interval.ms"), v.i32("group.consumer.session.timeout.ms"); hb >= st {
		return inconsistent("group.consumer.heartbeat.interval.ms", formatValue(v["group.consumer.heartbeat.interval.ms"]),
			"must be less than group.consumer.session.timeout.ms (%d)", st)
	}
	return nil
}

// HasRole reports whether process.roles includes role.
func (b *Broker) HasRole(role string) bool { return slices.Contains(b.ProcessRoles, role) }
