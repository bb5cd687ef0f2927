package group

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/vltava/vltava/internal/coord"
	"github.com/vltava/vltava/internal/metadata/image"
)

// The records of KIP-848 consumer groups in __consumer_offsets, in Apache
// Kafka's formats (group-coordinator/src/main/resources/common/message):
// the key's leading int16 is the record type, then the key's fields in
// Kafka's non-flexible encoding; the value is an int16 version (0) and its
// fields in the flexible encoding (compact strings and arrays, tagged
// fields at the end).
//
//	3 ConsumerGroupMetadata            {group} → {epoch}
//	4 ConsumerGroupPartitionMetadata   {group} → {topics: id, name, partitions, racks}
//	5 ConsumerGroupMemberMetadata      {group, member} → {instance, rack, client, host,
//	                                    topics, regex, rebalance timeout, server assignor}
//	6 ConsumerGroupTargetAssignmentMetadata {group} → {assignment epoch}
//	7 ConsumerGroupTargetAssignmentMember   {group, member} → {partitions by topic id}
//	8 ConsumerGroupCurrentMemberAssignment  {group, member} → {epoch, previous epoch, state,
//	                                    assigned, pending revocation}
//
// A nil value is a tombstone. Type 16 (resolved regular expressions) is
// not written: Vltava resolves a regex against the current topics each time
// the group's subscription is computed, and skips the record on replay.
const (
	cgMetadataType         = 3
	cgPartitionMetadataTyp = 4
	cgMemberMetadataType   = 5
	cgTargetMetadataType   = 6
	cgTargetMemberType     = 7
	cgCurrentMemberType    = 8
)

// assignment is a set of partitions by topic id, each list sorted.
type assignment map[image.Uuid][]int32

// enc appends Kafka's primitive types.
type enc struct{ b []byte }

func (e *enc) i8(v int8)   { e.b = append(e.b, byte(v)) }
func (e *enc) i16(v int16) { e.b = binary.BigEndian.AppendUint16(e.b, uint16(v)) }
func (e *enc) i32(v int32) { e.b = binary.BigEndian.AppendUint32(e.b, uint32(v)) }
func (e *enc) uv(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) uuid(v image.Uuid) {
	e.b = append(e.b, v[:]...)
}

// str is a non-flexible string (int16 length), as in keys.
func (e *enc) str(s string) { e.i16(int16(len(s))); e.b = append(e.b, s...) }

// cstr is a compact string.
func (e *enc) cstr(s string) { e.uv(uint64(len(s)) + 1); e.b = append(e.b, s...) }

// cnstr is a compact nullable string.
func (e *enc) cnstr(s *string) {
	if s == nil {
		e.uv(0)
		return
	}
	e.cstr(*s)
}

func (e *enc) clen(n int) { e.uv(uint64(n) + 1) }
func (e *enc) tags()      { e.uv(0) }

func (e *enc) cstrs(ss []string) {
	e.clen(len(ss))
	for _, s := range ss {
		e.cstr(s)
	}
}

// topicPartitions encodes an assignment as Kafka's []TopicPartitions
// (topic id, partitions), topics in id order.
func (e *enc) topicPartitions(a assignment) {
	ids := a.topicIDs()
	e.clen(len(ids))
	for _, id := range ids {
		e.uuid(id)
		e.clen(len(a[id]))
		for _, p := range a[id] {
			e.i32(p)
		}
		e.tags()
	}
}

// dec reads Kafka's primitive types; the first error sticks.
type dec struct {
	b   []byte
	err error
}

var errShort = errors.New("record too short")

func (d *dec) take(n int) []byte {
	if d.err != nil || n < 0 || len(d.b) < n {
		d.err = errShort
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *dec) i8() int8 {
	if b := d.take(1); b != nil {
		return int8(b[0])
	}
	return 0
}

func (d *dec) i16() int16 {
	if b := d.take(2); b != nil {
		return int16(binary.BigEndian.Uint16(b))
	}
	return 0
}

func (d *dec) i32() int32 {
	if b := d.take(4); b != nil {
		return int32(binary.BigEndian.Uint32(b))
	}
	return 0
}

func (d *dec) uv() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) uuid() (u image.Uuid) {
	copy(u[:], d.take(16))
	return u
}

func (d *dec) str() string { return string(d.take(int(d.i16()))) }

// clen reads a compact length; -1 is null.
func (d *dec) clen() int {
	n := d.uv()
	if n > uint64(len(d.b))+1 {
		d.err = errShort
		return -1
	}
	return int(n) - 1
}

func (d *dec) cstr() string {
	n := d.clen()
	if n < 0 {
		return ""
	}
	return string(d.take(n))
}

func (d *dec) cnstr() *string {
	n := d.clen()
	if n < 0 {
		return nil
	}
	s := string(d.take(n))
	return &s
}

func (d *dec) cstrs() []string {
	n := d.clen()
	var out []string
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.cstr())
	}
	return out
}

// tags skips a tagged-field section.
func (d *dec) tags() {
	n := d.uv()
	for i := uint64(0); i < n && d.err == nil; i++ {
		d.uv()
		d.take(int(d.uv()))
	}
}

