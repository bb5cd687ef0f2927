package main

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/testkit"
)

// groupTime is the create time of the records the reset tests produce:
// record i of a partition is stamped groupTime + i seconds.
var groupTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// produceStamped writes n records to one partition, record i valued
// "p<partition>-<i>" and stamped groupTime + i seconds.
func (c *cli) produceStamped(topic string, partition int32, n int) {
	c.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		c.t.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{
			Topic: topic, Partition: partition,
			Value:     []byte("p" + strconv.Itoa(int(partition)) + "-" + strconv.Itoa(i)),
			Timestamp: groupTime.Add(time.Duration(i) * time.Second),
		}
	}
	if err := cl.ProduceSync(testkit.Context(c.t, 20*time.Second), recs...).FirstErr(); err != nil {
		c.t.Fatalf("produce to %s/%d: %v", topic, partition, err)
	}
}

// member starts a franz-go group consumer of topics that commits only when
// the test says so. It is closed (leaving the group) when the test ends.
func (c *cli) member(group, clientID string, topics ...string) *kgo.Client {
	c.t.Helper()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(c.addr),
		kgo.ClientID(clientID),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.FetchMaxWait(100*time.Millisecond),
	)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(cl.Close)
	return cl
}

// consumeCommit polls exactly n records and commits them synchronously,
// returning the records as "partition:offset:value" strings in poll order.
func consumeCommit(t *testing.T, cl *kgo.Client, n int) []string {
	t.Helper()
	ctx := testkit.Context(t, 20*time.Second)
	var got []string
	for len(got) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("polled %d of %d records: %v", len(got), n, ctx.Err())
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			got = append(got, strconv.Itoa(int(r.Partition))+":"+strconv.FormatInt(r.Offset, 10)+":"+string(r.Value))
		})
	}
	if len(got) != n {
		t.Fatalf("polled %d records, want %d: %q", len(got), n, got)
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	return got
}

// describeMember returns the member id and host the broker reports for the
// one member of group that has clientID.
func (c *cli) describeMember(group, clientID string) (id, host string) {
	c.t.Helper()
	ds, err := c.admin().DescribeGroups(testkit.Context(c.t, 10*time.Second), group)
	if err != nil {
		c.t.Fatalf("describe %s: %v", group, err)
	}
	for _, m := range ds[group].Members {
		if m.ClientID == clientID {
			return m.MemberID, m.ClientHost
		}
	}
	c.t.Fatalf("group %s has no member with client id %s: %+v", group, clientID, ds[group])
	return "", ""
}

// waitState waits until group is in state with members members.
func (c *cli) waitState(group, state string, members int) {
	c.t.Helper()
	adm := c.admin()
	testkit.Eventually(c.t, 20*time.Second, "group "+group+" "+state, func() bool {
		ds, err := adm.DescribeGroups(context.Background(), group)
		return err == nil && ds[group].State == state && len(ds[group].Members) == members
	})
}

// committed returns group's committed offsets as "topic/partition=offset"
// in topic and partition order.
func (c *cli) committed(group string) string {
	c.t.Helper()
	offs, err := c.admin().FetchOffsets(testkit.Context(c.t, 10*time.Second), group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return "" // some brokers answer a group without offsets so
	}
	if err != nil {
		c.t.Fatalf("fetch offsets of %s: %v", group, err)
	}
	var parts []string
	for _, o := range offs.Sorted() {
		parts = append(parts, o.Topic+"/"+strconv.Itoa(int(o.Partition))+"="+strconv.FormatInt(o.At, 10))
	}
	return strings.Join(parts, " ")
}

// nodeID is the test broker's node id.
func (c *cli) nodeID() string {
	c.t.Helper()
	brokers, err := c.admin().ListBrokers(testkit.Context(c.t, 10*time.Second))
	if err != nil || len(brokers) != 1 {
		c.t.Fatalf("list brokers: %v %v", brokers, err)
	}
	return strconv.Itoa(int(brokers[0].NodeID))
}

// fields normalises table output for comparison: every line's cells joined
// by one space, with the tokens of repl (member ids, hosts) replaced, since
// the broker chooses them and they change the column widths.
func fields(s string, repl map[string]string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		fs := strings.Fields(line)
		for i, f := range fs {
			if r, ok := repl[f]; ok {
				fs[i] = r
			}
		}
		b.WriteString(strings.Join(fs, " ") + "\n")
	}
	return b.String()
}

