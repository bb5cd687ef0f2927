package replica

import (
	"cmp"
	"fmt"
	"log/slog"
	"sync"

	"github.com/vltava/vltava/internal/clock"
	vlog "github.com/vltava/vltava/internal/log"
	"github.com/vltava/vltava/internal/metadata/image"
	"github.com/vltava/vltava/internal/record"
)

// Manager hosts this broker's partitions and keeps them in step with the
// metadata image.
type Manager struct {
	nodeID   int32
	logs     *vlog.Manager
	clock    clock.Clock
	codecs   *record.Codecs
	logger   *slog.Logger
	resolve  func(im *image.Image, topicConfigs map[string]string) (Config, error)
	openers  int // logs opened at once by Apply
	mu       sync.RWMutex
	parts    map[vlog.TopicPartition]*Partition
	lastSeen *image.Image
}

// ManagerOptions configure a Manager.
type ManagerOptions struct {
	NodeID int32
	Logs   *vlog.Manager
	Clock  clock.Clock
	Logger *slog.Logger
	// Resolve turns a topic's config overrides into its full config, with
	// the broker-level defaults of the image (dynamic broker configs).
	Resolve func(im *image.Image, topicConfigs map[string]string) (Config, error)
	// OpenParallelism is how many partition logs Apply opens (and
	// recovers) at once (num.recovery.threads.per.data.dir); 0 means 2,
	// Kafka's default.
	OpenParallelism int
}

// NewManager returns a manager with no partitions; call Apply with the
// metadata image to load them.
func NewManager(o ManagerOptions) *Manager {
	return &Manager{
		nodeID: o.NodeID, logs: o.Logs, clock: o.Clock, logger: o.Logger,
		resolve: o.Resolve, codecs: record.NewCodecs(), openers: cmp.Or(o.OpenParallelism, 2),
		parts: map[vlog.TopicPartition]*Partition{},
	}
}

// Get returns the hosted partition, or nil.
func (m *Manager) Get(topic string, partition int32) *Partition {
	m.mu.RLock()
	p := m.parts[vlog.TopicPartition{Topic: topic, Partition: partition}]
	m.mu.RUnlock()
	return p
}

// Apply brings the hosted partitions in line with a new image: it opens the
// logs of partitions this broker replicates, updates configs and epochs, and
// deletes the logs of topics that are gone. Calls are serialised by the
// controller's publishing.
func (m *Manager) Apply(im *image.Image) error {
	keep := map[vlog.TopicPartition]bool{}
	var jobs []func() error
	for _, name := range im.TopicNames() {
		t := im.Topics[name]
		cfg, err := m.resolve(im, t.Configs)
		if err != nil {
			m.logger.Error("bad topic config; keeping the old one", "topic", name, "err", err)
		}
		for i, pa := range t.Partitions {
			if !contains(pa.Replicas, m.nodeID) {
				continue
			}
			tp := vlog.TopicPartition{Topic: name, Partition: int32(i)}
			keep[tp] = true
			jobs = append(jobs, func() error { return m.ensure(tp, t.ID, pa, cfg, err == nil) })
		}
	}
	m.dropMissing(keep)
	return runParallel(jobs, m.openers)
}

// runParallel runs the jobs on n workers (opening logs is mostly waiting
// on the file system) and returns the first error.
func runParallel(jobs []func() error, n int) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     = make(chan func() error)
	)
	for range min(n, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range next {
				if err := job(); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	return firstErr
}

func (m *Manager) ensure(tp vlog.TopicPartition, id image.Uuid, pa *image.Partition, cfg Config, cfgOK bool) error {
	m.mu.RLock()
	p := m.parts[tp]
	m.mu.RUnlock()
	if p != nil && p.TopicID != id { // deleted and recreated under the same name
		m.drop(tp)
		p = nil
	}
	if p == nil {
		if !cfgOK {
			// Never open a partition with a zero Config: retention 0 would
			// delete its records.
			return fmt.Errorf("partition %s-%d: not opened: its topic's config does not resolve", tp.Topic, tp.Partition)
		}
		l, err := m.logs.GetOrCreateTopic(tp, vlog.TopicID(id), cfg.Log)
		if err != nil {
			return fmt.Errorf("open log %s-%d: %w", tp.Topic, tp.Partition, err)
		}
		p = &Partition{Topic: tp.Topic, TopicID: id, Index: tp.Partition, log: l, clock: m.clock, codecs: m.codecs}
		p.cfg.Store(&cfg)
		p.epoch.Store(pa.LeaderEpoch)
		p.advanceHighWatermark()
		m.mu.Lock()
		m.parts[tp] = p
		m.mu.Unlock()
		return nil
	}
	p.epoch.Store(pa.LeaderEpoch)
	if cfgOK && *p.cfg.Load() != cfg {
		p.cfg.Store(&cfg)
		p.log.SetConfig(cfg.Log)
	}
	return nil
}

func (m *Manager) dropMissing(keep map[vlog.TopicPartition]bool) {
	m.mu.RLock()
	var gone []vlog.TopicPartition
	for tp := range m.parts {
		if !keep[tp] {
			gone = append(gone, tp)
		}
	}
	m.mu.RUnlock()
	for _, tp := range gone {
		m.drop(tp)
	}
}

func (m *Manager) drop(tp vlog.TopicPartition) {
	m.mu.Lock()
	p := m.parts[tp]
	delete(m.parts, tp)
	m.mu.Unlock()
	if p == nil {
		return
	}
	p.wake()
	if err := m.logs.Delete(tp); err != nil {
		m.logger.Error("delete log", "topic", tp.Topic, "partition", tp.Partition, "err", err)
	}
}

func contains(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
