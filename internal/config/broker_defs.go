package config

// Kafka's renderings of Java's extreme values.
const (
	maxLong   = "9223372036854775807"
	maxInt    = "2147483647"
	maxDouble = "1.7976931348623157E308"
)

// Multipliers from a broker synonym's unit to milliseconds.
const (
	msPerMinute = 60 * 1000
	msPerHour   = 60 * msPerMinute
)

// def is a read-only definition with a default.
func def(name string, t Type, dflt string, check func(any) error, doc string) Def {
	return Def{Name: name, Type: t, Default: dflt, check: check, Doc: doc, ReadOnly: true}
}

// nullDef is a read-only definition whose default is null.
func nullDef(name string, t Type, check func(any) error, doc string) Def {
	d := def(name, t, "", check, doc)
	d.NullDefault = true
	return d
}

// topic marks d as a default of topic config name, scaled by unit.
func (d Def) topic(name string, unit int64) Def {
	d.TopicName, d.unit = name, unit
	return d
}

// dynamic marks d as one that AlterConfigs can change on a running broker:
// Kafka's dynamic broker configs, less those Vltava reads only at start
// (listeners, cleaner threads...), which stay read-only.
func (d Def) dynamic() Def {
	d.ReadOnly = false
	return d
}

// brokerDefs lists the broker configs: Kafka 4.x names, types, defaults and
// validation, except where a Doc says "Vltava".
func brokerDefs() []Def {
	var defs []Def
	for _, group := range [][]Def{kraftDefs(), networkDefs(), topicDefaultDefs(), logDefs(),
		retentionDefs(), cleanerDefs(), groupDefs(), txnDefs(), replicaDefs()} {
		defs = append(defs, group...)
	}
	return defs
}

func kraftDefs() []Def {
	return []Def{
		def("process.roles", List, "broker,controller", processRoles,
			"The roles of this node: broker, controller or both. Vltava defaults to both (a cluster of one); Kafka has no default."),
		def("node.id", Int, "1", atLeast(0),
			"The id of this node in the cluster. Vltava defaults to 1; Kafka requires it (its default, -1, is refused)."),
		def("broker.id", Int, "-1", atLeast(-1),
			"Kafka's older name for node.id: if set, it must equal node.id, and it sets node.id when node.id is not set."),
		nullDef("controller.listener.names", List, nil,
			"Names of the listeners used by the controller. Not required while Vltava's controller runs inside the broker process."),
		def("controller.quorum.voters", List, "", each(checkVoter),
			"The static controller quorum as id@host:port entries."),
		def("controller.quorum.bootstrap.servers", List, "", each(checkHostPort),
			"host:port of controllers to discover the quorum from."),
		def("vltava.admin.listener", String, "localhost:9644", checkOptionalHostPort,
			"Vltava: host:port of the admin HTTP listener (GET /metrics in Prometheus format, /healthz, /v1/partitions); empty disables it. Plain HTTP without authentication: keep it on a loopback or management address."),
		def("log.dir", List, "./vltava-data", nonEmptyUnique,
			"The directory holding the log data, used when log.dirs is not set. Vltava's default is ./vltava-data; Kafka's is /tmp/kafka-logs (and its example server.properties sets log.dirs=/tmp/kraft-combined-logs)."),
		nullDef("log.dirs", List, nonEmptyUnique,
			"Comma-separated directories holding the log data; if not set, log.dir is used."),
		nullDef("metadata.log.dir", String, nil,
			"The directory of the cluster metadata log; if not set, the first log directory. Vltava keeps it in the log directory for now: another value stops the broker."),
	}
}