func TestGroupDescribeLag(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "3")
	c.ok("a\nb\nc\nd\ne\n", "produce", "t", "--partition", "0")
	c.ok("f\ng\nh\n", "produce", "t", "--partition", "1")
	m := c.member("g", "cons-1", "t")
	consumeCommit(t, m, 8)
	c.ok("i\nj\n", "produce", "t", "--partition", "0")
	c.waitState("g", "Stable", 1)
	id, host := c.describeMember("g", "cons-1")
	repl := map[string]string{id: "MID", host: "HOST"}

	wantEqual(t, "describe", fields(c.ok("", "group", "describe", "g"), repl), `Group: g
Type: classic
State: Stable
Protocol type: consumer
Assignor: cooperative-sticky
Coordinator: `+c.nodeID()+`
Members: 1

MEMBER-ID INSTANCE-ID CLIENT-ID HOST ASSIGNMENT
MID - cons-1 HOST t(0,1,2)

TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG MEMBER-ID HOST CLIENT-ID
t 0 5 7 2 MID HOST cons-1
t 1 3 3 0 MID HOST cons-1
t 2 - 0 - MID HOST cons-1
`)
	wantEqual(t, "describe --offsets", fields(c.ok("", "group", "describe", "g", "--offsets"), repl), `Group: g
Type: classic
State: Stable
Protocol type: consumer
Assignor: cooperative-sticky
Coordinator: `+c.nodeID()+`
Members: 1

TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG MEMBER-ID HOST CLIENT-ID
t 0 5 7 2 MID HOST cons-1
t 1 3 3 0 MID HOST cons-1
t 2 - 0 - MID HOST cons-1
`)
	members := c.ok("", "group", "describe", "g", "--members")
	wantEqual(t, "describe --members", fields(members, repl), `Group: g
Type: classic
State: Stable
Protocol type: consumer
Assignor: cooperative-sticky
Coordinator: `+c.nodeID()+`
Members: 1

MEMBER-ID INSTANCE-ID CLIENT-ID HOST ASSIGNMENT
MID - cons-1 HOST t(0,1,2)
`)
	// The table is aligned: the header's columns start where the row's do.
	lines := strings.Split(members, "\n")
	if hdr, row := lines[8], lines[9]; strings.Index(hdr, "CLIENT-ID") != strings.Index(row, " cons-1 ")+1 {
		t.Fatalf("members table not aligned:\n%s\n%s", hdr, row)
	}
}

func TestGroupDescribeJSON(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "2")
	c.ok("a\nb\n", "produce", "t", "--partition", "1")
	m := c.member("g", "cons-1", "t")
	consumeCommit(t, m, 2)
	c.ok("c\n", "produce", "t", "--partition", "1")
	c.waitState("g", "Stable", 1)
	id, host := c.describeMember("g", "cons-1")
	got := c.ok("", "group", "describe", "g", "--output", "json")
	got = strings.ReplaceAll(strings.ReplaceAll(got, `"`+id+`"`, `"MID"`), `"`+host+`"`, `"HOST"`)
	wantEqual(t, "describe json", got, `[
  {
    "group": "g",
    "type": "classic",
    "state": "Stable",
    "protocol_type": "consumer",
    "assignor": "cooperative-sticky",
    "coordinator": `+c.nodeID()+`,
    "members": [
      {
        "member_id": "MID",
        "instance_id": null,
        "client_id": "cons-1",
        "host": "HOST",
        "assignment": [
          {
            "topic": "t",
            "partitions": [
              0,
              1
            ]
          }
        ]
      }
    ],
    "offsets": [
      {
        "topic": "t",
        "partition": 0,
        "current_offset": null,
        "log_end_offset": 0,
        "lag": null,
        "member_id": "MID",
        "host": "HOST",
        "client_id": "cons-1"
      },
      {
        "topic": "t",
        "partition": 1,
        "current_offset": 2,
        "log_end_offset": 3,
        "lag": 1,
        "member_id": "MID",
        "host": "HOST",
        "client_id": "cons-1"
      }
    ]
  }
]
`)
}

