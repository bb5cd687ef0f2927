package group

import (
	"fmt"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/config"
	"github.com/vltava/vltava/internal/coord"
	"github.com/vltava/vltava/internal/metadata/image"
)

// Config is the group coordinator's configuration (Kafka's broker
// properties named beside each field).
type Config struct {
	InitialRebalanceDelay  time.Duration // group.initial.rebalance.delay.ms
	MinSessionTimeout      time.Duration // group.min.session.timeout.ms
	MaxSessionTimeout      time.Duration // group.max.session.timeout.ms
	MaxSize                int           // group.max.size
	OffsetsRetention       time.Duration // offsets.retention.minutes
	RetentionCheckInterval time.Duration // offsets.retention.check.interval.ms
	MetadataMaxBytes       int           // offset.metadata.max.bytes

	// KIP-848 consumer groups.
	ConsumerAssignors         []string      // group.consumer.assignors (the first is the default)
	ConsumerSessionTimeout    time.Duration // group.consumer.session.timeout.ms
	ConsumerHeartbeatInterval time.Duration // group.consumer.heartbeat.interval.ms
	ConsumerMaxSize           int           // group.consumer.max.size (0: no limit)
	// ResolveGroup resolves a group's dynamic group configs over the
	// broker's; nil ignores group configs.
	ResolveGroup func(configs map[string]string) config.Group
}

// deps is what every shard of a coordinator shares.
type deps struct {
	cfg Config
	// partitionExists tells whether a topic partition exists (commits to
	// missing partitions fail with UNKNOWN_TOPIC_OR_PARTITION).
	partitionExists func(topic string, partition int32) bool
	// newMemberID returns a fresh member id with the given prefix (the
	// client id, or the instance id of a static member).
	newMemberID func(prefix string) string
	// image is the cluster metadata now (subscribed topics' ids and sizes).
	image func() *image.Image
}

// Shard is the group state of one __consumer_offsets partition: its classic
// groups and their committed offsets. Every method runs on the shard's
// goroutine (see internal/coord).
type Shard struct {
	p      int32
	env    coord.Env
	d      *deps
	groups map[string]*group
	seq    uint64 // orders members by when they joined

	// The current operation's output, turned into its Result by result().
	recs    []coord.Record
	replies []func(error)
}

func newShard(p int32, env coord.Env, d *deps) *Shard {
	return &Shard{p: p, env: env, d: d, groups: map[string]*group{}}
}

// offset is one committed offset.
type offset struct {
	offset      int64
	leaderEpoch int32
	metadata    string
	commitMs    int64
}

type topicPartition struct {
	topic     string
	partition int32
}

// result hands the current operation's records and replies to the runtime.
func (s *Shard) result() coord.Result {
	recs, replies := s.recs, s.replies
	s.recs, s.replies = nil, nil
	if len(replies) == 0 {
		return coord.Result{Records: recs}
	}
	return coord.Result{Records: recs, Done: func(err error) {
		for _, r := range replies {
			r(err)
		}
	}}
}

func (s *Shard) write(r coord.Record)     { s.recs = append(s.recs, r) }
func (s *Shard) reply(fn func(err error)) { s.replies = append(s.replies, fn) }

// Replay implements coord.Shard.
func (s *Shard) Replay(_ int64, r coord.Record) error {
	v, err := keyVersion(r.Key)
	if err != nil {
		return err
	}
	switch v {
	case 0, 1:
		return s.replayOffset(r)
	case 2:
		return s.replayGroup(r)
	case cgMetadataType, cgPartitionMetadataTyp, cgMemberMetadataType, cgTargetMetadataType, cgTargetMemberType, cgCurrentMemberType:
		return s.replayConsumer(v, r)
	default:
		return nil // resolved regexes (16), share and streams group records: not served
	}
}

func (s *Shard) replayOffset(r coord.Record) error {
	var k kmsg.OffsetCommitKey
	if err := k.ReadFrom(r.Key); err != nil {
		return fmt.Errorf("offset commit key: %w", err)
	}
	tp := topicPartition{k.Topic, k.Partition}
	if r.Value == nil {
		if g := s.groups[k.Group]; g != nil {
			delete(g.offsets, tp)
		}
		return nil
	}
	var v kmsg.OffsetCommitValue
	if err := v.ReadFrom(r.Value); err != nil {
		return fmt.Errorf("offset commit value of %s: %w", k.Group, err)
	}
	if v.Version < 3 {
		v.LeaderEpoch = -1
	}
	g := s.getOrCreate(k.Group)
	g.offsets[tp] = &offset{offset: v.Offset, leaderEpoch: v.LeaderEpoch, metadata: v.Metadata, commitMs: v.CommitTimestamp}
	return nil
}

