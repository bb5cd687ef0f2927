package config

import (
	"sort"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Type is the type of a configuration value, as Kafka's ConfigDef names it.
type Type int

// The types of configuration values.
const (
	Boolean Type = iota + 1
	Int          // 32-bit
	Long         // 64-bit
	Double
	String
	List // comma-separated, each element trimmed
	Password
	Short // 16-bit
)

// String returns Kafka's name of the type (INT, LONG, ...).
func (t Type) String() string {
	switch t {
	case Boolean:
		return "BOOLEAN"
	case Int:
		return "INT"
	case Long:
		return "LONG"
	case Double:
		return "DOUBLE"
	case String:
		return "STRING"
	case List:
		return "LIST"
	case Password:
		return "PASSWORD"
	case Short:
		return "SHORT"
	}
	return "UNKNOWN"
}

// ConfigType returns the type as DescribeConfigs reports it.
func (t Type) ConfigType() kmsg.ConfigType {
	switch t {
	case Boolean:
		return kmsg.ConfigTypeBoolean
	case Int:
		return kmsg.ConfigTypeInt
	case Long:
		return kmsg.ConfigTypeLong
	case Double:
		return kmsg.ConfigTypeDouble
	case String:
		return kmsg.ConfigTypeString
	case List:
		return kmsg.ConfigTypeList
	case Password:
		return kmsg.ConfigTypePassword
	case Short:
		return kmsg.ConfigTypeShort
	}
	return kmsg.ConfigTypeUnknown
}

// Def defines one configuration key.
type Def struct {
	Name string
	Type Type
	// Default is Kafka's default as Kafka renders it in DescribeConfigs
	// (Vltava's own where Doc says so). Meaningless when NullDefault is set.
	Default string
	// NullDefault says the key has no default: unset, it reads as null and
	// something else decides (log.retention.ms unset: log.retention.minutes,
	// then log.retention.hours).
	NullDefault bool
	Doc         string
	// Validate checks that v parses as Type and is in range. The error is the
	// reason alone ("must be at least 1"); callers name the key.
	Validate func(v string) error
	// ReadOnly says a change needs a restart (Kafka's readOnly in
	// DescribeConfigs: not dynamically alterable).
	ReadOnly  bool
	Sensitive bool
	// TopicName is the topic config whose default this broker config sets
	// (log.retention.ms -> retention.ms); empty if none.
	TopicName string

	check func(any) error // range check on the parsed value; nil if none
	unit  int64           // multiplier into TopicName's unit (hours -> ms); 0 means 1
}

// Registry is an immutable set of definitions.
type Registry struct {
	defs   []Def // sorted by name
	byName map[string]int
}

// newRegistry builds a registry; it completes each Def's Validate.
func newRegistry(defs []Def) *Registry {
	r := &Registry{defs: make([]Def, len(defs)), byName: make(map[string]int, len(defs))}
	copy(r.defs, defs)
	sort.Slice(r.defs, func(i, j int) bool { return r.defs[i].Name < r.defs[j].Name })
	for i := range r.defs {
		d := &r.defs[i]
		d.Validate = validator(d.Type, d.check)
		r.byName[d.Name] = i
	}
	return r
}

// Lookup returns the definition of name.
func (r *Registry) Lookup(name string) (Def, bool) {
	i, ok := r.byName[name]
	if !ok {
		return Def{}, false
	}
	return r.defs[i], true
}

// All returns every definition, sorted by name. The slice is a copy.
func (r *Registry) All() []Def {
	out := make([]Def, len(r.defs))
	copy(out, r.defs)
	return out
}

// validator returns a Validate function: parse as t, then check.
func validator(t Type, check func(any) error) func(string) error {
	return func(v string) error {
		x, err := parseValue(t, v)
		if err != nil {
			return err
		}
		if check != nil {
			return check(x)
		}
		return nil
	}
}

// The registries: built once at package initialisation, never mutated.
var (
	brokerRegistry = newRegistry(brokerDefs())
	topicRegistry  = newRegistry(topicDefs())
)

// BrokerDefs returns the broker configuration keys Vltava accepts.
func BrokerDefs() *Registry { return brokerRegistry }

// TopicDefs returns the topic configuration keys Vltava accepts.
func TopicDefs() *Registry { return topicRegistry }

// value returns d's value: raw parsed if set, else the default; nil for an
// unset key with a null default. The caller has validated raw.
func (d Def) value(raw string, set bool) any {
	if !set {
		if d.NullDefault {
			return nil
		}
		raw = d.Default
	}
	x, err := parseValue(d.Type, raw)
	if err != nil {
		return nil
	}
	return x
}

// canonical renders v as Kafka renders the parsed value ("+5 " -> "5",
// "TRUE" -> "true", "a , b" -> "a,b"). An unparsable v is returned trimmed.
func (d Def) canonical(v string) string {
	x, err := parseValue(d.Type, v)
	if err != nil {
		return trim(v)
	}
	return formatValue(x)
}

// defaultString renders the default, and whether it is non-null.
func (d Def) defaultString() (string, bool) {
	if d.NullDefault {
		return "", false
	}
	return d.canonical(d.Default), true
}