func TestGroupDescribeEmptyGroupAndMissing(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "2")
	c.ok("a\nb\nc\n", "produce", "t", "--partition", "0")
	m := c.member("g", "cons-1", "t")
	consumeCommit(t, m, 3)
	m.Close()
	c.waitState("g", "Empty", 0)
	c.ok("d\n", "produce", "t", "--partition", "1")
	wantEqual(t, "describe empty", c.ok("", "group", "describe", "g"), `Group: g
Type: classic
State: Empty
Protocol type: consumer
Assignor: -
Coordinator: `+c.nodeID()+`
Members: 0

MEMBER-ID  INSTANCE-ID  CLIENT-ID  HOST  ASSIGNMENT

TOPIC  PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  MEMBER-ID  HOST  CLIENT-ID
t      0          3               3               0    -          -     -
`)
	r := c.run("", "group", "describe", "g", "nope")
	if r.code != 1 || r.out != "" {
		t.Fatalf("describe missing: exit %d, stdout %q", r.code, r.out)
	}
	wantEqual(t, "describe missing", r.err, "vltava: group \"nope\": GROUP_ID_NOT_FOUND: The group id does not exist.\n")
}

func TestGroupResetOffsets(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "2")
	c.produceStamped("t", 0, 10)
	c.produceStamped("t", 1, 4)
	m := c.member("g", "cons-1", "t")
	consumeCommit(t, m, 14)
	c.waitState("g", "Stable", 1)

	r := c.run("", "group", "reset-offsets", "g", "--all-topics", "--to-earliest", "--execute")
	if r.code != 1 || r.out != "" {
		t.Fatalf("reset of an active group: exit %d, stdout %q", r.code, r.out)
	}
	wantEqual(t, "refusal", r.err, "vltava: group \"g\" is active (state Stable, 1 members): offsets can only be reset while the group has no members; stop its consumers first\n")
	m.Close()
	c.waitState("g", "Empty", 0)

	wantEqual(t, "dry run", c.ok("", "group", "reset-offsets", "g", "--all-topics", "--to-earliest"), `TOPIC  PARTITION  CURRENT-OFFSET  NEW-OFFSET
t      0          10              0
t      1          4               0
Dry run: nothing changed; add --execute to apply.
`)
	wantEqual(t, "after dry run", c.committed("g"), "t/0=10 t/1=4")

	for _, tc := range []struct {
		args []string
		want string // committed offsets after --execute
	}{
		{[]string{"--all-topics", "--to-earliest"}, "t/0=0 t/1=0"},
		{[]string{"--topic", "t", "--to-latest"}, "t/0=10 t/1=4"},
		{[]string{"--topic", "t:0", "--to-offset", "7"}, "t/0=7 t/1=4"},
		{[]string{"--topic", "t", "--to-offset", "100"}, "t/0=10 t/1=4"},
		{[]string{"--topic", "t:0,1", "--shift-by", "-3"}, "t/0=7 t/1=1"},
		{[]string{"--all-topics", "--shift-by", "-5"}, "t/0=2 t/1=0"},
		{[]string{"--all-topics", "--shift-by", "6"}, "t/0=8 t/1=4"},
		{[]string{"--topic", "t", "--to-datetime", "2024-01-01T00:00:05Z"}, "t/0=5 t/1=4"},
		{[]string{"--topic", "t", "--to-datetime", "2024-01-01T01:00:02.5+01:00"}, "t/0=3 t/1=3"},
		{[]string{"--topic", "t", "--by-duration", "1h"}, "t/0=10 t/1=4"},
		{[]string{"--topic", "t", "--to-datetime", "1960-01-01T00:00:00Z"}, "t/0=0 t/1=0"},
		{[]string{"--topic", "t", "--to-datetime", "2030-01-01T00:00:00Z"}, "t/0=10 t/1=4"},
		{[]string{"--topic", "t", "--by-duration", "876000h"}, "t/0=0 t/1=0"},
	} {
		args := append([]string{"group", "reset-offsets", "g", "--execute"}, tc.args...)
		c.ok("", args...)
		wantEqual(t, strings.Join(tc.args, " "), c.committed("g"), tc.want)
	}

	wantEqual(t, "execute table", c.ok("", "group", "reset-offsets", "g", "--topic", "t:1", "--to-offset", "2", "--execute"), `TOPIC  PARTITION  CURRENT-OFFSET  NEW-OFFSET
t      1          0               2
Reset offsets of group "g".
`)
	wantEqual(t, "json dry run", c.ok("", "group", "reset-offsets", "g", "--topic", "t", "--to-offset", "1", "--output", "json"), `{
  "group": "g",
  "executed": false,
  "partitions": [
    {
      "topic": "t",
      "partition": 0,
      "current_offset": 0,
      "new_offset": 1
    },
    {
      "topic": "t",
      "partition": 1,
      "current_offset": 2,
      "new_offset": 1
    }
  ]
}
`)

	// A consumer of the group resumes exactly where the reset put it.
	c.ok("", "group", "reset-offsets", "g", "--topic", "t:0", "--to-offset", "8", "--execute")
	again := c.member("g", "cons-2", "t")
	got := consumeCommit(t, again, 4)
	wantEqual(t, "resumed", sortLines(strings.Join(got, "\n")+"\n"), "0:8:p0-8\n0:9:p0-9\n1:2:p1-2\n1:3:p1-3\n")
}

