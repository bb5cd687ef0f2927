package main

// The `vltava group` commands: the consumer-group half of Kafka's
// kafka-consumer-groups.sh (list, describe with members, offsets and lag,
// delete, reset-offsets, delete-offsets) and of kafka-configs.sh
// --entity-type groups (group_configs.go), spoken through kadm and kmsg so
// that they work against any Kafka-compatible cluster.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Group types, as ListGroups v5+ (KIP-848) names them: classic groups run
// JoinGroup/SyncGroup, consumer groups ConsumerGroupHeartbeat.
const (
	groupClassic  = "classic"
	groupConsumer = "consumer"
)

// groupStates are the group states Kafka reports, in its spelling; --state
// accepts them in any case.
var groupStates = []string{
	"Stable", "Empty", "PreparingRebalance", "CompletingRebalance", "Dead",
	"Assigning", "Reconciling", "NotReady",
}

// groupOptions are the flags shared by every group subcommand.
type groupOptions struct{ topicOptions }

// newGroupCmd builds `vltava group`, the consumer group admin commands.
func newGroupCmd() *cobra.Command {
	cmd := newParentCmd("group", "List, describe and delete consumer groups; reset and delete their committed offsets",
		"list, describe, delete, reset-offsets, delete-offsets, describe-configs, alter-configs")
	o := &groupOptions{topicOptions{client: addClientFlags(cmd, true), output: addOutputFlag(cmd, true)}}
	cmd.AddCommand(
		newGroupListCmd(o),
		newGroupDescribeCmd(o),
		newGroupDeleteCmd(o),
		newGroupResetCmd(o),
		newGroupDeleteOffsetsCmd(o),
		newGroupDescribeConfigsCmd(o),
		newGroupAlterConfigsCmd(o),
	)
	return cmd
}

// groupSubject names a group in messages.
func groupSubject(group string) string { return fmt.Sprintf("group %q", group) }

// listedGroup is one row of `group list`.
type listedGroup struct {
	Group        string `json:"group"`
	Type         string `json:"type"`
	State        string `json:"state"`
	ProtocolType string `json:"protocol_type"`
}

func newGroupListCmd(o *groupOptions) *cobra.Command {
	var states []string
	var typ string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List consumer groups with their type and state",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			types, err := groupTypesFlag(cmd, typ)
			if err != nil {
				return err
			}
			canon, err := canonicalStates(cmd, states)
			if err != nil {
				return err
			}
			return o.run(cmd, func(ctx context.Context, adm *kadm.Client) error {
				rows, err := listGroups(ctx, adm, types, canon)
				if err != nil {
					return err
				}
				return o.printList(cmd.OutOrStdout(), rows)
			})
		},
	}
	cmd.Flags().StringSliceVar(&states, "state", nil, "only groups in these states (repeatable or comma-separated): "+strings.Join(groupStates, ", "))
	cmd.Flags().StringVar(&typ, "type", "", "only groups of this type: classic or consumer")
	return cmd
}

// groupTypesFlag turns --type into the types to list.
func groupTypesFlag(cmd *cobra.Command, typ string) ([]string, error) {
	switch strings.ToLower(typ) {
	case "":
		return []string{groupClassic, groupConsumer}, nil
	case groupClassic:
		return []string{groupClassic}, nil
	case groupConsumer:
		return []string{groupConsumer}, nil
	}
	return nil, usageErrorf(cmd, "invalid --type %q: want classic or consumer", typ)
}

// canonicalStates maps --state values to Kafka's spelling of each state.
func canonicalStates(cmd *cobra.Command, states []string) ([]string, error) {
	out := make([]string, 0, len(states))
	for _, s := range states {
		i := 0
		for i < len(groupStates) && !strings.EqualFold(groupStates[i], strings.TrimSpace(s)) {
			i++
		}
		if i == len(groupStates) {
			return nil, usageErrorf(cmd, "invalid --state %q: want one of %s", s, strings.Join(groupStates, ", "))
		}
		out = append(out, groupStates[i])
	}
	return out, nil
}

// listGroups lists the groups of the given types in the given states (all
// states when none), sorted by name. Brokers older than ListGroups v5 (Kafka
// 3.8) cannot filter by type; every group they list is a classic group.
func listGroups(ctx context.Context, adm *kadm.Client, types, states []string) ([]listedGroup, error) {
	typed, err := supportsGroupTypes(ctx, adm)
	if err != nil {
		return nil, err
	}
	rows := []listedGroup{}
	for _, typ := range types {
		var ls kadm.ListedGroups
		switch {
		case typed:
			ls, err = adm.ListGroupsByType(ctx, []string{typ}, states...)
		case typ == groupClassic:
			ls, err = adm.ListGroups(ctx, states...)
		}
		if err != nil {
			return nil, fmt.Errorf("list groups: %w", err)
		}
		for _, g := range ls.Sorted() {
			rows = append(rows, listedGroup{Group: g.Group, Type: typ, State: g.State, ProtocolType: g.ProtocolType})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Group < rows[j].Group })
	return rows, nil
}

