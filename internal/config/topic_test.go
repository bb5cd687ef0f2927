package config

import (
	"errors"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Kafka 4.x topic config defaults, as DescribeConfigs renders them.
var kafkaTopicDefaults = map[string]string{
	"cleanup.policy":                          "delete",
	"compression.type":                        "producer",
	"compression.gzip.level":                  "-1",
	"compression.lz4.level":                   "9",
	"compression.zstd.level":                  "3",
	"delete.retention.ms":                     "86400000",
	"file.delete.delay.ms":                    "60000",
	"flush.messages":                          "9223372036854775807",
	"flush.ms":                                "9223372036854775807",
	"index.interval.bytes":                    "4096",
	"max.compaction.lag.ms":                   "9223372036854775807",
	"max.message.bytes":                       "1048588",
	"message.timestamp.after.max.ms":          "3600000",
	"message.timestamp.before.max.ms":         "9223372036854775807",
	"message.timestamp.type":                  "CreateTime",
	"min.cleanable.dirty.ratio":               "0.5",
	"min.compaction.lag.ms":                   "0",
	"min.insync.replicas":                     "1",
	"preallocate":                             "false",
	"remote.storage.enable":                   "false",
	"retention.bytes":                         "-1",
	"retention.ms":                            "604800000",
	"segment.bytes":                           "1073741824",
	"segment.index.bytes":                     "10485760",
	"segment.jitter.ms":                       "0",
	"segment.ms":                              "604800000",
	"unclean.leader.election.enable":          "false",
	"leader.replication.throttled.replicas":   "",
	"follower.replication.throttled.replicas": "",
}

func TestTopicDefaultsMatchKafka(t *testing.T) {
	all := TopicDefs().All()
	if len(all) != len(kafkaTopicDefaults) {
		t.Errorf("%d topic configs, want %d", len(all), len(kafkaTopicDefaults))
	}
	for _, d := range all {
		want, ok := kafkaTopicDefaults[d.Name]
		if got, _ := d.defaultString(); !ok || got != want {
			t.Errorf("%s default = %q, want %q (known %v)", d.Name, got, want, ok)
		}
		if d.ReadOnly || d.Doc == "" || d.Validate(d.Default) != nil {
			t.Errorf("%s: ReadOnly %v, Doc %q, default invalid %v", d.Name, d.ReadOnly, d.Doc, d.Validate(d.Default))
		}
	}
	// A broker with no configuration gives Kafka's topic defaults.
	if got := mustBroker(t, nil).TopicDefaults(Dynamic{}); !reflect.DeepEqual(got, kafkaTopicDefaults) {
		t.Errorf("TopicDefaults() = %v", got)
	}
}

func TestValidateTopicConfigs(t *testing.T) {
	tests := []struct {
		overrides map[string]string
		key, want string
	}{
		{map[string]string{"retention.ms": "1000", "x": "1"}, "x", "Unknown topic config name: x"},
		{map[string]string{"message.downconversion.enable": "true"}, "message.downconversion.enable", "Unknown topic config name: message.downconversion.enable"},
		{map[string]string{"retention.ms": "abc"}, "retention.ms", "Invalid value abc for configuration retention.ms: Not an integer"},
		{map[string]string{"retention.ms": "-2"}, "retention.ms", "Invalid value -2 for configuration retention.ms: Must be at least -1"},
		{map[string]string{"segment.bytes": "1000"}, "segment.bytes", "Invalid value 1000 for configuration segment.bytes: Must be at least 1048576"},
		{map[string]string{"segment.ms": "0"}, "segment.ms", "Invalid value 0 for configuration segment.ms: Must be at least 1"},
		{map[string]string{"cleanup.policy": "compact,archive"}, "cleanup.policy", "Invalid value compact,archive for configuration cleanup.policy: Must be a list of: compact, delete"},
		{map[string]string{"message.timestamp.type": "Now"}, "message.timestamp.type", "Invalid value Now for configuration message.timestamp.type: Must be one of: CreateTime, LogAppendTime"},
		{map[string]string{"min.insync.replicas": "0"}, "min.insync.replicas", "Invalid value 0 for configuration min.insync.replicas: Must be at least 1"},
		{map[string]string{"flush.messages": "0"}, "flush.messages", "Invalid value 0 for configuration flush.messages: Must be at least 1"},
		{map[string]string{"flush.ms": "-1"}, "flush.ms", "Invalid value -1 for configuration flush.ms: Must be at least 0"},
		{map[string]string{"compression.type": "lzma"}, "compression.type", "Invalid value lzma for configuration compression.type: Must be one of: uncompressed, zstd, lz4, snappy, gzip, producer"},
		{map[string]string{"min.cleanable.dirty.ratio": "1.01"}, "min.cleanable.dirty.ratio", "Invalid value 1.01 for configuration min.cleanable.dirty.ratio: Must be no more than 1"},
		{map[string]string{"max.compaction.lag.ms": "0"}, "max.compaction.lag.ms", "Invalid value 0 for configuration max.compaction.lag.ms: Must be at least 1"},
		{map[string]string{"preallocate": "maybe"}, "preallocate", "Invalid value maybe for configuration preallocate: Expected true or false"},
		{map[string]string{"remote.storage.enable": "true"}, "remote.storage.enable", "Invalid value true for configuration remote.storage.enable: Tiered storage is not supported by Vltava"},
		{map[string]string{"leader.replication.throttled.replicas": "0:1,x"}, "leader.replication.throttled.replicas", "Invalid value 0:1,x for configuration leader.replication.throttled.replicas: Must be * or a list of partition:broker pairs"},
		{map[string]string{"min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5"}, "min.compaction.lag.ms", "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"},
	}
	for _, tt := range tests {
		err := ValidateTopicConfigs(tt.overrides)
		var te *TopicConfigError
		if !errors.As(err, &te) || te.Key != tt.key || err.Error() != tt.want {
			t.Errorf("%v: error %v, want %s: %q", tt.overrides, err, tt.key, tt.want)
		}
	}
	ok := map[string]string{"cleanup.policy": "compact,delete", "retention.ms": "-1", "leader.replication.throttled.replicas": "*",
		"follower.replication.throttled.replicas": "0:1,1:2", "compression.gzip.level": "9", "compression.zstd.level": "-5"}
	if err := ValidateTopicConfigs(ok); err != nil {
		t.Errorf("ValidateTopicConfigs(%v) = %v", ok, err)
	}
	if err := ValidateTopicConfigs(nil); err != nil {
		t.Errorf("ValidateTopicConfigs(nil) = %v", err)
	}
}

func TestResolveTopic(t *testing.T) {
	b := mustBroker(t, map[string]string{"log.retention.hours": "24", "log.segment.bytes": "2097152", "message.max.bytes": "500000",
		"log.message.timestamp.type": "LogAppendTime", "log.cleaner.max.compaction.lag.ms": "100000"})
	got, err := ResolveTopic(b, Dynamic{}, map[string]string{"cleanup.policy": "compact", "retention.bytes": "1048576", "segment.ms": "60000",
		"compression.type": "zstd", "min.cleanable.dirty.ratio": "0.1", "flush.messages": "1", "min.insync.replicas": "2"})
	if err != nil {
		t.Fatal(err)
	}
	want := Topic{
		Compact: true, Delete: false,
		RetentionMs: 24 * msPerHour, RetentionBytes: 1048576, SegmentBytes: 2097152, SegmentMs: 60000, SegmentJitterMs: 0,
		SegmentIndexBytes: 10485760, IndexIntervalBytes: 4096, FileDeleteDelayMs: 60000,
		MaxMessageBytes: 500000, TimestampType: LogAppendTime, TimestampBeforeMaxMs: 9223372036854775807, TimestampAfterMaxMs: 3600000,
		MinInsyncReplicas: 2, FlushMessages: 1, FlushMs: 9223372036854775807,
		CompressionType: "zstd", CompressionGzipLevel: -1, CompressionLz4Level: 9, CompressionZstdLevel: 3,
		MinCleanableDirtyRatio: 0.1, MinCompactionLagMs: 0, MaxCompactionLagMs: 100000, DeleteRetentionMs: 86400000,
	}
	if got != want {
		t.Fatalf("ResolveTopic =\n%+v\nwant\n%+v", got, want)
	}
	// The compaction lag check sees the broker's defaults.
	_, err = ResolveTopic(b, Dynamic{}, map[string]string{"min.compaction.lag.ms": "200000"})
	if err == nil || err.Error() != "conflict topic config setting min.compaction.lag.ms (200000) > max.compaction.lag.ms (100000)" {
		t.Fatalf("error = %v", err)
	}
	if _, err := ResolveTopic(b, Dynamic{}, map[string]string{"segment.bytes": "1"}); err == nil {
		t.Fatal("ResolveTopic accepted segment.bytes=1")
	}
}

func TestResolveTopicDefaults(t *testing.T) {
	got, err := ResolveTopic(mustBroker(t, nil), Dynamic{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Delete || got.Compact || got.RetentionMs != 604800000 || got.SegmentBytes != 1073741824 || got.MaxMessageBytes != 1048588 ||
		got.TimestampType != CreateTime || got.CompressionType != "producer" || got.MinCleanableDirtyRatio != 0.5 {
		t.Fatalf("ResolveTopic(defaults) = %+v", got)
	}
}

func syn(name, value string, source kmsg.ConfigSource) Synonym {
	return Synonym{Name: name, Value: value, Source: source}
}

func findEntry(t *testing.T, entries []Entry, name string) Entry {
	t.Helper()
	for _, e := range entries {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no entry %s", name)
	return Entry{}
}

const (
	srcTopic   = kmsg.ConfigSourceDynamicTopicConfig
	srcStatic  = kmsg.ConfigSourceStaticBrokerConfig
	srcDefault = kmsg.ConfigSourceDefaultConfig
)

func TestDescribeTopic(t *testing.T) {
	b := mustBroker(t, map[string]string{"log.retention.ms": "3600000", "log.retention.hours": "2", "log.segment.bytes": "2097152",
		"log.roll.hours": "3"})
	entries := DescribeTopic(b, Dynamic{}, map[string]string{"retention.ms": " 1000 ", "cleanup.policy": "compact , delete"})
	if len(entries) != len(TopicDefs().All()) {
		t.Fatalf("%d entries", len(entries))
	}
	for i := 1; i < len(entries); i++ {
		if entries[i-1].Name >= entries[i].Name {
			t.Fatalf("entries not sorted: %s before %s", entries[i-1].Name, entries[i].Name)
		}
	}
	tests := []struct {
		name, value string
		source      kmsg.ConfigSource
		synonyms    []Synonym
	}{
		{"retention.ms", "1000", srcTopic, []Synonym{
			syn("retention.ms", "1000", srcTopic), syn("log.retention.ms", "3600000", srcStatic),
			syn("log.retention.hours", "2", srcStatic), syn("log.retention.hours", "168", srcDefault)}},
		{"cleanup.policy", "compact,delete", srcTopic, []Synonym{
			syn("cleanup.policy", "compact,delete", srcTopic), syn("log.cleanup.policy", "delete", srcDefault)}},
		{"segment.bytes", "2097152", srcStatic, []Synonym{
			syn("log.segment.bytes", "2097152", srcStatic), syn("log.segment.bytes", "1073741824", srcDefault)}},
		// Kafka lists segment.ms's synonyms from log.roll.ms, which is not
		// set: the value comes from log.roll.hours, without synonyms.
		{"segment.ms", "10800000", srcDefault, nil},
		{"max.message.bytes", "1048588", srcDefault, []Synonym{syn("message.max.bytes", "1048588", srcDefault)}},
		{"flush.ms", "9223372036854775807", srcDefault, nil},
		{"remote.storage.enable", "false", srcDefault, nil},
	}
	for _, tt := range tests {
		e := findEntry(t, entries, tt.name)
		if e.Value != tt.value || e.Null || e.Source != tt.source || !reflect.DeepEqual(e.Synonyms, tt.synonyms) {
			t.Errorf("%s: value %q null %v source %v synonyms %v;\nwant %q %v %v", tt.name, e.Value, e.Null, e.Source, e.Synonyms, tt.value, tt.source, tt.synonyms)
		}
		d, _ := TopicDefs().Lookup(tt.name)
		if e.Type != d.Type || e.Doc != d.Doc || e.ReadOnly || e.Sensitive {
			t.Errorf("%s: type %v doc %q readOnly %v sensitive %v", tt.name, e.Type, e.Doc, e.ReadOnly, e.Sensitive)
		}
	}
}

func TestDescribeTopicHoursOnly(t *testing.T) {
	// Kafka's own server.properties sets log.retention.hours only: Kafka
	// then shows retention.ms as a default without synonyms.
	e := findEntry(t, DescribeTopic(mustBroker(t, map[string]string{"log.retention.hours": "1"}), Dynamic{}, nil), "retention.ms")
	if e.Value != "3600000" || e.Source != srcDefault || e.Synonyms != nil {
		t.Fatalf("retention.ms: %+v", e)
	}
}

func TestDescribeBroker(t *testing.T) {
	b := mustBroker(t, map[string]string{"log.retention.ms": "5000", "num.partitions": " 3", "log.dirs": "/a, /b"})
	entries := DescribeBroker(b, Dynamic{})
	if len(entries) != len(BrokerDefs().All()) {
		t.Fatalf("%d entries", len(entries))
	}
	tests := []struct {
		name, value string
		null        bool
		source      kmsg.ConfigSource
		synonyms    []Synonym
	}{
		{"num.partitions", "3", false, srcStatic, []Synonym{syn("num.partitions", "3", srcStatic), syn("num.partitions", "1", srcDefault)}},
		{"log.dirs", "/a,/b", false, srcStatic, []Synonym{syn("log.dirs", "/a, /b", srcStatic)}},
		{"log.retention.ms", "5000", false, srcStatic, []Synonym{syn("log.retention.ms", "5000", srcStatic), syn("log.retention.hours", "168", srcDefault)}},
		{"log.retention.minutes", "", true, srcDefault, nil},
		{"log.retention.hours", "168", false, srcDefault, []Synonym{syn("log.retention.hours", "168", srcDefault)}},
		{"log.roll.ms", "", true, srcDefault, nil},
		{"log.flush.interval.ms", "", true, srcDefault, nil},
		{"log.flush.scheduler.interval.ms", "9223372036854775807", false, srcDefault, []Synonym{syn("log.flush.scheduler.interval.ms", "9223372036854775807", srcDefault)}},
		{"advertised.listeners", "", true, srcDefault, nil},
		{"log.dir", "./vltava-data", false, srcDefault, []Synonym{syn("log.dir", "./vltava-data", srcDefault)}},
		{"log.cleaner.io.max.bytes.per.second", "1.7976931348623157E308", false, srcDefault, []Synonym{syn("log.cleaner.io.max.bytes.per.second", "1.7976931348623157E308", srcDefault)}},
	}
	for _, tt := range tests {
		e := findEntry(t, entries, tt.name)
		if e.Value != tt.value || e.Null != tt.null || e.Source != tt.source || !reflect.DeepEqual(e.Synonyms, tt.synonyms) {
			t.Errorf("%s: value %q null %v source %v synonyms %v;\nwant %q %v %v %v", tt.name, e.Value, e.Null, e.Source, e.Synonyms, tt.value, tt.null, tt.source, tt.synonyms)
		}
	}
	if e := findEntry(t, entries, "log.retention.ms"); e.ReadOnly || e.Type != Long || e.Type.ConfigType() != kmsg.ConfigTypeLong {
		t.Errorf("log.retention.ms: readOnly %v type %v", e.ReadOnly, e.Type)
	}
	if e := findEntry(t, entries, "log.retention.hours"); !e.ReadOnly {
		t.Errorf("log.retention.hours is not read-only")
	}
}

func TestSensitiveEntry(t *testing.T) {
	d := Def{Name: "secret", Type: Password, Sensitive: true}
	e := entry(d, "hunter2", false, []Synonym{syn("secret", "hunter2", srcStatic)})
	if e.Value != "" || !e.Null || e.Source != srcStatic {
		t.Fatalf("entry = %+v", e)
	}
	b := mustBroker(t, map[string]string{"num.partitions": "2"})
	for _, s := range b.configSynonyms(Dynamic{}, "num.partitions", true) {
		if s.Value != "" || !s.Null {
			t.Fatalf("sensitive synonym %+v", s)
		}
	}
}
