package replica_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/config"
	vlog "github.com/vltava/vltava/internal/log"
	"github.com/vltava/vltava/internal/metadata/image"
	"github.com/vltava/vltava/internal/record"
	"github.com/vltava/vltava/internal/replica"
	"github.com/vltava/vltava/internal/vfs"
)

// node is the id of the broker under test.
const node int32 = 1

// dataDir is the data directory on the in-memory file system.
const dataDir = "/data"

// t0 is the manual clock's start; test record timestamps are around it.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

var t0ms = t0.UnixMilli()

// env is one broker's replica layer over real components: a log manager on
// an in-memory file system, a manual clock, and a Resolve that resolves
// topic configs as the broker does (config.ResolveTopic with the image's
// dynamic broker configs).
type env struct {
	t        testing.TB
	fs       *vfs.Mem
	clk      *clock.Manual
	logs     *vlog.Manager
	m        *replica.Manager
	im       *image.Image
	resolves atomic.Int64 // calls of Resolve
	logBuf   *syncBuffer  // what the replica manager logged
	// resolveErr, if set, makes Resolve fail for topics with this override
	// key.
	resolveErr string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, fs: vfs.NewMem(), clk: clock.NewManual(t0), im: image.Empty(), logBuf: &syncBuffer{}}
	e.open()
	return e
}

