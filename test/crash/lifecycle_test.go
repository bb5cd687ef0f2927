//go:build linux

package crash_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestGracefulStop stops the broker with SIGTERM: it exits 0, says so,
// and a restart serves everything that was written.
func TestGracefulStop(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, dir)
	const topic = "graceful"
	createTopic(t, p, topic, 2, nil)
	cl := p.client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	var recs []*kgo.Record
	for i := range 1000 {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(i % 2), Value: []byte(recordValue(0, i))})
	}
	acks := produceSync(t, cl, recs...)
	if err := p.terminate(); err != nil {
		t.Fatalf("SIGTERM: exit %v, want status 0\n%s", err, p.log())
	}
	if !strings.Contains(p.log(), "stopped cleanly") {
		t.Fatalf("log after SIGTERM does not say \"stopped cleanly\":\n%s", p.log())
	}
	p = startProc(t, dir)
	waitLeaders(t, p, topic, 2)
	logs := readAll(t, p, topic)
	checkLog(t, logs, acks)
	if n := countRecords(logs); n != len(acks) {
		t.Fatalf("%d records after restart, want %d", n, len(acks))
	}
	if err := p.terminate(); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}

// TestBadConfig runs `vltava server` with bad properties: it must exit
// non-zero at once with a one-line error naming the property.
func TestBadConfig(t *testing.T) {
	cases := []struct {
		name      string
		overrides []string
		mention   string
		flags     []string
	}{
		{"not a number", []string{"num.partitions=abc"}, "num.partitions", nil},
		{"unknown key", []string{"no.such.property=1"}, "no.such.property", nil},
		{"below the minimum", []string{"log.segment.bytes=12"}, "log.segment.bytes", nil},
		{"bad listener", []string{"listeners=nonsense"}, "listeners", nil},
		{"not key=value", []string{"log.retention.ms"}, "log.retention.ms", nil},
		{"bad log level", nil, "--log-level", []string{"--log-level", "loud"}},
		{"separate metadata dir", []string{"metadata.log.dir=/tmp/elsewhere"}, "metadata.log.dir", nil},
		{"classic groups off", []string{"group.coordinator.rebalance.protocols=consumer"}, "group.coordinator.rebalance.protocols", nil},
		{"zero socket buffer", []string{"socket.receive.buffer.bytes=0"}, "socket.receive.buffer.bytes", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"server", "--override", "log.dirs=" + t.TempDir()}
			for _, o := range c.overrides {
				args = append(args, "--override", o)
			}
			args = append(args, c.flags...)
			stderr, err := runBinary(t, args...)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() <= 0 {
				t.Fatalf("vltava %q: %v, want a non-zero exit status; stderr:\n%s", args, err, stderr)
			}
			line := strings.TrimSuffix(stderr, "\n")
			if strings.Contains(line, "\n") || !strings.Contains(line, c.mention) {
				t.Fatalf("vltava %q wrote:\n%s\nwant one line naming %s", args, stderr, c.mention)
			}
		})
	}
}

// runBinary runs vltava to completion and returns its standard error.
func runBinary(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), exitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, vltavaBin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("vltava %q did not exit within %v; stderr:\n%s", args, exitTimeout, stderr.String())
	}
	return stderr.String(), err
}

// TestLogDirLock starts a second broker on a data directory in use: it
// must fail clearly while the first carries on; once the first is killed
// with SIGKILL, the kernel drops the lock and a new broker starts there.
func TestLogDirLock(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, dir)
	const topic = "locked"
	createTopic(t, p, topic, 1, nil)
	acks := produceSync(t, p.client(), &kgo.Record{Topic: topic, Value: []byte(recordValue(0, 0))})

	second, err := spawn(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	err = second.wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() <= 0 {
		t.Fatalf("second broker on %s: %v, want a non-zero exit status\n%s", dir, err, second.log())
	}
	out := second.log()
	last := out[strings.LastIndex(out, "\n")+1:]
	if !strings.Contains(last, dir) || !strings.Contains(last, "in use") {
		t.Fatalf("second broker on %s ended with %q, want an error naming the directory as in use; log:\n%s", dir, last, out)
	}

	acks = append(acks, produceSync(t, p.client(), &kgo.Record{Topic: topic, Value: []byte(recordValue(0, 1))})...)
	checkLog(t, readAll(t, p, topic), acks)

	p.kill9()
	p = startProc(t, dir)
	waitLeaders(t, p, topic, 1)
	checkLog(t, readAll(t, p, topic), acks)
	if err := p.terminate(); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}
