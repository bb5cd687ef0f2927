package main

import (
	"strings"
	"testing"
	"time"
)

func TestTopicCreateListDescribeAlterDelete(t *testing.T) {
	c := newCLI(t)
	wantEqual(t, "create t1",
		c.ok("", "topic", "create", "t1", "--partitions", "3", "--replication-factor", "1", "--config", "retention.ms=60000", "--config", "cleanup.policy=compact"),
		"Created topic \"t1\" (partitions: 3, replication factor: 1).\n")
	wantEqual(t, "create t2 json", c.ok("", "topic", "create", "t2", "--partitions", "1", "--output", "json"), `{
  "topic": "t2",
  "status": "created",
  "partitions": 1,
  "replication_factor": 1
}
`)
	wantEqual(t, "list", c.ok("", "topic", "list"), `TOPIC  PARTITIONS  REPLICATION-FACTOR
t1     3           1
t2     1           1
`)
	wantEqual(t, "list json", c.ok("", "topic", "list", "--output", "json"), `[
  {
    "topic": "t1",
    "partitions": 3,
    "replication_factor": 1,
    "internal": false
  },
  {
    "topic": "t2",
    "partitions": 1,
    "replication_factor": 1,
    "internal": false
  }
]
`)
	// t1 is compacted, so its records need keys.
	c.ok("k1:a\nk2:b\nk3:c\n", "produce", "t1", "--partition", "1", "--key-separator", ":")
	wantEqual(t, "describe", c.ok("", "topic", "describe", "t1", "t2"), c.withNode(`Topic: t1
ID: `+c.topicID("t1")+`
Partitions: 3
Replication factor: 1
Configs: cleanup.policy=compact, retention.ms=60000
PARTITION  LEADER  EPOCH  REPLICAS  ISR  LOG-START  LOG-END
0          N       0      N         N    0          0
1          N       0      N         N    0          3
2          N       0      N         N    0          0

Topic: t2
ID: `+c.topicID("t2")+`
Partitions: 1
Replication factor: 1
Configs: (none)
PARTITION  LEADER  EPOCH  REPLICAS  ISR  LOG-START  LOG-END
0          N       0      N         N    0          0
`))
	wantEqual(t, "alter", c.ok("", "topic", "alter", "t1", "--partitions", "4", "--config", "retention.ms=120000", "--delete-config", "cleanup.policy"),
		"Altered topic \"t1\".\n")
	wantEqual(t, "describe json", c.ok("", "topic", "describe", "t1", "--output", "json"), c.withNode(`[
  {
    "topic": "t1",
    "id": "`+c.topicID("t1")+`",
    "internal": false,
    "replication_factor": 1,
    "configs": {
      "retention.ms": "120000"
    },
    "partitions": [
      {
        "partition": 0,
        "leader": N,
        "leader_epoch": 0,
        "replicas": [
          N
        ],
        "isr": [
          N
        ],
        "log_start_offset": 0,
        "log_end_offset": 0
      },
      {
        "partition": 1,
        "leader": N,
        "leader_epoch": 0,
        "replicas": [
          N
        ],
        "isr": [
          N
        ],
        "log_start_offset": 0,
        "log_end_offset": 3
      },
      {
        "partition": 2,
        "leader": N,
        "leader_epoch": 0,
        "replicas": [
          N
        ],
        "isr": [
          N
        ],
        "log_start_offset": 0,
        "log_end_offset": 0
      },
      {
        "partition": 3,
        "leader": N,
        "leader_epoch": 0,
        "replicas": [
          N
        ],
        "isr": [
          N
        ],
        "log_start_offset": 0,
        "log_end_offset": 0
      }
    ]
  }
]
`))
	wantEqual(t, "delete", c.ok("", "topic", "delete", "t1", "t2"), "Deleted topic \"t1\".\nDeleted topic \"t2\".\n")
	wantEqual(t, "list after delete", c.ok("", "topic", "list"), "TOPIC  PARTITIONS  REPLICATION-FACTOR\n")
	wantEqual(t, "list json after delete", c.ok("", "topic", "list", "--output", "json"), "[]\n")
}

func TestTopicCreateExisting(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "2")
	r := c.run("", "topic", "create", "t", "--partitions", "2")
	if r.code != 1 || r.out != "" {
		t.Fatalf("create existing: exit %d, stdout %q", r.code, r.out)
	}
	wantLine(t, "stderr", r.err, `vltava: topic "t": TOPIC_ALREADY_EXISTS: `)
	wantEqual(t, "if-not-exists", c.ok("", "topic", "create", "t", "--if-not-exists"), "Topic \"t\" already exists.\n")
	wantEqual(t, "if-not-exists json", c.ok("", "topic", "create", "t", "--if-not-exists", "--output", "json"),
		"{\n  \"topic\": \"t\",\n  \"status\": \"exists\"\n}\n")
}

func TestTopicCreateValidateOnly(t *testing.T) {
	c := newCLI(t)
	wantEqual(t, "validate", c.ok("", "topic", "create", "v", "--partitions", "5", "--replication-factor", "1", "--validate-only"),
		"Topic \"v\" is valid (partitions: 5, replication factor: 1); not created (validate only).\n")
	wantEqual(t, "list", c.ok("", "topic", "list"), "TOPIC  PARTITIONS  REPLICATION-FACTOR\n")
}