func (s *Shard) replayGroup(r coord.Record) error {
	var k kmsg.GroupMetadataKey
	if err := k.ReadFrom(r.Key); err != nil {
		return fmt.Errorf("group metadata key: %w", err)
	}
	if r.Value == nil {
		// The classic group goes; its offsets (their own records) stay.
		if g := s.groups[k.Group]; g != nil && g.cg == nil {
			if len(g.offsets) == 0 {
				delete(s.groups, k.Group)
			} else {
				g.protocolType, g.protocol, g.leader, g.generation = "", "", "", 0
				g.members, g.instances, g.state = map[string]*member{}, map[string]string{}, stateEmpty
			}
		}
		return nil
	}
	var v kmsg.GroupMetadataValue
	if err := v.ReadFrom(r.Value); err != nil {
		return fmt.Errorf("group metadata value of %s: %w", k.Group, err)
	}
	g := s.getOrCreate(k.Group)
	g.protocolType, g.generation = v.ProtocolType, v.Generation
	g.protocol, g.leader = deref(v.Protocol), deref(v.Leader)
	g.stateTime = time.UnixMilli(v.CurrentStateTimestamp)
	if v.CurrentStateTimestamp < 0 {
		g.stateTime = s.env.Now()
	}
	g.members, g.instances = map[string]*member{}, map[string]string{}
	for _, vm := range v.Members {
		m := &member{
			id: vm.MemberID, instanceID: vm.InstanceID, clientID: vm.ClientID, clientHost: vm.ClientHost,
			sessionTimeout: time.Duration(vm.SessionTimeoutMillis) * time.Millisecond,
			protocolType:   v.ProtocolType,
			protocols:      []kmsg.JoinGroupRequestProtocol{{Name: g.protocol, Metadata: vm.Subscription}},
			assignment:     vm.Assignment,
		}
		m.rebalanceTimeout = time.Duration(vm.RebalanceTimeoutMillis) * time.Millisecond
		if vm.RebalanceTimeoutMillis <= 0 {
			m.rebalanceTimeout = m.sessionTimeout
		}
		s.addMember(g, m)
	}
	g.state = stateEmpty
	if len(g.members) > 0 {
		g.state = stateStable
	}
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Loaded implements coord.Shard: loaded members must heartbeat within their
// session timeout, and the offset retention check starts.
func (s *Shard) Loaded() {
	for _, g := range s.groups {
		for _, m := range g.members {
			s.scheduleSession(g, m)
		}
		if g.cg != nil {
			s.loadedConsumer(g)
		}
	}
	s.scheduleRetention()
}

// getOrCreate returns the group, creating it Empty.
func (s *Shard) getOrCreate(id string) *group {
	g := s.groups[id]
	if g == nil {
		g = &group{
			id: id, state: stateEmpty, stateTime: s.env.Now(),
			members: map[string]*member{}, instances: map[string]string{},
			pending: map[string]bool{}, pendingSync: map[string]bool{},
			offsets: map[topicPartition]*offset{},
		}
		s.groups[id] = g
	}
	return g
}

func (s *Shard) addMember(g *group, m *member) {
	s.seq++
	m.seq = s.seq
	g.members[m.id] = m
	if m.instanceID != nil {
		g.instances[*m.instanceID] = m.id
	}
}

// scheduleRetention arms the periodic expiry of stale offsets.
func (s *Shard) scheduleRetention() {
	s.env.Schedule("retention", s.d.cfg.RetentionCheckInterval, func() coord.Result {
		s.expireOffsets()
		s.scheduleRetention()
		return s.result()
	})
}

// expireOffsets deletes (with tombstones) the offsets that outlived
// offsets.retention.minutes, as Kafka does since KIP-211: the offsets of a
// group with a protocol type expire once it has been empty that long; those
// of a group used only to store offsets, each that long after its commit.
// A group left empty with no offsets is deleted.
func (s *Shard) expireOffsets() {
	now := s.env.Now().UnixMilli()
	ret := s.d.cfg.OffsetsRetention.Milliseconds()
	for _, id := range sortedKeys(s.groups) {
		g := s.groups[id]
		if g.state != stateEmpty || g.cg != nil && len(g.cg.members) > 0 {
			continue
		}
		for _, tp := range g.sortedOffsets() {
			base := g.offsets[tp].commitMs
			if g.protocolType != "" && g.cg == nil {
				base = g.stateTime.UnixMilli()
			}
			if base+ret <= now {
				delete(g.offsets, tp)
				s.write(coord.Record{Key: offsetKey(g.id, tp.topic, tp.partition)})
			}
		}
		if len(g.offsets) == 0 && len(g.pending) == 0 {
			s.deleteGroup(g)
		}
	}
}

// deleteGroup drops an empty group and writes its tombstones.
func (s *Shard) deleteGroup(g *group) {
	for _, tp := range g.sortedOffsets() {
		s.write(coord.Record{Key: offsetKey(g.id, tp.topic, tp.partition)})
	}
	if g.cg != nil {
		s.consumerTombstones(g)
	} else {
		s.write(coord.Record{Key: groupKey(g.id)})
	}
	s.env.Cancel(joinTimerKey(g.id))
	s.env.Cancel(syncTimerKey(g.id))
	delete(s.groups, g.id)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
