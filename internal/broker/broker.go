// Package broker wires one Vltava node together: the log manager, the
// metadata log and controller, the replica manager and the Kafka protocol
// server. cmd/vltava and internal/testkit both start nodes through it.
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"time"

	"github.com/vltava/vltava/internal/admin"
	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/config"
	"github.com/vltava/vltava/internal/group"
	vlog "github.com/vltava/vltava/internal/log"
	"github.com/vltava/vltava/internal/logging"
	"github.com/vltava/vltava/internal/metadata/controller"
	"github.com/vltava/vltava/internal/metadata/image"
	"github.com/vltava/vltava/internal/metadata/quorum"
	"github.com/vltava/vltava/internal/record"
	"github.com/vltava/vltava/internal/replica"
	"github.com/vltava/vltava/internal/server"
	"github.com/vltava/vltava/internal/vfs"
)

// Options configure a node.
type Options struct {
	Config *config.Broker
	FS     vfs.FS       // default: the real file system
	Clock  clock.Clock  // default: the wall clock
	Logger *slog.Logger // default: slog.Default()
	// Loggers name the broker's loggers (vltava.server, vltava.log, ...),
	// whose levels clients can change at run time; default: over Logger,
	// at the lowest level its handler lets through.
	Loggers *logging.Levels
}

// Broker is a running node.
type Broker struct {
	cfg     *config.Broker
	logger  *slog.Logger
	loggers *logging.Levels
	// fastWrites reads the fast-write counts when the log's file system is
	// the real one; nil otherwise.
	fastWrites func() vfs.FastWriteStats
	logs       *vlog.Manager
	meta       quorum.Log
	ctl        *controller.Controller
	replicas   *replica.Manager
	groups     *group.Coordinator
	srv        *server.Server
	admin      *admin.Server // nil when vltava.admin.listener is empty
	addrs      map[string]string
	clusterID  string
	cancel     context.CancelFunc
	runDone    chan struct{}
}

// logManagerOptions are the log manager's settings taken from the broker
// config (the caller adds the file system, directory, clock and logger).
func logManagerOptions(cfg *config.Broker) vlog.ManagerOptions {
	return vlog.ManagerOptions{
		RetentionCheckInterval: time.Duration(cfg.Log.RetentionCheckIntervalMs) * time.Millisecond,
		// Kafka checks flush.ms every log.flush.scheduler.interval.ms
		// (default: never); checking at least every second is cheap.
		FlushCheckInterval:                time.Duration(min(cfg.Log.FlushSchedulerIntervalMs, 1000)) * time.Millisecond,
		CheckpointInterval:                checkpointInterval(cfg),
		ProducerIDExpiration:              time.Duration(cfg.Txn.ProducerIDExpirationMs) * time.Millisecond,
		ProducerIDExpirationCheckInterval: time.Duration(cfg.Txn.ProducerIDExpirationCheckIntervalMs) * time.Millisecond,
		Cleaner: vlog.CleanerOptions{
			Disable:             !cfg.Cleaner.Enable || cfg.Cleaner.Threads == 0,
			Threads:             int(cfg.Cleaner.Threads),
			DedupeBufferSize:    cfg.Cleaner.DedupeBufferSize,
			LoadFactor:          cfg.Cleaner.IOBufferLoadFactor,
			MaxIOBytesPerSecond: cfg.Cleaner.IOMaxBytesPerSecond,
			Backoff:             time.Duration(cfg.Cleaner.BackoffMs) * time.Millisecond,
		},
	}
}

// checkpointInterval is how often the log manager persists what changed
// of recovery points, log start offsets and high watermarks: Vltava writes
// the three together, so at the shortest of Kafka's three intervals that is
// set (log.flush.offset.checkpoint.interval.ms,
// log.flush.start.offset.checkpoint.interval.ms,
// replica.high.watermark.checkpoint.interval.ms; with Kafka's defaults, the
// last one's 5 s). 0 means the log manager's default.
func checkpointInterval(cfg *config.Broker) time.Duration {
	var d time.Duration
	for _, ms := range []int64{int64(cfg.Log.FlushOffsetCheckpointIntervalMs), int64(cfg.Log.FlushStartOffsetCheckpointIntervalMs), cfg.Replica.HighWatermarkCheckpointIntervalMs} {
		if v := time.Duration(ms) * time.Millisecond; v > 0 && (d == 0 || v < d) {
			d = v
		}
	}
	return d
}

