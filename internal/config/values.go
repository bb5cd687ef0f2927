package config

// values holds parsed configuration values by name (see parseValue); a
// null-default key that is not set holds nil.
type values map[string]any

func (v values) bool(name string) bool     { x, _ := v[name].(bool); return x }
func (v values) i16(name string) int16     { x, _ := v[name].(int16); return x }
func (v values) i32(name string) int32     { x, _ := v[name].(int32); return x }
func (v values) i64(name string) int64     { x, _ := v[name].(int64); return x }
func (v values) f64(name string) float64   { x, _ := v[name].(float64); return x }
func (v values) str(name string) string    { x, _ := v[name].(string); return x }
func (v values) list(name string) []string { x, _ := v[name].([]string); return x }

// synonym returns the value that the broker configs give topic config
// topic: the first of its synonyms that is not null, scaled to the topic
// config's unit (log.retention.hours=2 -> 7200000 for retention.ms). A
// negative retention is -1, as Kafka has it. ok is false when the topic
// config has no broker synonym.
func (v values) synonym(topic string) (x any, ok bool) {
	for _, d := range topicSynonyms(topic) {
		x := v[d.Name]
		if x == nil {
			continue
		}
		n, isInt := asInt64(x)
		if !isInt {
			return x, true
		}
		if d.unit > 1 {
			n *= d.unit
		}
		if topic == "retention.ms" && n < 0 {
			n = -1
		}
		return n, true
	}
	return nil, false
}

// synonymInt is synonym for integer topic configs.
func (v values) synonymInt(topic string) int64 {
	x, _ := v.synonym(topic)
	n, _ := asInt64(x)
	return n
}

// rawValues parses the broker values of raw, defaults included, without
// validation: a value that does not parse reads as its default.
func rawValues(raw map[string]string) values {
	vals := make(values, len(brokerRegistry.defs))
	for _, d := range brokerRegistry.defs {
		s, set := raw[d.Name]
		x := d.value(s, set)
		if x == nil && set {
			x = d.value("", false)
		}
		vals[d.Name] = x
	}
	return vals
}
