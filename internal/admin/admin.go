// Package admin is the broker's admin HTTP listener (vltava.admin.listener):
//
//   - GET /healthz: 200 "ok" while the listener serves.
//   - GET /metrics: Prometheus text format. Partition and cleaner metrics are
//     read from the live partitions when scraped (nothing is counted on the
//     produce or fetch path), plus the Go runtime and process collectors.
//   - GET /v1/partitions[?topic=T]...: the hosted partitions as JSON: offsets,
//     size and the cleaner's status (for `vltava topic describe --verbose`).
//
// The listener speaks plain HTTP and has no authentication: bind it to a
// loopback or management address.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vltava/vltava/internal/replica"
	"github.com/vltava/vltava/internal/vfs"
)

// PartitionLister returns the partitions this node hosts, sorted by topic
// and partition.
type PartitionLister func() []*replica.Partition

// Options configure the admin listener.
type Options struct {
	Addr       string          // host:port; port 0 picks a free port
	Partitions PartitionLister // the hosted partitions, read on each request
	// FastWrites reads the log file system's fast-write counts (see
	// vfs.FastWriteStats); nil leaves those metrics out.
	FastWrites func() vfs.FastWriteStats
	Logger     *slog.Logger // default: slog.Default()
}

// Server is a running admin listener.
type Server struct {
	ln     net.Listener
	http   *http.Server
	done   chan struct{}
	logger *slog.Logger
}

// shutdownTimeout bounds how long Close waits for requests in flight.
const shutdownTimeout = 5 * time.Second

// Start binds o.Addr and serves the admin endpoints until Close.
func Start(o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Partitions == nil {
		return nil, errors.New("admin: no partition lister")
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("vltava.admin.listener: %w", err)
	}
	s := &Server{ln: ln, done: make(chan struct{}), logger: o.Logger}
	s.http = &http.Server{
		Handler:           newMux(o.Partitions, o.FastWrites, o.Logger),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
	}
	go s.serve()
	return s, nil
}

func (s *Server) serve() {
	defer close(s.done)
	if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.logger.Error("admin listener stopped", "err", err)
	}
}

// Addr is the bound address (host:port).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops accepting, lets requests in flight finish (up to a few
// seconds) and closes the listener.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := s.http.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.http.Close()
	}
	<-s.done
	if err != nil {
		return fmt.Errorf("admin: close: %w", err)
	}
	return nil
}

// newMux routes the admin endpoints.
func newMux(parts PartitionLister, fast func() vfs.FastWriteStats, logger *slog.Logger) *http.ServeMux {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		newPartitionCollector(parts),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if fast != nil {
		reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "vltava_fast_writes_total",
				Help: "Log writes made as raw pwrite system calls (internal/vfs/fastwrite.go)."},
				func() float64 { return float64(fast().Raw) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "vltava_fast_write_fallbacks_total",
				Help: "Times a slow raw pwrite (dirty-page throttling, reclaim) turned fast writes off for 10 s."},
				func() float64 { return float64(fast().Fallbacks) }),
		)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	}))
	mux.Handle("GET /v1/partitions", partitionsHandler(parts, logger))
	return mux
}
