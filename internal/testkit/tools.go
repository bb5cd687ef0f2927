package testkit

import (
	"bytes"
	"context"
	"os/exec"
	"testing"
	"time"
)

// SystemPython is Debian's interpreter, the one its python3-* packages
// install into (a python3 earlier on PATH may not see them).
const SystemPython = "/usr/bin/python3"

// toolTimeout bounds every external command a test runs.
const toolTimeout = 60 * time.Second

// NeedTool returns the path of an executable, skipping the test when the
// machine lacks it (CI installs every tool the tests use: see .ci/run).
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (CI installs it: see .ci/run): %v", name, err)
	}
	return p
}

// NeedPythonModule skips the test unless SystemPython can import module.
func NeedPythonModule(t testing.TB, module, debianPackage string) {
	t.Helper()
	py := NeedTool(t, SystemPython)
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	if out, err := exec.CommandContext(ctx, py, "-c", "import "+module).CombinedOutput(); err != nil {
		t.Skipf("%s cannot import %s (install %s; CI does: see .ci/run): %v: %s", py, module, debianPackage, err, out)
	}
}

// Run runs a command with stdin, failing the test if it fails, and returns
// its standard output; its standard error goes to the test log.
func Run(t testing.TB, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %q: %v\nstdout:\n%s\nstderr:\n%s", name, args, err, stdout.Bytes(), stderr.Bytes())
	}
	if stderr.Len() > 0 {
		t.Logf("%s %q stderr:\n%s", name, args, stderr.Bytes())
	}
	return stdout.Bytes()
}
