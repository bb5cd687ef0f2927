package server

// DescribeConfigs: v1-4
//
// Topic configs (every topic config with its value and source: dynamic
// topic, dynamic broker, dynamic cluster default, static broker, or
// default; synonyms when asked; types and docs v3+) and broker configs: by
// broker id every config in effect, by "" the cluster-wide dynamic defaults
// that are set, as Kafka describes them; broker loggers (by broker id)
// with their levels; a group's configs (Kafka 4's GROUP resource: those
// of consumer groups), whether or not the group exists.

import (
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleDescribeConfigs(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.DescribeConfigsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	im := s.o.Controller.Image()
	for _, res := range req.Resources {
		rr := kmsg.NewDescribeConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
		var entries []ConfigEntry
		switch res.ResourceType {
		case kmsg.ConfigResourceTypeTopic:
			t := im.Topics[res.ResourceName]
			if t == nil {
				setErr(&rr.ErrorCode, &rr.ErrorMessage, kerr.UnknownTopicOrPartition, "Topic "+res.ResourceName+" does not exist.")
				break
			}
			entries = s.o.Configs.DescribeTopic(im, t.Configs)
		case kmsg.ConfigResourceTypeBroker:
			if numeric, self := s.nodeID(res.ResourceName); res.ResourceName != "" && !self {
				m := "Broker id must be an integer, but it is: " + res.ResourceName
				if numeric {
					m = "Unexpected broker id, expected " + strconv.Itoa(int(s.o.NodeID)) + " or empty string, but received " + res.ResourceName
				}
				setErr(&rr.ErrorCode, &rr.ErrorMessage, kerr.InvalidRequest, m)
				break
			}
			entries = s.o.Configs.DescribeBroker(im, res.ResourceName == "")
		case kmsg.ConfigResourceTypeBrokerLogger:
			entries = s.describeLoggers(res.ResourceName, &rr.ErrorCode, &rr.ErrorMessage)
		case kmsg.ConfigResourceTypeGroupConfig:
			if res.ResourceName == "" {
				setErr(&rr.ErrorCode, &rr.ErrorMessage, kerr.InvalidRequest, "Group name must not be empty")
				break
			}
			entries = s.o.Configs.DescribeGroup(im.GroupConfigs[res.ResourceName])
		default:
			setErr(&rr.ErrorCode, &rr.ErrorMessage, kerr.InvalidRequest, "Unsupported resource type "+strconv.Itoa(int(res.ResourceType)))
		}
		rr.Configs = describedConfigs(entries, res.ConfigNames, req.IncludeSynonyms, req.IncludeDocumentation)
		resp.Resources = append(resp.Resources, rr)
	}
	return resp, nil
}

func describedConfigs(entries []ConfigEntry, names []string, synonyms, docs bool) []kmsg.DescribeConfigsResponseResourceConfig {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for _, e := range entries {
		if names != nil && !want[e.Name] {
			continue
		}
		c := kmsg.NewDescribeConfigsResponseResourceConfig()
		c.Name, c.ReadOnly, c.Source, c.IsSensitive = e.Name, e.ReadOnly, kmsg.ConfigSource(e.Source), e.Sensitive
		c.ConfigType = kmsg.ConfigType(e.Type)
		if !e.Null && !e.Sensitive {
			v := e.Value
			c.Value = &v
		}
		if docs && e.Doc != "" {
			d := e.Doc
			c.Documentation = &d
		}
		if synonyms {
			for _, syn := range e.Synonyms {
				cs := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
				cs.Name, cs.Source = syn.Name, kmsg.ConfigSource(syn.Source)
				if !e.Sensitive {
					v := syn.Value
					cs.Value = &v
				}
				c.ConfigSynonyms = append(c.ConfigSynonyms, cs)
			}
		}
		out = append(out, c)
	}
	return out
}
