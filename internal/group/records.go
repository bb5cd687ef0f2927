package group

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/coord"
)

// Records of __consumer_offsets, in Apache Kafka's own formats so that tools
// that read the topic (Burrow, kafka-console-consumer's formatters) read
// ours:
//
//	key version 0/1: OffsetCommitKey   {group, topic, partition}
//	                 value: OffsetCommitValue v3 {offset, leader epoch, metadata, commit time}
//	key version 2:   GroupMetadataKey  {group}
//	                 value: GroupMetadataValue v3 {protocol type, generation, protocol, leader,
//	                        state time, members (id, instance id, client, timeouts, subscription, assignment)}
//
// A nil value is a tombstone: the offset or the group is deleted. Keys of
// other versions (KIP-848's consumer group records, share groups) are
// skipped on replay.
const (
	offsetKeyVersion   = 1
	offsetValueVersion = 3
	groupKeyVersion    = 2
	groupValueVersion  = 3
)

// OffsetsTopic is the internal topic of groups and committed offsets.
const OffsetsTopic = "__consumer_offsets"

// PartitionFor is the __consumer_offsets partition of a group, as Kafka
// computes it: abs(groupId.hashCode()) % partitions, with Java's String
// hashCode over UTF-16 code units and Kafka's abs (MinInt32 → 0).
func PartitionFor(groupID string, partitions int32) int32 {
	if partitions <= 0 {
		return 0
	}
	var h int32
	for _, u := range utf16.Encode([]rune(groupID)) {
		h = 31*h + int32(u)
	}
	if h == -1<<31 {
		h = 0
	} else if h < 0 {
		h = -h
	}
	return h % partitions
}

func offsetKey(group, topic string, partition int32) []byte {
	k := kmsg.OffsetCommitKey{Version: offsetKeyVersion, Group: group, Topic: topic, Partition: partition}
	return k.AppendTo(nil)
}

func offsetRecord(group, topic string, partition int32, o *offset) coord.Record {
	v := kmsg.NewOffsetCommitValue()
	v.Version = offsetValueVersion
	v.Offset, v.LeaderEpoch, v.Metadata, v.CommitTimestamp = o.offset, o.leaderEpoch, o.metadata, o.commitMs
	return coord.Record{Key: offsetKey(group, topic, partition), Value: v.AppendTo(nil)}
}

func groupKey(group string) []byte {
	k := kmsg.GroupMetadataKey{Version: groupKeyVersion, Group: group}
	return k.AppendTo(nil)
}

// groupRecord is the group's metadata as of now: its generation and the
// members with their assignments.
func groupRecord(g *group) coord.Record {
	v := kmsg.NewGroupMetadataValue()
	v.Version = groupValueVersion
	v.ProtocolType, v.Generation = g.protocolType, g.generation
	if g.protocol != "" {
		v.Protocol = ptr(g.protocol)
	}
	if g.leader != "" {
		v.Leader = ptr(g.leader)
	}
	v.CurrentStateTimestamp = g.stateTime.UnixMilli()
	for _, m := range g.sortedMembers() {
		vm := kmsg.NewGroupMetadataValueMember()
		vm.MemberID, vm.InstanceID, vm.ClientID, vm.ClientHost = m.id, m.instanceID, m.clientID, m.clientHost
		vm.RebalanceTimeoutMillis = int32(m.rebalanceTimeout.Milliseconds())
		vm.SessionTimeoutMillis = int32(m.sessionTimeout.Milliseconds())
		vm.Subscription = m.metadataFor(g.protocol)
		vm.Assignment = m.assignment
		v.Members = append(v.Members, vm)
	}
	return coord.Record{Key: groupKey(g.id), Value: v.AppendTo(nil)}
}

// keyVersion reads a record key's leading version.
func keyVersion(key []byte) (int16, error) {
	if len(key) < 2 {
		return 0, fmt.Errorf("record key of %d bytes", len(key))
	}
	return int16(binary.BigEndian.Uint16(key)), nil
}

func ptr[T any](v T) *T { return &v }
