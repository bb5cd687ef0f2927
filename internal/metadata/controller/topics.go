package controller

import (
	"context"
	"maps"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/vltava/vltava/internal/metadata/image"
)

// MaxTopicNameLength is Kafka's limit on topic names.
const MaxTopicNameLength = 249

// ValidateTopicName checks a topic name as Kafka does.
func ValidateTopicName(name string) *Error {
	switch {
	case name == "":
		return errf(kerr.InvalidTopicException, "Topic name is illegal, it can't be empty")
	case name == "." || name == "..":
		return errf(kerr.InvalidTopicException, "Topic name cannot be \".\" or \"..\"")
	case len(name) > MaxTopicNameLength:
		return errf(kerr.InvalidTopicException, "Topic name is illegal, it can't be longer than %d characters, topic name: %s", MaxTopicNameLength, name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return errf(kerr.InvalidTopicException, "Topic name %q is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'", name)
		}
	}
	return nil
}

// CreateTopic is one topic to create.
type CreateTopic struct {
	Name              string
	NumPartitions     int32     // -1: the broker default
	ReplicationFactor int16     // -1: the broker default
	Assignment        [][]int32 // optional manual replica assignment, by partition
	Configs           map[string]string
}

// CreatedTopic is the outcome of one CreateTopic.
type CreatedTopic struct {
	ID                image.Uuid
	NumPartitions     int32
	ReplicationFactor int16
	Err               *Error
}

// CreateTopics creates topics. With validateOnly nothing is written.
func (c *Controller) CreateTopics(ctx context.Context, reqs []CreateTopic, validateOnly bool) ([]CreatedTopic, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	im := c.Image()
	out := make([]CreatedTopic, len(reqs))
	var recs []image.Record
	seen := map[string]bool{}
	for i, r := range reqs {
		res, trecs := c.planTopic(im, r, seen)
		out[i] = res
		if res.Err == nil && !validateOnly {
			recs = append(recs, trecs...)
		}
	}
	if err := c.commit(ctx, recs); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Controller) planTopic(im *image.Image, r CreateTopic, seen map[string]bool) (CreatedTopic, []image.Record) {
	fail := func(e *Error) (CreatedTopic, []image.Record) { return CreatedTopic{Err: e}, nil }
	if e := ValidateTopicName(r.Name); e != nil {
		return fail(e)
	}
	if _, ok := im.Topics[r.Name]; ok || seen[r.Name] {
		return fail(errf(kerr.TopicAlreadyExists, "Topic '%s' already exists.", r.Name))
	}
	if other := collides(im, r.Name); other != "" {
		return fail(errf(kerr.InvalidTopicException, "Topic '%s' collides with existing topic: %s", r.Name, other))
	}
	assign, e := c.assignment(im, r)
	if e != nil {
		return fail(e)
	}
	if c.validate != nil {
		if err := c.validate(im, r.Configs); err != nil {
			return fail(errf(kerr.InvalidConfig, "%v", err))
		}
	}
	seen[r.Name] = true
	id := newUUID()
	recs := []image.Record{&image.TopicRecord{Name: r.Name, ID: id}}
	keys := make([]string, 0, len(r.Configs))
	for k := range r.Configs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := r.Configs[k]
		recs = append(recs, &image.ConfigRecord{ResourceType: image.ResourceTopic, ResourceName: r.Name, Name: k, Value: &v})
	}
	for p, replicas := range assign {
		recs = append(recs, partitionRecord(id, int32(p), replicas))
	}
	return CreatedTopic{ID: id, NumPartitions: int32(len(assign)), ReplicationFactor: int16(len(assign[0]))}, recs
}

func partitionRecord(id image.Uuid, p int32, replicas []int32) *image.PartitionRecord {
	return &image.PartitionRecord{
		TopicID: id, Partition: p, Replicas: replicas,
		ISR: append([]int32(nil), replicas...), Leader: replicas[0], LeaderEpoch: 0,
	}
}

