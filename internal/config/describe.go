package config

import "github.com/twmb/franz-go/pkg/kmsg"

// Entry is one config as DescribeConfigs reports it.
type Entry struct {
	Name  string
	Value string
	// Null says the value is null on the wire: a config without a value
	// (log.retention.ms when unset) or a sensitive one.
	Null      bool
	Source    kmsg.ConfigSource
	ReadOnly  bool
	Sensitive bool
	Type      Type
	Doc       string
	Synonyms  []Synonym // most to least precedent; includes the entry's own source
}

// Synonym is a config that sets, or would set, an Entry's value.
type Synonym struct {
	Name   string
	Value  string
	Null   bool // sensitive
	Source kmsg.ConfigSource
}

// DescribeTopic returns every topic config of a topic with the given
// overrides, sorted by name, as Kafka describes them: the value in effect;
// synonyms from the dynamic topic override, then the static broker configs,
// then the broker defaults; the source is that of the first synonym, or
// DEFAULT_CONFIG when there is none.
//
// Like Kafka, broker synonyms are listed only from the topic config's
// principal broker config on: retention.ms lists log.retention.ms and what
// follows it, but a broker that sets only log.retention.hours shows
// retention.ms with the hours' value, source DEFAULT_CONFIG and no synonyms.
func DescribeTopic(b *Broker, overrides map[string]string) []Entry {
	defaults := b.TopicDefaults()
	out := make([]Entry, 0, len(topicRegistry.defs))
	for _, d := range topicRegistry.defs {
		value := defaults[d.Name]
		var syns []Synonym
		if s, ok := overrides[d.Name]; ok {
			value = d.canonical(s)
			syns = append(syns, Synonym{Name: d.Name, Value: value, Source: kmsg.ConfigSourceDynamicTopicConfig})
		}
		if bs := topicSynonyms(d.Name); len(bs) > 0 {
			syns = append(syns, b.configSynonyms(bs[0].Name, d.Sensitive)...)
		}
		out = append(out, entry(d, value, false, syns))
	}
	return out
}

// DescribeBroker returns every broker config, sorted by name, as Kafka
// describes a broker by its id: the value set in the static configuration,
// else the default (null when the default is null); synonyms from the static
// config, then the defaults, of the config and its precedence group
// (log.retention.ms, .minutes, .hours).
func DescribeBroker(b *Broker) []Entry {
	out := make([]Entry, 0, len(brokerRegistry.defs))
	for _, d := range brokerRegistry.defs {
		value, ok := d.defaultString()
		if s, set := b.Raw[d.Name]; set {
			value, ok = d.canonical(s), true
		}
		out = append(out, entry(d, value, !ok, b.configSynonyms(d.Name, d.Sensitive)))
	}
	return out
}

// entry assembles an Entry; a sensitive value is null.
func entry(d Def, value string, null bool, syns []Synonym) Entry {
	e := Entry{
		Name: d.Name, Value: value, Null: null || d.Sensitive, Source: kmsg.ConfigSourceDefaultConfig,
		ReadOnly: d.ReadOnly, Sensitive: d.Sensitive, Type: d.Type, Doc: d.Doc, Synonyms: syns,
	}
	if e.Null {
		e.Value = ""
	}
	if len(syns) > 0 {
		e.Source = syns[0].Source
	}
	return e
}

// configSynonyms lists the broker synonyms of broker config name, as
// Kafka's ConfigHelper does: for each source from most to least precedent
// (static broker config, then default), each synonym of name's group that
// the source sets; then leading synonyms other than name itself are dropped.
// Dynamic broker configs will come before the static ones.
func (b *Broker) configSynonyms(name string, sensitive bool) []Synonym {
	group := brokerSynonyms(name)
	var out []Synonym
	for _, n := range group {
		if s, ok := b.Raw[n]; ok {
			out = append(out, Synonym{Name: n, Value: trim(s), Source: kmsg.ConfigSourceStaticBrokerConfig})
		}
	}
	for _, n := range group {
		d, _ := brokerRegistry.Lookup(n)
		if s, ok := d.defaultString(); ok {
			out = append(out, Synonym{Name: n, Value: s, Source: kmsg.ConfigSourceDefaultConfig})
		}
	}
	for len(out) > 0 && out[0].Name != name {
		out = out[1:]
	}
	if sensitive {
		for i := range out {
			out[i].Value, out[i].Null = "", true
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
