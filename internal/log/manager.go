package log

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/vfs"
)

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// DirName is the partition's directory name, "<topic>-<partition>".
func (tp TopicPartition) DirName() string { return tp.Topic + "-" + strconv.Itoa(int(tp.Partition)) }

// String implements fmt.Stringer.
func (tp TopicPartition) String() string { return tp.DirName() }

// ParseDirName parses "<topic>-<partition>", splitting at the last '-'.
func ParseDirName(name string) (TopicPartition, bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 || i == len(name)-1 {
		return TopicPartition{}, false
	}
	p, err := strconv.ParseInt(name[i+1:], 10, 32)
	if err != nil || p < 0 || strconv.FormatInt(p, 10) != name[i+1:] {
		return TopicPartition{}, false
	}
	return TopicPartition{Topic: name[:i], Partition: int32(p)}, true
}

// ManagerOptions configure NewManager.
type ManagerOptions struct {
	FS     vfs.FS
	Dir    string // the data directory (log.dirs entry)
	Clock  clock.Clock
	Logger *slog.Logger
	// RetentionCheckInterval is log.retention.check.interval.ms (default 5 min).
	RetentionCheckInterval time.Duration
	// FlushCheckInterval is how often flush.ms and segment.ms are checked
	// (default 1 s).
	FlushCheckInterval time.Duration
	// CheckpointInterval is how often changed recovery points, log start
	// offsets and high watermarks are persisted (default 5 s).
	CheckpointInterval time.Duration
	// ProducerIDExpiration is producer.id.expiration.ms, passed to every
	// log (see Options.ProducerIDExpiration; default 24 h).
	ProducerIDExpiration time.Duration
	// ProducerIDExpirationCheckInterval is
	// producer.id.expiration.check.interval.ms: how often Run removes
	// expired producers from every open log (default 10 min).
	ProducerIDExpirationCheckInterval time.Duration
	// Decompress is passed to every log (see Options.Decompress).
	Decompress func(codec int, data []byte) ([]byte, error)
	// Cleaner configures the log cleaner that Run starts.
	Cleaner CleanerOptions
}

// lockFileName is the data directory's lock file.
const lockFileName = "vltava.lock"

// Manager owns a data directory: its partition logs and the background
// work on them (retention, time-based flushes and rolls, checkpoints).
type Manager struct {
	o        ManagerOptions
	lock     vfs.File
	unlock   func() error
	offline  atomic.Bool
	existing []TopicPartition

	cleaners *cleanerPool
	flushes  rollFlusher

	mu      sync.Mutex
	logs    map[TopicPartition]*Log
	opening map[TopicPartition]*opening // opens under way, without mu
	closed  bool
}

// opening is a partition's open under way; done closes when l and err are
// set.
type opening struct {
	done chan struct{}
	l    *Log
	err  error
}

// NewManager creates the data directory if needed, takes its lock (a
// second broker on the same directory fails) and lists the partitions in
// it; it opens none of them.
func NewManager(o ManagerOptions) (*Manager, error) {
	if o.FS == nil || o.Dir == "" {
		return nil, errors.New("log manager: FS and Dir are required")
	}
	o = o.withDefaults()
	if err := o.FS.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, storageErr("create data dir", err)
	}
	m := &Manager{o: o, logs: map[TopicPartition]*Log{}, opening: map[TopicPartition]*opening{}, cleaners: newCleanerPool(o.Cleaner, o.Clock)}
	m.flushes.sem = make(chan struct{}, rollFlushers)
	if err := m.takeLock(); err != nil {
		return nil, err
	}
	if err := m.listExisting(); err != nil {
		m.unlock()
		return nil, err
	}
	return m, nil
}

