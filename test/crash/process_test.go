//go:build linux

package crash_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	// readyTimeout bounds a broker's start, recovery included.
	readyTimeout = 30 * time.Second
	// exitTimeout bounds a process's exit after a signal.
	exitTimeout = 20 * time.Second
)

// listeningRe matches the log line naming the bound PLAINTEXT address.
var listeningRe = regexp.MustCompile(`msg=listening .*listener=PLAINTEXT addr=(\S+)`)

// proc is one vltava server process.
type proc struct {
	t    *testing.T
	dir  string
	cmd  *exec.Cmd
	addr string
	// started is when the process was started; ready when it first
	// answered a Metadata request.
	started, ready time.Time

	mu    sync.Mutex
	lines []string // stderr, line by line

	exited  chan struct{} // closed when Wait returned
	waitErr error         // set before exited is closed
}

// startProc starts `vltava server` on a random loopback port with its data
// in dir, plus overrides (key=value), and waits until it answers Metadata.
// The process is killed when the test ends if it is still running.
func startProc(t *testing.T, dir string, overrides ...string) *proc {
	t.Helper()
	p, err := spawn(t, dir, overrides...)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.waitReady(); err != nil {
		p.kill()
		t.Fatalf("%v\nbroker log:\n%s", err, p.log())
	}
	return p
}

// spawn starts the process and returns once its stderr is being read.
func spawn(t *testing.T, dir string, overrides ...string) (*proc, error) {
	args := []string{"server", "--override", "listeners=PLAINTEXT://127.0.0.1:0", "--override", "vltava.admin.listener=127.0.0.1:0", "--override", "log.dirs=" + dir}
	for _, o := range overrides {
		args = append(args, "--override", o)
	}
	p := &proc{t: t, dir: dir, exited: make(chan struct{})}
	p.cmd = exec.Command(vltavaBin, args...)
	// Take the broker down with the test binary if it dies first.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", vltavaBin, err)
	}
	scanned := make(chan struct{})
	go p.scan(stderr, scanned)
	go func() {
		<-scanned // Wait closes the pipe: read it all first.
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("log of broker pid %d:\n%s", p.cmd.Process.Pid, p.log())
		}
	})
	return p, nil
}

func (p *proc) scan(r io.Reader, done chan<- struct{}) {
	defer close(done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		p.mu.Lock()
		p.lines = append(p.lines, sc.Text())
		p.mu.Unlock()
	}
}

// log is everything the process wrote to stderr so far.
func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// waitReady waits for the listening line, then for a Metadata answer.
func (p *proc) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	for p.addr == "" {
		if m := listeningRe.FindStringSubmatch(p.log()); m != nil {
			p.addr = m[1]
			break
		}
		select {
		case <-p.exited:
			return fmt.Errorf("broker exited before listening: %v", p.waitErr)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("broker did not log its listening address in time")
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.addr))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		md, err := adm.BrokerMetadata(ctx)
		cancel()
		if err == nil && len(md.Brokers) == 1 {
			p.ready = time.Now()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("broker at %s did not answer Metadata in time: %v", p.addr, err)
		}
		select {
		case <-p.exited:
			return fmt.Errorf("broker exited: %v", p.waitErr)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// kill9 kills the process with SIGKILL and waits for it to be gone.
func (p *proc) kill9() {
	p.t.Helper()
	if err := syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		p.t.Fatalf("kill -9 %d: %v", p.cmd.Process.Pid, err)
	}
	if err := p.wait(); err == nil {
		p.t.Fatalf("broker exited cleanly after SIGKILL")
	}
}

// kill is kill9 for cleanups: no checks.
func (p *proc) kill() {
	syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.exited
}

// terminate sends SIGTERM and returns the process's exit error.
func (p *proc) terminate() error {
	p.t.Helper()
	if err := syscall.Kill(p.cmd.Process.Pid, syscall.SIGTERM); err != nil {
		p.t.Fatalf("kill -TERM %d: %v", p.cmd.Process.Pid, err)
	}
	return p.wait()
}

// wait waits for the process to exit and returns its exit error.
func (p *proc) wait() error {
	p.t.Helper()
	select {
	case <-p.exited:
		return p.waitErr
	case <-time.After(exitTimeout):
		p.t.Fatalf("broker pid %d did not exit within %v", p.cmd.Process.Pid, exitTimeout)
		return nil
	}
}

// client returns a franz-go client for the process, closed with the test.
func (p *proc) client(opts ...kgo.Opt) *kgo.Client {
	p.t.Helper()
	all := append([]kgo.Opt{kgo.SeedBrokers(p.addr), kgo.RetryTimeout(10 * time.Second)}, opts...)
	cl, err := kgo.NewClient(all...)
	if err != nil {
		p.t.Fatalf("client: %v", err)
	}
	p.t.Cleanup(cl.Close)
	return cl
}

// admin returns a kadm client for the process.
func (p *proc) admin() *kadm.Client { return kadm.NewClient(p.client()) }

// timeout returns a context that ends after d or with the test.
func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
