package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// advertisedWildcardHost replaces an empty or wildcard listener host when
// listeners are advertised by default. Kafka advertises the canonical host
// name; for a single local node localhost works with every client without
// DNS, and resolves on both IPv4 and IPv6 to a wildcard-bound listener.
const advertisedWildcardHost = "localhost"

// resolveListeners fills the listener fields from listeners,
// advertised.listeners, listener.security.protocol.map,
// controller.listener.names and the inter-broker listener settings.
func (b *Broker) resolveListeners(v values) error {
	protoMap, _ := parseProtocolMap(v.str("listener.security.protocol.map")) // validated
	for _, n := range v.list("controller.listener.names") {
		b.ControllerListenerNames = append(b.ControllerListenerNames, strings.ToUpper(n))
	}
	if _, set := b.Raw["listener.security.protocol.map"]; !set {
		// As Kafka does with its default map: controller listeners not in
		// it are PLAINTEXT.
		for _, n := range b.ControllerListenerNames {
			if _, ok := protoMap[n]; !ok {
				protoMap[n] = ProtocolPlaintext
			}
		}
	}
	b.SecurityProtocolMap = protoMap
	if err := b.resolveBound(v.str("listeners")); err != nil {
		return err
	}
	if err := b.resolveAdvertised(v); err != nil {
		return err
	}
	if err := b.checkControllerListeners(); err != nil {
		return err
	}
	return b.resolveInterBroker(v)
}

// resolveBound parses listeners: at least one, known protocols, PLAINTEXT
// only, no two on one address.
func (b *Broker) resolveBound(s string) error {
	ls, _ := parseListenerList(s) // syntax validated
	if len(ls) == 0 {
		return inconsistent("listeners", s, "must name at least one listener")
	}
	if err := b.assignProtocols(ls); err != nil {
		return invalidValue("listeners", s, err)
	}
	for i, l := range ls {
		for _, o := range ls[:i] {
			if l.Port != 0 && l.Port == o.Port && (l.Host == o.Host || isWildcard(l.Host) || isWildcard(o.Host)) {
				return inconsistent("listeners", s, "listeners %s and %s use the same port", o.Name, l.Name)
			}
		}
	}
	b.Listeners = ls
	return nil
}

// assignProtocols sets each listener's protocol from the map; only
// PLAINTEXT is served for now.
func (b *Broker) assignProtocols(ls []Listener) error {
	for i := range ls {
		proto, ok := b.SecurityProtocolMap[ls[i].Name]
		if !ok {
			return fmt.Errorf("listener name %s is not in listener.security.protocol.map", ls[i].Name)
		}
		if proto != ProtocolPlaintext {
			return fmt.Errorf("listener %s uses security protocol %s: not supported yet (Vltava serves PLAINTEXT only)", ls[i].Name, proto)
		}
		ls[i].Protocol = proto
	}
	return nil
}

// resolveAdvertised parses advertised.listeners, or derives them from
// listeners, and leaves out the controller listeners.
func (b *Broker) resolveAdvertised(v values) error {
	s := v.str("advertised.listeners")
	adv := slices.Clone(b.Listeners)
	if v["advertised.listeners"] != nil {
		adv, _ = parseListenerList(s) // syntax validated
		if err := b.checkAdvertised(adv); err != nil {
			return invalidValue("advertised.listeners", s, err)
		}
	}
	out := adv[:0]
	for _, l := range adv {
		if slices.Contains(b.ControllerListenerNames, l.Name) {
			continue
		}
		if isWildcard(l.Host) {
			l.Host = advertisedWildcardHost
		}
		out = append(out, l)
	}
	b.AdvertisedListeners = out
	return nil
}

// checkAdvertised checks explicit advertised listeners: names among the
// listeners' names, routable hosts.
func (b *Broker) checkAdvertised(adv []Listener) error {
	if err := b.assignProtocols(adv); err != nil {
		return err
	}
	for _, l := range adv {
		if !slices.ContainsFunc(b.Listeners, func(o Listener) bool { return o.Name == l.Name }) {
			return fmt.Errorf("listener name %s is not in listeners", l.Name)
		}
		if l.Host == "0.0.0.0" || l.Host == "::" {
			return fmt.Errorf("cannot advertise the non-routable address %s", l.Host)
		}
	}
	return nil
}

// checkControllerListeners requires, for a controller, that one of the
// controller listener names is a listener, when any is configured.
func (b *Broker) checkControllerListeners() error {
	if len(b.ControllerListenerNames) == 0 || !b.HasRole("controller") {
		return nil
	}
	for _, l := range b.Listeners {
		if slices.Contains(b.ControllerListenerNames, l.Name) {
			return nil
		}
	}
	return inconsistent("controller.listener.names", b.Raw["controller.listener.names"], "no listener in listeners has one of these names")
}

// resolveInterBroker picks the inter-broker listener: it must be advertised.
func (b *Broker) resolveInterBroker(v values) error {
	key := "security.inter.broker.protocol"
	name := v.str(key)
	if v["inter.broker.listener.name"] != nil {
		if _, set := b.Raw[key]; set {
			return inconsistent("inter.broker.listener.name", v.str("inter.broker.listener.name"),
				"only one of inter.broker.listener.name and security.inter.broker.protocol may be set")
		}
		key, name = "inter.broker.listener.name", strings.ToUpper(v.str("inter.broker.listener.name"))
	}
	b.InterBrokerListenerName = name
	if !b.HasRole("broker") {
		return nil
	}
	if !slices.ContainsFunc(b.AdvertisedListeners, func(l Listener) bool { return l.Name == name }) {
		return invalidValue(key, v.str(key), errors.New("no advertised listener (from advertised.listeners or listeners) has the name "+name))
	}
	return nil
}