// collides returns an existing topic whose name differs only by '.' vs '_'.
func collides(im *image.Image, name string) string {
	norm := func(s string) string { return strings.ReplaceAll(s, ".", "_") }
	n := norm(name)
	for other := range im.Topics {
		if other != name && norm(other) == n {
			return other
		}
	}
	return ""
}

// assignment works out the replicas of each partition of a new topic.
func (c *Controller) assignment(im *image.Image, r CreateTopic) ([][]int32, *Error) {
	if len(r.Assignment) > 0 {
		if r.NumPartitions != -1 || r.ReplicationFactor != -1 {
			return nil, errf(kerr.InvalidRequest, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.")
		}
		return checkManual(im, r.Assignment, 0)
	}
	np, rf := r.NumPartitions, r.ReplicationFactor
	if np == -1 {
		np = c.defaults.NumPartitions
	}
	if rf == -1 {
		rf = c.defaults.ReplicationFactor
	}
	if np <= 0 {
		return nil, errf(kerr.InvalidPartitions, "Number of partitions was set to an invalid non-positive value.")
	}
	if rf <= 0 {
		return nil, errf(kerr.InvalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default value.")
	}
	brokers := im.BrokerIDs()
	if int(rf) > len(brokers) {
		return nil, errf(kerr.InvalidReplicationFactor, "Unable to replicate the partition %d time(s): The target replication factor of %d cannot be reached because only %d broker(s) are registered.", rf, rf, len(brokers))
	}
	return place(brokers, 0, int(np), int(rf), len(im.Topics)), nil
}

// place spreads partitions' replicas round-robin over the brokers, starting
// each topic at a different broker so that leaders spread out.
func place(brokers []int32, firstPartition, n, rf, seed int) [][]int32 {
	out := make([][]int32, n)
	for i := range out {
		p := firstPartition + i
		reps := make([]int32, rf)
		for j := range reps {
			reps[j] = brokers[(seed+p+j)%len(brokers)]
		}
		out[i] = reps
	}
	return out
}

func checkManual(im *image.Image, a [][]int32, firstPartition int) ([][]int32, *Error) {
	rf := len(a[0])
	for i, reps := range a {
		p := firstPartition + i
		if len(reps) == 0 {
			return nil, errf(kerr.InvalidReplicaAssignment, "The manual partition assignment includes a partition with no replicas. Partition id: %d", p)
		}
		if len(reps) != rf {
			return nil, errf(kerr.InvalidReplicaAssignment, "The manual partition assignment includes the partition %d with %d replica(s), but this is inconsistent with previous partitions, which have %d replica(s).", p, len(reps), rf)
		}
		seen := map[int32]bool{}
		for _, b := range reps {
			if seen[b] {
				return nil, errf(kerr.InvalidReplicaAssignment, "The manual partition assignment includes the partition %d with duplicate replica %d", p, b)
			}
			seen[b] = true
			if im.Brokers[b] == nil {
				return nil, errf(kerr.InvalidReplicaAssignment, "The manual partition assignment includes broker %d, but no such broker is registered.", b)
			}
		}
	}
	return a, nil
}

// DeleteTopics deletes topics by name; each name's error is nil on success.
func (c *Controller) DeleteTopics(ctx context.Context, names []string) ([]*Error, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	im := c.Image()
	out := make([]*Error, len(names))
	var recs []image.Record
	done := map[string]bool{}
	for i, n := range names {
		t := im.Topics[n]
		if t == nil || done[n] {
			out[i] = errf(kerr.UnknownTopicOrPartition, "This server does not host this topic-partition.")
			continue
		}
		done[n] = true
		recs = append(recs, &image.RemoveTopicRecord{ID: t.ID})
	}
	return out, c.commit(ctx, recs)
}

// CreatePartitions grows a topic to count partitions.
func (c *Controller) CreatePartitions(ctx context.Context, topic string, count int32, assignment [][]int32, validateOnly bool) (*Error, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	im := c.Image()
	t := im.Topics[topic]
	if t == nil {
		return errf(kerr.UnknownTopicOrPartition, "The topic '%s' does not exist.", topic), nil
	}
	have := int32(len(t.Partitions))
	switch {
	case count < have:
		return errf(kerr.InvalidPartitions, "Topic currently has %d partitions, which is higher than the requested %d.", have, count), nil
	case count == have:
		return errf(kerr.InvalidPartitions, "Topic already has %d partitions.", have), nil
	}
	var assign [][]int32
	if len(assignment) > 0 {
		if int32(len(assignment)) != count-have {
			return errf(kerr.InvalidReplicaAssignment, "Increasing the number of partitions by %d but %d assignments provided.", count-have, len(assignment)), nil
		}
		var e *Error
		if assign, e = checkManual(im, assignment, int(have)); e != nil {
			return e, nil
		}
	} else {
		brokers := im.BrokerIDs()
		rf := len(t.Partitions[0].Replicas)
		if rf > len(brokers) {
			return errf(kerr.InvalidReplicationFactor, "Unable to replicate the partition %d time(s): only %d broker(s) are registered.", rf, len(brokers)), nil
		}
		assign = place(brokers, int(have), int(count-have), rf, len(im.Topics))
	}
	if validateOnly {
		return nil, nil
	}
	recs := make([]image.Record, len(assign))
	for i, reps := range assign {
		recs[i] = partitionRecord(t.ID, have+int32(i), reps)
	}
	return nil, c.commit(ctx, recs)
}

// ConfigOp is one incremental config operation (as in IncrementalAlterConfigs).
type ConfigOp struct {
	Name  string
	Op    int8 // 0 set, 1 delete, 2 append, 3 subtract
	Value *string
}

// AlterTopicConfigs changes a topic's dynamic configs. With replace, the
// ops (all sets) replace every existing override (AlterConfigs); otherwise
// they apply incrementally (IncrementalAlterConfigs).
func (c *Controller) AlterTopicConfigs(ctx context.Context, topic string, ops []ConfigOp, replace, validateOnly bool) (*Error, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	im := c.Image()
	t := im.Topics[topic]
	if t == nil {
		return errf(kerr.UnknownTopicOrPartition, "The topic '%s' does not exist.", topic), nil
	}
	next := maps.Clone(t.Configs)
	if replace {
		next = map[string]string{}
	}
	for _, op := range ops {
		if e := applyOp(next, op); e != nil {
			return e, nil
		}
	}
	if c.validate != nil {
		if err := c.validate(im, next); err != nil {
			return errf(kerr.InvalidConfig, "%v", err), nil
		}
	}
	if validateOnly {
		return nil, nil
	}
	return nil, c.commit(ctx, configDiff(image.ResourceTopic, topic, t.Configs, next))
}

// AlterBrokerConfigs changes the dynamic configs of broker resource name
// (a node id, or "" for the cluster-wide defaults), as AlterTopicConfigs
// does a topic's; the resource name is the caller's to check. Kafka answers
// every refused broker config with INVALID_REQUEST.
func (c *Controller) AlterBrokerConfigs(ctx context.Context, name string, ops []ConfigOp, replace, validateOnly bool) (*Error, error) {
	return c.alterConfigs(ctx, image.ResourceBroker, name, ops, replace, validateOnly,
		func(im *image.Image) map[string]string { return im.BrokerConfigs[name] },
		func(im *image.Image, next map[string]string) *Error {
			if c.validateBroker == nil {
				return nil
			}
			if err := c.validateBroker(im, name, next); err != nil {
				return errf(kerr.InvalidRequest, "%v", err)
			}
			return nil
		})
}

// AlterGroupConfigs changes the dynamic configs of group name (Kafka 4's
// GROUP config resource), as AlterTopicConfigs does a topic's; the group
// need not exist. Refused configs get INVALID_CONFIG, as in Kafka.
func (c *Controller) AlterGroupConfigs(ctx context.Context, name string, ops []ConfigOp, replace, validateOnly bool) (*Error, error) {
	if name == "" {
		return errf(kerr.InvalidRequest, "Default group resources are not allowed."), nil
	}
	return c.alterConfigs(ctx, image.ResourceGroup, name, ops, replace, validateOnly,
		func(im *image.Image) map[string]string { return im.GroupConfigs[name] },
		func(im *image.Image, next map[string]string) *Error {
			if c.validateGroup == nil {
				return nil
			}
			if err := c.validateGroup(im, next); err != nil {
				return errf(kerr.InvalidConfig, "%v", err)
			}
			return nil
		})
}

// alterConfigs applies ops (replacing every config if replace) to the
// configs that current reads of a broker or group resource, checks the
// result, and commits the difference. A null value for anything but
// DELETE is INVALID_REQUEST, as Kafka's ConfigAdminManager has it.
func (c *Controller) alterConfigs(ctx context.Context, typ int8, name string, ops []ConfigOp, replace, validateOnly bool,
	current func(*image.Image) map[string]string, check func(*image.Image, map[string]string) *Error) (*Error, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	im := c.Image()
	cur := current(im)
	next := maps.Clone(cur)
	if replace || next == nil {
		next = map[string]string{}
	}
	for _, op := range ops {
		if op.Op != 1 && op.Value == nil {
			return errf(kerr.InvalidRequest, "Null value not supported for : %s", op.Name), nil
		}
		if e := applyOp(next, op); e != nil {
			return e, nil
		}
	}
	if e := check(im, next); e != nil {
		return e, nil
	}
	if validateOnly {
		return nil, nil
	}
	return nil, c.commit(ctx, configDiff(typ, name, cur, next))
}

func applyOp(m map[string]string, op ConfigOp) *Error {
	switch op.Op {
	case 0:
		if op.Value == nil {
			return errf(kerr.InvalidConfig, "Null value not supported for topic configs: %s", op.Name)
		}
		m[op.Name] = *op.Value
	case 1:
		delete(m, op.Name)
	case 2, 3:
		if op.Value == nil {
			return errf(kerr.InvalidConfig, "Null value not supported for %s", op.Name)
		}
		m[op.Name] = editList(m[op.Name], *op.Value, op.Op == 2)
	default:
		return errf(kerr.InvalidRequest, "Unknown config operation %d for %s", op.Op, op.Name)
	}
	return nil
}

// editList appends or subtracts the comma-separated items of v.
func editList(cur, v string, add bool) string {
	var items []string
	if cur != "" {
		items = strings.Split(cur, ",")
	}
	for _, it := range strings.Split(v, ",") {
		it = strings.TrimSpace(it)
		idx := -1
		for i, x := range items {
			if x == it {
				idx = i
			}
		}
		switch {
		case add && idx < 0:
			items = append(items, it)
		case !add && idx >= 0:
			items = append(items[:idx], items[idx+1:]...)
		}
	}
	return strings.Join(items, ",")
}

// configDiff returns the records that turn resource's dynamic configs from
// old into next.
func configDiff(typ int8, resource string, old, next map[string]string) []image.Record {
	var recs []image.Record
	keys := make([]string, 0, len(old)+len(next))
	for k := range old {
		keys = append(keys, k)
	}
	for k := range next {
		if _, ok := old[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		ov, had := old[k]
		nv, has := next[k]
		switch {
		case has && (!had || ov != nv):
			v := nv
			recs = append(recs, &image.ConfigRecord{ResourceType: typ, ResourceName: resource, Name: k, Value: &v})
		case had && !has:
			recs = append(recs, &image.ConfigRecord{ResourceType: typ, ResourceName: resource, Name: k})
		}
	}
	return recs
}