func TestTopicUnknown(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"topic", "describe", "nope"},
		{"topic", "delete", "nope"},
		{"topic", "alter", "nope", "--config", "retention.ms=1000"},
	} {
		r := c.run("", args...)
		if r.code != 1 || r.out != "" {
			t.Fatalf("%v: exit %d, stdout %q", args, r.code, r.out)
		}
		wantLine(t, strings.Join(args, " "), r.err, `vltava: topic "nope": UNKNOWN_TOPIC_OR_PARTITION: `)
	}
	wantEqual(t, "delete --if-exists", c.ok("", "topic", "delete", "nope", "--if-exists"),
		"Topic \"nope\" does not exist; nothing to delete.\n")
	wantEqual(t, "delete --if-exists json", c.ok("", "topic", "delete", "nope", "--if-exists", "--output", "json"),
		"[\n  {\n    \"topic\": \"nope\",\n    \"status\": \"not_found\"\n  }\n]\n")
}

func TestTopicDeletePartialFailure(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "a")
	r := c.run("", "topic", "delete", "a", "nope")
	if r.code != 1 {
		t.Fatalf("exit %d", r.code)
	}
	wantEqual(t, "stdout", r.out, "Deleted topic \"a\".\n")
	wantLine(t, "stderr", r.err, `vltava: topic "nope": UNKNOWN_TOPIC_OR_PARTITION: `)
}

func TestTopicInvalidPartitions(t *testing.T) {
	c := newCLI(t)
	c.ok("", "topic", "create", "t", "--partitions", "3")
	r := c.run("", "topic", "alter", "t", "--partitions", "2")
	if r.code != 1 || r.out != "" {
		t.Fatalf("exit %d, stdout %q", r.code, r.out)
	}
	wantLine(t, "stderr", r.err, `vltava: topic "t": INVALID_PARTITIONS: `)
}

func TestTopicUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"topic"}, "vltava: vltava topic: missing subcommand (create, list, describe, alter, delete) (see 'vltava topic --help')\n"},
		{[]string{"topic", "frob"}, "vltava: vltava topic: unknown subcommand \"frob\" (see 'vltava topic --help')\n"},
		{[]string{"topic", "create"}, "vltava: vltava topic create: missing NAME argument (see 'vltava topic create --help')\n"},
		{[]string{"topic", "create", "a", "b"}, "vltava: vltava topic create: unexpected argument \"b\" (see 'vltava topic create --help')\n"},
		{[]string{"topic", "describe"}, "vltava: vltava topic describe: missing NAME argument (see 'vltava topic describe --help')\n"},
		{[]string{"topic", "delete"}, "vltava: vltava topic delete: missing NAME argument (see 'vltava topic delete --help')\n"},
		{[]string{"topic", "list", "extra"}, "vltava: vltava topic list: unexpected argument \"extra\" (see 'vltava topic list --help')\n"},
		{[]string{"topic", "create", "a", "--partitions", "x"}, "vltava: vltava topic create: invalid argument \"x\" for \"--partitions\" flag: strconv.ParseInt: parsing \"x\": invalid syntax (see 'vltava topic create --help')\n"},
		{[]string{"topic", "create", "a", "--config", "novalue"}, "vltava: vltava topic create: invalid --config \"novalue\": want key=value (see 'vltava topic create --help')\n"},
		{[]string{"topic", "list", "--output", "xml"}, "vltava: vltava topic list: invalid --output \"xml\": want table or json (see 'vltava topic list --help')\n"},
		{[]string{"topic", "list", "--frob"}, "vltava: vltava topic list: unknown flag: --frob (see 'vltava topic list --help')\n"},
		{[]string{"topic", "alter", "a"}, "vltava: vltava topic alter: nothing to alter: give --partitions, --config or --delete-config (see 'vltava topic alter --help')\n"},
		{[]string{"topic", "list", "-b", ""}, "vltava: vltava topic list: invalid --bootstrap-server \"\": empty address (see 'vltava topic list --help')\n"},
	} {
		r := runCLI(t, "", tc.args...)
		if r.code != 2 || r.out != "" {
			t.Errorf("%v: exit %d, stdout %q; want exit 2, no output", tc.args, r.code, r.out)
		}
		if r.err != tc.want {
			t.Errorf("%v: stderr\n got %q\nwant %q", tc.args, r.err, tc.want)
		}
	}
}

func TestUnreachableBroker(t *testing.T) {
	addr := closedAddr(t)
	for _, args := range [][]string{
		{"topic", "list"},
		{"produce", "t"},
		{"consume", "t"},
	} {
		start := time.Now()
		r := runCLI(t, "x\n", append(args, "-b", addr, "--timeout", "3s")...)
		if took := time.Since(start); took > 4*time.Second {
			t.Errorf("%v took %s, want at most the 3s timeout", args, took)
		}
		if r.code != 1 || r.out != "" {
			t.Errorf("%v: exit %d, stdout %q", args, r.code, r.out)
		}
		wantLine(t, strings.Join(args, " "), r.err, "vltava: cannot reach broker at "+addr+": ")
	}
}

func TestUnreachableBrokerTimesOut(t *testing.T) {
	// A listener that never answers: the dial succeeds, the request hangs.
	ln := silentListener(t)
	start := time.Now()
	r := runCLI(t, "", "topic", "list", "-b", ln, "--timeout", "500ms")
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %s, want about the 500ms timeout", took)
	}
	if r.code != 1 {
		t.Fatalf("exit %d", r.code)
	}
	wantEqual(t, "stderr", r.err, "vltava: cannot reach broker at "+ln+": no answer within 500ms\n")
}

func TestBootstrapFromEnvironment(t *testing.T) {
	b := newCLI(t)
	b.ok("", "topic", "create", "envtopic", "--partitions", "1")
	t.Setenv(bootstrapEnv, b.addr)
	r := runCLI(t, "", "topic", "list")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	wantEqual(t, "list", r.out, "TOPIC     PARTITIONS  REPLICATION-FACTOR\nenvtopic  1           1\n")
}
