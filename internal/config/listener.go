package config

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// Security protocols Kafka knows; Vltava serves PLAINTEXT only for now.
const (
	ProtocolPlaintext     = "PLAINTEXT"
	ProtocolSSL           = "SSL"
	ProtocolSASLPlaintext = "SASL_PLAINTEXT"
	ProtocolSASLSSL       = "SASL_SSL"
)

var securityProtocols = []string{ProtocolPlaintext, ProtocolSSL, ProtocolSASLPlaintext, ProtocolSASLSSL}

var compressionTypes = []string{"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}

// Listener is one NAME://host:port endpoint.
type Listener struct {
	Name     string // upper case, e.g. PLAINTEXT or CONTROLLER
	Protocol string // security protocol, from listener.security.protocol.map
	Host     string // "" means all interfaces (listeners only)
	Port     int    // 0 means a free port, chosen when binding
}

// String renders the listener as NAME://host:port.
func (l Listener) String() string {
	return l.Name + "://" + net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
}

// Address is the host:port to pass to net.Listen.
func (l Listener) Address() string { return net.JoinHostPort(l.Host, strconv.Itoa(l.Port)) }

// isWildcard reports whether host means "every interface".
func isWildcard(host string) bool { return host == "" || host == "0.0.0.0" || host == "::" }

// parseListener parses NAME://host:port; an IPv6 host is bracketed.
func parseListener(s string) (Listener, error) {
	name, addr, ok := strings.Cut(s, "://")
	if !ok || name == "" {
		return Listener{}, fmt.Errorf("%q is not of the form NAME://host:port", s)
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return Listener{}, fmt.Errorf("%q is not of the form NAME://host:port", s)
	}
	if strings.ContainsFunc(host, func(r rune) bool { return !isHostRune(r) }) {
		return Listener{}, fmt.Errorf("%q has an invalid host %q", s, host)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return Listener{}, fmt.Errorf("%q has an invalid port %q", s, portStr)
	}
	return Listener{Name: strings.ToUpper(name), Host: host, Port: port}, nil
}

func isHostRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-%._:", r)
}

// parseListenerList parses a comma-separated list of listeners with unique
// names; "" is an empty list.
func parseListenerList(s string) ([]Listener, error) {
	var out []Listener
	for _, part := range parseList(trim(s)) {
		l, err := parseListener(part)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(out, func(o Listener) bool { return o.Name == l.Name }) {
			return nil, fmt.Errorf("listener name %s is used twice", l.Name)
		}
		out = append(out, l)
	}
	return out, nil
}

// checkListenerSyntax is the Def check of listeners and advertised.listeners.
func checkListenerSyntax(x any) error {
	_, err := parseListenerList(x.(string))
	return err
}

// parseProtocolMap parses NAME:PROTOCOL pairs; names are upper-cased.
func parseProtocolMap(s string) (map[string]string, error) {
	m := make(map[string]string)
	for _, pair := range parseList(trim(s)) {
		name, proto, ok := strings.Cut(pair, ":")
		name, proto = strings.ToUpper(trim(name)), strings.ToUpper(trim(proto))
		if !ok || name == "" {
			return nil, fmt.Errorf("%q is not of the form NAME:PROTOCOL", pair)
		}
		if !slices.Contains(securityProtocols, proto) {
			return nil, fmt.Errorf("%q names an unknown security protocol %q", pair, proto)
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("listener name %s is mapped twice", name)
		}
		m[name] = proto
	}
	return m, nil
}

func checkProtocolMapSyntax(x any) error {
	_, err := parseProtocolMap(x.(string))
	return err
}

// processRoles checks process.roles: a non-empty subset of broker, controller.
func processRoles(x any) error {
	roles := x.([]string)
	if len(roles) == 0 {
		return errors.New("must name broker, controller or both")
	}
	if err := listOf("broker", "controller")(x); err != nil {
		return err
	}
	return nonEmptyUnique(x)
}

// checkHostPort checks a host:port address.
func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err == nil {
		var n int
		n, err = strconv.Atoi(port)
		if err == nil && (host == "" || n < 0 || n > 65535) {
			err = errors.New("out of range")
		}
	}
	if err != nil {
		return fmt.Errorf("%q is not of the form host:port", s)
	}
	return nil
}

// checkOptionalHostPort accepts "" or host:port (the host may be empty).
func checkOptionalHostPort(x any) error {
	s := x.(string)
	if s == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(s)
	if err == nil {
		if n, perr := strconv.Atoi(port); perr != nil || n < 0 || n > 65535 {
			err = errors.New("bad port")
		}
	}
	if err != nil || strings.ContainsFunc(host, func(r rune) bool { return !isHostRune(r) }) {
		return fmt.Errorf("%q is not of the form host:port", s)
	}
	return nil
}

// checkVoter checks a controller.quorum.voters entry, id@host:port.
func checkVoter(s string) error {
	id, addr, ok := strings.Cut(s, "@")
	if n, err := strconv.ParseInt(id, 10, 32); !ok || err != nil || n < 0 || checkHostPort(addr) != nil {
		return fmt.Errorf("%q is not of the form id@host:port", s)
	}
	return nil
}
