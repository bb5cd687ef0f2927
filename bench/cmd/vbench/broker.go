package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// settings are the broker-wide options a session asks for; each broker kind
// turns them into its own command line.
type settings struct {
	flushEveryMessage bool  // fsync every append before acknowledging it
	segmentBytes      int64 // log.segment.bytes; 0 keeps the broker's default
	noRebalanceDelay  bool  // group.initial.rebalance.delay.ms=0 (kfake never delays a first join)
	cleanerBackoffMs  int64 // log.cleaner.backoff.ms; 0 keeps the default (kfake has no cleaner)
}

// kind is one broker implementation under test.
type kind struct {
	name  string                                          // "vltava" or "kfake"
	pkg   string                                          // Go package to build, relative to the module root
	bin   string                                          // built or given binary
	args  func(port int, dir string, s settings) []string // command line for a broker on port with data in dir
	files []string                                        // suffixes of segment files, for counting segments
}

// kindByName returns the broker kind called name, with bin as its prebuilt
// binary ("" to build it).
func kindByName(name, bin string) (*kind, error) {
	switch name {
	case "vltava":
		return &kind{name: name, pkg: "./cmd/vltava", bin: bin, args: vltavaArgs, files: []string{".log"}}, nil
	case "kfake":
		return &kind{name: name, pkg: "./bench/cmd/kfakepeer", bin: bin, args: kfakeArgs, files: []string{".dat"}}, nil
	}
	return nil, fmt.Errorf("unknown broker kind %q (want vltava or kfake)", name)
}

// vltavaArgs is the contract with `vltava server`: Kafka property names
// passed as repeated --override flags.
func vltavaArgs(port int, dir string, s settings) []string {
	l := "PLAINTEXT://127.0.0.1:" + strconv.Itoa(port)
	props := []string{"node.id=1", "listeners=" + l, "advertised.listeners=" + l, "log.dirs=" + dir, "vltava.admin.listener=127.0.0.1:0"}
	if s.flushEveryMessage {
		props = append(props, "log.flush.interval.messages=1")
	}
	if s.segmentBytes > 0 {
		props = append(props, "log.segment.bytes="+strconv.FormatInt(s.segmentBytes, 10))
	}
	if s.noRebalanceDelay {
		props = append(props, "group.initial.rebalance.delay.ms=0")
	}
	if s.cleanerBackoffMs > 0 {
		props = append(props, "log.cleaner.backoff.ms="+strconv.FormatInt(s.cleanerBackoffMs, 10))
	}
	args := []string{"server"}
	for _, p := range props {
		args = append(args, "--override", p)
	}
	return args
}

// kfakeArgs runs the kfakepeer program; kfake.SyncWrites is its equivalent
// of log.flush.interval.messages=1.
func kfakeArgs(port int, dir string, s settings) []string {
	args := []string{"-port", strconv.Itoa(port), "-dir", dir}
	if s.flushEveryMessage {
		args = append(args, "-sync")
	}
	if s.segmentBytes > 0 {
		args = append(args, "-config", "log.segment.bytes="+strconv.FormatInt(s.segmentBytes, 10))
	}
	return args
}

// build compiles the kind's binary into dir unless one was given.
func (k *kind) build(ctx context.Context, root, dir string) error {
	if k.bin != "" {
		return nil
	}
	out := filepath.Join(dir, k.name)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, k.pkg)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %w\n%s", k.pkg, err, msg)
	}
	k.bin = out
	return nil
}

// broker is one running broker process.
type broker struct {
	kind    *kind
	port    int
	dataDir string
	logPath string // the process's stdout and stderr
	set     settings
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has exited
	waitErr error         // set before exited is closed
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// newBroker prepares, but does not start, a broker with a fresh data
// directory under dir.
func newBroker(k *kind, dir string, s settings) (*broker, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	b := &broker{kind: k, port: port, set: s,
		dataDir: filepath.Join(dir, "data"), logPath: filepath.Join(dir, "broker.log")}
	if err := os.MkdirAll(b.dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating data dir: %w", err)
	}
	return b, nil
}

func (b *broker) addr() string { return "127.0.0.1:" + strconv.Itoa(b.port) }

func (b *broker) pid() int { return b.cmd.Process.Pid }

// start launches the process; its output is appended to logPath.
func (b *broker) start() error {
	logf, err := os.OpenFile(b.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("opening broker log: %w", err)
	}
	cmd := exec.Command(b.kind.bin, b.kind.args(b.port, b.dataDir, b.set)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting %s: %w", b.kind.name, err)
	}
	b.cmd, b.exited, b.waitErr = cmd, make(chan struct{}), nil
	go func() {
		b.waitErr = cmd.Wait()
		logf.Close()
		close(b.exited)
	}()
	return nil
}

// stop sends SIGTERM and waits for the process to exit, killing it after
// grace. It returns how long the clean shutdown took.
func (b *broker) stop(grace time.Duration) (time.Duration, error) {
	if b.cmd == nil {
		return 0, nil
	}
	t0 := time.Now()
	select {
	case <-b.exited:
		return 0, fmt.Errorf("%s had already exited: %v%s", b.kind.name, b.waitErr, b.logTail())
	default:
	}
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, fmt.Errorf("signalling %s: %w", b.kind.name, err)
	}
	select {
	case <-b.exited:
		took := time.Since(t0)
		if b.waitErr != nil {
			return took, fmt.Errorf("%s exited uncleanly after SIGTERM: %w%s", b.kind.name, b.waitErr, b.logTail())
		}
		return took, nil
	case <-time.After(grace):
		_ = b.cmd.Process.Kill()
		<-b.exited
		return 0, fmt.Errorf("%s did not exit within %v of SIGTERM; killed", b.kind.name, grace)
	}
}

// kill ends the process at once; used on the way out after errors.
func (b *broker) kill() {
	if b.cmd == nil {
		return
	}
	select {
	case <-b.exited:
	default:
		_ = b.cmd.Process.Kill()
		<-b.exited
	}
}

// logTail returns the end of the broker's output, for error messages.
func (b *broker) logTail() string {
	data, err := os.ReadFile(b.logPath)
	if err != nil || len(data) == 0 {
		return ""
	}
	const max = 2000
	if len(data) > max {
		data = data[len(data)-max:]
	}
	return "\n--- broker output (tail) ---\n" + string(data)
}

// exitedErr reports, without blocking, whether the process has died.
func (b *broker) exitedErr() error {
	select {
	case <-b.exited:
		return fmt.Errorf("%s exited: %v%s", b.kind.name, b.waitErr, b.logTail())
	default:
		return nil
	}
}