// supportsGroupTypes reports whether every broker accepts ListGroups v5,
// the version that filters by group type.
func supportsGroupTypes(ctx context.Context, adm *kadm.Client) (bool, error) {
	vs, err := adm.ApiVersions(ctx)
	if err != nil {
		return false, fmt.Errorf("api versions: %w", err)
	}
	answered := false
	for _, v := range vs {
		if v.Err != nil {
			continue
		}
		answered = true
		if top, ok := v.KeyMaxVersion(int16(kmsg.ListGroups)); !ok || top < 5 {
			return false, nil
		}
	}
	if !answered {
		return false, errors.New("api versions: no broker answered")
	}
	return true, nil
}

func (o *groupOptions) printList(w io.Writer, rows []listedGroup) error {
	if o.json() {
		return writeJSON(w, rows)
	}
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = []string{r.Group, r.Type, r.State}
	}
	return writeTable(w, []string{"GROUP", "TYPE", "STATE"}, cells)
}

// describedGroup is the outcome of `group describe` for one group.
type describedGroup struct {
	Group        string        `json:"group"`
	Type         string        `json:"type"`
	State        string        `json:"state"`
	ProtocolType string        `json:"protocol_type"`
	Assignor     string        `json:"assignor"`
	Coordinator  int32         `json:"coordinator"`
	Members      []groupMember `json:"members"`
	Offsets      []groupOffset `json:"offsets"`
}

// groupMember is one member of a described group.
type groupMember struct {
	MemberID   string          `json:"member_id"`
	InstanceID *string         `json:"instance_id"`
	ClientID   string          `json:"client_id"`
	Host       string          `json:"host"`
	Assignment []assignedTopic `json:"assignment"`
}

// assignedTopic is a member's partitions of one topic.
type assignedTopic struct {
	Topic      string  `json:"topic"`
	Partitions []int32 `json:"partitions"`
}

// groupOffset is one partition's committed offset, log end offset and lag,
// with the member it is assigned to, if any.
type groupOffset struct {
	Topic         string `json:"topic"`
	Partition     int32  `json:"partition"`
	CurrentOffset *int64 `json:"current_offset"` // nil: nothing committed
	LogEndOffset  *int64 `json:"log_end_offset"` // nil: the partition is gone
	Lag           *int64 `json:"lag"`            // nil: unknown
	MemberID      string `json:"member_id"`
	Host          string `json:"host"`
	ClientID      string `json:"client_id"`
}

func newGroupDescribeCmd(o *groupOptions) *cobra.Command {
	var members, offsets bool
	cmd := &cobra.Command{
		Use:   "describe GROUP...",
		Short: "Show groups' state, members and assignments, committed offsets and lag",
		Long: "Show groups' state, members and assignments, committed offsets and lag.\n" +
			"Tables show both the members and the offsets unless --members or --offsets\n" +
			"picks one; --output json always has both.",
		Args: minArgs("GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(ctx context.Context, adm *kadm.Client) error {
				groups, err := describeGroups(ctx, adm, args)
				if err != nil {
					return err
				}
				showMembers, showOffsets := members || !offsets, offsets || !members
				return o.printDescribe(cmd.OutOrStdout(), groups, showMembers, showOffsets)
			})
		},
	}
	cmd.Flags().BoolVar(&members, "members", false, "show the members table")
	cmd.Flags().BoolVar(&offsets, "offsets", false, "show the offsets and lag table")
	return cmd
}