func networkDefs() []Def {
	return []Def{
		def("listeners", String, "PLAINTEXT://:9092", checkListenerSyntax,
			"Comma-separated NAME://host:port addresses to listen on; an empty host means all interfaces, port 0 a free port."),
		nullDef("advertised.listeners", String, checkListenerSyntax,
			"The NAME://host:port addresses given to clients, if different from listeners. When not set, Vltava advertises listeners with an empty or wildcard host replaced by localhost (Kafka uses the canonical host name)."),
		def("listener.security.protocol.map", String, "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT",
			checkProtocolMapSyntax, "Maps each listener name to its security protocol, as NAME:PROTOCOL pairs. Vltava serves PLAINTEXT only for now."),
		nullDef("inter.broker.listener.name", String, nil,
			"The listener brokers use to talk to each other; if not set, the one named by security.inter.broker.protocol."),
		def("security.inter.broker.protocol", String, "PLAINTEXT", oneOf(securityProtocols...),
			"The security protocol between brokers; only one of this and inter.broker.listener.name may be set."),
		def("num.network.threads", Int, "3", atLeast(1),
			"Kafka's network thread count. Accepted and ignored: Vltava runs a goroutine per connection.").dynamic(),
		def("num.io.threads", Int, "8", atLeast(1),
			"Kafka's request handler thread count. Accepted and ignored: Vltava handles requests on goroutines.").dynamic(),
		def("socket.request.max.bytes", Int, "104857600", atLeast(1),
			"The largest request frame accepted; a larger size prefix closes the connection."),
		def("socket.send.buffer.bytes", Int, "-1", bufferSize,
			"SO_SNDBUF of client sockets; -1 leaves the kernel's default and its autotuning. "+
				"Kafka's default is 102400; Vltava's is -1, which costs less CPU per record and streams large fetches faster."),
		def("socket.receive.buffer.bytes", Int, "-1", bufferSize,
			"SO_RCVBUF of client sockets; -1 leaves the kernel's default and its autotuning. "+
				"Kafka's default is 102400; with it the broker spends about a quarter more CPU per produced record."),
		def("queued.max.requests", Int, "500", atLeast(1),
			"Kafka's bound on requests queued for its handler threads. Accepted and ignored: "+
				"Vltava handles each request on its connection's goroutine, and bounds the requests in flight per connection."),
		def("connections.max.idle.ms", Long, "600000", nil,
			"A connection with no request or response for this long, and none in flight, is closed; -1 never closes one."),
		def("fetch.max.bytes", Int, "57671680", atLeast(1024),
			"The most bytes a fetch response may carry."),
	}
}

func topicDefaultDefs() []Def {
	return []Def{
		def("num.partitions", Int, "1", atLeast(1),
			"Partitions of a topic created without a partition count (auto-created, or -1)."),
		def("default.replication.factor", Int, "1", between(1, 32767),
			"Replication factor of a topic created without one."),
		def("auto.create.topics.enable", Boolean, "true", nil,
			"Create a topic when a client asks for metadata of a topic that does not exist."),
		def("delete.topic.enable", Boolean, "true", nil,
			"Allow deleting topics."),
		def("auto.leader.rebalance.enable", Boolean, "true", nil,
			"Move leadership back to preferred replicas in the background."),
		def("min.insync.replicas", Int, "1", atLeast(1),
			"With acks=all, the fewest in-sync replicas that must have a write.").topic("min.insync.replicas", 1).dynamic(),
		def("unclean.leader.election.enable", Boolean, "false", nil,
			"Allow a replica outside the ISR to become leader, losing data. A single node has no other replica to elect: this takes effect with replication.").topic("unclean.leader.election.enable", 1).dynamic(),
		def("compression.type", String, "producer", oneOf(compressionTypes...),
			"Compression of stored batches; producer keeps what the producer sent.").topic("compression.type", 1).dynamic(),
		def("compression.gzip.level", Int, "-1", gzipLevel,
			"gzip level when compression.type is gzip.").topic("compression.gzip.level", 1).dynamic(),
		def("compression.lz4.level", Int, "9", between(1, 17),
			"lz4 level when compression.type is lz4: 9 is LZ4's fast compressor, any other level its high compressor (pierrec/lz4 levels go to 9).").topic("compression.lz4.level", 1).dynamic(),
		def("compression.zstd.level", Int, "3", between(-131072, 22),
			"zstd level when compression.type is zstd, mapped to klauspost/compress's four speeds (below 3, 3-5, 6-9, 10 and up).").topic("compression.zstd.level", 1).dynamic(),
		def("message.max.bytes", Int, "1048588", atLeast(0),
			"The largest record batch accepted, after compression.").topic("max.message.bytes", 1).dynamic(),
	}
}

