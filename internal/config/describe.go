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
// synonyms from the dynamic topic override, then the dynamic broker configs
// of this node and of the cluster, then the static broker configs, then the
// broker defaults; the source is that of the first synonym, or
// DEFAULT_CONFIG when there is none.
//
// Like Kafka, broker synonyms are listed only from the topic config's
// principal broker config on: retention.ms lists log.retention.ms and what
// follows it, but a broker that sets only log.retention.hours shows
// retention.ms with the hours' value, source DEFAULT_CONFIG and no synonyms.
func DescribeTopic(b *Broker, d Dynamic, overrides map[string]string) []Entry {
	defaults := b.TopicDefaults(d)
	out := make([]Entry, 0, len(topicRegistry.defs))
	for _, def := range topicRegistry.defs {
		value := defaults[def.Name]
		var syns []Synonym
		if s, ok := overrides[def.Name]; ok {
			value = def.canonical(s)
			syns = append(syns, Synonym{Name: def.Name, Value: value, Source: kmsg.ConfigSourceDynamicTopicConfig})
		}
		if bs := topicSynonyms(def.Name); len(bs) > 0 {
			syns = append(syns, b.configSynonyms(d, bs[0].Name, def.Sensitive)...)
		}
		out = append(out, entry(def, value, false, syns))
	}
	return out
}

// DescribeBroker returns every broker config, sorted by name, as Kafka
// describes a broker by its id: the value that this node's dynamic configs,
// the cluster-wide ones, the static configuration or the default give it,
// first found (null when none does); synonyms from each of those sources in
// that order, of the config and its precedence group (log.retention.ms,
// .minutes, .hours).
func DescribeBroker(b *Broker, d Dynamic) []Entry {
	raw := b.raw(d)
	out := make([]Entry, 0, len(brokerRegistry.defs))
	for _, def := range brokerRegistry.defs {
		value, ok := def.defaultString()
		if s, set := raw[def.Name]; set {
			value, ok = def.canonical(s), true
		}
		out = append(out, entry(def, value, !ok, b.configSynonyms(d, def.Name, def.Sensitive)))
	}
	return out
}

// DescribeClusterDefaults returns the cluster-wide dynamic broker configs
// that are set, sorted by name, as Kafka describes the broker resource ""
// (the default for every broker): source DYNAMIC_DEFAULT_BROKER_CONFIG,
// synonyms from that source only.
func DescribeClusterDefaults(b *Broker, d Dynamic) []Entry {
	out := make([]Entry, 0, len(d.Cluster))
	for _, def := range brokerRegistry.defs {
		s, ok := d.Cluster[def.Name]
		if !ok {
			continue
		}
		var syns []Synonym
		for _, syn := range b.configSynonyms(d, def.Name, def.Sensitive) {
			if syn.Source == kmsg.ConfigSourceDynamicDefaultBrokerConfig {
				syns = append(syns, syn)
			}
		}
		out = append(out, entry(def, def.canonical(s), false, syns))
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
// (this node's dynamic configs, the cluster-wide dynamic ones, the static
// configuration, then the defaults), each synonym of name's group that the
// source sets; then leading synonyms other than name itself are dropped.
func (b *Broker) configSynonyms(d Dynamic, name string, sensitive bool) []Synonym {
	group := brokerSynonyms(name)
	var out []Synonym
	for _, src := range []struct {
		m      map[string]string
		source kmsg.ConfigSource
	}{
		{d.Node, kmsg.ConfigSourceDynamicBrokerConfig},
		{d.Cluster, kmsg.ConfigSourceDynamicDefaultBrokerConfig},
		{b.Raw, kmsg.ConfigSourceStaticBrokerConfig},
	} {
		for _, n := range group {
			if s, ok := src.m[n]; ok {
				out = append(out, Synonym{Name: n, Value: trim(s), Source: src.source})
			}
		}
	}
	for _, n := range group {
		def, _ := brokerRegistry.Lookup(n)
		if s, ok := def.defaultString(); ok {
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