// describeGroups describes names with their offsets, failing on the first
// group that cannot be described.
func describeGroups(ctx context.Context, adm *kadm.Client, names []string) ([]describedGroup, error) {
	types, err := groupTypes(ctx, adm)
	if err != nil {
		return nil, err
	}
	out := make([]describedGroup, 0, len(names))
	for _, name := range names {
		typ, ok := types[name]
		if !ok {
			return nil, opError(groupSubject(name), kerr.GroupIDNotFound, "")
		}
		g, err := describeGroup(ctx, adm, name, typ)
		if err != nil {
			return nil, err
		}
		if err := addGroupOffsets(ctx, adm, &g); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// groupTypes maps every group the cluster lists to its type.
func groupTypes(ctx context.Context, adm *kadm.Client) (map[string]string, error) {
	rows, err := listGroups(ctx, adm, []string{groupClassic, groupConsumer}, nil)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		m[r.Group] = r.Type
	}
	return m, nil
}

// describeGroup describes one group of a known type, without its offsets.
func describeGroup(ctx context.Context, adm *kadm.Client, name, typ string) (describedGroup, error) {
	if typ == groupConsumer {
		return describeConsumerGroup(ctx, adm, name)
	}
	return describeClassicGroup(ctx, adm, name)
}

// describeClassicGroup describes a classic group with DescribeGroups.
func describeClassicGroup(ctx context.Context, adm *kadm.Client, name string) (describedGroup, error) {
	subject := groupSubject(name)
	ds, err := adm.DescribeGroups(ctx, name)
	if err != nil {
		return describedGroup{}, opError(subject, err, "")
	}
	d, err := ds.On(name, nil)
	if err == nil {
		err = d.Err
	}
	if err == nil && d.State == "Dead" {
		err = kerr.GroupIDNotFound
	}
	if err != nil {
		return describedGroup{}, opError(subject, err, d.ErrMessage)
	}
	g := describedGroup{
		Group: name, Type: groupClassic, State: d.State, ProtocolType: d.ProtocolType,
		Assignor: d.Protocol, Coordinator: d.Coordinator.NodeID, Members: []groupMember{},
	}
	for _, m := range d.Members {
		g.Members = append(g.Members, groupMember{
			MemberID: m.MemberID, InstanceID: m.InstanceID, ClientID: m.ClientID, Host: m.ClientHost,
			Assignment: classicAssignment(m.Assigned),
		})
	}
	return g, nil
}

// classicAssignment decodes a classic member's assignment; groups that are
// not consumer groups (Connect, say) have none that Vltava can show.
func classicAssignment(a kadm.GroupMemberAssignment) []assignedTopic {
	c, ok := a.AsConsumer()
	if !ok {
		return []assignedTopic{}
	}
	var s kadm.TopicsSet
	for _, t := range c.Topics {
		s.Add(t.Topic, t.Partitions...)
	}
	return assignedTopics(s)
}

// describeConsumerGroup describes a KIP-848 group with ConsumerGroupDescribe.
func describeConsumerGroup(ctx context.Context, adm *kadm.Client, name string) (describedGroup, error) {
	subject := groupSubject(name)
	ds, err := adm.DescribeConsumerGroups(ctx, name)
	if err != nil {
		return describedGroup{}, opError(subject, err, "")
	}
	d, ok := ds[name]
	switch {
	case !ok:
		return describedGroup{}, opError(subject, kerr.GroupIDNotFound, "")
	case d.Err != nil:
		return describedGroup{}, opError(subject, d.Err, "")
	}
	g := describedGroup{
		Group: name, Type: groupConsumer, State: d.State, ProtocolType: groupConsumer,
		Assignor: d.AssignorName, Coordinator: d.Coordinator.NodeID, Members: []groupMember{},
	}
	for _, m := range d.Members {
		g.Members = append(g.Members, groupMember{
			MemberID: m.MemberID, InstanceID: m.InstanceID, ClientID: m.ClientID, Host: m.ClientHost,
			Assignment: assignedTopics(m.Assignment),
		})
	}
	return g, nil
}

// assignedTopics lists a set of partitions by topic, both sorted.
func assignedTopics(s kadm.TopicsSet) []assignedTopic {
	out := []assignedTopic{}
	for _, tp := range s.Sorted() {
		out = append(out, assignedTopic{Topic: tp.Topic, Partitions: tp.Partitions})
	}
	return out
}

// addGroupOffsets fills in g's offsets table: every partition that is
// assigned or has a committed offset, with its log end offset and lag.
func addGroupOffsets(ctx context.Context, adm *kadm.Client, g *describedGroup) error {
	committed, err := fetchCommitted(ctx, adm, g.Group)
	if err != nil {
		return err
	}
	owners := partitionOwners(g.Members)
	set := make(kadm.TopicsSet)
	for t, ps := range owners {
		for p := range ps {
			set.Add(t, p)
		}
	}
	set.Merge(committed.Partitions())
	g.Offsets = []groupOffset{}
	if len(set) == 0 {
		return nil
	}
	ends, err := adm.ListEndOffsets(ctx, set.Topics()...)
	if err != nil {
		return fmt.Errorf("list end offsets: %w", err)
	}
	set.Each(func(t string, p int32) {
		g.Offsets = append(g.Offsets, offsetRow(t, p, committed, ends, owners[t][p]))
	})
	sort.Slice(g.Offsets, func(i, j int) bool {
		a, b := g.Offsets[i], g.Offsets[j]
		return a.Topic < b.Topic || a.Topic == b.Topic && a.Partition < b.Partition
	})
	return nil
}

// partitionOwners maps each assigned partition to its member.
func partitionOwners(members []groupMember) map[string]map[int32]*groupMember {
	owners := make(map[string]map[int32]*groupMember)
	for i := range members {
		m := &members[i]
		for _, at := range m.Assignment {
			if at.Topic == "" {
				continue // a broker that sent only the topic's id; kadm keeps names only
			}
			if owners[at.Topic] == nil {
				owners[at.Topic] = make(map[int32]*groupMember)
			}
			for _, p := range at.Partitions {
				owners[at.Topic][p] = m
			}
		}
	}
	return owners
}

// fetchCommitted returns the group's committed offsets (OffsetFetch), only
// the partitions that have one.
func fetchCommitted(ctx context.Context, adm *kadm.Client, group string) (kadm.OffsetResponses, error) {
	committed, err := adm.FetchOffsets(ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return kadm.OffsetResponses{}, nil // some brokers say so for a group without offsets
	}
	if err != nil {
		return nil, opError(groupSubject(group), err, "")
	}
	var errs []error
	committed.EachError(func(o kadm.OffsetResponse) {
		errs = append(errs, opError(partitionSubject(o.Topic, o.Partition), o.Err, ""))
	})
	if err := firstOf(errs); err != nil {
		return nil, err
	}
	committed.KeepFunc(func(o kadm.OffsetResponse) bool { return o.At >= 0 })
	return committed, nil
}

// offsetRow builds one row of the offsets table; a log end offset that
// cannot be listed (the topic was deleted) leaves the end and lag unknown.
func offsetRow(t string, p int32, committed kadm.OffsetResponses, ends kadm.ListedOffsets, m *groupMember) groupOffset {
	r := groupOffset{Topic: t, Partition: p}
	if c, ok := committed.Lookup(t, p); ok {
		r.CurrentOffset = &c.At
	}
	if e, ok := ends.Lookup(t, p); ok && e.Err == nil && e.Offset >= 0 {
		r.LogEndOffset = &e.Offset
	}
	if r.CurrentOffset != nil && r.LogEndOffset != nil {
		lag := *r.LogEndOffset - *r.CurrentOffset
		r.Lag = &lag
	}
	if m != nil {
		r.MemberID, r.Host, r.ClientID = m.MemberID, m.Host, m.ClientID
	}
	return r
}

func (o *groupOptions) printDescribe(w io.Writer, groups []describedGroup, members, offsets bool) error {
	if o.json() {
		return writeJSON(w, groups)
	}
	for i, g := range groups {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := printDescribedGroup(w, g, members, offsets); err != nil {
			return err
		}
	}
	return nil
}

// printDescribedGroup writes one group's header lines and the chosen tables.
func printDescribedGroup(w io.Writer, g describedGroup, members, offsets bool) error {
	fmt.Fprintf(w, "Group: %s\nType: %s\nState: %s\nProtocol type: %s\nAssignor: %s\nCoordinator: %d\nMembers: %d\n",
		g.Group, g.Type, g.State, dash(g.ProtocolType), dash(g.Assignor), g.Coordinator, len(g.Members))
	if members {
		fmt.Fprintln(w)
		if err := printMembers(w, g.Members); err != nil {
			return err
		}
	}
	if offsets {
		fmt.Fprintln(w)
		return printOffsets(w, g.Offsets)
	}
	return nil
}

// printMembers writes the members table.
func printMembers(w io.Writer, members []groupMember) error {
	rows := make([][]string, len(members))
	for i, m := range members {
		inst := "-"
		if m.InstanceID != nil {
			inst = *m.InstanceID
		}
		rows[i] = []string{m.MemberID, inst, dash(m.ClientID), dash(m.Host), formatAssignment(m.Assignment)}
	}
	return writeTable(w, []string{"MEMBER-ID", "INSTANCE-ID", "CLIENT-ID", "HOST", "ASSIGNMENT"}, rows)
}

// printOffsets writes the offsets and lag table.
func printOffsets(w io.Writer, offsets []groupOffset) error {
	rows := make([][]string, len(offsets))
	for i, r := range offsets {
		rows[i] = []string{
			r.Topic, strconv.Itoa(int(r.Partition)), optInt(r.CurrentOffset), optInt(r.LogEndOffset), optInt(r.Lag),
			dash(r.MemberID), dash(r.Host), dash(r.ClientID),
		}
	}
	return writeTable(w, []string{"TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "MEMBER-ID", "HOST", "CLIENT-ID"}, rows)
}

// formatAssignment renders an assignment as Kafka's tool does:
// topic(0,1),other(2); "-" when empty.
func formatAssignment(ts []assignedTopic) string {
	if len(ts) == 0 {
		return "-"
	}
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.Topic + "(" + joinInt32s(t.Partitions) + ")"
	}
	return strings.Join(parts, ",")
}

// dash renders an empty cell as "-".
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// optInt renders an optional number, "-" when absent.
func optInt(v *int64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatInt(*v, 10)
}

// groupStatus is the JSON form of a per-group outcome.
type groupStatus struct {
	Group  string `json:"group"`
	Status string `json:"status"`
}

func newGroupDeleteCmd(o *groupOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete GROUP...",
		Short: "Delete groups that have no members, with their committed offsets",
		Args:  minArgs("GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(ctx context.Context, adm *kadm.Client) error {
				results, err := deleteGroups(ctx, adm, args)
				if perr := o.printDelete(cmd.OutOrStdout(), results); perr != nil {
					return perr
				}
				return err
			})
		},
	}
}