func logDefs() []Def {
	return []Def{
		def("log.segment.bytes", Int, "1073741824", atLeast(1048576),
			"The size at which a segment is rolled.").topic("segment.bytes", 1).dynamic(),
		nullDef("log.roll.ms", Long, atLeast(1),
			"The age in ms at which a segment is rolled; if not set, log.roll.hours.").topic("segment.ms", 1).dynamic(),
		def("log.roll.hours", Int, "168", atLeast(1),
			"The age in hours at which a segment is rolled, secondary to log.roll.ms.").topic("segment.ms", msPerHour),
		nullDef("log.roll.jitter.ms", Long, atLeast(0),
			"The most jitter subtracted from the roll age, in ms; if not set, log.roll.jitter.hours.").topic("segment.jitter.ms", 1).dynamic(),
		def("log.roll.jitter.hours", Int, "0", atLeast(0),
			"The most jitter subtracted from the roll age, in hours.").topic("segment.jitter.ms", msPerHour),
		def("log.index.size.max.bytes", Int, "10485760", atLeast(4),
			"The largest size of an offset or time index.").topic("segment.index.bytes", 1).dynamic(),
		def("log.index.interval.bytes", Int, "4096", atLeast(0),
			"Bytes of batches between two offset index entries.").topic("index.interval.bytes", 1).dynamic(),
		def("log.flush.interval.messages", Long, maxLong, atLeast(1),
			"fsync a partition after this many records; 1 syncs every append before it is acknowledged.").topic("flush.messages", 1).dynamic(),
		nullDef("log.flush.interval.ms", Long, atLeast(0),
			"fsync a partition when its oldest unsynced record is this old; if not set, log.flush.scheduler.interval.ms.").topic("flush.ms", 1).dynamic(),
		def("log.flush.scheduler.interval.ms", Long, maxLong, nil,
			"How often the flusher checks for partitions to fsync; the default for log.flush.interval.ms.").topic("flush.ms", 1),
		def("log.flush.offset.checkpoint.interval.ms", Int, "60000", atLeast(0),
			"How often the recovery point of each log is checkpointed. Vltava checkpoints recovery points, log start offsets and high watermarks together, at the shortest of the three intervals."),
		def("log.flush.start.offset.checkpoint.interval.ms", Int, "60000", atLeast(0),
			"How often the log start offset of each log is checkpointed. Vltava checkpoints recovery points, log start offsets and high watermarks together, at the shortest of the three intervals."),
		def("log.segment.delete.delay.ms", Long, "60000", atLeast(0),
			"Kafka waits this long before deleting a removed segment's files, so that reads under way finish. Accepted and ignored: Vltava renames a removed segment away at once and deletes its files when its last reader is done.").topic("file.delete.delay.ms", 1).dynamic(),
		def("log.preallocate", Boolean, "false", nil,
			"Kafka preallocates a new segment's file. Accepted and ignored: on Linux file systems preallocating (fallocate) made appends no cheaper in our benchmarks.").topic("preallocate", 1).dynamic(),
		def("log.message.timestamp.type", String, "CreateTime", oneOf("CreateTime", "LogAppendTime"),
			"Whether stored timestamps are the producer's (CreateTime) or the broker's (LogAppendTime).").topic("message.timestamp.type", 1).dynamic(),
		def("log.message.timestamp.before.max.ms", Long, maxLong, atLeast(0),
			"With CreateTime, reject a batch whose timestamp is further in the past than this.").topic("message.timestamp.before.max.ms", 1).dynamic(),
		def("log.message.timestamp.after.max.ms", Long, "3600000", atLeast(0),
			"With CreateTime, reject a batch whose timestamp is further in the future than this.").topic("message.timestamp.after.max.ms", 1).dynamic(),
		def("num.recovery.threads.per.data.dir", Int, "2", atLeast(1),
			"How many partition logs are opened (and recovered) at once, at startup and when topics are created. Read at start only."),
	}
}

func retentionDefs() []Def {
	return []Def{
		nullDef("log.retention.ms", Long, nil,
			"Delete a segment once its newest record is this old, in ms; -1 (or any negative) keeps forever. If not set, log.retention.minutes.").topic("retention.ms", 1).dynamic(),
		nullDef("log.retention.minutes", Int, nil,
			"Retention in minutes, secondary to log.retention.ms; if not set, log.retention.hours.").topic("retention.ms", msPerMinute),
		def("log.retention.hours", Int, "168", nil,
			"Retention in hours, tertiary to log.retention.ms.").topic("retention.ms", msPerHour),
		def("log.retention.bytes", Long, "-1", nil,
			"Delete old segments while a partition is larger than this; -1 for no limit.").topic("retention.bytes", 1).dynamic(),
		def("log.retention.check.interval.ms", Long, "300000", atLeast(1),
			"How often retention is enforced."),
		def("log.cleanup.policy", List, "delete", listOf("compact", "delete"),
			"delete, compact or both: what happens to segments past retention.").topic("cleanup.policy", 1).dynamic(),
	}
}

