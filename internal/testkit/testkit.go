// Package testkit starts real Vltava brokers for tests: in-process nodes on
// random loopback ports with their data in the test's temporary directory.
package testkit

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/broker"
	"github.com/vltava/vltava/internal/config"
	"github.com/vltava/vltava/internal/logging"
	"github.com/vltava/vltava/internal/vfs"
)

// Broker is a running in-process broker.
type Broker struct {
	t     testing.TB
	b     *broker.Broker
	dir   string
	props map[string]string
	fs    vfs.FS
	logs  *logging.Levels // nil: discard (or stderr with VLTAVA_TEST_LOG)

	addr, adminAddr string // where it last listened, for Restart
}

// Option changes a test broker's settings.
type Option func(b *Broker)

// WithConfig sets a broker property (Kafka's names).
func WithConfig(key, value string) Option { return func(b *Broker) { b.props[key] = value } }

// WithDir keeps the broker's data in dir (to restart a broker on the same data).
func WithDir(dir string) Option { return func(b *Broker) { b.props["log.dirs"] = dir } }

// WithFS runs the broker on fs instead of the real file system (vfs.Mem
// to simulate crashes and I/O errors).
func WithFS(fs vfs.FS) Option { return func(b *Broker) { b.fs = fs } }

// WithLoggers sends the broker's logs through l (to assert on them).
func WithLoggers(l *logging.Levels) Option { return func(b *Broker) { b.logs = l } }

// StartBroker starts a broker on a random loopback port, closed when the
// test ends.
func StartBroker(t testing.TB, opts ...Option) *Broker {
	t.Helper()
	props := map[string]string{
		"node.id":                          "1",
		"listeners":                        "PLAINTEXT://127.0.0.1:0",
		"log.dirs":                         t.TempDir(),
		"group.initial.rebalance.delay.ms": "0",
		"vltava.admin.listener":            "127.0.0.1:0",
	}
	b := &Broker{t: t, props: props}
	for _, o := range opts {
		o(b)
	}
	b.dir = props["log.dirs"]
	b.start()
	t.Cleanup(func() { b.Close() })
	return b
}

func (b *Broker) start() {
	b.t.Helper()
	cfg, err := config.ParseBroker(b.props)
	if err != nil {
		b.t.Fatalf("testkit: config: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("VLTAVA_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	o := broker.Options{Config: cfg, Logger: logger, FS: b.fs, Loggers: b.logs}
	b.b, err = broker.Start(context.Background(), o)
	if err != nil {
		b.t.Fatalf("testkit: start broker: %v", err)
	}
	b.addr, b.adminAddr = b.b.Addr("PLAINTEXT"), b.b.AdminAddr()
}

// Addr is the broker's host:port.
func (b *Broker) Addr() string { return b.b.Addr("PLAINTEXT") }

// AdminAddr is the host:port of the broker's admin HTTP listener (metrics,
// health, partition status), or "" if WithConfig disabled it.
func (b *Broker) AdminAddr() string { return b.b.AdminAddr() }

// Dir is the broker's data directory.
func (b *Broker) Dir() string { return b.dir }

// Close shuts the broker down cleanly (idempotent).
func (b *Broker) Close() {
	if b.b != nil {
		if err := b.b.Close(); err != nil {
			b.t.Errorf("testkit: close broker: %v", err)
		}
		b.b = nil
	}
}

// Restart closes the broker cleanly (unless Close already did) and starts
// it again on the same data directory and ports.
func (b *Broker) Restart() {
	b.t.Helper()
	b.Close()
	b.props["listeners"] = "PLAINTEXT://" + b.addr
	if b.adminAddr != "" {
		b.props["vltava.admin.listener"] = b.adminAddr
	}
	b.start()
}

// Client returns a franz-go client for the broker, closed when the test ends.
func (b *Broker) Client(opts ...kgo.Opt) *kgo.Client {
	b.t.Helper()
	all := append([]kgo.Opt{kgo.SeedBrokers(b.Addr()), kgo.RetryTimeout(10 * time.Second)}, opts...)
	cl, err := kgo.NewClient(all...)
	if err != nil {
		b.t.Fatalf("testkit: client: %v", err)
	}
	b.t.Cleanup(cl.Close)
	return cl
}

// Admin returns a kadm client for the broker.
func (b *Broker) Admin() *kadm.Client { return kadm.NewClient(b.Client()) }

// Context returns a context that ends after d or with the test.
func Context(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Eventually polls cond until it returns true, failing the test with msg
// after timeout.
func Eventually(t testing.TB, timeout time.Duration, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v: %s", timeout, msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