// deleteGroups deletes names, returning the groups deleted and the errors
// of the others.
func deleteGroups(ctx context.Context, adm *kadm.Client, names []string) ([]groupStatus, error) {
	resps, err := adm.DeleteGroups(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("delete groups: %w", err)
	}
	results := []groupStatus{}
	var errs []error
	for _, name := range names {
		r, ok := resps[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s: broker response did not include the group", groupSubject(name)))
		case r.Err != nil:
			errs = append(errs, opError(groupSubject(name), r.Err, r.ErrMessage))
		default:
			results = append(results, groupStatus{Group: name, Status: "deleted"})
		}
	}
	return results, firstOf(errs)
}

func (o *groupOptions) printDelete(w io.Writer, results []groupStatus) error {
	if o.json() {
		return writeJSON(w, results)
	}
	for _, r := range results {
		if _, err := fmt.Fprintf(w, "Deleted group %q.\n", r.Group); err != nil {
			return err
		}
	}
	return nil
}

// topicSpec is one --topic value: a topic and, optionally, some of its
// partitions (nil: all of them).
type topicSpec struct {
	topic      string
	partitions []int32
}

// parseTopicSpecs parses --topic values of the form T or T:p,p.
func parseTopicSpecs(cmd *cobra.Command, values []string) ([]topicSpec, error) {
	specs := make([]topicSpec, 0, len(values))
	for _, v := range values {
		topic, parts, hasParts := strings.Cut(v, ":")
		if topic == "" || hasParts && parts == "" {
			return nil, usageErrorf(cmd, "invalid --topic %q: want TOPIC or TOPIC:PARTITION,...", v)
		}
		spec := topicSpec{topic: topic}
		if hasParts {
			ps, err := parsePartitions(parts)
			if err != nil {
				return nil, usageErrorf(cmd, "invalid --topic %q: %v", v, err)
			}
			spec.partitions = ps
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// parsePartitions parses a comma-separated list of partition numbers.
func parsePartitions(s string) ([]int32, error) {
	var out []int32
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 32)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("partition %q is not a partition number", p)
		}
		out = append(out, int32(n))
	}
	return out, nil
}