func (o ManagerOptions) withDefaults() ManagerOptions {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.RetentionCheckInterval <= 0 {
		o.RetentionCheckInterval = 5 * time.Minute
	}
	if o.FlushCheckInterval <= 0 {
		o.FlushCheckInterval = time.Second
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = 5 * time.Second
	}
	if o.ProducerIDExpiration <= 0 {
		o.ProducerIDExpiration = defaultProducerIDExpiration
	}
	if o.ProducerIDExpirationCheckInterval <= 0 {
		o.ProducerIDExpirationCheckInterval = 10 * time.Minute
	}
	return o
}

// takeLock locks the data directory: an flock on real files; on file
// systems without descriptors (vfs.Mem) an exclusively created file,
// removed by Close and, never being made durable, gone after a crash.
func (m *Manager) takeLock() error {
	name := filepath.Join(m.o.Dir, lockFileName)
	f, err := m.o.FS.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return storageErr("open lock file", err)
	}
	if f.Fd() != ^uintptr(0) {
		if err := lockFile(f); err != nil {
			f.Close()
			return fmt.Errorf("data directory %s is in use by another process: %w", m.o.Dir, err)
		}
		m.lock, m.unlock = f, f.Close
		return nil
	}
	f.Close()
	excl := name + ".excl"
	g, err := m.o.FS.OpenFile(excl, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("data directory %s is in use by another process: %w", m.o.Dir, err)
	}
	m.lock = g
	m.unlock = func() error {
		g.Close()
		return m.o.FS.Remove(excl)
	}
	return nil
}

// listExisting records the partition directories found at start.
func (m *Manager) listExisting() error {
	ents, err := m.o.FS.ReadDir(m.o.Dir)
	if err != nil {
		return storageErr("list data dir", err)
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		tp, ok := ParseDirName(e.Name())
		if !ok {
			m.o.Logger.Warn("ignoring unexpected directory in data dir", "dir", e.Name())
			continue
		}
		m.existing = append(m.existing, tp)
	}
	return nil
}

// Existing returns the partitions found on disk when the manager started.
func (m *Manager) Existing() []TopicPartition {
	return append([]TopicPartition(nil), m.existing...)
}

// Offline reports whether an I/O error took the data directory offline.
func (m *Manager) Offline() bool { return m.offline.Load() }

// Dir is the data directory.
func (m *Manager) Dir() string { return m.o.Dir }

// options are the Options for one partition.
func (m *Manager) options(tp TopicPartition, id TopicID, cfg Config) Options {
	return Options{
		FS: m.o.FS, Dir: filepath.Join(m.o.Dir, tp.DirName()), TopicID: id, Config: cfg, Clock: m.o.Clock,
		Logger: m.o.Logger, Topic: tp.Topic, Partition: tp.Partition,
		DirFailed: &m.offline, Decompress: m.o.Decompress, cleanerWake: m.cleaners.notify,
		flushLater: m.flushes.run, ProducerIDExpiration: m.o.ProducerIDExpiration,
	}
}

// GetOrCreate returns the partition's log, opening (and recovering) or
// creating it with cfg if it is not open yet. An open log keeps its
// config; use SetConfig to change it.
func (m *Manager) GetOrCreate(tp TopicPartition, cfg Config) (*Log, error) {
	return m.GetOrCreateTopic(tp, TopicID{}, cfg)
}

// GetOrCreateTopic is GetOrCreate for the partition of topic id. A
// directory on disk that belongs to another topic of the same name (a
// deleted one, whose directory outlived it) is deleted first, so that its
// records are never served as this topic's. Kafka calls such a log stray.
//
// Logs open without the manager's lock, so that many partitions can open
// (and recover) at once, as at start; a second call for a partition that
// is opening waits for the first and gets its result.
func (m *Manager) GetOrCreateTopic(tp TopicPartition, id TopicID, cfg Config) (*Log, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, ErrClosed
	}
	if l, ok := m.logs[tp]; ok {
		m.mu.Unlock()
		return l, nil
	}
	if op, ok := m.opening[tp]; ok {
		m.mu.Unlock()
		<-op.done
		return op.l, op.err
	}
	if m.offline.Load() {
		m.mu.Unlock()
		return nil, fmt.Errorf("%w: data directory %s is offline", ErrStorage, m.o.Dir)
	}
	op := &opening{done: make(chan struct{})}
	m.opening[tp] = op
	m.mu.Unlock()

	l, err := m.open(tp, id, cfg)
	m.mu.Lock()
	delete(m.opening, tp)
	switch {
	case err != nil:
	case m.closed:
		l.Close()
		l, err = nil, ErrClosed
	default:
		m.logs[tp] = l
	}
	m.mu.Unlock()
	op.l, op.err = l, err
	close(op.done)
	return l, err
}

