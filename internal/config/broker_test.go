package config

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func mustBroker(t *testing.T, props map[string]string) *Broker {
	t.Helper()
	b, err := ParseBroker(props)
	if err != nil {
		t.Fatalf("ParseBroker(%v): %v", props, err)
	}
	return b
}

func TestParseBrokerDefaults(t *testing.T) {
	b := mustBroker(t, nil)
	checks := []struct {
		name      string
		got, want any
	}{
		{"NodeID", b.NodeID, int32(1)},
		{"ProcessRoles", b.ProcessRoles, []string{"broker", "controller"}},
		{"Listeners", b.Listeners, []Listener{{Name: "PLAINTEXT", Protocol: "PLAINTEXT", Host: "", Port: 9092}}},
		{"AdvertisedListeners", b.AdvertisedListeners, []Listener{{Name: "PLAINTEXT", Protocol: "PLAINTEXT", Host: "localhost", Port: 9092}}},
		{"InterBrokerListenerName", b.InterBrokerListenerName, "PLAINTEXT"},
		{"LogDirs", b.LogDirs, []string{"./vltava-data"}},
		{"MetadataLogDir", b.MetadataLogDir, "./vltava-data"},
		{"NumPartitions", b.NumPartitions, int32(1)},
		{"DefaultReplicationFactor", b.DefaultReplicationFactor, int16(1)},
		{"AutoCreateTopics", b.AutoCreateTopics, true},
		{"DeleteTopicEnable", b.DeleteTopicEnable, true},
		{"MessageMaxBytes", b.MessageMaxBytes, int32(1048588)},
		{"SocketRequestMaxBytes", b.SocketRequestMaxBytes, int32(104857600)},
		{"FetchMaxBytes", b.FetchMaxBytes, int32(57671680)},
		{"MinInsyncReplicas", b.MinInsyncReplicas, int32(1)},
		{"CompressionType", b.CompressionType, "producer"},
		{"Log.SegmentBytes", b.Log.SegmentBytes, int32(1073741824)},
		{"Log.RollMs", b.Log.RollMs, int64(604800000)},
		{"Log.RetentionMs", b.Log.RetentionMs, int64(604800000)},
		{"Log.RetentionBytes", b.Log.RetentionBytes, int64(-1)},
		{"Log.RetentionCheckIntervalMs", b.Log.RetentionCheckIntervalMs, int64(300000)},
		{"Log.IndexSizeMaxBytes", b.Log.IndexSizeMaxBytes, int32(10485760)},
		{"Log.IndexIntervalBytes", b.Log.IndexIntervalBytes, int32(4096)},
		{"Log.FlushIntervalMessages", b.Log.FlushIntervalMessages, int64(9223372036854775807)},
		{"Log.FlushIntervalMs", b.Log.FlushIntervalMs, int64(9223372036854775807)},
		{"Log.MessageTimestampType", b.Log.MessageTimestampType, "CreateTime"},
		{"Log.MessageTimestampBeforeMaxMs", b.Log.MessageTimestampBeforeMaxMs, int64(9223372036854775807)},
		{"Log.MessageTimestampAfterMaxMs", b.Log.MessageTimestampAfterMaxMs, int64(3600000)},
		{"Log.CleanupPolicy", b.Log.CleanupPolicy, []string{"delete"}},
		{"Cleaner.Enable", b.Cleaner.Enable, true},
		{"Cleaner.DedupeBufferSize", b.Cleaner.DedupeBufferSize, int64(134217728)},
		{"Cleaner.IOMaxBytesPerSecond", b.Cleaner.IOMaxBytesPerSecond, 1.7976931348623157e308},
		{"Cleaner.MinCleanableRatio", b.Cleaner.MinCleanableRatio, 0.5},
		{"Cleaner.MaxCompactionLagMs", b.Cleaner.MaxCompactionLagMs, int64(9223372036854775807)},
		{"Group.InitialRebalanceDelayMs", b.Group.InitialRebalanceDelayMs, int32(3000)},
		{"Group.OffsetsTopicNumPartitions", b.Group.OffsetsTopicNumPartitions, int32(50)},
		{"Group.OffsetsTopicReplicationFactor", b.Group.OffsetsTopicReplicationFactor, int16(3)},
		{"Group.OffsetsRetentionMinutes", b.Group.OffsetsRetentionMinutes, int32(10080)},
		{"Txn.ProducerIDExpirationMs", b.Txn.ProducerIDExpirationMs, int32(86400000)},
		{"Txn.ProducerIDExpirationCheckIntervalMs", b.Txn.ProducerIDExpirationCheckIntervalMs, int32(600000)},
		{"Replica.LagTimeMaxMs", b.Replica.LagTimeMaxMs, int64(30000)},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if len(b.Raw) != 0 {
		t.Errorf("Raw = %v, want empty", b.Raw)
	}
}

// Kafka 4.x defaults, as DescribeConfigs renders them.
var kafkaBrokerDefaults = map[string]string{
	"listeners":                                "PLAINTEXT://:9092",
	"listener.security.protocol.map":           "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT",
	"num.partitions":                           "1",
	"default.replication.factor":               "1",
	"auto.create.topics.enable":                "true",
	"delete.topic.enable":                      "true",
	"log.segment.bytes":                        "1073741824",
	"log.roll.hours":                           "168",
	"log.retention.hours":                      "168",
	"log.retention.bytes":                      "-1",
	"log.retention.check.interval.ms":          "300000",
	"log.index.size.max.bytes":                 "10485760",
	"log.index.interval.bytes":                 "4096",
	"message.max.bytes":                        "1048588",
	"socket.request.max.bytes":                 "104857600",
	"log.flush.interval.messages":              "9223372036854775807",
	"log.flush.scheduler.interval.ms":          "9223372036854775807",
	"log.message.timestamp.type":               "CreateTime",
	"log.message.timestamp.before.max.ms":      "9223372036854775807",
	"log.message.timestamp.after.max.ms":       "3600000",
	"log.cleanup.policy":                       "delete",
	"log.cleaner.enable":                       "true",
	"log.cleaner.threads":                      "1",
	"log.cleaner.dedupe.buffer.size":           "134217728",
	"log.cleaner.io.max.bytes.per.second":      "1.7976931348623157E308",
	"log.cleaner.io.buffer.load.factor":        "0.9",
	"log.cleaner.backoff.ms":                   "15000",
	"log.cleaner.min.cleanable.ratio":          "0.5",
	"log.cleaner.delete.retention.ms":          "86400000",
	"log.cleaner.min.compaction.lag.ms":        "0",
	"log.cleaner.max.compaction.lag.ms":        "9223372036854775807",
	"min.insync.replicas":                      "1",
	"compression.type":                         "producer",
	"num.network.threads":                      "3",
	"num.io.threads":                           "8",
	"offsets.topic.num.partitions":             "50",
	"offsets.topic.replication.factor":         "3",
	"offsets.retention.minutes":                "10080",
	"group.initial.rebalance.delay.ms":         "3000",
	"group.min.session.timeout.ms":             "6000",
	"group.max.session.timeout.ms":             "1800000",
	"group.max.size":                           "2147483647",
	"transaction.state.log.num.partitions":     "50",
	"transaction.state.log.replication.factor": "3",
	"transaction.state.log.min.isr":            "2",
	"transactional.id.expiration.ms":           "604800000",
	"producer.id.expiration.ms":                "86400000",
	"fetch.max.bytes":                          "57671680",
	"replica.fetch.max.bytes":                  "1048576",
	"replica.lag.time.max.ms":                  "30000",
	"num.recovery.threads.per.data.dir":        "2",
	"controller.quorum.voters":                 "",
	"controller.quorum.bootstrap.servers":      "",
	"security.inter.broker.protocol":           "PLAINTEXT",
}

// Keys whose default is null in Kafka.
var kafkaNullBrokerDefaults = []string{
	"advertised.listeners", "controller.listener.names", "inter.broker.listener.name", "log.dirs",
	"log.roll.ms", "log.retention.ms", "log.retention.minutes", "log.flush.interval.ms", "metadata.log.dir",
}

func TestBrokerDefaultsMatchKafka(t *testing.T) {
	for name, want := range kafkaBrokerDefaults {
		d, ok := BrokerDefs().Lookup(name)
		if !ok {
			t.Errorf("%s: not defined", name)
			continue
		}
		if got, nonNull := d.defaultString(); !nonNull || got != want {
			t.Errorf("%s default = %q (non-null %v), want %q", name, got, nonNull, want)
		}
	}
	for _, name := range kafkaNullBrokerDefaults {
		if d, ok := BrokerDefs().Lookup(name); !ok || !d.NullDefault {
			t.Errorf("%s: defined %v, want a null default", name, ok)
		}
	}
}

func TestBrokerDefsAreConsistent(t *testing.T) {
	all := BrokerDefs().All()
	if !slices.IsSortedFunc(all, func(a, b Def) int { return strings.Compare(a.Name, b.Name) }) {
		t.Fatal("All() is not sorted by name")
	}
	for _, d := range all {
		if d.Doc == "" || d.Validate == nil {
			t.Errorf("%s: missing Doc or Validate", d.Name)
		}
		if !d.NullDefault {
			if err := d.Validate(d.Default); err != nil {
				t.Errorf("%s: default %q is invalid: %v", d.Name, d.Default, err)
			}
		}
		if d.TopicName != "" {
			if _, ok := TopicDefs().Lookup(d.TopicName); !ok {
				t.Errorf("%s: topic config %s is not defined", d.Name, d.TopicName)
			}
		}
	}
	all[0].Name = "changed"
	if BrokerDefs().All()[0].Name == "changed" {
		t.Fatal("All() exposes the registry")
	}
	if _, ok := BrokerDefs().Lookup("no.such.key"); ok {
		t.Fatal("Lookup found an unknown key")
	}
}

func TestParseBrokerBadValues(t *testing.T) {
	tests := []struct{ key, value, want string }{
		{"num.partitions", "abc", `invalid value "abc" for configuration "num.partitions": not an integer`},
		{"num.partitions", "0", `invalid value "0" for configuration "num.partitions": must be at least 1`},
		{"num.partitions", "2147483648", `invalid value "2147483648" for configuration "num.partitions": out of range for a 32-bit integer`},
		{"node.id", "1.5", `invalid value "1.5" for configuration "node.id": not an integer`},
		{"log.retention.ms", "7d", `invalid value "7d" for configuration "log.retention.ms": not an integer`},
		{"log.flush.interval.messages", "9223372036854775808", `invalid value "9223372036854775808" for configuration "log.flush.interval.messages": out of range for a 64-bit integer`},
		{"log.flush.interval.messages", "0", `invalid value "0" for configuration "log.flush.interval.messages": must be at least 1`},
		{"offsets.topic.replication.factor", "40000", `invalid value "40000" for configuration "offsets.topic.replication.factor": out of range for a 16-bit integer`},
		{"default.replication.factor", "40000", `invalid value "40000" for configuration "default.replication.factor": must be no more than 32767`},
		{"auto.create.topics.enable", "yes", `invalid value "yes" for configuration "auto.create.topics.enable": expected true or false`},
		{"log.cleaner.min.cleanable.ratio", "half", `invalid value "half" for configuration "log.cleaner.min.cleanable.ratio": not a number`},
		{"log.cleaner.min.cleanable.ratio", "1.5", `invalid value "1.5" for configuration "log.cleaner.min.cleanable.ratio": must be no more than 1`},
		{"log.cleaner.io.buffer.load.factor", "NaN", `invalid value "NaN" for configuration "log.cleaner.io.buffer.load.factor": not a number`},
		{"log.segment.bytes", "1048575", `invalid value "1048575" for configuration "log.segment.bytes": must be at least 1048576`},
		{"compression.type", "brotli", `invalid value "brotli" for configuration "compression.type": must be one of: uncompressed, zstd, lz4, snappy, gzip, producer`},
		{"compression.gzip.level", "0", `invalid value "0" for configuration "compression.gzip.level": must be between 1 and 9, or -1`},
		{"log.message.timestamp.type", "createtime", `invalid value "createtime" for configuration "log.message.timestamp.type": must be one of: CreateTime, LogAppendTime`},
		{"log.cleanup.policy", "delete,archive", `invalid value "delete,archive" for configuration "log.cleanup.policy": must be a list of: compact, delete`},
		{"process.roles", "broker,broker", `invalid value "broker,broker" for configuration "process.roles": must not contain "broker" twice`},
		{"process.roles", "", `invalid value "" for configuration "process.roles": must name broker, controller or both`},
		{"log.dirs", "/a,,/b", `invalid value "/a,,/b" for configuration "log.dirs": must not contain empty elements`},
		{"listeners", "PLAINTEXT:9092", `invalid value "PLAINTEXT:9092" for configuration "listeners": "PLAINTEXT:9092" is not of the form NAME://host:port`},
		{"listeners", "PLAINTEXT://:99999", `invalid value "PLAINTEXT://:99999" for configuration "listeners": "PLAINTEXT://:99999" has an invalid port "99999"`},
		{"listeners", "A://:1,a://:2", `invalid value "A://:1,a://:2" for configuration "listeners": listener name A is used twice`},
		{"listener.security.protocol.map", "PLAINTEXT:TLS", `invalid value "PLAINTEXT:TLS" for configuration "listener.security.protocol.map": "PLAINTEXT:TLS" names an unknown security protocol "TLS"`},
		{"controller.quorum.voters", "1@localhost", `invalid value "1@localhost" for configuration "controller.quorum.voters": "1@localhost" is not of the form id@host:port`},
		{"controller.quorum.bootstrap.servers", "localhost", `invalid value "localhost" for configuration "controller.quorum.bootstrap.servers": "localhost" is not of the form host:port`},
		{"vltava.admin.listener", "localhost", `invalid value "localhost" for configuration "vltava.admin.listener": "localhost" is not of the form host:port`},
	}
	for _, tt := range tests {
		_, err := ParseBroker(map[string]string{tt.key: tt.value})
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Key != tt.key || err.Error() != tt.want {
			t.Errorf("%s=%q: error %v, want %q", tt.key, tt.value, err, tt.want)
		}
	}
}

func TestParseBrokerUnknownKey(t *testing.T) {
	_, err := ParseBroker(map[string]string{"num.partitions": "3", "log.retention.days": "7"})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Key != "log.retention.days" || err.Error() != `unknown configuration key "log.retention.days"` {
		t.Fatalf("error = %v", err)
	}
}

func TestParseBrokerNormalisesValues(t *testing.T) {
	b := mustBroker(t, map[string]string{
		"num.partitions": " +3 ", "auto.create.topics.enable": "FALSE", "log.dirs": " /a , /b ", "compression.type": " lz4 ",
	})
	if b.NumPartitions != 3 || b.AutoCreateTopics || !slices.Equal(b.LogDirs, []string{"/a", "/b"}) || b.CompressionType != "lz4" {
		t.Fatalf("got %d %v %q %q", b.NumPartitions, b.AutoCreateTopics, b.LogDirs, b.CompressionType)
	}
	if b.Raw["num.partitions"] != " +3 " {
		t.Fatalf("Raw[num.partitions] = %q, want the value as given", b.Raw["num.partitions"])
	}
}

func TestRetentionPrecedence(t *testing.T) {
	tests := []struct {
		props map[string]string
		want  int64
	}{
		{nil, 168 * msPerHour},
		{map[string]string{"log.retention.hours": "1"}, msPerHour},
		{map[string]string{"log.retention.hours": "1", "log.retention.minutes": "5"}, 5 * msPerMinute},
		{map[string]string{"log.retention.hours": "1", "log.retention.minutes": "5", "log.retention.ms": "1234"}, 1234},
		{map[string]string{"log.retention.ms": "1234", "log.retention.hours": "1"}, 1234},
		{map[string]string{"log.retention.ms": "-1"}, -1},
		{map[string]string{"log.retention.ms": "-5"}, -1},
		{map[string]string{"log.retention.hours": "-2"}, -1},
		{map[string]string{"log.retention.minutes": "-1", "log.retention.hours": "3"}, -1},
	}
	for _, tt := range tests {
		b := mustBroker(t, tt.props)
		if b.Log.RetentionMs != tt.want {
			t.Errorf("%v: RetentionMs = %d, want %d", tt.props, b.Log.RetentionMs, tt.want)
		}
		if got, want := b.TopicDefaults(Dynamic{})["retention.ms"], formatValue(tt.want); got != want {
			t.Errorf("%v: TopicDefaults()[retention.ms] = %s, want %s", tt.props, got, want)
		}
	}
}

func TestRollAndFlushSynonyms(t *testing.T) {
	b := mustBroker(t, map[string]string{"log.roll.hours": "2", "log.roll.jitter.hours": "1", "log.flush.scheduler.interval.ms": "3000"})
	if b.Log.RollMs != 2*msPerHour || b.Log.RollJitterMs != msPerHour || b.Log.FlushIntervalMs != 3000 {
		t.Fatalf("RollMs %d, RollJitterMs %d, FlushIntervalMs %d", b.Log.RollMs, b.Log.RollJitterMs, b.Log.FlushIntervalMs)
	}
	b = mustBroker(t, map[string]string{"log.roll.hours": "2", "log.roll.ms": "500", "log.flush.interval.ms": "10", "log.flush.scheduler.interval.ms": "3000"})
	if b.Log.RollMs != 500 || b.Log.FlushIntervalMs != 10 || b.Log.FlushSchedulerIntervalMs != 3000 {
		t.Fatalf("RollMs %d, FlushIntervalMs %d, FlushSchedulerIntervalMs %d", b.Log.RollMs, b.Log.FlushIntervalMs, b.Log.FlushSchedulerIntervalMs)
	}
	d := b.TopicDefaults(Dynamic{})
	if d["segment.ms"] != "500" || d["flush.ms"] != "10" {
		t.Fatalf("segment.ms %s, flush.ms %s", d["segment.ms"], d["flush.ms"])
	}
}

func TestTopicDefaultsFromBroker(t *testing.T) {
	b := mustBroker(t, map[string]string{
		"log.segment.bytes": "2097152", "message.max.bytes": "2000000", "log.flush.interval.messages": "1",
		"log.cleanup.policy": "compact, delete", "log.cleaner.min.cleanable.ratio": "0.25", "compression.type": "zstd",
		"log.index.size.max.bytes": "4096", "log.message.timestamp.type": "LogAppendTime", "min.insync.replicas": "2",
	})
	want := map[string]string{
		"segment.bytes": "2097152", "max.message.bytes": "2000000", "flush.messages": "1", "cleanup.policy": "compact,delete",
		"min.cleanable.dirty.ratio": "0.25", "compression.type": "zstd", "segment.index.bytes": "4096",
		"message.timestamp.type": "LogAppendTime", "min.insync.replicas": "2",
		"retention.ms": "604800000", "remote.storage.enable": "false", "segment.jitter.ms": "0",
	}
	got := b.TopicDefaults(Dynamic{})
	for k, v := range want {
		if got[k] != v {
			t.Errorf("TopicDefaults()[%s] = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(TopicDefs().All()) {
		t.Errorf("TopicDefaults has %d keys, want %d", len(got), len(TopicDefs().All()))
	}
}

func TestListeners(t *testing.T) {
	b := mustBroker(t, map[string]string{
		"listeners":                      "plaintext://127.0.0.1:0,CONTROLLER://[::1]:9093,INTERNAL://0.0.0.0:9094",
		"listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT",
		"controller.listener.names":      "controller",
		"inter.broker.listener.name":     "internal",
	})
	wantBound := []Listener{
		{Name: "PLAINTEXT", Protocol: "PLAINTEXT", Host: "127.0.0.1", Port: 0},
		{Name: "CONTROLLER", Protocol: "PLAINTEXT", Host: "::1", Port: 9093},
		{Name: "INTERNAL", Protocol: "PLAINTEXT", Host: "0.0.0.0", Port: 9094},
	}
	wantAdv := []Listener{
		{Name: "PLAINTEXT", Protocol: "PLAINTEXT", Host: "127.0.0.1", Port: 0},
		{Name: "INTERNAL", Protocol: "PLAINTEXT", Host: "localhost", Port: 9094},
	}
	if !reflect.DeepEqual(b.Listeners, wantBound) || !reflect.DeepEqual(b.AdvertisedListeners, wantAdv) {
		t.Fatalf("Listeners %v, advertised %v", b.Listeners, b.AdvertisedListeners)
	}
	if b.InterBrokerListenerName != "INTERNAL" || !slices.Equal(b.ControllerListenerNames, []string{"CONTROLLER"}) {
		t.Fatalf("inter-broker %q, controller %q", b.InterBrokerListenerName, b.ControllerListenerNames)
	}
	if got := b.Listeners[1].String(); got != "CONTROLLER://[::1]:9093" {
		t.Fatalf("String() = %q", got)
	}
	if got := b.Listeners[0].Address(); got != "127.0.0.1:0" {
		t.Fatalf("Address() = %q", got)
	}
}

func TestAdvertisedListeners(t *testing.T) {
	b := mustBroker(t, map[string]string{
		"listeners":                 "PLAINTEXT://:9092,CONTROLLER://:9093",
		"advertised.listeners":      "PLAINTEXT://broker1.example:19092,CONTROLLER://localhost:9093",
		"controller.listener.names": "CONTROLLER",
	})
	want := []Listener{{Name: "PLAINTEXT", Protocol: "PLAINTEXT", Host: "broker1.example", Port: 19092}}
	if !reflect.DeepEqual(b.AdvertisedListeners, want) {
		t.Fatalf("advertised %v, want %v", b.AdvertisedListeners, want)
	}
	if b.SecurityProtocolMap["CONTROLLER"] != "PLAINTEXT" {
		t.Fatalf("CONTROLLER maps to %q under the default map", b.SecurityProtocolMap["CONTROLLER"])
	}
}

func TestListenerErrors(t *testing.T) {
	tests := []struct {
		props   map[string]string
		key     string
		message string
	}{
		{map[string]string{"listeners": ""}, "listeners", `invalid value "" for configuration "listeners": must name at least one listener`},
		{map[string]string{"listeners": "CLIENT://:9092"}, "listeners",
			`invalid value "CLIENT://:9092" for configuration "listeners": listener name CLIENT is not in listener.security.protocol.map`},
		{map[string]string{"listeners": "PLAINTEXT://:9092,SSL://:9093"}, "listeners",
			`invalid value "PLAINTEXT://:9092,SSL://:9093" for configuration "listeners": listener SSL uses security protocol SSL: not supported yet (Vltava serves PLAINTEXT only)`},
		{map[string]string{"listeners": "PLAINTEXT://:9092,OTHER://127.0.0.1:9092", "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT"}, "listeners",
			`invalid value "PLAINTEXT://:9092,OTHER://127.0.0.1:9092" for configuration "listeners": listeners PLAINTEXT and OTHER use the same port`},
		{map[string]string{"advertised.listeners": "PLAINTEXT://0.0.0.0:9092"}, "advertised.listeners",
			`invalid value "PLAINTEXT://0.0.0.0:9092" for configuration "advertised.listeners": cannot advertise the non-routable address 0.0.0.0`},
		{map[string]string{"advertised.listeners": "EXTERNAL://a:1", "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT"}, "advertised.listeners",
			`invalid value "EXTERNAL://a:1" for configuration "advertised.listeners": listener name EXTERNAL is not in listeners`},
		{map[string]string{"listeners": "CLIENT://:9092", "listener.security.protocol.map": "CLIENT:PLAINTEXT"}, "security.inter.broker.protocol",
			`invalid value "PLAINTEXT" for configuration "security.inter.broker.protocol": no advertised listener (from advertised.listeners or listeners) has the name PLAINTEXT`},
		{map[string]string{"inter.broker.listener.name": "PLAINTEXT", "security.inter.broker.protocol": "PLAINTEXT"}, "inter.broker.listener.name",
			`invalid value "PLAINTEXT" for configuration "inter.broker.listener.name": only one of inter.broker.listener.name and security.inter.broker.protocol may be set`},
		{map[string]string{"controller.listener.names": "CONTROLLER"}, "controller.listener.names",
			`invalid value "CONTROLLER" for configuration "controller.listener.names": no listener in listeners has one of these names`},
	}
	for _, tt := range tests {
		_, err := ParseBroker(tt.props)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Key != tt.key || err.Error() != tt.message {
			t.Errorf("%v: error %v, want %s: %s", tt.props, err, tt.key, tt.message)
		}
	}
}

func TestNodeIDAndDirs(t *testing.T) {
	b := mustBroker(t, map[string]string{"broker.id": "7", "log.dir": "/var/vltava"})
	if b.NodeID != 7 || !slices.Equal(b.LogDirs, []string{"/var/vltava"}) || b.MetadataLogDir != "/var/vltava" {
		t.Fatalf("NodeID %d, LogDirs %q, MetadataLogDir %q", b.NodeID, b.LogDirs, b.MetadataLogDir)
	}
	b = mustBroker(t, map[string]string{"node.id": "3", "broker.id": "3", "log.dir": "/x", "log.dirs": "/d1,/d2", "metadata.log.dir": "/meta"})
	if b.NodeID != 3 || !slices.Equal(b.LogDirs, []string{"/d1", "/d2"}) || b.MetadataLogDir != "/meta" {
		t.Fatalf("NodeID %d, LogDirs %q, MetadataLogDir %q", b.NodeID, b.LogDirs, b.MetadataLogDir)
	}
	_, err := ParseBroker(map[string]string{"node.id": "3", "broker.id": "4"})
	if err == nil || err.Error() != `invalid value "4" for configuration "broker.id": must equal node.id (3) when both are set` {
		t.Fatalf("error = %v", err)
	}
	_, err = ParseBroker(map[string]string{"metadata.log.dir": " "})
	if err == nil || err.Error() != `invalid value "" for configuration "metadata.log.dir": must not be empty` {
		t.Fatalf("error = %v", err)
	}
}

func TestBrokerCrossChecks(t *testing.T) {
	if b, err := ParseBroker(map[string]string{"group.coordinator.rebalance.protocols": "classic"}); err != nil || !slices.Equal(b.Group.RebalanceProtocols, []string{"classic"}) {
		t.Fatalf("classic only: %v, %v", err, b)
	}
	_, err := ParseBroker(map[string]string{"log.cleaner.min.compaction.lag.ms": "100", "log.cleaner.max.compaction.lag.ms": "50"})
	if err == nil || err.Error() != `invalid value "100" for configuration "log.cleaner.min.compaction.lag.ms": must not exceed log.cleaner.max.compaction.lag.ms (50)` {
		t.Fatalf("error = %v", err)
	}
	for _, tc := range []struct {
		props map[string]string
		err   string
	}{
		{map[string]string{"group.max.session.timeout.ms": "5000"},
			`invalid value "6000" for configuration "group.min.session.timeout.ms": must not exceed group.max.session.timeout.ms (5000)`},
		{map[string]string{"group.consumer.heartbeat.interval.ms": "200"},
			`invalid value "5000" for configuration "group.consumer.min.heartbeat.interval.ms": must not exceed group.consumer.heartbeat.interval.ms (200)`},
		{map[string]string{"group.consumer.session.timeout.ms": "90000"},
			`invalid value "90000" for configuration "group.consumer.session.timeout.ms": must not exceed group.consumer.max.session.timeout.ms (60000)`},
		{map[string]string{"group.consumer.max.heartbeat.interval.ms": "4000"},
			`invalid value "5000" for configuration "group.consumer.min.heartbeat.interval.ms": must not exceed group.consumer.max.heartbeat.interval.ms (4000)`},
		{map[string]string{"group.consumer.min.session.timeout.ms": "1000", "group.consumer.session.timeout.ms": "3000",
			"group.consumer.min.heartbeat.interval.ms": "1000", "group.consumer.heartbeat.interval.ms": "3000"},
			`invalid value "3000" for configuration "group.consumer.heartbeat.interval.ms": must be less than group.consumer.session.timeout.ms (3000)`},
		{map[string]string{"group.coordinator.rebalance.protocols": "consumer"},
			`invalid value "consumer" for configuration "group.coordinator.rebalance.protocols": disabling the 'classic' protocol is not supported`},
	} {
		if _, err := ParseBroker(tc.props); err == nil || err.Error() != tc.err {
			t.Errorf("%v: error = %v, want %s", tc.props, err, tc.err)
		}
	}
}

// kafkaServerProperties is Apache Kafka 4.0's config/server.properties,
// comments shortened.
const kafkaServerProperties = `
############################# Server Basics #############################
# The role of this server. Setting this puts us in KRaft mode
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=localhost:9093

############################# Socket Server Settings #############################
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
inter.broker.listener.name=PLAINTEXT
advertised.listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600

############################# Log Basics #############################
log.dirs=/tmp/kraft-combined-logs
num.partitions=1
num.recovery.threads.per.data.dir=1

############################# Internal Topic Settings  #############################
offsets.topic.replication.factor=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1

############################# Log Retention Policy #############################
log.retention.hours=168
#log.retention.bytes=1073741824
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000
`

func TestKafkaServerProperties(t *testing.T) {
	props, err := ParseProperties(strings.NewReader(kafkaServerProperties))
	if err != nil {
		t.Fatal(err)
	}
	b := mustBroker(t, props)
	want := []Listener{{Name: "PLAINTEXT", Protocol: "PLAINTEXT", Host: "localhost", Port: 9092}}
	if !reflect.DeepEqual(b.AdvertisedListeners, want) || len(b.Listeners) != 2 {
		t.Fatalf("advertised %v, listeners %v", b.AdvertisedListeners, b.Listeners)
	}
	if b.Group.OffsetsTopicReplicationFactor != 1 || b.Txn.StateLogMinISR != 1 || b.Log.RetentionMs != 604800000 ||
		!slices.Equal(b.LogDirs, []string{"/tmp/kraft-combined-logs"}) || b.InterBrokerListenerName != "PLAINTEXT" {
		t.Fatalf("unexpected broker %+v", b)
	}
}

func TestFormatDouble(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0.0"}, {0.5, "0.5"}, {1, "1.0"}, {0.001, "0.001"}, {0.0001, "1.0E-4"}, {1234567, "1234567.0"},
		{1e7, "1.0E7"}, {-2.5e-5, "-2.5E-5"}, {1.7976931348623157e308, "1.7976931348623157E308"},
	}
	for _, tt := range tests {
		if got := formatDouble(tt.f); got != tt.want {
			t.Errorf("formatDouble(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestTypes(t *testing.T) {
	tests := []struct {
		t    Type
		name string
		kt   kmsg.ConfigType
	}{
		{Boolean, "BOOLEAN", kmsg.ConfigTypeBoolean}, {Int, "INT", kmsg.ConfigTypeInt}, {Long, "LONG", kmsg.ConfigTypeLong},
		{Double, "DOUBLE", kmsg.ConfigTypeDouble}, {String, "STRING", kmsg.ConfigTypeString}, {List, "LIST", kmsg.ConfigTypeList},
		{Password, "PASSWORD", kmsg.ConfigTypePassword}, {Short, "SHORT", kmsg.ConfigTypeShort}, {Type(0), "UNKNOWN", kmsg.ConfigTypeUnknown},
	}
	for _, tt := range tests {
		if tt.t.String() != tt.name || tt.t.ConfigType() != tt.kt {
			t.Errorf("Type %d: %s %v, want %s %v", tt.t, tt.t.String(), tt.t.ConfigType(), tt.name, tt.kt)
		}
	}
}

func TestControllerOnlyAndQuorum(t *testing.T) {
	b := mustBroker(t, map[string]string{
		"process.roles": "controller", "listeners": "CONTROLLER://:9093", "controller.listener.names": "CONTROLLER",
		"controller.quorum.voters": "1@localhost:9093, 2@[::1]:9094", "controller.quorum.bootstrap.servers": "localhost:9093",
		"vltava.admin.listener": ":8080",
	})
	if b.HasRole("broker") || !b.HasRole("controller") || len(b.AdvertisedListeners) != 0 {
		t.Fatalf("roles %v, advertised %v", b.ProcessRoles, b.AdvertisedListeners)
	}
	if !slices.Equal(b.ControllerQuorumVoters, []string{"1@localhost:9093", "2@[::1]:9094"}) || b.AdminListener != ":8080" {
		t.Fatalf("voters %q, admin %q", b.ControllerQuorumVoters, b.AdminListener)
	}
}
