package config

import (
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
)

// Dynamic is the part of a broker's configuration changed at run time
// through AlterConfigs and IncrementalAlterConfigs on a BROKER resource and
// kept in the metadata log: this node's own configs (resource name: its node
// id) and the cluster-wide defaults (resource name ""). Precedence, as in
// Kafka: Node, then Cluster, then the static configuration, then the
// default; a topic's own override beats them all. The zero value has none.
type Dynamic struct {
	Node    map[string]string // DYNAMIC_BROKER_CONFIG
	Cluster map[string]string // DYNAMIC_DEFAULT_BROKER_CONFIG
}

// DynamicFor picks node's configs out of the metadata image's dynamic
// broker configs, which are keyed by broker id ("" for the cluster-wide
// defaults). The maps are shared, not copied: images never change.
func DynamicFor(byBroker map[string]map[string]string, node int32) Dynamic {
	return Dynamic{Node: byBroker[strconv.Itoa(int(node))], Cluster: byBroker[""]}
}

// raw returns the broker values in effect as raw strings: the static ones,
// overlaid by the cluster-wide dynamic ones, then by the node's own.
func (b *Broker) raw(d Dynamic) map[string]string {
	if len(d.Node) == 0 && len(d.Cluster) == 0 {
		return b.Raw
	}
	out := maps.Clone(b.Raw)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, d.Cluster)
	maps.Copy(out, d.Node)
	return out
}

// ValidateDynamic checks the complete set of dynamic configs that one BROKER
// resource would have after a change (perBroker: a node's own; otherwise the
// cluster-wide defaults), as Kafka's DynamicBrokerConfig does before it
// accepts one: every key a broker config that can change at run time, every
// value valid, and the topic defaults they make consistent. d is the
// current dynamic configuration, of which next replaces the one side. The
// error is one line naming the key; Kafka answers it with INVALID_REQUEST.
//
// Unlike Kafka, which stores unknown keys for plugins to read, Vltava has
// no plugins and refuses them, so that a typo is not silently kept.
func ValidateDynamic(b *Broker, d Dynamic, perBroker bool, next map[string]string) error {
	keys := make([]string, 0, len(next))
	for k := range next {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var static []string
	for _, k := range keys {
		def, ok := brokerRegistry.Lookup(k)
		if !ok {
			return fmt.Errorf("unknown broker config %s", k)
		}
		if def.ReadOnly {
			static = append(static, k)
		}
	}
	if len(static) > 0 {
		return fmt.Errorf("Cannot update these configs dynamically: Set(%s)", strings.Join(static, ", "))
	}
	for _, k := range keys {
		def, _ := brokerRegistry.Lookup(k)
		if err := def.Validate(next[k]); err != nil {
			return fmt.Errorf("Invalid value %s for configuration %s: %s", next[k], k, capitalize(err.Error()))
		}
	}
	if perBroker {
		d.Node = next
	} else {
		d.Cluster = next
	}
	v := topicValues(b.TopicDefaults(d), nil)
	if err := checkTopicCross(v); err != nil {
		return err
	}
	return nil
}