// resolveTopicSpecs checks the topics and partitions against the cluster's
// metadata and returns them as a set, all partitions where none were named.
func resolveTopicSpecs(ctx context.Context, adm *kadm.Client, specs []topicSpec) (kadm.TopicsSet, error) {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.topic
	}
	tds, err := adm.ListTopics(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	set := make(kadm.TopicsSet)
	for _, s := range specs {
		td, ok := tds[s.topic]
		if !ok || td.Err != nil {
			if ok {
				err = td.Err
			} else {
				err = kerr.UnknownTopicOrPartition
			}
			return nil, opError(topicSubject(s.topic), err, "")
		}
		if s.partitions == nil {
			set.Add(s.topic, td.Partitions.Numbers()...)
			continue
		}
		for _, p := range s.partitions {
			if _, ok := td.Partitions[p]; !ok {
				return nil, fmt.Errorf("%s: no such partition (the topic has %d)", partitionSubject(s.topic, p), len(td.Partitions))
			}
			set.Add(s.topic, p)
		}
	}
	return set, nil
}

// deletedOffset is one partition's outcome of `group delete-offsets`.
type deletedOffset struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Status    string `json:"status"` // deleted, or the Kafka error name
}

func newGroupDeleteOffsetsCmd(o *groupOptions) *cobra.Command {
	var topics []string
	cmd := &cobra.Command{
		Use:   "delete-offsets GROUP --topic TOPIC[:PARTITION,...]...",
		Short: "Delete a group's committed offsets of topics no member consumes",
		Args:  exactArgs("GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(topics) == 0 {
				return usageErrorf(cmd, "missing --topic")
			}
			specs, err := parseTopicSpecs(cmd, topics)
			if err != nil {
				return err
			}
			return o.run(cmd, func(ctx context.Context, adm *kadm.Client) error {
				rows, err := deleteOffsets(ctx, adm, args[0], specs)
				if rows != nil {
					if perr := o.printDeletedOffsets(cmd.OutOrStdout(), rows); perr != nil {
						return perr
					}
				}
				return err
			})
		},
	}
	cmd.Flags().StringArrayVar(&topics, "topic", nil, "topic whose offsets to delete, TOPIC or TOPIC:PARTITION,... (repeatable)")
	return cmd
}

