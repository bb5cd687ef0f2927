// Package image holds the cluster's metadata as an immutable Image, built by
// applying metadata records in order. A broker swaps in a new Image after each
// batch of records and reads it without locks.
package image

import (
	"maps"
	"sort"
)

// Uuid is a Kafka UUID (topic ids).
type Uuid [16]byte

// Image is an immutable snapshot of the cluster's metadata. Never modify an
// Image or anything it points to: Apply returns a new one.
type Image struct {
	// Offset is the metadata-log offset of the last record applied.
	Offset  int64
	Brokers map[int32]*Broker
	Topics  map[string]*Topic
	ByID    map[Uuid]*Topic
	// BrokerConfigs are dynamic broker configs by broker id ("" = cluster default).
	BrokerConfigs map[string]map[string]string
	// GroupConfigs are dynamic group configs by group id.
	GroupConfigs map[string]map[string]string
	// NextProducerID is the first producer id not yet handed out.
	NextProducerID int64
}

// Broker is a registered broker.
type Broker struct {
	ID        int32
	Endpoints []Endpoint
	Rack      string
	Fenced    bool
}

// Endpoint is one advertised listener.
type Endpoint struct {
	Name     string
	Host     string
	Port     int32
	Protocol string
}

// Topic is a topic and its partitions.
type Topic struct {
	Name       string
	ID         Uuid
	Partitions []*Partition
	// Configs are the topic's dynamic (per-topic) config overrides.
	Configs map[string]string
}

// Partition is one partition's replica assignment and leadership.
type Partition struct {
	Replicas       []int32
	ISR            []int32
	Leader         int32
	LeaderEpoch    int32
	PartitionEpoch int32
}

// Empty is the image before any record.
func Empty() *Image {
	return &Image{
		Offset:        -1,
		Brokers:       map[int32]*Broker{},
		Topics:        map[string]*Topic{},
		ByID:          map[Uuid]*Topic{},
		BrokerConfigs: map[string]map[string]string{},
		GroupConfigs:  map[string]map[string]string{},
	}
}

// TopicNames returns the topic names, sorted.
func (im *Image) TopicNames() []string {
	names := make([]string, 0, len(im.Topics))
	for n := range im.Topics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// BrokerIDs returns the broker ids, sorted.
func (im *Image) BrokerIDs() []int32 {
	ids := make([]int32, 0, len(im.Brokers))
	for id := range im.Brokers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// builder applies records to a copy of an image, copying each map at most
// once per batch.
type builder struct {
	im                                              *Image
	copiedTopics, copiedBrokers, copiedBC, copiedGC bool
	ownTopic                                        map[Uuid]bool
}

func newBuilder(base *Image) *builder {
	cp := *base
	return &builder{im: &cp, ownTopic: map[Uuid]bool{}}
}

func (b *builder) topics() {
	if !b.copiedTopics {
		b.im.Topics = maps.Clone(b.im.Topics)
		b.im.ByID = maps.Clone(b.im.ByID)
		b.copiedTopics = true
	}
}

func (b *builder) brokers() {
	if !b.copiedBrokers {
		b.im.Brokers = maps.Clone(b.im.Brokers)
		b.copiedBrokers = true
	}
}

// topic returns a private copy of the topic with the id, or nil.
func (b *builder) topic(id Uuid) *Topic {
	b.topics()
	t := b.im.ByID[id]
	if t == nil {
		return nil
	}
	if !b.ownTopic[id] {
		cp := *t
		cp.Partitions = append([]*Partition(nil), t.Partitions...)
		cp.Configs = maps.Clone(t.Configs)
		t = &cp
		b.im.ByID[id] = t
		b.im.Topics[t.Name] = t
		b.ownTopic[id] = true
	}
	return t
}

// Apply returns the image after applying recs, which start at metadata
// offset firstOffset.
func (im *Image) Apply(firstOffset int64, recs []Record) *Image {
	b := newBuilder(im)
	for _, r := range recs {
		r.apply(b)
	}
	b.im.Offset = firstOffset + int64(len(recs)) - 1
	return b.im
}