func TestGroupResetOffsetsNewGroupAndErrors(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "2")
	c.produceStamped("t", 0, 3)
	// A group that does not exist yet can be given offsets (as Kafka's tool allows).
	wantEqual(t, "new group", c.ok("", "group", "reset-offsets", "fresh", "--topic", "t", "--to-latest", "--execute"), `TOPIC  PARTITION  CURRENT-OFFSET  NEW-OFFSET
t      0          -               3
t      1          -               0
Reset offsets of group "fresh".
`)
	wantEqual(t, "fresh committed", c.committed("fresh"), "t/0=3 t/1=0")
	wantEqual(t, "nothing committed", c.ok("", "group", "reset-offsets", "other", "--all-topics", "--to-earliest"),
		"TOPIC  PARTITION  CURRENT-OFFSET  NEW-OFFSET\nDry run: nothing changed; add --execute to apply.\n")

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"other", "--topic", "t", "--shift-by", "1"}, `vltava: topic "t" partition 0: cannot shift: the group has no committed offset there` + "\n"},
		{[]string{"other", "--topic", "nope", "--to-earliest"}, `vltava: topic "nope": UNKNOWN_TOPIC_OR_PARTITION: `},
		{[]string{"other", "--topic", "t:5", "--to-earliest"}, `vltava: topic "t" partition 5: no such partition (the topic has 2)` + "\n"},
	} {
		r := c.run("", append([]string{"group", "reset-offsets"}, tc.args...)...)
		if r.code != 1 || r.out != "" || !strings.HasPrefix(r.err, tc.want) || strings.Count(r.err, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1, one line starting %q", tc.args, r.code, r.out, r.err, tc.want)
		}
	}
}

func TestGroupListDelete(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "1")
	c.ok("a\n", "produce", "t")
	idle := c.member("idle", "c-idle", "t")
	consumeCommit(t, idle, 1)
	idle.Close()
	active := c.member("active", "c-active", "t")
	consumeCommit(t, active, 1)
	c.waitState("active", "Stable", 1)
	c.waitState("idle", "Empty", 0)

	wantEqual(t, "list", c.ok("", "group", "list"), `GROUP   TYPE     STATE
active  classic  Stable
idle    classic  Empty
`)
	wantEqual(t, "list --state", c.ok("", "group", "list", "--state", "empty"), "GROUP  TYPE     STATE\nidle   classic  Empty\n")
	wantEqual(t, "list --state two", c.ok("", "group", "list", "--state", "Empty,STABLE"), `GROUP   TYPE     STATE
active  classic  Stable
idle    classic  Empty
`)
	wantEqual(t, "list --type classic", c.ok("", "group", "list", "--type", "classic", "--state", "stable"), "GROUP   TYPE     STATE\nactive  classic  Stable\n")
	wantEqual(t, "list --type consumer", c.ok("", "group", "list", "--type", "consumer"), "GROUP  TYPE  STATE\n")
	wantEqual(t, "list json", c.ok("", "group", "list", "--state", "Empty", "--output", "json"), `[
  {
    "group": "idle",
    "type": "classic",
    "state": "Empty",
    "protocol_type": "consumer"
  }
]
`)

	r := c.run("", "group", "delete", "idle", "active")
	if r.code != 1 {
		t.Fatalf("delete of an active group: exit %d", r.code)
	}
	wantEqual(t, "delete stdout", r.out, "Deleted group \"idle\".\n")
	wantEqual(t, "delete stderr", r.err, "vltava: group \"active\": NON_EMPTY_GROUP: The group is not empty.\n")
	wantEqual(t, "list after delete", c.ok("", "group", "list"), "GROUP   TYPE     STATE\nactive  classic  Stable\n")
	wantEqual(t, "committed after delete", c.committed("idle"), "")

	active.Close()
	c.waitState("active", "Empty", 0)
	wantEqual(t, "delete json", c.ok("", "group", "delete", "active", "--output", "json"), `[
  {
    "group": "active",
    "status": "deleted"
  }
]
`)
	r = c.run("", "group", "delete", "active")
	if r.code != 1 || r.out != "" {
		t.Fatalf("delete of a missing group: exit %d, stdout %q", r.code, r.out)
	}
	wantEqual(t, "delete missing", r.err, "vltava: group \"active\": GROUP_ID_NOT_FOUND: The group id does not exist.\n")
}