// deleteOffsets deletes the group's offsets of specs (OffsetDelete). It
// returns every partition's outcome, and an error when any failed.
func deleteOffsets(ctx context.Context, adm *kadm.Client, group string, specs []topicSpec) ([]deletedOffset, error) {
	set, err := resolveTopicSpecs(ctx, adm, specs)
	if err != nil {
		return nil, err
	}
	resps, err := adm.DeleteOffsets(ctx, group, set)
	if err != nil {
		return nil, opError(groupSubject(group), err, "")
	}
	rows := []deletedOffset{}
	var errs []error
	set.Each(func(t string, p int32) {
		row := deletedOffset{Topic: t, Partition: p, Status: "deleted"}
		perr, ok := resps[t][p]
		if !ok {
			perr = errors.New("broker response did not include the partition")
		}
		if perr != nil {
			row.Status = errorName(perr)
			errs = append(errs, opError(fmt.Sprintf("%s: %s", groupSubject(group), partitionSubject(t, p)), perr, ""))
		}
		rows = append(rows, row)
	})
	sort.Slice(rows, func(i, j int) bool {
		return rows[i].Topic < rows[j].Topic || rows[i].Topic == rows[j].Topic && rows[i].Partition < rows[j].Partition
	})
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return rows, firstOf(errs)
}

// errorName is a Kafka error's code name, or the error's text.
func errorName(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message
	}
	return err.Error()
}

func (o *groupOptions) printDeletedOffsets(w io.Writer, rows []deletedOffset) error {
	if o.json() {
		return writeJSON(w, rows)
	}
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = []string{r.Topic, strconv.Itoa(int(r.Partition)), r.Status}
	}
	return writeTable(w, []string{"TOPIC", "PARTITION", "STATUS"}, cells)
}

// resetFlags are the flags of `group reset-offsets`.
type resetFlags struct {
	topics     []string
	allTopics  bool
	toEarliest bool
	toLatest   bool
	toOffset   int64
	toDatetime string
	shiftBy    int64
	byDuration time.Duration
	execute    bool
	dryRun     bool
}

// Reset targets: where --to-* and friends move each offset.
const (
	resetEarliest = iota
	resetLatest
	resetToOffset
	resetTime
	resetShift
)

// resetMode is the validated choice of target.
type resetMode struct {
	kind   int
	offset int64 // resetToOffset: the offset; resetShift: the shift
	millis int64 // resetTime: the timestamp
}

// resetPlan is what `group reset-offsets` did or would do.
type resetPlan struct {
	Group      string        `json:"group"`
	Executed   bool          `json:"executed"`
	Partitions []resetOffset `json:"partitions"`
}

// resetOffset is one partition's row of a reset plan.
type resetOffset struct {
	Topic         string `json:"topic"`
	Partition     int32  `json:"partition"`
	CurrentOffset *int64 `json:"current_offset"` // nil: nothing committed
	NewOffset     int64  `json:"new_offset"`
}

func newGroupResetCmd(o *groupOptions) *cobra.Command {
	f := &resetFlags{}
	cmd := &cobra.Command{
		Use:   "reset-offsets GROUP (--topic TOPIC[:PARTITION,...]... | --all-topics) --to-...",
		Short: "Move a group's committed offsets (a dry run unless --execute)",
		Long: "Move a group's committed offsets. Without --execute this only prints the plan.\n" +
			"The group must have no active members. New offsets are kept within each\n" +
			"partition's log start and end offsets.",
		Args: exactArgs("GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			specs, mode, err := f.validate(cmd, time.Now())
			if err != nil {
				return err
			}
			return o.run(cmd, func(ctx context.Context, adm *kadm.Client) error {
				plan, err := resetOffsets(ctx, adm, args[0], specs, mode, f.execute)
				if err != nil {
					return err
				}
				return o.printReset(cmd.OutOrStdout(), plan)
			})
		},
	}
	f.register(cmd)
	return cmd
}

// register declares reset-offsets' flags.
func (f *resetFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringArrayVar(&f.topics, "topic", nil, "topic to reset, TOPIC or TOPIC:PARTITION,... (repeatable)")
	fs.BoolVar(&f.allTopics, "all-topics", false, "reset every topic the group has committed offsets for")
	fs.BoolVar(&f.toEarliest, "to-earliest", false, "to the log start offset")
	fs.BoolVar(&f.toLatest, "to-latest", false, "to the log end offset")
	fs.Int64Var(&f.toOffset, "to-offset", 0, "to this offset")
	fs.StringVar(&f.toDatetime, "to-datetime", "", "to the first offset at or after this RFC 3339 time")
	fs.Int64Var(&f.shiftBy, "shift-by", 0, "by this many offsets from the committed offset (negative: back)")
	fs.DurationVar(&f.byDuration, "by-duration", 0, "to the first offset at or after this long ago (e.g. 1h30m)")
	fs.BoolVar(&f.execute, "execute", false, "apply the new offsets")
	fs.BoolVar(&f.dryRun, "dry-run", false, "only print the plan (the default)")
}

