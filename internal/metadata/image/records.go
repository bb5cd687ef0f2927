package image

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
)

// Record is one metadata record. Records are encoded as a 2-byte type, a
// 2-byte version, and a JSON body: metadata is small and rarely written, so a
// self-describing body that is easy to evolve and inspect is worth more than
// compactness.
type Record interface {
	recordType() uint16
	apply(b *builder)
}

// Record types. Never renumber: they are on disk.
const (
	typeRegisterBroker uint16 = 1
	typeTopic          uint16 = 2
	typePartition      uint16 = 3
	typeRemoveTopic    uint16 = 4
	typeConfig         uint16 = 5
	typeProducerIDs    uint16 = 6
)

const recordVersion = 0

// RegisterBrokerRecord registers (or re-registers) a broker.
type RegisterBrokerRecord struct {
	ID        int32
	Endpoints []Endpoint
	Rack      string
}

// TopicRecord creates a topic with no partitions yet.
type TopicRecord struct {
	Name string
	ID   Uuid
}

// PartitionRecord sets a partition's assignment and leadership, creating it
// when it is new.
type PartitionRecord struct {
	TopicID     Uuid
	Partition   int32
	Replicas    []int32
	ISR         []int32
	Leader      int32
	LeaderEpoch int32
}

// RemoveTopicRecord deletes a topic.
type RemoveTopicRecord struct {
	ID Uuid
}

// Config resource types (as in Kafka's ConfigResource).
const (
	ResourceTopic  int8 = 2
	ResourceBroker int8 = 4
	ResourceGroup  int8 = 32
)

// ConfigRecord sets (Value non-nil) or removes (Value nil) a dynamic config.
type ConfigRecord struct {
	ResourceType int8
	ResourceName string
	Name         string
	Value        *string
}

// ProducerIDsRecord reserves producer ids below NextProducerID.
type ProducerIDsRecord struct {
	NextProducerID int64
}

func (*RegisterBrokerRecord) recordType() uint16 { return typeRegisterBroker }
func (*TopicRecord) recordType() uint16          { return typeTopic }
func (*PartitionRecord) recordType() uint16      { return typePartition }
func (*RemoveTopicRecord) recordType() uint16    { return typeRemoveTopic }
func (*ConfigRecord) recordType() uint16         { return typeConfig }
func (*ProducerIDsRecord) recordType() uint16    { return typeProducerIDs }

func (r *RegisterBrokerRecord) apply(b *builder) {
	b.brokers()
	b.im.Brokers[r.ID] = &Broker{ID: r.ID, Endpoints: r.Endpoints, Rack: r.Rack}
}

func (r *TopicRecord) apply(b *builder) {
	b.topics()
	t := &Topic{Name: r.Name, ID: r.ID, Configs: map[string]string{}}
	b.im.Topics[r.Name] = t
	b.im.ByID[r.ID] = t
	b.ownTopic[r.ID] = true
}

func (r *PartitionRecord) apply(b *builder) {
	t := b.topic(r.TopicID)
	if t == nil || r.Partition < 0 || int(r.Partition) > len(t.Partitions) {
		return // not applicable: the controller never writes such a record
	}
	p := &Partition{Replicas: r.Replicas, ISR: r.ISR, Leader: r.Leader, LeaderEpoch: r.LeaderEpoch}
	if int(r.Partition) == len(t.Partitions) {
		t.Partitions = append(t.Partitions, p)
		return
	}
	p.PartitionEpoch = t.Partitions[r.Partition].PartitionEpoch + 1
	t.Partitions[r.Partition] = p
}

func (r *RemoveTopicRecord) apply(b *builder) {
	b.topics()
	if t := b.im.ByID[r.ID]; t != nil {
		delete(b.im.Topics, t.Name)
		delete(b.im.ByID, r.ID)
	}
}

func (r *ConfigRecord) apply(b *builder) {
	switch r.ResourceType {
	case ResourceTopic:
		b.topics()
		t := b.im.Topics[r.ResourceName]
		if t == nil {
			return
		}
		t = b.topic(t.ID)
		setOrDelete(t.Configs, r.Name, r.Value)
	case ResourceBroker:
		if !b.copiedBC {
			b.im.BrokerConfigs = maps.Clone(b.im.BrokerConfigs)
			b.copiedBC = true
		}
		b.im.BrokerConfigs[r.ResourceName] = withConfig(b.im.BrokerConfigs[r.ResourceName], r.Name, r.Value)
	case ResourceGroup:
		if !b.copiedGC {
			b.im.GroupConfigs = maps.Clone(b.im.GroupConfigs)
			if b.im.GroupConfigs == nil { // an image from before group configs
				b.im.GroupConfigs = map[string]map[string]string{}
			}
			b.copiedGC = true
		}
		m := withConfig(b.im.GroupConfigs[r.ResourceName], r.Name, r.Value)
		if len(m) == 0 {
			delete(b.im.GroupConfigs, r.ResourceName)
			return
		}
		b.im.GroupConfigs[r.ResourceName] = m
	}
}

// withConfig returns a copy of m with config k set to v (removed if nil).
func withConfig(m map[string]string, k string, v *string) map[string]string {
	m = maps.Clone(m)
	if m == nil {
		m = map[string]string{}
	}
	setOrDelete(m, k, v)
	return m
}

func setOrDelete(m map[string]string, k string, v *string) {
	if v == nil {
		delete(m, k)
	} else {
		m[k] = *v
	}
}

func (r *ProducerIDsRecord) apply(b *builder) {
	if r.NextProducerID > b.im.NextProducerID {
		b.im.NextProducerID = r.NextProducerID
	}
}

// Encode appends the record's encoding to dst.
func Encode(dst []byte, r Record) ([]byte, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return dst, fmt.Errorf("encode metadata record: %w", err)
	}
	dst = binary.BigEndian.AppendUint16(dst, r.recordType())
	dst = binary.BigEndian.AppendUint16(dst, recordVersion)
	return append(dst, body...), nil
}

// ErrUnknownRecord is returned for a record type this version doesn't know.
var ErrUnknownRecord = errors.New("unknown metadata record type")

// Decode decodes one record.
func Decode(b []byte) (Record, error) {
	if len(b) < 4 {
		return nil, errors.New("metadata record: truncated")
	}
	typ, ver := binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
	if ver != recordVersion {
		return nil, fmt.Errorf("metadata record type %d: unsupported version %d", typ, ver)
	}
	var r Record
	switch typ {
	case typeRegisterBroker:
		r = new(RegisterBrokerRecord)
	case typeTopic:
		r = new(TopicRecord)
	case typePartition:
		r = new(PartitionRecord)
	case typeRemoveTopic:
		r = new(RemoveTopicRecord)
	case typeConfig:
		r = new(ConfigRecord)
	case typeProducerIDs:
		r = new(ProducerIDsRecord)
	default:
		return nil, fmt.Errorf("%w %d", ErrUnknownRecord, typ)
	}
	if err := json.Unmarshal(b[4:], r); err != nil {
		return nil, fmt.Errorf("metadata record type %d: %w", typ, err)
	}
	return r, nil
}
