// Package group is the group coordinator: classic consumer groups (the
// JoinGroup/SyncGroup/Heartbeat/LeaveGroup protocol) and committed offsets,
// kept in __consumer_offsets in Kafka's own record formats (records.go) on
// the internal/coord runtime: one Shard per partition of that topic this
// broker leads.
//
// The Coordinator routes each request to the shard of its group's
// partition (PartitionFor, as Kafka) and answers through a callback once
// whatever the request changed is written.
package group

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/config"
	"github.com/vltava/vltava/internal/coord"
	"github.com/vltava/vltava/internal/metadata/controller"
	"github.com/vltava/vltava/internal/metadata/image"
	"github.com/vltava/vltava/internal/replica"
)

// Options configure a Coordinator.
type Options struct {
	NodeID     int32
	Config     Config
	Topic      TopicSpec
	Controller *controller.Controller
	Replicas   *replica.Manager
	Clock      clock.Clock
	Logger     *slog.Logger
	// NewMemberID makes member ids; default prefix-<uuid> as Kafka.
	NewMemberID func(prefix string) string
}

// TopicSpec is how __consumer_offsets is created.
type TopicSpec struct {
	Partitions        int32 // offsets.topic.num.partitions
	ReplicationFactor int16 // offsets.topic.replication.factor (capped by the brokers there are)
	SegmentBytes      int32 // offsets.topic.segment.bytes
}

// FromBroker takes the coordinator's settings from the broker config.
func FromBroker(b *config.Broker) (Config, TopicSpec) {
	g := b.Group
	return Config{
			InitialRebalanceDelay:  ms(g.InitialRebalanceDelayMs),
			MinSessionTimeout:      ms(g.MinSessionTimeoutMs),
			MaxSessionTimeout:      ms(g.MaxSessionTimeoutMs),
			MaxSize:                int(g.MaxSize),
			OffsetsRetention:       time.Duration(g.OffsetsRetentionMinutes) * time.Minute,
			RetentionCheckInterval: time.Duration(g.OffsetsRetentionCheckIntervalMs) * time.Millisecond,
			MetadataMaxBytes:       int(g.OffsetMetadataMaxBytes),
			ConsumerAssignors:      g.ConsumerAssignors,
			ConsumerSessionTimeout: ms(g.ConsumerSessionTimeoutMs),
			// group.consumer.max.size is not in internal/config yet:
			// no limit, as Kafka's default (Integer.MAX_VALUE).
			ConsumerHeartbeatInterval: ms(g.ConsumerHeartbeatIntervalMs),
			ConsumerMaxSize:           int(g.ConsumerMaxSize),
			ResolveGroup:              func(c map[string]string) config.Group { return config.ResolveGroup(b, c) },
		}, TopicSpec{
			Partitions: g.OffsetsTopicNumPartitions, ReplicationFactor: g.OffsetsTopicReplicationFactor,
			SegmentBytes: g.OffsetsTopicSegmentBytes,
		}
}

// Coordinator serves the group APIs of this broker.
type Coordinator struct {
	o  Options
	rt *coord.Runtime[*Shard]
	mu sync.Mutex // serialises topic creation
}

// New returns a coordinator; Apply starts its shards.
func New(o Options) *Coordinator {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.NewMemberID == nil {
		o.NewMemberID = randomMemberID
	}
	c := &Coordinator{o: o}
	d := &deps{cfg: o.Config, partitionExists: c.partitionExists, newMemberID: o.NewMemberID, image: o.Controller.Image}
	c.rt = coord.New(coord.Options[*Shard]{
		Name: "group coordinator",
		Partition: func(p int32) coord.Partition {
			if rp := o.Replicas.Get(OffsetsTopic, p); rp != nil {
				return coord.FromReplica(rp)
			}
			return nil
		},
		NewShard: func(p int32, env coord.Env) *Shard { return newShard(p, env, d) },
		Clock:    o.Clock, Logger: o.Logger,
	})
	return c
}

func randomMemberID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%s-%x-%x-%x-%x-%x", prefix, b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (c *Coordinator) partitionExists(topic string, p int32) bool {
	t := c.o.Controller.Image().Topics[topic]
	return t != nil && p >= 0 && int(p) < len(t.Partitions)
}

// Apply starts shards for the __consumer_offsets partitions this broker
// leads in im and stops the others. The broker calls it with every image.
func (c *Coordinator) Apply(im *image.Image) {
	var led []int32
	if t := im.Topics[OffsetsTopic]; t != nil {
		for i, p := range t.Partitions {
			if p.Leader == c.o.NodeID {
				led = append(led, int32(i))
			}
		}
	}
	c.rt.Reconcile(led)
}

// Close stops every shard.
func (c *Coordinator) Close() { c.rt.Close() }

// numPartitions is __consumer_offsets' partition count, 0 if it is absent.
func (c *Coordinator) numPartitions() int32 {
	if t := c.o.Controller.Image().Topics[OffsetsTopic]; t != nil {
		return int32(len(t.Partitions))
	}
	return 0
}

// Partition returns the __consumer_offsets partition of a group, creating
// the topic first if it does not exist yet (as Kafka does on the first
// FindCoordinator).
func (c *Coordinator) Partition(ctx context.Context, groupID string) (int32, error) {
	if n := c.numPartitions(); n > 0 {
		return PartitionFor(groupID, n), nil
	}
	if err := c.createTopic(ctx); err != nil {
		return 0, err
	}
	return PartitionFor(groupID, c.numPartitions()), nil
}

func (c *Coordinator) createTopic(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.numPartitions() > 0 {
		return nil
	}
	rf := min(int(c.o.Topic.ReplicationFactor), len(c.o.Controller.Image().Brokers))
	res, err := c.o.Controller.CreateTopics(ctx, []controller.CreateTopic{{
		Name: OffsetsTopic, NumPartitions: c.o.Topic.Partitions, ReplicationFactor: int16(max(rf, 1)),
		Configs: map[string]string{
			"cleanup.policy":   "compact",
			"compression.type": "producer",
			"segment.bytes":    fmt.Sprint(c.o.Topic.SegmentBytes),
		},
	}}, false)
	if err != nil {
		return fmt.Errorf("create %s: %w", OffsetsTopic, err)
	}
	if e := res[0].Err; e != nil && e.Code != kerr.TopicAlreadyExists {
		return fmt.Errorf("create %s: %w", OffsetsTopic, e)
	}
	c.o.Logger.Info("created "+OffsetsTopic, "partitions", res[0].NumPartitions, "replication", res[0].ReplicationFactor)
	return nil
}

// submit runs op on the group's shard; fail gets the error code when it
// cannot run there.
func (c *Coordinator) submit(ctx context.Context, groupID string, op func(*Shard) coord.Result, fail func(*kerr.Error)) {
	n := c.numPartitions()
	if n == 0 {
		fail(kerr.NotCoordinator)
		return
	}
	c.rt.Submit(ctx, PartitionFor(groupID, n), op, func(err error) { fail(submitError(err)) })
}

// submitError maps why an operation could not run to Kafka's code.
func submitError(err error) *kerr.Error {
	switch {
	case errors.Is(err, coord.ErrLoading):
		return kerr.CoordinatorLoadInProgress
	case errors.Is(err, coord.ErrNotCoordinator), errors.Is(err, coord.ErrClosed):
		return kerr.NotCoordinator
	default:
		return kerr.CoordinatorNotAvailable
	}
}