func (d *dec) topicPartitions() assignment {
	n := d.clen()
	a := assignment{}
	for i := 0; i < n && d.err == nil; i++ {
		id := d.uuid()
		m := d.clen()
		ps := make([]int32, 0, max(m, 0))
		for j := 0; j < m && d.err == nil; j++ {
			ps = append(ps, d.i32())
		}
		d.tags()
		if len(ps) > 0 {
			sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
			a[id] = ps
		}
	}
	return a
}

// value reads a value's version and checks it is one Vltava reads.
func (d *dec) value() {
	if v := d.i16(); d.err == nil && v != 0 {
		d.err = fmt.Errorf("value version %d", v)
	}
}

// cgKey is a consumer group record key: type, group and (for member
// records) member.
func cgKey(typ int16, group, member string) []byte {
	e := enc{}
	e.i16(typ)
	e.str(group)
	if typ == cgMemberMetadataType || typ == cgTargetMemberType || typ == cgCurrentMemberType {
		e.str(member)
	}
	return e.b
}

// readCGKey reads a consumer group key.
func readCGKey(typ int16, b []byte) (group, member string, err error) {
	d := dec{b: b[2:]}
	group = d.str()
	if typ == cgMemberMetadataType || typ == cgTargetMemberType || typ == cgCurrentMemberType {
		member = d.str()
	}
	return group, member, d.err
}

func valueStart() *enc { e := &enc{}; e.i16(0); return e }

// epochRecord is a ConsumerGroupMetadata or TargetAssignmentMetadata record.
func epochRecord(typ int16, group string, epoch int32) coord.Record {
	e := valueStart()
	e.i32(epoch)
	e.tags()
	return coord.Record{Key: cgKey(typ, group, ""), Value: e.b}
}

// topicMeta is one subscribed topic as the group last saw it.
type topicMeta struct {
	id         image.Uuid
	name       string
	partitions int32
}

func partitionMetadataRecord(group string, topics map[string]topicMeta) coord.Record {
	e := valueStart()
	names := sortedKeys(topics)
	e.clen(len(names))
	for _, n := range names {
		t := topics[n]
		e.uuid(t.id)
		e.cstr(t.name)
		e.i32(t.partitions)
		e.clen(0) // PartitionMetadata (racks): unused since Kafka 4.0
		e.tags()
	}
	e.tags()
	return coord.Record{Key: cgKey(cgPartitionMetadataTyp, group, ""), Value: e.b}
}

func readPartitionMetadata(b []byte) (map[string]topicMeta, error) {
	d := dec{b: b}
	d.value()
	n := d.clen()
	out := map[string]topicMeta{}
	for i := 0; i < n && d.err == nil; i++ {
		t := topicMeta{id: d.uuid(), name: d.cstr(), partitions: d.i32()}
		racks := d.clen()
		for j := 0; j < racks && d.err == nil; j++ {
			d.i32()
			d.cstrs()
			d.tags()
		}
		d.tags()
		out[t.name] = t
	}
	d.tags()
	return out, d.err
}

func memberMetadataRecord(group string, m *cmember) coord.Record {
	e := valueStart()
	e.cnstr(m.instanceID)
	e.cnstr(m.rackID)
	e.cstr(m.clientID)
	e.cstr(m.clientHost)
	e.cstrs(m.topics)
	e.cnstr(m.regex)
	e.i32(int32(m.rebalanceTimeout.Milliseconds()))
	e.cnstr(m.serverAssignor)
	e.tags()
	return coord.Record{Key: cgKey(cgMemberMetadataType, group, m.id), Value: e.b}
}

func readMemberMetadata(m *cmember, b []byte) error {
	d := dec{b: b}
	d.value()
	m.instanceID, m.rackID = d.cnstr(), d.cnstr()
	m.clientID, m.clientHost = d.cstr(), d.cstr()
	m.topics, m.regex = d.cstrs(), d.cnstr()
	m.rebalanceTimeout = ms(d.i32())
	m.serverAssignor = d.cnstr()
	d.tags()
	return d.err
}

func targetMemberRecord(group, member string, a assignment) coord.Record {
	e := valueStart()
	e.topicPartitions(a)
	e.tags()
	return coord.Record{Key: cgKey(cgTargetMemberType, group, member), Value: e.b}
}

func readTargetMember(b []byte) (assignment, error) {
	d := dec{b: b}
	d.value()
	a := d.topicPartitions()
	d.tags()
	return a, d.err
}

func currentMemberRecord(group string, m *cmember) coord.Record {
	e := valueStart()
	e.i32(m.epoch)
	e.i32(m.prevEpoch)
	e.i8(int8(m.state))
	e.topicPartitions(m.assigned)
	e.topicPartitions(m.revoking)
	e.tags()
	return coord.Record{Key: cgKey(cgCurrentMemberType, group, m.id), Value: e.b}
}

func readCurrentMember(m *cmember, b []byte) error {
	d := dec{b: b}
	d.value()
	m.epoch, m.prevEpoch, m.state = d.i32(), d.i32(), memberState(d.i8())
	m.assigned, m.revoking = d.topicPartitions(), d.topicPartitions()
	d.tags()
	return d.err
}

func readEpoch(b []byte) (int32, error) {
	d := dec{b: b}
	d.value()
	v := d.i32()
	d.tags()
	return v, d.err
}