// validate checks the flag combination and returns the topics (nil for
// --all-topics) and the target, resolving --by-duration against now.
func (f *resetFlags) validate(cmd *cobra.Command, now time.Time) ([]topicSpec, resetMode, error) {
	if len(f.topics) > 0 == f.allTopics {
		return nil, resetMode{}, usageErrorf(cmd, "give either --topic or --all-topics")
	}
	if f.execute && f.dryRun {
		return nil, resetMode{}, usageErrorf(cmd, "--execute and --dry-run exclude each other")
	}
	mode, err := f.mode(cmd, now)
	if err != nil {
		return nil, resetMode{}, err
	}
	specs, err := parseTopicSpecs(cmd, f.topics)
	if err != nil {
		return nil, resetMode{}, err
	}
	if f.allTopics {
		specs = nil
	}
	return specs, mode, nil
}

// mode returns the one target the flags chose.
func (f *resetFlags) mode(cmd *cobra.Command, now time.Time) (resetMode, error) {
	var chosen []string
	for _, name := range []string{"to-earliest", "to-latest", "to-offset", "to-datetime", "shift-by", "by-duration"} {
		if cmd.Flags().Changed(name) {
			chosen = append(chosen, name)
		}
	}
	if len(chosen) != 1 {
		return resetMode{}, usageErrorf(cmd, "give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by, --by-duration")
	}
	switch chosen[0] {
	case "to-earliest":
		return resetMode{kind: resetEarliest}, nil
	case "to-latest":
		return resetMode{kind: resetLatest}, nil
	case "to-offset":
		if f.toOffset < 0 {
			return resetMode{}, usageErrorf(cmd, "invalid --to-offset %d: must not be negative", f.toOffset)
		}
		return resetMode{kind: resetToOffset, offset: f.toOffset}, nil
	case "shift-by":
		return resetMode{kind: resetShift, offset: f.shiftBy}, nil
	case "by-duration":
		if f.byDuration < 0 {
			return resetMode{}, usageErrorf(cmd, "invalid --by-duration %s: must not be negative", f.byDuration)
		}
		return timeMode(now.Add(-f.byDuration)), nil
	}
	ts, err := time.Parse(time.RFC3339Nano, f.toDatetime)
	if err != nil {
		return resetMode{}, usageErrorf(cmd, "invalid --to-datetime %q: want RFC 3339, e.g. 2024-05-01T12:00:00Z", f.toDatetime)
	}
	return timeMode(ts), nil
}

// timeMode resets to the first offset at or after ts. Times before 1970
// mean the epoch: ListOffsets gives negative timestamps special meanings
// (latest, earliest, max timestamp).
func timeMode(ts time.Time) resetMode {
	return resetMode{kind: resetTime, millis: max(ts.UnixMilli(), 0)}
}

// resetOffsets plans the reset of group's offsets of specs (nil: every
// committed topic) and commits the plan when execute is set. It refuses
// while the group has members, as Kafka's tool does.
func resetOffsets(ctx context.Context, adm *kadm.Client, group string, specs []topicSpec, mode resetMode, execute bool) (resetPlan, error) {
	if err := requireInactive(ctx, adm, group); err != nil {
		return resetPlan{}, err
	}
	committed, err := fetchCommitted(ctx, adm, group)
	if err != nil {
		return resetPlan{}, err
	}
	set := committed.Partitions()
	if specs != nil {
		if set, err = resolveTopicSpecs(ctx, adm, specs); err != nil {
			return resetPlan{}, err
		}
	}
	rows, err := planReset(ctx, adm, set, committed, mode)
	if err != nil {
		return resetPlan{}, err
	}
	plan := resetPlan{Group: group, Executed: execute, Partitions: rows}
	if execute {
		err = commitPlan(ctx, adm, plan)
	}
	return plan, err
}

// requireInactive fails unless the group is empty or does not exist.
func requireInactive(ctx context.Context, adm *kadm.Client, group string) error {
	types, err := groupTypes(ctx, adm)
	if err != nil {
		return err
	}
	typ, ok := types[group]
	if !ok {
		return nil
	}
	g, err := describeGroup(ctx, adm, group, typ)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if g.State == "Empty" && len(g.Members) == 0 {
		return nil
	}
	return fmt.Errorf("%s is active (state %s, %d members): offsets can only be reset while the group has no members; stop its consumers first",
		groupSubject(group), g.State, len(g.Members))
}