// open starts a log manager and a replica manager on the env's file
// system, as a broker does at start (without applying an image).
func (e *env) open() {
	e.t.Helper()
	logs, err := vlog.NewManager(vlog.ManagerOptions{
		FS: e.fs, Dir: dataDir, Clock: e.clk,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		e.t.Fatalf("log manager: %v", err)
	}
	e.logs = logs
	e.t.Cleanup(func() { logs.Close() })
	b, err := config.ParseBroker(nil)
	if err != nil {
		e.t.Fatalf("broker config: %v", err)
	}
	e.m = replica.NewManager(replica.ManagerOptions{
		NodeID: node, Logs: logs, Clock: e.clk,
		Logger: slog.New(slog.NewTextHandler(e.logBuf, nil)),
		Resolve: func(im *image.Image, overrides map[string]string) (replica.Config, error) {
			e.resolves.Add(1)
			return resolveLikeBroker(b, im, overrides, e.resolveErr)
		},
	})
}

// restart closes the log manager cleanly and opens a new log manager and
// replica manager on the same file system.
func (e *env) restart() {
	e.t.Helper()
	if err := e.logs.Close(); err != nil {
		e.t.Fatalf("close log manager: %v", err)
	}
	e.open()
}

// resolveLikeBroker resolves as internal/broker's replicaConfig does, but
// strictly (config.ResolveTopic), and fails for topics with override
// failOn, so that tests can reach the Manager's handling of a failed
// Resolve, which the broker's lenient resolver never returns.
func resolveLikeBroker(b *config.Broker, im *image.Image, overrides map[string]string, failOn string) (replica.Config, error) {
	if _, ok := overrides[failOn]; ok && failOn != "" {
		return replica.Config{}, errResolve
	}
	tc, err := config.ResolveTopic(b, config.DynamicFor(im.BrokerConfigs, node), overrides)
	if err != nil {
		return replica.Config{}, err
	}
	return replica.ConfigFor(tc), nil
}

type resolveError struct{}

func (resolveError) Error() string { return "test: unresolvable topic config" }

var errResolve error = resolveError{}

// apply applies metadata records to the env's image and the new image to
// the replica manager.
func (e *env) apply(recs ...image.Record) error {
	e.t.Helper()
	e.im = e.im.Apply(e.im.Offset+1, recs)
	return e.m.Apply(e.im)
}

func (e *env) mustApply(recs ...image.Record) {
	e.t.Helper()
	if err := e.apply(recs...); err != nil {
		e.t.Fatalf("Apply: %v", err)
	}
}

// partition returns a hosted partition or fails the test.
func (e *env) partition(topic string, p int32) *replica.Partition {
	e.t.Helper()
	part := e.m.Get(topic, p)
	if part == nil {
		e.t.Fatalf("Get(%q, %d) = nil, want a hosted partition", topic, p)
	}
	return part
}

// topicID makes a topic id from a byte.
func topicID(b byte) image.Uuid {
	var id image.Uuid
	id[0], id[15] = b, b
	return id
}

// createTopic returns the records that create a topic whose partitions have
// the given replica sets (the first replica leads, at leader epoch 0), with
// config overrides, as the controller writes them.
func createTopic(name string, id image.Uuid, replicas [][]int32, configs map[string]string) []image.Record {
	recs := []image.Record{&image.TopicRecord{Name: name, ID: id}}
	for p, rs := range replicas {
		recs = append(recs, &image.PartitionRecord{
			TopicID: id, Partition: int32(p), Replicas: rs,
			ISR: append([]int32(nil), rs...), Leader: rs[0], LeaderEpoch: 0,
		})
	}
	for k, v := range configs {
		recs = append(recs, topicConfig(name, k, &v))
	}
	return recs
}

// onNode is a replica set of n partitions, each on this node alone.
func onNode(n int) [][]int32 {
	out := make([][]int32, n)
	for i := range out {
		out[i] = []int32{node}
	}
	return out
}

// topicConfig sets (value non-nil) or removes a topic config override.
func topicConfig(topic, key string, value *string) *image.ConfigRecord {
	return &image.ConfigRecord{ResourceType: image.ResourceTopic, ResourceName: topic, Name: key, Value: value}
}

func ptr(s string) *string { return &s }

// newLeader moves a partition's leadership (same replicas) to a new epoch.
func newLeader(id image.Uuid, p int32, leaderEpoch int32) *image.PartitionRecord {
	return &image.PartitionRecord{
		TopicID: id, Partition: p, Replicas: []int32{node}, ISR: []int32{node},
		Leader: node, LeaderEpoch: leaderEpoch,
	}
}

var codecs = record.NewCodecs()

// batchOpts describe a produced batch.
type batchOpts struct {
	codec     int
	firstTs   int64 // default t0ms
	pid       int64 // producer id; 0 means none (-1 in the batch)
	epoch     int16
	seq       int32
	keyPrefix string // records get keys keyPrefix+i; "" = null keys
}

// produce builds a batch as a producer sends it (base offset 0, no leader
// epoch) holding the given values, one record per value, record i at
// firstTs+i.
func produce(t testing.TB, o batchOpts, values ...string) []byte {
	t.Helper()
	recs := make([]record.Record, len(values))
	for i, v := range values {
		recs[i] = record.Record{OffsetDelta: int32(i), TimestampDelta: int64(i), Value: []byte(v)}
		if o.keyPrefix != "" {
			recs[i].Key = []byte(o.keyPrefix + strconv.Itoa(i))
		}
	}
	return produceRecords(t, o, recs)
}

func produceRecords(t testing.TB, o batchOpts, recs []record.Record) []byte {
	t.Helper()
	h := record.Header{
		PartitionLeaderEpoch: -1, Attributes: int16(o.codec), FirstTimestamp: o.firstTs,
		ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
	}
	if o.firstTs == 0 {
		h.FirstTimestamp = t0ms
	}
	if o.pid != 0 {
		h.ProducerID, h.ProducerEpoch, h.BaseSequence = o.pid, o.epoch, o.seq
	}
	b, err := record.BuildBatch(nil, h, recs, codecs)
	if err != nil {
		t.Fatalf("BuildBatch: %v", err)
	}
	return b
}

// stored is one batch as read back from a partition's log.
type stored struct {
	h    record.Header
	recs []record.Record
}

// readStored reads every batch from offset up to the high watermark.
func readStored(t testing.TB, p *replica.Partition, offset int64) []stored {
	t.Helper()
	bs, err := readBatches(p, offset)
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

// readBatches is readStored for goroutines other than the test's.
func readBatches(p *replica.Partition, offset int64) ([]stored, error) {
	res, err := p.Log().Read(offset, 64<<20, p.HighWatermark())
	if err != nil {
		return nil, fmt.Errorf("Read(%d): %w", offset, err)
	}
	defer res.Release()
	b, err := res.Bytes()
	if err != nil {
		return nil, fmt.Errorf("read bytes: %w", err)
	}
	var out []stored
	for len(b) > 0 {
		n := record.BatchSize(b)
		if n < record.HeaderSize || n > len(b) {
			return nil, fmt.Errorf("bad stored batch size %d with %d bytes left", n, len(b))
		}
		if err := record.CheckCRC(b[:n]); err != nil {
			return nil, fmt.Errorf("stored batch: %w", err)
		}
		h, err := record.ParseHeader(b[:n])
		if err != nil {
			return nil, fmt.Errorf("stored batch header: %w", err)
		}
		s := stored{h: h}
		err = record.IterBatch(b[:n], codecs, func(r *record.Record) error {
			cp := *r
			cp.Key, cp.Value = bytes.Clone(r.Key), bytes.Clone(r.Value)
			cp.Headers = append([]record.RecordHeader(nil), r.Headers...)
			for i := range cp.Headers {
				cp.Headers[i].Value = bytes.Clone(cp.Headers[i].Value)
			}
			s.recs = append(s.recs, cp)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("stored records: %w", err)
		}
		out = append(out, s)
		b = b[n:]
	}
	return out, nil
}

// values are the values of the stored batches' records, in order.
func values(bs []stored) []string {
	var out []string
	for _, b := range bs {
		for _, r := range b.recs {
			out = append(out, string(r.Value))
		}
	}
	return out
}

// countWaiter is a parked fetch that counts its notifications and, if
// set, runs onNotify on the notifying goroutine.
type countWaiter struct {
	n        atomic.Int64
	onNotify func()
}

func (w *countWaiter) Notify() {
	w.n.Add(1)
	if w.onNotify != nil {
		w.onNotify()
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
