package groups_test

// TEMPORARY: a kfake stand-in for developing these tests before Vltava's
// group coordinator lands. Deleted once the tests run on testkit.

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

type fakeBroker struct {
	t    *testing.T
	c    *kfake.Cluster
	dir  string
	port int
}

func startFake(t *testing.T) broker {
	f := &fakeBroker{t: t, dir: t.TempDir()}
	f.start()
	_, port, _ := net.SplitHostPort(f.Addr())
	f.port, _ = strconv.Atoi(port)
	t.Cleanup(func() { f.c.Close() })
	return f
}

func (f *fakeBroker) start() {
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.DataDir(f.dir)}
	if f.port != 0 {
		opts = append(opts, kfake.Ports(f.port))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		f.t.Fatal(err)
	}
	f.c = c
}

func (f *fakeBroker) Addr() string { return f.c.ListenAddrs()[0] }
func (f *fakeBroker) Restart()     { f.c.Close(); f.start() }
func (f *fakeBroker) Client(opts ...kgo.Opt) *kgo.Client {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(f.Addr()), kgo.RetryTimeout(10 * time.Second)}, opts...)...)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(cl.Close)
	return cl
}
func (f *fakeBroker) Admin() *kadm.Client { return kadm.NewClient(f.Client()) }