// open opens the partition's log, deleting a stray directory first (see
// GetOrCreateTopic).
func (m *Manager) open(tp TopicPartition, id TopicID, cfg Config) (*Log, error) {
	l, err := Open(m.options(tp, id, cfg))
	if errors.Is(err, ErrInconsistentTopicID) {
		m.o.Logger.Warn("deleting the stray log of an earlier topic of the same name", "topic", tp.Topic, "partition", tp.Partition, "err", err)
		if err = m.o.FS.RemoveAll(filepath.Join(m.o.Dir, tp.DirName())); err != nil {
			err = storageErr("delete stray partition dir", err)
		} else {
			l, err = Open(m.options(tp, id, cfg))
		}
	}
	if errors.Is(err, ErrStorage) {
		m.offline.Store(true)
	}
	return l, err
}

// Get returns an open partition log.
func (m *Manager) Get(tp TopicPartition) (*Log, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.logs[tp]
	return l, ok
}

// Logs returns the open logs by partition.
func (m *Manager) Logs() map[TopicPartition]*Log {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[TopicPartition]*Log, len(m.logs))
	for tp, l := range m.logs {
		out[tp] = l
	}
	return out
}

// Delete deletes a partition's log and directory, open or not.
func (m *Manager) Delete(tp TopicPartition) error {
	m.mu.Lock()
	l, ok := m.logs[tp]
	delete(m.logs, tp)
	m.mu.Unlock()
	if ok {
		return l.Delete()
	}
	if err := m.o.FS.RemoveAll(filepath.Join(m.o.Dir, tp.DirName())); err != nil {
		return storageErr("delete partition dir", err)
	}
	return nil
}

// Close closes every log cleanly (in parallel) and releases the lock.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	logs := make([]*Log, 0, len(m.logs))
	for _, l := range m.logs {
		logs = append(logs, l)
	}
	opens := make([]*opening, 0, len(m.opening))
	for _, op := range m.opening {
		opens = append(opens, op)
	}
	m.mu.Unlock()
	for _, op := range opens {
		<-op.done // it closes its log, seeing closed
	}
	err := forEachParallel(logs, 8, (*Log).Close)
	m.flushes.close()
	if e := m.unlock(); e != nil && err == nil {
		err = storageErr("release lock", e)
	}
	return err
}

// forEachParallel runs f on every log with n workers and joins the
// errors.
func forEachParallel(logs []*Log, n int, f func(*Log) error) error {
	var mu sync.Mutex
	var errs []error
	work := make(chan *Log)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range work {
				if err := f(l); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s: %w", filepath.Base(l.dir), err))
					mu.Unlock()
				}
			}
		}()
	}
	for _, l := range logs {
		work <- l
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}

// sortedLogs returns the open logs in a stable order.
func (m *Manager) sortedLogs() []*Log {
	m.mu.Lock()
	defer m.mu.Unlock()
	logs := make([]*Log, 0, len(m.logs))
	for _, l := range m.logs {
		logs = append(logs, l)
	}
	sort.Slice(logs, func(i, j int) bool { return logs[i].dir < logs[j].dir })
	return logs
}