// planReset computes the new offset of every partition in set, kept within
// the partition's log start and end offsets.
func planReset(ctx context.Context, adm *kadm.Client, set kadm.TopicsSet, committed kadm.OffsetResponses, mode resetMode) ([]resetOffset, error) {
	rows := []resetOffset{}
	if len(set) == 0 {
		return rows, nil
	}
	bounds, err := listResetBounds(ctx, adm, set.Topics(), mode)
	if err != nil {
		return nil, err
	}
	for _, tp := range set.Sorted() {
		for _, p := range tp.Partitions {
			row, err := planPartition(tp.Topic, p, committed, bounds, mode)
			if err != nil {
				return nil, err
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// offsetBounds holds the listed offsets a reset needs.
type offsetBounds struct {
	starts, ends, times kadm.ListedOffsets
}

// listResetBounds lists the start and end offsets of topics and, for a reset by
// time, the first offsets at or after the timestamp.
func listResetBounds(ctx context.Context, adm *kadm.Client, topics []string, mode resetMode) (offsetBounds, error) {
	var b offsetBounds
	var err error
	if b.starts, err = adm.ListStartOffsets(ctx, topics...); err != nil {
		return b, fmt.Errorf("list start offsets: %w", err)
	}
	if b.ends, err = adm.ListEndOffsets(ctx, topics...); err != nil {
		return b, fmt.Errorf("list end offsets: %w", err)
	}
	if mode.kind == resetTime {
		if b.times, err = adm.ListOffsetsAfterMilli(ctx, mode.millis, topics...); err != nil {
			return b, fmt.Errorf("list offsets by time: %w", err)
		}
	}
	return b, nil
}

// planPartition computes one partition's new offset.
func planPartition(t string, p int32, committed kadm.OffsetResponses, b offsetBounds, mode resetMode) (resetOffset, error) {
	row := resetOffset{Topic: t, Partition: p}
	if c, ok := committed.Lookup(t, p); ok {
		row.CurrentOffset = &c.At
	}
	start, err := lookupListed(b.starts, t, p)
	if err != nil {
		return row, err
	}
	end, err := lookupListed(b.ends, t, p)
	if err != nil {
		return row, err
	}
	var target int64
	switch mode.kind {
	case resetEarliest:
		target = start
	case resetLatest:
		target = end
	case resetToOffset:
		target = mode.offset
	case resetShift:
		if row.CurrentOffset == nil {
			return row, fmt.Errorf("%s: cannot shift: the group has no committed offset there", partitionSubject(t, p))
		}
		target = *row.CurrentOffset + mode.offset
	case resetTime:
		if target, err = lookupListed(b.times, t, p); err != nil {
			return row, err
		}
	}
	row.NewOffset = min(max(target, start), end)
	return row, nil
}

// lookupListed returns a listed offset of a partition or why there is none.
func lookupListed(l kadm.ListedOffsets, t string, p int32) (int64, error) {
	o, ok := l.Lookup(t, p)
	switch {
	case !ok:
		return 0, fmt.Errorf("%s: broker response did not include the partition", partitionSubject(t, p))
	case o.Err != nil:
		return 0, opError(partitionSubject(t, p), o.Err, "")
	}
	return o.Offset, nil
}

// commitPlan commits the plan's new offsets for the group.
func commitPlan(ctx context.Context, adm *kadm.Client, plan resetPlan) error {
	var offs kadm.Offsets
	for _, r := range plan.Partitions {
		offs.Add(kadm.Offset{Topic: r.Topic, Partition: r.Partition, At: r.NewOffset, LeaderEpoch: -1})
	}
	if len(offs) == 0 {
		return nil
	}
	resps, err := adm.CommitOffsets(ctx, plan.Group, offs)
	if err != nil {
		return opError(groupSubject(plan.Group), err, "")
	}
	var errs []error
	for _, r := range resps.Sorted() {
		if r.Err != nil {
			errs = append(errs, opError(fmt.Sprintf("%s: commit %s", groupSubject(plan.Group), partitionSubject(r.Topic, r.Partition)), r.Err, ""))
		}
	}
	return firstOf(errs)
}

func (o *groupOptions) printReset(w io.Writer, plan resetPlan) error {
	if o.json() {
		return writeJSON(w, plan)
	}
	rows := make([][]string, len(plan.Partitions))
	for i, r := range plan.Partitions {
		rows[i] = []string{r.Topic, strconv.Itoa(int(r.Partition)), optInt(r.CurrentOffset), strconv.FormatInt(r.NewOffset, 10)}
	}
	if err := writeTable(w, []string{"TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET"}, rows); err != nil {
		return err
	}
	line := "Dry run: nothing changed; add --execute to apply.\n"
	if plan.Executed {
		line = fmt.Sprintf("Reset offsets of group %q.\n", plan.Group)
	}
	_, err := io.WriteString(w, line)
	return err
}
