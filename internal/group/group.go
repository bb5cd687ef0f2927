package group

import (
	"bytes"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// state is a classic group's state, as Kafka names them.
type state int8

const (
	stateEmpty state = iota
	statePreparing
	stateCompleting
	stateStable
	stateDead
)

var stateNames = [...]string{"Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"}

func (st state) String() string { return stateNames[st] }

// group is a classic group and its committed offsets.
type group struct {
	id           string
	state        state
	stateTime    time.Time // when the state last changed (offset retention of empty groups)
	protocolType string
	protocol     string
	generation   int32
	leader       string
	members      map[string]*member
	instances    map[string]string // static member's instance id → member id
	pending      map[string]bool   // member ids handed out with MEMBER_ID_REQUIRED, not joined yet
	pendingSync  map[string]bool   // members of this generation that have not synced yet
	offsets      map[topicPartition]*offset

	initialJoin    bool // the first rebalance of an empty group waits group.initial.rebalance.delay.ms
	newMemberAdded bool // a member joined during that wait, which extends it

	// cg is set when this is a KIP-848 consumer group (then the classic
	// fields above stay empty).
	cg *consumerGroup
}

// member is a classic group member.
type member struct {
	id               string
	instanceID       *string
	clientID         string
	clientHost       string
	sessionTimeout   time.Duration
	rebalanceTimeout time.Duration
	protocolType     string
	protocols        []kmsg.JoinGroupRequestProtocol
	assignment       []byte
	seq              uint64 // join order

	join func(*kmsg.JoinGroupResponse) // set while awaiting the join response
	sync func(*kmsg.SyncGroupResponse) // set while awaiting the sync response
}

func (g *group) setState(st state, now time.Time) {
	g.state, g.stateTime = st, now
}

// sortedMembers lists the members in join order.
func (g *group) sortedMembers() []*member {
	out := make([]*member, 0, len(g.members))
	for _, m := range g.members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func (g *group) sortedOffsets() []topicPartition {
	out := make([]topicPartition, 0, len(g.offsets))
	for tp := range g.offsets {
		out = append(out, tp)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].topic != out[j].topic {
			return out[i].topic < out[j].topic
		}
		return out[i].partition < out[j].partition
	})
	return out
}

// maxRebalanceTimeout is the longest rebalance timeout of the members.
func (g *group) maxRebalanceTimeout() time.Duration {
	var d time.Duration
	for _, m := range g.members {
		d = max(d, m.rebalanceTimeout)
	}
	return d
}

// candidates are the protocols every member supports, in the order the
// first member listed them.
func (g *group) candidates() []string {
	ms := g.sortedMembers()
	if len(ms) == 0 {
		return nil
	}
	var out []string
	for _, p := range ms[0].protocols {
		all := true
		for _, m := range ms[1:] {
			if !m.supports(p.Name) {
				all = false
				break
			}
		}
		if all {
			out = append(out, p.Name)
		}
	}
	return out
}

// supports tells whether a member with these protocols may join: the type
// matches the group's and one protocol is one every member supports.
func (g *group) supports(protocolType string, protocols []kmsg.JoinGroupRequestProtocol) bool {
	if protocolType == "" || len(protocols) == 0 {
		return false
	}
	if len(g.members) == 0 {
		return true
	}
	if protocolType != g.protocolType {
		return false
	}
	for _, c := range g.candidates() {
		for _, p := range protocols {
			if p.Name == c {
				return true
			}
		}
	}
	return false
}

// selectProtocol picks the protocol of the next generation as Kafka does:
// each member votes for the first protocol it lists among those every
// member supports; the most votes win (ties: the earliest candidate).
func (g *group) selectProtocol() string {
	cands := g.candidates()
	votes := map[string]int{}
	for _, m := range g.members {
		for _, p := range m.protocols {
			if contains(cands, p.Name) {
				votes[p.Name]++
				break
			}
		}
	}
	best := ""
	for _, c := range cands {
		if best == "" || votes[c] > votes[best] {
			best = c
		}
	}
	return best
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (m *member) supports(name string) bool {
	for _, p := range m.protocols {
		if p.Name == name {
			return true
		}
	}
	return false
}

// metadataFor is the member's metadata for a protocol.
func (m *member) metadataFor(name string) []byte {
	for _, p := range m.protocols {
		if p.Name == name {
			return p.Metadata
		}
	}
	return nil
}

// sameProtocols tells whether a rejoin changes nothing the leader would
// assign from.
func (m *member) sameProtocols(ps []kmsg.JoinGroupRequestProtocol) bool {
	if len(ps) != len(m.protocols) {
		return false
	}
	for i, p := range ps {
		if p.Name != m.protocols[i].Name || !bytes.Equal(p.Metadata, m.protocols[i].Metadata) {
			return false
		}
	}
	return true
}

// subscribedTo tells whether a consumer group's members subscribe to the
// topic (read from their consumer protocol metadata); groups of other
// protocol types are never "subscribed".
func (g *group) subscribedTo(topic string) bool {
	if g.cg != nil {
		_, ok := g.cg.metadata[topic]
		return ok && len(g.cg.members) > 0
	}
	if g.protocolType != "consumer" || len(g.members) == 0 {
		return false
	}
	for _, m := range g.members {
		var md kmsg.ConsumerMemberMetadata
		if err := md.ReadFrom(m.metadataFor(g.protocol)); err != nil {
			continue
		}
		if contains(md.Topics, topic) {
			return true
		}
	}
	return false
}
