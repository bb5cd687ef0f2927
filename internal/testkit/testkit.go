// Package testkit starts real Vltava brokers for tests.
//
// TEMPORARY: until the broker is wired up this starts a stand-in; the lead
// replaces it with the in-process Vltava broker.
package testkit

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Broker is a running broker.
type Broker struct{ addr string }

// Addr is the broker's host:port.
func (b *Broker) Addr() string { return b.addr }

// StartBroker starts a broker on a random loopback port, stopped when the test ends.
func StartBroker(t testing.TB) *Broker {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &Broker{addr: c.ListenAddrs()[0]}
}