func TestGroupDeleteOffsets(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t1", "--partitions", "2")
	c.ok("", "topic", "create", "t2", "--partitions", "1")
	c.ok("a\n", "produce", "t1", "--partition", "0")
	c.ok("b\n", "produce", "t1", "--partition", "1")
	c.ok("c\n", "produce", "t2")
	m := c.member("g", "cons-1", "t1", "t2")
	consumeCommit(t, m, 3)
	c.waitState("g", "Stable", 1)

	r := c.run("", "group", "delete-offsets", "g", "--topic", "t2")
	if r.code != 1 {
		t.Fatalf("delete-offsets of a consumed topic: exit %d", r.code)
	}
	wantEqual(t, "subscribed stdout", r.out, "TOPIC  PARTITION  STATUS\nt2     0          GROUP_SUBSCRIBED_TO_TOPIC\n")
	wantEqual(t, "subscribed stderr", r.err, "vltava: group \"g\": topic \"t2\" partition 0: GROUP_SUBSCRIBED_TO_TOPIC: Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it.\n")

	m.Close()
	c.waitState("g", "Empty", 0)
	wantEqual(t, "delete-offsets", c.ok("", "group", "delete-offsets", "g", "--topic", "t1:1", "--topic", "t2"),
		"TOPIC  PARTITION  STATUS\nt1     1          deleted\nt2     0          deleted\n")
	wantEqual(t, "remaining", c.committed("g"), "t1/0=1")
	wantEqual(t, "json", c.ok("", "group", "delete-offsets", "g", "--topic", "t1", "--output", "json"), `[
  {
    "topic": "t1",
    "partition": 0,
    "status": "deleted"
  },
  {
    "topic": "t1",
    "partition": 1,
    "status": "deleted"
  }
]
`)
	wantEqual(t, "none left", c.committed("g"), "")
}

func TestGroupUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		cmd  string
		want string
	}{
		{[]string{"group"}, "group", "missing subcommand (list, describe, delete, reset-offsets, delete-offsets, describe-configs, alter-configs)"},
		{[]string{"group", "nope"}, "group", `unknown subcommand "nope"`},
		{[]string{"group", "list", "--state", "sleepy"}, "group list", `invalid --state "sleepy": want one of Stable, Empty, PreparingRebalance, CompletingRebalance, Dead, Assigning, Reconciling, NotReady`},
		{[]string{"group", "list", "--type", "share"}, "group list", `invalid --type "share": want classic or consumer`},
		{[]string{"group", "list", "x"}, "group list", `unexpected argument "x"`},
		{[]string{"group", "list", "--output", "xml"}, "group list", `invalid --output "xml": want table or json`},
		{[]string{"group", "describe"}, "group describe", "missing GROUP argument"},
		{[]string{"group", "delete"}, "group delete", "missing GROUP argument"},
		{[]string{"group", "delete-offsets", "g"}, "group delete-offsets", "missing --topic"},
		{[]string{"group", "delete-offsets", "g", "--topic", "t:"}, "group delete-offsets", `invalid --topic "t:": want TOPIC or TOPIC:PARTITION,...`},
		{[]string{"group", "reset-offsets"}, "group reset-offsets", "missing GROUP argument"},
		{[]string{"group", "reset-offsets", "g", "--to-earliest"}, "group reset-offsets", "give either --topic or --all-topics"},
		{[]string{"group", "reset-offsets", "g", "--topic", "t", "--all-topics", "--to-earliest"}, "group reset-offsets", "give either --topic or --all-topics"},
		{[]string{"group", "reset-offsets", "g", "--topic", "t"}, "group reset-offsets", "give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by, --by-duration"},
		{[]string{"group", "reset-offsets", "g", "--topic", "t", "--to-earliest", "--to-offset", "3"}, "group reset-offsets", "give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by, --by-duration"},
		{[]string{"group", "reset-offsets", "g", "--topic", "t", "--to-offset", "-1"}, "group reset-offsets", "invalid --to-offset -1: must not be negative"},
		{[]string{"group", "reset-offsets", "g", "--topic", "t", "--to-datetime", "yesterday"}, "group reset-offsets", `invalid --to-datetime "yesterday": want RFC 3339, e.g. 2024-05-01T12:00:00Z`},
		{[]string{"group", "reset-offsets", "g", "--topic", "t", "--by-duration", "-1h"}, "group reset-offsets", "invalid --by-duration -1h0m0s: must not be negative"},
		{[]string{"group", "reset-offsets", "g", "--topic", "t", "--by-duration", "soon"}, "group reset-offsets", `invalid argument "soon" for "--by-duration" flag: time: invalid duration "soon"`},
		{[]string{"group", "reset-offsets", "g", "--topic", "t:x", "--to-earliest"}, "group reset-offsets", `invalid --topic "t:x": partition "x" is not a partition number`},
		{[]string{"group", "reset-offsets", "g", "--topic", "t", "--to-earliest", "--execute", "--dry-run"}, "group reset-offsets", "--execute and --dry-run exclude each other"},
	} {
		r := runCLI(t, "", tc.args...)
		want := "vltava: vltava " + tc.cmd + ": " + tc.want + " (see 'vltava " + tc.cmd + " --help')\n"
		if r.code != 2 || r.err != want || r.out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2, %q", tc.args, r.code, r.out, r.err, want)
		}
	}
}

func TestGroupUnreachable(t *testing.T) {
	r := runCLI(t, "", "group", "list", "-b", closedAddr(t), "--timeout", "1s")
	if r.code != 1 || r.out != "" {
		t.Fatalf("unreachable: exit %d, stdout %q", r.code, r.out)
	}
	wantLine(t, "unreachable", r.err, "vltava: cannot reach broker at 127.0.0.1:")
}

// waitConsumerState waits until a KIP-848 group is in state with members
// members, returning the member id and host of the member with clientID
// (empty when there are no members).
func (c *cli) waitConsumerState(group, state string, members int, clientID string) (id, host string) {
	c.t.Helper()
	adm := c.admin()
	testkit.Eventually(c.t, 20*time.Second, "group "+group+" "+state, func() bool {
		ds, err := adm.DescribeConsumerGroups(context.Background(), group)
		if err != nil || ds[group].State != state || len(ds[group].Members) != members {
			return false
		}
		for _, m := range ds[group].Members {
			if m.ClientID == clientID {
				id, host = m.MemberID, m.ClientHost
			}
		}
		return true
	})
	return id, host
}

