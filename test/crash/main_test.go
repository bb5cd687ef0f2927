//go:build linux

// Package crash_test is a black-box test of the vltava binary: it starts
// real broker processes on random loopback ports, kills them with SIGKILL
// in the middle of producing, corrupts their files the way a crash can,
// restarts them on the same data directory and checks, through the Kafka
// protocol only, that every acknowledged record is still there exactly
// once and in order.
//
// TestMain builds ./cmd/vltava once into a temporary directory, or uses the
// binary that $VLTAVA_CRASH_BIN names.
package crash_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// vltavaBin is the binary TestMain built; set once before any test runs.
var vltavaBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if bin := os.Getenv("VLTAVA_CRASH_BIN"); bin != "" {
		vltavaBin = bin
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "vltava-crash-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash tests:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	vltavaBin = filepath.Join(dir, "vltava")
	build := exec.Command("go", "build", "-o", vltavaBin, "github.com/vltava/vltava/cmd/vltava")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "crash tests: build vltava:", err)
		return 1
	}
	return m.Run()
}