func cleanerDefs() []Def {
	return []Def{
		def("log.cleaner.enable", Boolean, "true", nil,
			"Run the log cleaner, which compacts topics with cleanup.policy=compact."),
		def("log.cleaner.threads", Int, "1", atLeast(0), "Log cleaner threads. Vltava reads it at start only."),
		def("log.cleaner.dedupe.buffer.size", Long, "134217728", nil,
			"Memory for deduplicating keys, across all cleaner threads. Vltava reads it at start only."),
		def("log.cleaner.io.buffer.size", Int, "524288", atLeast(0),
			"I/O buffer memory of the cleaner, across all cleaner threads. Vltava reads it at start only."),
		def("log.cleaner.io.buffer.load.factor", Double, "0.9", nil,
			"Load factor of the cleaner's dedupe hash table. Vltava reads it at start only."),
		def("log.cleaner.io.max.bytes.per.second", Double, maxDouble, nil,
			"Throttle of the cleaner's reads and writes. Vltava reads it at start only."),
		def("log.cleaner.backoff.ms", Long, "15000", atLeast(0),
			"Sleep of the cleaner when no log needs cleaning. Vltava reads it at start only."),
		def("log.cleaner.min.cleanable.ratio", Double, "0.5", between(0, 1),
			"Dirty fraction of a log that makes it eligible for cleaning.").topic("min.cleanable.dirty.ratio", 1).dynamic(),
		def("log.cleaner.delete.retention.ms", Long, "86400000", atLeast(0),
			"How long tombstones are kept in compacted topics.").topic("delete.retention.ms", 1).dynamic(),
		def("log.cleaner.min.compaction.lag.ms", Long, "0", atLeast(0),
			"The least age of a record before it may be compacted.").topic("min.compaction.lag.ms", 1).dynamic(),
		def("log.cleaner.max.compaction.lag.ms", Long, maxLong, atLeast(1),
			"The greatest age of a record before it must be compacted.").topic("max.compaction.lag.ms", 1).dynamic(),
	}
}

func groupDefs() []Def {
	return []Def{
		def("group.initial.rebalance.delay.ms", Int, "3000", nil,
			"How long a new classic group waits for more members before its first rebalance."),
		def("group.min.session.timeout.ms", Int, "6000", nil, "The least session timeout a classic group member may ask for."),
		def("group.max.session.timeout.ms", Int, "1800000", nil, "The greatest session timeout a classic group member may ask for."),
		def("group.max.size", Int, maxInt, atLeast(1), "The most members of a classic group."),
		def("group.coordinator.rebalance.protocols", List, "classic,consumer", listOf("classic", "consumer", "share", "streams"),
			"The group protocols the coordinator serves."),
		def("group.consumer.assignors", List, "uniform,range", nil,
			"Server-side assignors of consumer groups (KIP-848); the first is the default."),
		def("group.consumer.session.timeout.ms", Int, "45000", atLeast(1), "Session timeout of consumer group members (KIP-848)."),
		def("group.consumer.min.session.timeout.ms", Int, "45000", atLeast(1), "The least consumer.session.timeout.ms a consumer group may be given."),
		def("group.consumer.max.session.timeout.ms", Int, "60000", atLeast(1), "The greatest consumer.session.timeout.ms a consumer group may be given."),
		def("group.consumer.heartbeat.interval.ms", Int, "5000", atLeast(1), "Heartbeat interval of consumer group members (KIP-848)."),
		def("group.consumer.min.heartbeat.interval.ms", Int, "5000", atLeast(1), "The least consumer.heartbeat.interval.ms a consumer group may be given."),
		def("group.consumer.max.heartbeat.interval.ms", Int, "15000", atLeast(1), "The greatest consumer.heartbeat.interval.ms a consumer group may be given."),
		def("group.consumer.max.size", Int, maxInt, atLeast(1), "The most members of a consumer group (KIP-848)."),
		def("offsets.topic.num.partitions", Int, "50", atLeast(1), "Partitions of __consumer_offsets; fixed once created."),
		def("offsets.topic.replication.factor", Short, "3", atLeast(1),
			"Replication factor of __consumer_offsets. Kafka refuses to create the topic until this many brokers are up; Vltava's coordinator is meant to create it with min(this, live brokers) replicas, so a single node works with the default."),
		def("offsets.topic.segment.bytes", Int, "104857600", atLeast(1), "Segment size of __consumer_offsets."),
		def("offsets.retention.minutes", Int, "10080", atLeast(1), "How long committed offsets of an empty group are kept."),
		def("offsets.retention.check.interval.ms", Long, "600000", atLeast(1), "How often stale offsets are looked for."),
		def("offsets.commit.timeout.ms", Int, "5000", atLeast(1), "How long an offset commit waits for replication."),
		def("offsets.load.buffer.size", Int, "5242880", atLeast(1), "Read size when loading offsets into the cache."),
		def("offset.metadata.max.bytes", Int, "4096", nil, "The largest metadata string of an offset commit."),
	}
}