// Run does the background work until ctx ends: retention every
// RetentionCheckInterval; flush.ms flushes, segment.ms rolls and
// checkpoints every FlushCheckInterval (checkpoints at most every
// CheckpointInterval); producer id expiry every
// ProducerIDExpirationCheckInterval; the cleaner threads (see
// CleanerOptions).
func (m *Manager) Run(ctx context.Context) {
	waitCleaner := m.startCleaner(ctx)
	defer waitCleaner()
	var lastCkpt atomic.Int64
	stopR := m.every(ctx, m.o.RetentionCheckInterval, m.RetentionPass)
	stopF := m.every(ctx, m.o.FlushCheckInterval, func() {
		m.FlushPass()
		now := m.o.Clock.Now().UnixMilli()
		if now-lastCkpt.Load() >= m.o.CheckpointInterval.Milliseconds() {
			lastCkpt.Store(now)
			m.CheckpointPass()
		}
	})
	stopP := m.every(ctx, m.o.ProducerIDExpirationCheckInterval, m.ProducerExpirationPass)
	<-ctx.Done()
	stopR()
	stopF()
	stopP()
}

// every runs f every d on the manager's clock until ctx ends or the
// returned stop is called.
func (m *Manager) every(ctx context.Context, d time.Duration, f func()) (stop func()) {
	var mu sync.Mutex
	var t clock.Timer
	stopped := false
	var tick func()
	tick = func() {
		if ctx.Err() != nil {
			return
		}
		f()
		mu.Lock()
		defer mu.Unlock()
		if !stopped {
			t = m.o.Clock.AfterFunc(d, tick)
		}
	}
	mu.Lock()
	t = m.o.Clock.AfterFunc(d, tick)
	mu.Unlock()
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		t.Stop()
	}
}

// RetentionPass enforces retention on every open log.
func (m *Manager) RetentionPass() {
	for _, l := range m.sortedLogs() {
		n, err := l.EnforceRetention()
		if err != nil && !errors.Is(err, ErrClosed) {
			m.o.Logger.Error("retention failed", "dir", l.dir, "err", err)
		} else if n > 0 {
			m.o.Logger.Info("retention deleted segments", "dir", l.dir, "segments", n)
		}
	}
}

// ProducerExpirationPass removes the expired producers of every open log
// (see Log.RemoveExpiredProducers), as of one reading of the manager's
// clock. Each log's lock is held only for its own walk, so appends to
// other partitions never wait for the pass.
func (m *Manager) ProducerExpirationPass() {
	now := m.o.Clock.Now().UnixMilli()
	for _, l := range m.sortedLogs() {
		if n := l.RemoveExpiredProducers(now); n > 0 {
			m.o.Logger.Debug("removed expired producer ids", "dir", l.dir, "producers", n)
		}
	}
}

// FlushPass applies flush.ms and segment.ms to every open log.
func (m *Manager) FlushPass() {
	for _, l := range m.sortedLogs() {
		if err := l.FlushIfDue(); err != nil && !errors.Is(err, ErrClosed) {
			m.o.Logger.Error("flush failed", "dir", l.dir, "err", err)
		}
		if err := l.MaybeRoll(); err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrStorage) {
			m.o.Logger.Error("roll failed", "dir", l.dir, "err", err)
		}
	}
}

// CheckpointPass persists every open log's checkpoint if it changed.
func (m *Manager) CheckpointPass() {
	for _, l := range m.sortedLogs() {
		if err := l.Checkpoint(); err != nil {
			m.o.Logger.Error("checkpoint failed", "dir", l.dir, "err", err)
		}
	}
}

// rollFlushers is how many rolled segments are flushed at once.
const rollFlushers = 4

// rollFlusher runs the background flushes of rolled segments, a few at a
// time, and lets Close wait for them.
type rollFlusher struct {
	sem    chan struct{}
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func (f *rollFlusher) run(flush func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return // the log is closing too: Close flushes it
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		f.sem <- struct{}{}
		defer func() { <-f.sem }()
		flush()
	}()
}

// close waits for the flushes under way; later ones are not run.
func (f *rollFlusher) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.wg.Wait()
}
