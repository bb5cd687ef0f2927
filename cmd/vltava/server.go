package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vltava/vltava/internal/broker"
	"github.com/vltava/vltava/internal/config"
	"github.com/vltava/vltava/internal/logging"
)

func newServerCmd() *cobra.Command {
	var (
		configFile string
		overrides  []string
		logLevel   string
		cpuProfile string
	)
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run a broker (and its own controller: a cluster of one)",
		Long: `Run a Vltava broker. Configuration uses Apache Kafka's property names:
a server.properties file (--config) and --override key=value (repeatable),
applied in that order. With neither, the broker listens on localhost:9092 and
keeps its data under ./vltava-data.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadServerConfig(configFile, overrides)
			if err != nil {
				return exitError{code: 2, err: err}
			}
			loggers, err := newLoggers(logLevel)
			if err != nil {
				return exitError{code: 2, err: err}
			}
			if cpuProfile != "" {
				stop, err := startCPUProfile(cpuProfile)
				if err != nil {
					return exitError{code: 2, err: err}
				}
				defer stop()
			}
			return runServer(cmd.Context(), cfg, loggers)
		},
	}
	cmd.Flags().StringVarP(&configFile, "config", "c", "", "server.properties file")
	cmd.Flags().StringArrayVar(&overrides, "override", nil, "override a property: key=value (repeatable)")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "log level: trace, debug, info, warn, error; change it at run time with 'vltava broker alter-loggers'")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile to this file until shutdown (for performance work)")
	_ = cmd.Flags().MarkHidden("cpuprofile")
	return cmd
}

// loadServerConfig reads the properties file, applies the overrides and
// validates the result.
func loadServerConfig(file string, overrides []string) (*config.Broker, error) {
	props := map[string]string{}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("--config: %w", err)
		}
		props, err = config.ParseProperties(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	for _, o := range overrides {
		k, v, ok := strings.Cut(o, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--override %q: want key=value", o)
		}
		props[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return config.ParseBroker(props)
}

// newLoggers returns the broker's named loggers writing text lines to
// stderr, starting at level (any case of Kafka's level names).
func newLoggers(level string) (*logging.Levels, error) {
	l, ok := logging.ParseLevel(strings.ToUpper(level))
	if !ok {
		return nil, fmt.Errorf("--log-level %q: want trace, debug, info, warn or error", level)
	}
	h := slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logging.LevelTrace})
	return logging.New(h, l), nil
}

func runServer(ctx context.Context, cfg *config.Broker, loggers *logging.Levels) error {
	logger := loggers.Logger("vltava.broker")
	if os.Getenv("GOGC") == "" {
		// The broker's live heap is small (records live in the page cache,
		// not the heap), so the default GOGC=100 collects very often; a
		// larger factor trades a few MB of heap for fewer GC cycles and
		// fewer latency spikes. GOGC in the environment still wins.
		debug.SetGCPercent(400)
	}
	b, err := broker.Start(ctx, broker.Options{Config: cfg, Logger: logger, Loggers: loggers})
	if err != nil {
		return err
	}
	for name, addr := range b.Addrs() {
		logger.Info("listening", "listener", name, "addr", addr)
	}
	logger.Info("vltava started", "node.id", cfg.NodeID, "cluster.id", b.ClusterID(), "log.dirs", strings.Join(cfg.LogDirs, ","))
	<-ctx.Done()
	logger.Info("shutting down")
	if err := b.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped cleanly")
	return nil
}

func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
