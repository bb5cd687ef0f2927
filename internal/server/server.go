// Package server is the broker's network front: listeners, connections,
// Kafka request framing and headers, the dispatch table, and one handler
// file per API key (NN_name.go, after the key number).
//
// Each connection has a reader goroutine. It decodes a request and runs its
// handler at once, so that produce requests from one connection append in
// the order they were sent; a handler that must wait (a long-poll fetch, a
// produce waiting for fsync) finishes later from another goroutine.
// Responses go out strictly in request order, written by whichever
// goroutine completes the oldest unanswered request, coalesced into one
// write (see conn.go).
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/group"
	vlog "github.com/vltava/vltava/internal/log"
	"github.com/vltava/vltava/internal/logging"
	"github.com/vltava/vltava/internal/metadata/controller"
	"github.com/vltava/vltava/internal/metadata/image"
	"github.com/vltava/vltava/internal/replica"
)

// Options configure a Server.
type Options struct {
	NodeID    int32
	ClusterID string
	// Listeners are the already-bound listeners, by listener name.
	Listeners map[string]net.Listener
	// Settings are the broker settings the handlers consult.
	Settings   Settings
	Controller *controller.Controller
	Replicas   *replica.Manager
	Logs       *vlog.Manager
	Configs    ConfigDescriber
	Groups     *group.Coordinator // the group coordinator (consumer groups, committed offsets)
	Clock      clock.Clock
	Logger     *slog.Logger
	// Loggers are the broker's named loggers, which DescribeConfigs and
	// IncrementalAlterConfigs show and change (BROKER_LOGGER); default:
	// ones over Logger.
	Loggers *logging.Levels
}

// Settings are the broker-level settings the handlers use.
type Settings struct {
	MaxRequestSize       int32 // socket.request.max.bytes
	AutoCreateTopics     bool  // auto.create.topics.enable
	MaxFetchSessions     int   // max.incremental.fetch.session.cache.slots
	FetchMaxBytes        int32 // fetch.max.bytes
	LogDir               string
	MaxInflightPerClient int
	// SendBufferBytes and ReceiveBufferBytes are the SO_SNDBUF and
	// SO_RCVBUF of client connections (socket.send.buffer.bytes,
	// socket.receive.buffer.bytes); 0 or less leaves the kernel's default
	// and its autotuning.
	SendBufferBytes, ReceiveBufferBytes int32
	// ConnectionsMaxIdle closes a connection that has had no request or
	// response for this long and has none in flight
	// (connections.max.idle.ms); 0 or less: never.
	ConnectionsMaxIdle time.Duration
	// DeleteTopicsDisabled refuses DeleteTopics (delete.topic.enable=false).
	DeleteTopicsDisabled bool
	// ConsumerProtocolDisabled turns off KIP-848 consumer groups
	// (group.coordinator.rebalance.protocols without "consumer"):
	// ApiVersions leaves out ConsumerGroupHeartbeat and
	// ConsumerGroupDescribe, and either answers UNSUPPORTED_VERSION.
	ConsumerProtocolDisabled bool
}

// ConfigDescriber renders configs for DescribeConfigs and CreateTopics,
// with the dynamic broker configs of metadata image im.
type ConfigDescriber interface {
	// DescribeTopic describes every config of a topic with these overrides.
	DescribeTopic(im *image.Image, overrides map[string]string) []ConfigEntry
	// DescribeBroker describes this broker's configs, or with
	// clusterDefaults the cluster-wide dynamic ones that are set.
	DescribeBroker(im *image.Image, clusterDefaults bool) []ConfigEntry
	// DescribeGroup describes every config of a group with these
	// dynamic group configs.
	DescribeGroup(configs map[string]string) []ConfigEntry
}

// ConfigEntry is one described config.
type ConfigEntry struct {
	Name, Value         string
	Null                bool
	Source              int8
	ReadOnly, Sensitive bool
	Type                int8
	Doc                 string
	Synonyms            []ConfigSynonym
}

// ConfigSynonym is one synonym of a described config.
type ConfigSynonym struct {
	Name, Value string
	Source      int8
}

// Server serves the Kafka protocol.
type Server struct {
	o        Options
	log      *slog.Logger
	handlers [maxKey + 1]handlerDef
	sessions *fetchSessions
	bodies   bodyPool

	start time.Time     // the zero of connections' activity times (idle.go)
	quit  chan struct{} // closed by Close

	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// New returns a server; call Serve to start it.
func New(o Options) *Server {
	if o.Settings.MaxInflightPerClient <= 0 {
		o.Settings.MaxInflightPerClient = 100
	}
	if o.Settings.MaxFetchSessions <= 0 {
		o.Settings.MaxFetchSessions = 1000
	}
	if o.Loggers == nil {
		o.Loggers = logging.FromLogger(o.Logger)
	}
	s := &Server{o: o, log: o.Logger, conns: map[*conn]struct{}{}, start: time.Now(), quit: make(chan struct{})}
	s.sessions = newFetchSessions(o.Settings.MaxFetchSessions)
	for _, h := range handlerTable {
		s.handlers[h.key] = h
	}
	return s
}

// Serve accepts connections on every listener until ctx ends or Close.
func (s *Server) Serve(ctx context.Context) {
	for name, ln := range s.o.Listeners {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.accept(ctx, name, ln)
		}()
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.trimBodies(ctx)
	}()
	if s.o.Settings.ConnectionsMaxIdle > 0 {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.reapIdle(ctx)
		}()
	}
	go func() {
		<-ctx.Done()
		s.Close()
	}()
}

func (s *Server) accept(ctx context.Context, name string, ln net.Listener) {
	for {
		nc, err := ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Error("accept", "listener", name, "err", err)
			}
			return
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			s.tune(tc)
		}
		c := newConn(s, nc, name)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.serve(ctx)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// tune sets a client connection's socket options. Failures are logged and
// the connection is served anyway, with the kernel's settings.
func (s *Server) tune(tc *net.TCPConn) {
	_ = tc.SetNoDelay(true)
	set := s.o.Settings
	if set.SendBufferBytes > 0 {
		if err := tc.SetWriteBuffer(int(set.SendBufferBytes)); err != nil {
			s.log.Warn("setting socket.send.buffer.bytes", "err", err)
		}
	}
	if set.ReceiveBufferBytes > 0 {
		if err := tc.SetReadBuffer(int(set.ReceiveBufferBytes)); err != nil {
			s.log.Warn("setting socket.receive.buffer.bytes", "err", err)
		}
	}
}

// Close stops accepting, closes every connection and waits for them.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.quit)
	for _, ln := range s.o.Listeners {
		ln.Close()
	}
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.bodies.close()
}

func (s *Server) String() string { return fmt.Sprintf("broker %d", s.o.NodeID) }
