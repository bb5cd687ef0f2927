package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/testkit"
)

// cliResult is what one in-process run of the vltava command produced.
type cliResult struct {
	out  string // standard output
	err  string // standard error, including the final error line main prints
	code int    // exit status main would use
}

// cli runs vltava commands in-process against one broker.
type cli struct {
	t    *testing.T
	addr string
}

// newCLI starts a broker for the test and returns a runner pointed at it.
func newCLI(t *testing.T) *cli {
	t.Helper()
	b := testkit.StartBroker(t)
	return &cli{t: t, addr: b.Addr()}
}

// run executes `vltava args... -b addr` with stdin.
func (c *cli) run(stdin string, args ...string) cliResult {
	c.t.Helper()
	return runCLI(c.t, stdin, append(args, "-b", c.addr)...)
}

// ok runs a command that must succeed and returns its standard output.
func (c *cli) ok(stdin string, args ...string) string {
	c.t.Helper()
	r := c.run(stdin, args...)
	if r.code != 0 || r.err != "" {
		c.t.Fatalf("vltava %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.err)
	}
	return r.out
}

// runCLI executes the root command the way main does: the returned error is
// printed on stderr after "vltava:" and mapped to an exit status.
func runCLI(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errb)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := root.ExecuteContext(ctx)
	res := cliResult{out: out.String()}
	if err != nil {
		res.code = 1
		var ee exitError
		if errors.As(err, &ee) {
			res.code = ee.code
		}
		fmt.Fprintln(&errb, "vltava:", err)
	}
	res.err = errb.String()
	return res
}

// admin returns a kadm client on the test broker.
func (c *cli) admin() *kadm.Client {
	c.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addr))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

// topicID returns the id the broker gave topic, as the CLI prints it.
func (c *cli) topicID(topic string) string {
	c.t.Helper()
	tds, err := c.admin().ListTopics(context.Background(), topic)
	if err != nil || tds[topic].Err != nil {
		c.t.Fatalf("list topic %q: %v %v", topic, err, tds[topic].Err)
	}
	return topicID(tds[topic].ID)
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// wantLine checks that s is exactly one line starting with prefix.
func wantLine(t *testing.T, what, s, prefix string) {
	t.Helper()
	if !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
		t.Fatalf("%s = %q, want one line starting with %q", what, s, prefix)
	}
}

// wantEqual fails when got differs from want, showing both.
func wantEqual(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s:\n got: %q\nwant: %q\n--- got ---\n%s--- want ---\n%s", what, got, want, got, want)
	}
}

// silentListener accepts connections and never answers; it returns its address.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { <-done; conn.Close() }()
		}
	}()
	return ln.Addr().String()
}

// sortLines returns s's lines in sorted order.
func sortLines(s string) string {
	lines := strings.SplitAfter(s, "\n")
	sort.Strings(lines)
	return strings.Join(lines, "")
}

// withNode replaces every standalone N in a table or JSON template with the
// broker's node id, keeping table columns aligned for ids of up to 3 digits.
func (c *cli) withNode(template string) string {
	c.t.Helper()
	brokers, err := c.admin().ListBrokers(context.Background())
	if err != nil || len(brokers) != 1 {
		c.t.Fatalf("list brokers: %v %v", brokers, err)
	}
	id := strconv.Itoa(int(brokers[0].NodeID))
	// Whole tokens only: a topic id such as "N-4kiD..." holds an N too.
	return regexp.MustCompile(`[A-Za-z0-9_-]*N[A-Za-z0-9_-]*( *)`).ReplaceAllStringFunc(template, func(m string) string {
		if strings.TrimRight(m, " ") != "N" {
			return m
		}
		pad := len(m) - 1
		if pad > 0 {
			pad = max(1, pad-(len(id)-1))
		}
		return id + strings.Repeat(" ", pad)
	})
}