func TestGroupConsumerProtocol(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "2")
	c.ok("a\nb\n", "produce", "t", "--partition", "0")
	m := c.member848("g", "cons-1", "t")
	consumeCommit(t, m, 2)
	id, host := c.waitConsumerState("g", "Stable", 1, "cons-1")
	repl := map[string]string{id: "MID", host: "HOST"}

	wantEqual(t, "list", c.ok("", "group", "list", "--type", "consumer"), "GROUP  TYPE      STATE\ng      consumer  Stable\n")
	wantEqual(t, "describe", fields(c.ok("", "group", "describe", "g"), repl), `Group: g
Type: consumer
State: Stable
Protocol type: consumer
Assignor: range
Coordinator: `+c.nodeID()+`
Members: 1

MEMBER-ID INSTANCE-ID CLIENT-ID HOST ASSIGNMENT
MID - cons-1 HOST t(0,1)

TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG MEMBER-ID HOST CLIENT-ID
t 0 2 2 0 MID HOST cons-1
t 1 - 0 - MID HOST cons-1
`)
	r := c.run("", "group", "reset-offsets", "g", "--topic", "t", "--to-earliest")
	if r.code != 1 || r.out != "" {
		t.Fatalf("reset of an active group: exit %d, stdout %q", r.code, r.out)
	}
	wantEqual(t, "refusal", r.err, "vltava: group \"g\" is active (state Stable, 1 members): offsets can only be reset while the group has no members; stop its consumers first\n")

	m.Close()
	c.waitConsumerState("g", "Empty", 0, "")
	c.ok("", "group", "reset-offsets", "g", "--topic", "t:0", "--to-offset", "1", "--execute")
	wantEqual(t, "committed", c.committed("g"), "t/0=1")
	wantEqual(t, "delete", c.ok("", "group", "delete", "g"), "Deleted group \"g\".\n")
	wantEqual(t, "list after delete", c.ok("", "group", "list"), "GROUP  TYPE  STATE\n")
}

// member848 starts a franz-go consumer in a KIP-848 group (server-side
// range assignment) that commits only when the test says so.
func (c *cli) member848(group, clientID string, topics ...string) *kgo.Client {
	c.t.Helper()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(c.addr),
		kgo.ClientID(clientID),
		kgo.ConsumerGroup(group),
		kgo.ServerSideBalancer(),
		kgo.Balancers(kgo.RangeBalancer()),
		kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.FetchMaxWait(100*time.Millisecond),
	)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(cl.Close)
	return cl
}

func TestGroupConfigsCLI(t *testing.T) {
	c := newCLI(t)
	wantEqual(t, "describe defaults", c.ok("", "group", "describe-configs", "g"), `NAME                            VALUE  SOURCE
consumer.heartbeat.interval.ms  5000   DEFAULT_CONFIG
consumer.session.timeout.ms     45000  DEFAULT_CONFIG
`)
	wantEqual(t, "alter", c.ok("", "group", "alter-configs", "g", "--config", "consumer.session.timeout.ms=50000", "--config", "consumer.heartbeat.interval.ms=6000"),
		"Altered the configs of group \"g\".\n")
	wantEqual(t, "describe", c.ok("", "group", "describe-configs", "g"), `NAME                            VALUE  SOURCE
consumer.heartbeat.interval.ms  6000   GROUP_CONFIG
consumer.session.timeout.ms     50000  GROUP_CONFIG
`)
	wantEqual(t, "delete", c.ok("", "group", "alter-configs", "g", "--delete-config", "consumer.heartbeat.interval.ms", "--output", "json"),
		"{\n  \"group\": \"g\",\n  \"status\": \"altered\"\n}\n")
	wantContains(t, "describe json", c.ok("", "group", "describe-configs", "g", "--output", "json"), `{
    "name": "consumer.heartbeat.interval.ms",
    "value": "5000",
    "source": "DEFAULT_CONFIG",
    "sensitive": false
  }`)
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"group", "alter-configs", "g", "--config", "consumer.session.timeout.ms=1000"}, 1,
			"vltava: group \"g\": INVALID_CONFIG: consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms\n"},
		{[]string{"group", "alter-configs", "g", "--config", "retention.ms=1"}, 1,
			"vltava: group \"g\": INVALID_CONFIG: Unknown group config name: retention.ms\n"},
		{[]string{"group", "alter-configs", "g"}, 2,
			"vltava: vltava group alter-configs: nothing to alter: give --config or --delete-config (see 'vltava group alter-configs --help')\n"},
		{[]string{"group", "describe-configs"}, 2,
			"vltava: vltava group describe-configs: missing GROUP argument (see 'vltava group describe-configs --help')\n"},
	} {
		r := c.run("", tc.args...)
		if r.code != tc.code || r.err != tc.err || r.out != "" {
			t.Errorf("vltava %v: exit %d, stderr %q, stdout %q; want exit %d, stderr %q", tc.args, r.code, r.err, r.out, tc.code, tc.err)
		}
	}
}