// metadataDirName is the metadata log's directory inside the data
// directory, named as in KRaft.
const metadataDirName = "__cluster_metadata-0"

// Start opens the data directory (recovering it after a crash), binds the
// listeners and starts serving.
func Start(ctx context.Context, o Options) (_ *Broker, err error) {
	if o.FS == nil {
		o.FS = vfs.NewOS()
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Loggers == nil {
		o.Loggers = logging.FromLogger(o.Logger)
	}
	cfg := o.Config
	if len(cfg.LogDirs) != 1 {
		return nil, fmt.Errorf("log.dirs: exactly one directory is supported for now, got %d", len(cfg.LogDirs))
	}
	dir := cfg.LogDirs[0]
	if filepath.Clean(cfg.MetadataLogDir) != filepath.Clean(dir) {
		return nil, fmt.Errorf("metadata.log.dir: a metadata directory apart from the log directory is not supported yet (got %s, log.dirs is %s)", cfg.MetadataLogDir, dir)
	}
	b := &Broker{cfg: cfg, logger: o.Loggers.Logger("vltava.broker"), loggers: o.Loggers, addrs: map[string]string{}, runDone: make(chan struct{})}
	if osfs, ok := o.FS.(vfs.OS); ok {
		b.fastWrites = osfs.FastWriteStats
	}
	defer func() {
		if err != nil {
			b.closeStores()
		}
	}()
	if b.clusterID, err = loadMetaProperties(o.FS, dir, cfg.NodeID); err != nil {
		return nil, err
	}
	codecs := record.NewCodecs()
	lo := logManagerOptions(cfg)
	lo.FS, lo.Dir, lo.Clock, lo.Logger = o.FS, dir, o.Clock, o.Loggers.Logger("vltava.log")
	// Exact ListOffsets by timestamp inside compressed batches.
	lo.Decompress = func(codec int, data []byte) ([]byte, error) {
		return codecs.Decompress(codec, data, nil)
	}
	b.logs, err = vlog.NewManager(lo)
	if err != nil {
		return nil, fmt.Errorf("open log dir %s: %w", dir, err)
	}
	if b.meta, err = quorum.OpenLocal(o.FS, filepath.Join(dir, metadataDirName), o.Loggers.Logger("vltava.metadata")); err != nil {
		return nil, err
	}
	b.ctl, err = controller.New(controller.Options{
		Log: b.meta, Logger: o.Loggers.Logger("vltava.metadata"),
		Defaults: controller.Defaults{NumPartitions: cfg.NumPartitions, ReplicationFactor: cfg.DefaultReplicationFactor},
		// Topic configs are checked over the broker's defaults, as
		// Kafka's LogConfig.validate does: min.compaction.lag.ms above
		// log.cleaner.max.compaction.lag.ms fails here, not later.
		ValidateConfig: func(im *image.Image, overrides map[string]string) error {
			_, err := config.ResolveTopic(cfg, config.DynamicFor(im.BrokerConfigs, cfg.NodeID), overrides)
			return err
		},
		ValidateBrokerConfig: func(im *image.Image, name string, next map[string]string) error {
			return config.ValidateDynamic(cfg, config.DynamicFor(im.BrokerConfigs, cfg.NodeID), name != "", next)
		},
		ValidateGroupConfig: func(_ *image.Image, next map[string]string) error { return config.ValidateGroupConfigs(cfg, next) },
	})
	if err != nil {
		return nil, err
	}
	listeners, err := b.bind()
	if err != nil {
		return nil, err
	}
	if err := b.ctl.RegisterBroker(ctx, image.RegisterBrokerRecord{ID: cfg.NodeID, Endpoints: b.endpoints(listeners)}); err != nil {
		closeAll(listeners)
		return nil, fmt.Errorf("register broker: %w", err)
	}
	if err := b.startReplicas(o); err != nil {
		closeAll(listeners)
		return nil, err
	}
	b.startGroups(o)
	b.srv = server.New(server.Options{
		NodeID: cfg.NodeID, ClusterID: b.clusterID, Listeners: listeners,
		Settings: server.Settings{
			MaxRequestSize:   cfg.SocketRequestMaxBytes,
			AutoCreateTopics: cfg.AutoCreateTopics,
			FetchMaxBytes:    cfg.FetchMaxBytes,
			LogDir:           dir,

			SendBufferBytes:          cfg.SocketSendBufferBytes,
			ReceiveBufferBytes:       cfg.SocketReceiveBufferBytes,
			ConnectionsMaxIdle:       time.Duration(cfg.ConnectionsMaxIdleMs) * time.Millisecond,
			DeleteTopicsDisabled:     !cfg.DeleteTopicEnable,
			ConsumerProtocolDisabled: !slices.Contains(cfg.Group.RebalanceProtocols, "consumer"),
		},
		Controller: b.ctl, Replicas: b.replicas, Logs: b.logs,
		Configs: describer{cfg}, Groups: b.groups, Clock: o.Clock,
		Logger: o.Loggers.Logger("vltava.server"), Loggers: o.Loggers,
	})
	runCtx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	b.srv.Serve(runCtx)
	go func() {
		defer close(b.runDone)
		b.logs.Run(runCtx)
	}()
	if err := b.startAdmin(); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// startAdmin starts the admin HTTP listener (metrics, health, partition
// status) when vltava.admin.listener is set.
func (b *Broker) startAdmin() error {
	if b.cfg.AdminListener == "" {
		return nil
	}
	s, err := admin.Start(admin.Options{
		Addr:       b.cfg.AdminListener,
		Partitions: admin.HostedPartitions(b.ctl.Image, b.replicas),
		FastWrites: b.fastWrites,
		Logger:     b.loggers.Logger("vltava.admin"),
	})
	if err != nil {
		return err
	}
	b.admin = s
	b.logger.Info("admin listener serving /metrics, /healthz, /v1/partitions", "addr", s.Addr())
	return nil
}

// AdminAddr returns the admin listener's bound address (host:port), or ""
// when it is disabled.
func (b *Broker) AdminAddr() string {
	if b.admin == nil {
		return ""
	}
	return b.admin.Addr()
}

// startReplicas loads the partitions this node hosts and follows metadata
// changes; logs on disk for topics that no longer exist are deleted.
func (b *Broker) startReplicas(o Options) error {
	b.replicas = replica.NewManager(replica.ManagerOptions{
		NodeID: b.cfg.NodeID, Logs: b.logs, Clock: o.Clock, Logger: o.Loggers.Logger("vltava.replica"),
		OpenParallelism: int(b.cfg.Log.NumRecoveryThreadsPerDataDir),
		Resolve: func(im *image.Image, overrides map[string]string) (replica.Config, error) {
			rc, ignored := replicaConfig(b.cfg, config.DynamicFor(im.BrokerConfigs, b.cfg.NodeID), overrides)
			if len(ignored) > 0 {
				b.logger.Warn("ignoring topic configs that are unknown or invalid", "configs", ignored)
			}
			return rc, nil
		},
	})
	im := b.ctl.Image()
	if err := b.replicas.Apply(im); err != nil {
		return err
	}
	for _, tp := range b.logs.Existing() {
		if tp.DirName() == metadataDirName {
			continue // the metadata log, not a partition
		}
		if !hosts(im, b.cfg.NodeID, tp.Topic, tp.Partition) {
			b.logger.Info("deleting log of a partition that no longer exists", "topic", tp.Topic, "partition", tp.Partition)
			if err := b.logs.Delete(tp); err != nil {
				return err
			}
		}
	}
	b.ctl.Subscribe(func(_, im *image.Image) {
		if err := b.replicas.Apply(im); err != nil {
			b.logger.Error("apply metadata", "err", err)
		}
	})
	return nil
}

// hosts says whether image im places a replica of partition p of topic on
// node: whether its log on disk is still wanted.
func hosts(im *image.Image, node int32, topic string, p int32) bool {
	t := im.Topics[topic]
	if t == nil || p < 0 || int(p) >= len(t.Partitions) {
		return false
	}
	return slices.Contains(t.Partitions[p].Replicas, node)
}

// startGroups starts the group coordinator on the __consumer_offsets
// partitions this node leads, following leadership changes.
func (b *Broker) startGroups(o Options) {
	gcfg, topic := group.FromBroker(b.cfg)
	b.groups = group.New(group.Options{
		NodeID: b.cfg.NodeID, Config: gcfg, Topic: topic,
		Controller: b.ctl, Replicas: b.replicas, Clock: o.Clock, Logger: o.Loggers.Logger("vltava.group"),
	})
	b.groups.Apply(b.ctl.Image())
	b.ctl.Subscribe(func(_, im *image.Image) { b.groups.Apply(im) })
}

func (b *Broker) bind() (map[string]net.Listener, error) {
	out := map[string]net.Listener{}
	for _, l := range b.cfg.Listeners {
		if isControllerListener(b.cfg, l.Name) {
			continue
		}
		ln, err := net.Listen("tcp", l.Address())
		if err != nil {
			closeAll(out)
			return nil, fmt.Errorf("listeners: %s: %w", l, err)
		}
		out[l.Name] = ln
		b.addrs[l.Name] = ln.Addr().String()
	}
	if len(out) == 0 {
		return nil, errors.New("listeners: no broker listener configured")
	}
	return out, nil
}

func isControllerListener(cfg *config.Broker, name string) bool {
	for _, n := range cfg.ControllerListenerNames {
		if n == name {
			return true
		}
	}
	return false
}

// endpoints are the advertised listeners, with the bound port where the
// configured one was 0.
func (b *Broker) endpoints(bound map[string]net.Listener) []image.Endpoint {
	var out []image.Endpoint
	for _, l := range b.cfg.AdvertisedListeners {
		ln := bound[l.Name]
		if ln == nil {
			continue
		}
		port := l.Port
		if port == 0 {
			port = ln.Addr().(*net.TCPAddr).Port
		}
		host := l.Host
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		out = append(out, image.Endpoint{Name: l.Name, Host: host, Port: int32(port), Protocol: l.Protocol})
	}
	return out
}

// Addr returns the bound address of a listener (host:port).
func (b *Broker) Addr(listener string) string { return b.addrs[listener] }

// Addrs returns every bound listener address by listener name.
func (b *Broker) Addrs() map[string]string { return b.addrs }

// ClusterID is the cluster's id.
func (b *Broker) ClusterID() string { return b.clusterID }

// Close shuts the node down cleanly: the admin listener, connections, then
// logs (flushed, with their clean-shutdown markers), then the metadata log.
func (b *Broker) Close() error {
	var adminErr error
	if b.admin != nil {
		adminErr = b.admin.Close()
		b.admin = nil
	}
	if b.srv != nil {
		b.srv.Close()
	}
	if b.groups != nil {
		b.groups.Close()
	}
	if b.cancel != nil {
		b.cancel()
		<-b.runDone
	}
	return errors.Join(adminErr, b.closeStores())
}

func (b *Broker) closeStores() error {
	var errs []error
	if b.logs != nil {
		errs = append(errs, b.logs.Close())
		b.logs = nil
	}
	if b.meta != nil {
		errs = append(errs, b.meta.Close())
		b.meta = nil
	}
	return errors.Join(errs...)
}

func closeAll(m map[string]net.Listener) {
	for _, ln := range m {
		ln.Close()
	}
}
