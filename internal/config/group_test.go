package config

import (
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestGroupConfigs(t *testing.T) {
	b, err := ParseBroker(map[string]string{
		"group.consumer.min.session.timeout.ms": "10000", "group.consumer.session.timeout.ms": "20000",
		"group.consumer.min.heartbeat.interval.ms": "1000", "group.consumer.heartbeat.interval.ms": "2000",
	})
	if err != nil {
		t.Fatal(err)
	}
	if g := ResolveGroup(b, nil); g != (Group{20000, 2000}) {
		t.Fatalf("defaults: %+v", g)
	}
	if g := ResolveGroup(b, map[string]string{"consumer.heartbeat.interval.ms": " 3000 "}); g != (Group{20000, 3000}) {
		t.Fatalf("override: %+v", g)
	}
	// A stored config outside bounds changed since is used, as in Kafka;
	// one that does not parse is not.
	if g := ResolveGroup(b, map[string]string{"consumer.session.timeout.ms": "500", "consumer.heartbeat.interval.ms": "x"}); g != (Group{500, 2000}) {
		t.Fatalf("resolve: %+v", g)
	}

	for _, tc := range []struct {
		configs map[string]string
		err     string
	}{
		{map[string]string{"consumer.session.timeout.ms": "30000"}, ""},
		{map[string]string{"consumer.session.timeout.ms": "60000", "consumer.heartbeat.interval.ms": "15000"}, ""},
		{map[string]string{"share.record.lock.duration.ms": "30000"}, "Unknown group config name: share.record.lock.duration.ms"},
		{map[string]string{"consumer.session.timeout.ms": "abc"}, "Invalid value abc for configuration consumer.session.timeout.ms: Not an integer"},
		{map[string]string{"consumer.session.timeout.ms": "0"}, "Invalid value 0 for configuration consumer.session.timeout.ms: Must be at least 1"},
		{map[string]string{"consumer.session.timeout.ms": "9999"}, "consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms"},
		{map[string]string{"consumer.session.timeout.ms": "60001"}, "consumer.session.timeout.ms must be less than or equal to group.consumer.max.session.timeout.ms"},
		{map[string]string{"consumer.heartbeat.interval.ms": "999"}, "consumer.heartbeat.interval.ms must be greater than or equal to group.consumer.min.heartbeat.interval.ms"},
		{map[string]string{"consumer.heartbeat.interval.ms": "15001"}, "consumer.heartbeat.interval.ms must be less than or equal to group.consumer.max.heartbeat.interval.ms"},
		{map[string]string{"consumer.session.timeout.ms": "10000", "consumer.heartbeat.interval.ms": "10000"},
			"consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms"},
	} {
		err := ValidateGroupConfigs(b, tc.configs)
		got := ""
		if err != nil {
			got = err.Error()
			if _, ok := err.(*TopicConfigError); !ok {
				t.Errorf("%v: %T, want *TopicConfigError", tc.configs, err)
			}
		}
		if got != tc.err {
			t.Errorf("%v: error %q, want %q", tc.configs, got, tc.err)
		}
	}

	es := DescribeGroup(b, map[string]string{"consumer.heartbeat.interval.ms": "03000"})
	type row struct {
		name, value string
		source      kmsg.ConfigSource
		syns        []Synonym
	}
	var got []row
	for _, e := range es {
		if e.ReadOnly || e.Sensitive || e.Null || e.Type != Int || e.Doc == "" {
			t.Errorf("%s described as %+v", e.Name, e)
		}
		got = append(got, row{e.Name, e.Value, e.Source, e.Synonyms})
	}
	want := []row{
		{"consumer.heartbeat.interval.ms", "3000", kmsg.ConfigSourceGroupConfig,
			[]Synonym{{Name: "consumer.heartbeat.interval.ms", Value: "3000", Source: kmsg.ConfigSourceGroupConfig}}},
		{"consumer.session.timeout.ms", "20000", kmsg.ConfigSourceDefaultConfig,
			[]Synonym{{Name: "consumer.session.timeout.ms", Value: "20000", Source: kmsg.ConfigSourceDefaultConfig}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("describe:\n got %+v\nwant %+v", got, want)
	}
}