func txnDefs() []Def {
	return []Def{
		def("transaction.state.log.num.partitions", Int, "50", atLeast(1), "Partitions of __transaction_state."),
		def("transaction.state.log.replication.factor", Short, "3", atLeast(1),
			"Replication factor of __transaction_state; as for offsets.topic.replication.factor, capped by the live brokers in Vltava."),
		def("transaction.state.log.min.isr", Int, "2", atLeast(1), "min.insync.replicas of __transaction_state."),
		def("transaction.state.log.segment.bytes", Int, "104857600", atLeast(1), "Segment size of __transaction_state."),
		def("transaction.state.log.load.buffer.size", Int, "5242880", atLeast(1), "Read size when loading transaction state."),
		def("transactional.id.expiration.ms", Int, "604800000", atLeast(1), "How long an idle transactional id is kept."),
		def("transaction.max.timeout.ms", Int, "900000", atLeast(1), "The greatest transaction timeout a producer may ask for."),
		def("transaction.abort.timed.out.transaction.cleanup.interval.ms", Int, "10000", atLeast(1), "How often timed-out transactions are aborted."),
		def("transaction.remove.expired.transaction.cleanup.interval.ms", Int, "3600000", atLeast(1), "How often expired transactional ids are removed."),
		def("producer.id.expiration.ms", Int, "86400000", atLeast(1),
			"How long a partition keeps the state of an idle producer id (one without an ongoing transaction), counted from the timestamp of its last batch or transaction marker (the batch's maxTimestamp: the producer's clock under CreateTime). After that, its next batch is accepted at any sequence, as an unknown producer's."),
		def("producer.id.expiration.check.interval.ms", Int, "600000", atLeast(1),
			"How often each partition's expired producer ids are removed; an expired producer stays until the next check."),
		def("share.coordinator.state.topic.replication.factor", Short, "3", atLeast(1),
			"Replication factor of __share_group_state. Accepted so that Kafka's example server.properties loads; share groups are not implemented."),
		def("share.coordinator.state.topic.min.isr", Short, "2", atLeast(1),
			"min.insync.replicas of __share_group_state. Accepted and ignored, as above."),
	}
}

func replicaDefs() []Def {
	return []Def{
		def("replica.fetch.max.bytes", Int, "1048576", atLeast(0), "Bytes a follower asks for per partition."),
		def("replica.fetch.response.max.bytes", Int, "10485760", atLeast(0), "Bytes a follower asks for per fetch."),
		def("replica.fetch.wait.max.ms", Int, "500", nil, "How long a follower's fetch waits for data."),
		def("replica.fetch.min.bytes", Int, "1", nil, "Bytes a follower's fetch waits for."),
		def("replica.fetch.backoff.ms", Int, "1000", atLeast(0), "Sleep of a follower after a fetch error."),
		def("replica.lag.time.max.ms", Long, "30000", nil, "A follower that has not caught up for this long leaves the ISR."),
		def("replica.socket.timeout.ms", Int, "30000", nil, "Socket timeout of follower fetches."),
		def("replica.high.watermark.checkpoint.interval.ms", Long, "5000", nil, "How often high watermarks are checkpointed. Vltava checkpoints recovery points, log start offsets and high watermarks together, at the shortest of the three intervals."),
		def("num.replica.fetchers", Int, "1", nil, "Follower fetcher goroutines per source broker. Vltava reads it at start only."),
	}
}
