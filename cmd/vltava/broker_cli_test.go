package main

import (
	"strings"
	"testing"
)

func TestBrokerConfigsCLI(t *testing.T) {
	c := newCLI(t)
	wantEqual(t, "describe empty cluster defaults", c.ok("", "broker", "describe-configs"), "NAME  VALUE  SOURCE\n")
	wantEqual(t, "alter cluster", c.ok("", "broker", "alter-configs", "--config", "log.retention.ms=60000", "--config", "message.max.bytes=5000"),
		"Altered cluster-wide broker configs.\n")
	wantEqual(t, "alter broker", c.ok("", "broker", "alter-configs", "--broker", "1", "--config", "log.retention.ms=1000"),
		"Altered broker 1.\n")
	wantEqual(t, "describe cluster defaults", c.ok("", "broker", "describe-configs"), `NAME               VALUE  SOURCE
log.retention.ms   60000  DYNAMIC_DEFAULT_BROKER_CONFIG
message.max.bytes  5000   DYNAMIC_DEFAULT_BROKER_CONFIG
`)
	// Of broker 1, the set configs: testkit's static ones and the dynamic.
	out := c.ok("", "broker", "describe-configs", "--broker", "1", "--output", "json")
	for _, want := range []string{
		`"name": "log.retention.ms",
    "value": "1000",
    "source": "DYNAMIC_BROKER_CONFIG"`,
		`"name": "message.max.bytes",
    "value": "5000",
    "source": "DYNAMIC_DEFAULT_BROKER_CONFIG"`,
		`"name": "node.id",
    "value": "1",
    "source": "STATIC_BROKER_CONFIG"`,
	} {
		wantContains(t, "describe broker 1", out, want)
	}
	// Topics without overrides take them.
	c.ok("", "topic", "create", "t")
	wantContains(t, "topic describe", c.ok("", "topic", "describe", "t"), "\nConfigs: max.message.bytes=5000, retention.ms=1000\n")
	wantEqual(t, "delete", c.ok("", "broker", "alter-configs", "--broker", "1", "--delete-config", "log.retention.ms"), "Altered broker 1.\n")
	wantContains(t, "topic describe after delete", c.ok("", "topic", "describe", "t"), "\nConfigs: max.message.bytes=5000, retention.ms=60000\n")

	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"broker", "alter-configs", "--config", "log.retention.hours=1"}, 1,
			"vltava: cluster-wide broker configs: INVALID_REQUEST: Cannot update these configs dynamically: Set(log.retention.hours)\n"},
		{[]string{"broker", "alter-configs", "--broker", "9", "--config", "log.retention.ms=1"}, 1,
			"vltava: broker 9: no such broker in the cluster (brokers: 1)\n"},
		{[]string{"broker", "alter-configs"}, 2,
			"vltava: vltava broker alter-configs: nothing to alter: give --config or --delete-config (see 'vltava broker alter-configs --help')\n"},
		{[]string{"broker", "alter-configs", "--config", "novalue"}, 2,
			"vltava: vltava broker alter-configs: invalid --config \"novalue\": want key=value (see 'vltava broker alter-configs --help')\n"},
		{[]string{"broker", "describe-configs", "--broker", "-3"}, 2,
			"vltava: vltava broker describe-configs: invalid --broker -3: must be a broker id (0 or more) (see 'vltava broker describe-configs --help')\n"},
		{[]string{"broker"}, 2,
			"vltava: vltava broker: missing subcommand (describe-configs, alter-configs, describe-loggers, alter-loggers) (see 'vltava broker --help')\n"},
	} {
		r := c.run("", tc.args...)
		if r.code != tc.code || r.err != tc.err || r.out != "" {
			t.Errorf("vltava %v: exit %d, stderr %q, stdout %q; want exit %d, stderr %q", tc.args, r.code, r.err, r.out, tc.code, tc.err)
		}
	}
}

// wantContains fails unless s contains sub.
func wantContains(t *testing.T, what, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Fatalf("%s: output does not contain %q:\n%s", what, sub, s)
	}
}

func TestBrokerLoggersCLI(t *testing.T) {
	c := newCLI(t)
	table := func(levels ...string) string {
		names := []string{"root", "vltava", "vltava.admin", "vltava.broker", "vltava.group", "vltava.log", "vltava.metadata", "vltava.replica", "vltava.server"}
		s := "LOGGER           LEVEL\n"
		for i, n := range names {
			s += n + strings.Repeat(" ", 17-len(n)) + levels[i] + "\n"
		}
		return s
	}
	I, D, W := "INFO", "DEBUG", "WARN"
	wantEqual(t, "describe at start", c.ok("", "broker", "describe-loggers"), table(I, I, I, I, I, I, I, I, I))
	wantEqual(t, "alter", c.ok("", "broker", "alter-loggers", "--level", "vltava=warn", "--level", "vltava.server=DEBUG"),
		"Altered the loggers of broker 1.\n")
	wantEqual(t, "describe --broker 1", c.ok("", "broker", "describe-loggers", "--broker", "1"), table(I, W, W, W, W, W, W, W, D))
	wantEqual(t, "unset", c.ok("", "broker", "alter-loggers", "--unset", "vltava", "--output", "json"),
		"{\n  \"resource\": \"broker 1 loggers\",\n  \"status\": \"altered\"\n}\n")
	wantContains(t, "json", c.ok("", "broker", "describe-loggers", "--output", "json"), `{
    "name": "vltava.server",
    "level": "DEBUG"
  }
]`)

	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"broker", "alter-loggers", "--level", "kafka=DEBUG"}, 1,
			"vltava: broker 1: INVALID_CONFIG: Logger kafka does not exist!\n"},
		{[]string{"broker", "alter-loggers", "--level", "vltava=loud"}, 1,
			"vltava: broker 1: INVALID_CONFIG: Cannot set the log level of vltava to LOUD as it is not a supported log level. Valid log levels are DEBUG, ERROR, FATAL, INFO, TRACE, WARN\n"},
		{[]string{"broker", "alter-loggers", "--unset", "root"}, 1,
			"vltava: broker 1: INVALID_REQUEST: Removing the log level of the root logger is not allowed\n"},
		{[]string{"broker", "describe-loggers", "--broker", "4"}, 1,
			"vltava: broker 4: no such broker in the cluster (brokers: 1)\n"},
		{[]string{"broker", "alter-loggers", "--level", "vltava"}, 2,
			"vltava: vltava broker alter-loggers: invalid --level \"vltava\": want LOGGER=LEVEL (see 'vltava broker alter-loggers --help')\n"},
		{[]string{"broker", "alter-loggers"}, 2,
			"vltava: vltava broker alter-loggers: nothing to alter: give --level or --unset (see 'vltava broker alter-loggers --help')\n"},
	} {
		r := c.run("", tc.args...)
		if r.code != tc.code || r.err != tc.err || r.out != "" {
			t.Errorf("vltava %v: exit %d, stderr %q, stdout %q; want exit %d, stderr %q", tc.args, r.code, r.err, r.out, tc.code, tc.err)
		}
	}
	wantEqual(t, "describe after refusals", c.ok("", "broker", "describe-loggers"), table(I, I, I, I, I, I, I, I, D))
}
