package broker

import (
	"github.com/vltava/vltava/internal/config"
	"github.com/vltava/vltava/internal/metadata/image"
	"github.com/vltava/vltava/internal/replica"
	"github.com/vltava/vltava/internal/server"
)

// replicaConfig resolves a topic's stored overrides against the broker
// config, static and dynamic, into what a hosted partition needs; ignored
// names overrides that could not be used.
func replicaConfig(b *config.Broker, d config.Dynamic, overrides map[string]string) (_ replica.Config, ignored []string) {
	t, ignored := config.ResolveStoredTopic(b, d, overrides)
	return replica.ConfigFor(t), ignored
}

// describer renders configs for the server's DescribeConfigs and
// CreateTopics responses.
type describer struct{ b *config.Broker }

func (d describer) dynamic(im *image.Image) config.Dynamic {
	return config.DynamicFor(im.BrokerConfigs, d.b.NodeID)
}

func (d describer) DescribeTopic(im *image.Image, overrides map[string]string) []server.ConfigEntry {
	return convertEntries(config.DescribeTopic(d.b, d.dynamic(im), overrides))
}

func (d describer) DescribeBroker(im *image.Image, clusterDefaults bool) []server.ConfigEntry {
	if clusterDefaults {
		return convertEntries(config.DescribeClusterDefaults(d.b, d.dynamic(im)))
	}
	return convertEntries(config.DescribeBroker(d.b, d.dynamic(im)))
}

func (d describer) DescribeGroup(configs map[string]string) []server.ConfigEntry {
	return convertEntries(config.DescribeGroup(d.b, configs))
}

func convertEntries(es []config.Entry) []server.ConfigEntry {
	out := make([]server.ConfigEntry, len(es))
	for i, e := range es {
		out[i] = server.ConfigEntry{
			Name: e.Name, Value: e.Value, Null: e.Null, Source: int8(e.Source),
			ReadOnly: e.ReadOnly, Sensitive: e.Sensitive, Type: int8(e.Type.ConfigType()), Doc: e.Doc,
		}
		for _, s := range e.Synonyms {
			out[i].Synonyms = append(out[i].Synonyms, server.ConfigSynonym{Name: s.Name, Value: s.Value, Source: int8(s.Source)})
		}
	}
	return out
}
