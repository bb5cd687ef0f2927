package group

import (
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/coord"
)

// authorizedOpsNotProvided is Kafka's "not asked for" bitfield.
const authorizedOpsNotProvided = -2147483648

// Describe describes one group as Kafka does: members always, their
// metadata and assignments and the protocol only while Stable. An unknown
// group is "Dead" (and GROUP_ID_NOT_FOUND from v6, KIP-1043).
func (s *Shard) Describe(id string, version int16) kmsg.DescribeGroupsResponseGroup {
	out := kmsg.NewDescribeGroupsResponseGroup()
	out.Group, out.AuthorizedOperations = id, authorizedOpsNotProvided
	g := s.groups[id]
	if g == nil || g.state == stateDead || g.cg != nil {
		out.State = stateDead.String()
		if version >= 6 {
			out.ErrorCode = kerr.GroupIDNotFound.Code
			out.ErrorMessage = ptr("Group " + id + " not found.")
			if g != nil && g.cg != nil {
				out.ErrorMessage = ptr("Group " + id + " is not a classic group.")
			}
		}
		return out
	}
	out.State, out.ProtocolType = g.state.String(), g.protocolType
	stable := g.state == stateStable
	if stable {
		out.Protocol = g.protocol
	}
	for _, m := range g.sortedMembers() {
		dm := kmsg.NewDescribeGroupsResponseGroupMember()
		dm.MemberID, dm.InstanceID, dm.ClientID, dm.ClientHost = m.id, m.instanceID, m.clientID, m.clientHost
		dm.ProtocolMetadata, dm.MemberAssignment = []byte{}, []byte{}
		if stable {
			dm.ProtocolMetadata, dm.MemberAssignment = m.metadataFor(g.protocol), m.assignment
		}
		out.Members = append(out.Members, dm)
	}
	return out
}

// List lists the shard's groups that pass the filters (states and types,
// case-insensitive; empty filters pass everything).
func (s *Shard) List(states, types []string) []kmsg.ListGroupsResponseGroup {
	var out []kmsg.ListGroupsResponseGroup
	for _, id := range sortedKeys(s.groups) {
		g := s.groups[id]
		typ, protocolType, st := "classic", g.protocolType, g.state.String()
		if g.cg != nil {
			typ, protocolType, st = "consumer", "consumer", g.cg.stateName()
		}
		if g.state == stateDead || !matches(states, st) || !matches(types, typ) {
			continue
		}
		lg := kmsg.NewListGroupsResponseGroup()
		lg.Group, lg.ProtocolType, lg.GroupState, lg.GroupType = id, protocolType, st, typ
		out = append(out, lg)
	}
	return out
}

func matches(filter []string, v string) bool {
	if len(filter) == 0 {
		return true
	}
	for _, f := range filter {
		if strings.EqualFold(f, v) {
			return true
		}
	}
	return false
}

// Delete deletes an empty group and its offsets (tombstones); cb gets the
// error code once they are written.
func (s *Shard) Delete(id string, cb func(*kerr.Error)) coord.Result {
	g := s.groups[id]
	var code *kerr.Error
	switch {
	case g == nil || g.state == stateDead:
		code = kerr.GroupIDNotFound
	case g.state != stateEmpty || g.cg != nil && len(g.cg.members) > 0:
		code = kerr.NonEmptyGroup
	default:
		s.deleteGroup(g)
	}
	s.reply(func(err error) {
		if err != nil && code == nil {
			code = kerr.NotCoordinator
		}
		cb(code)
	})
	return s.result()
}
