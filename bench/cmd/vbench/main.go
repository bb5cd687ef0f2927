// Command vbench runs Vltava's end-to-end benchmarks (`make bench`). For each
// broker kind in turn (Vltava, then franz-go's kfake as the peer) it starts
// the broker as a separate process on a free loopback port with a fresh data
// directory, drives it with franz-go clients from this process, and reads the
// broker's CPU time and memory from /proc. It prints one table per scenario
// with both brokers and their ratio, and writes the results as JSON.
//
// See bench/README.md for what each scenario measures.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
)

// config holds the command-line settings.
type config struct {
	scale        float64
	runs         int      // repetitions; each metric reports the median
	only         []string // phase name substrings; empty runs all
	brokers      []string // broker kinds in column order; ratios are first/second
	root         string   // module root, for building the binaries
	out          string   // JSON results path
	phaseTimeout time.Duration
	bins         map[string]string // prebuilt binaries by kind
	keep         bool              // keep the temporary directory
}

func main() {
	if os.Getenv("GOGC") == "" {
		// The benchmark's clients share this 2-core machine with the broker
		// under test, and their garbage collections were most of the
		// end-to-end p99 of both brokers (about 1 ms with Go's default of
		// 100; about 0.5 ms at 400, and 0.4 ms with no GC at all). Collecting
		// less often keeps the harness from measuring itself. It applies to
		// every broker alike: they run as their own processes and do not
		// inherit it.
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := mainErr(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// mainErr runs vbench and returns the exit status: 0 when every phase ran,
// 1 when a phase failed, 2 on a usage error.
func mainErr(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "vbench:", err)
		return 2
	}
	rep, err := run(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "vbench:", err)
		return 1
	}
	rep.print(stdout)
	if err := rep.write(cfg.out); err != nil {
		fmt.Fprintln(stderr, "vbench:", err)
		return 1
	}
	fmt.Fprintf(stdout, "\nresults written to %s\n", cfg.out)
	if rep.failed() {
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("vbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &config{bins: map[string]string{}}
	fs.Float64Var(&cfg.scale, "scale", 1, "multiply every record count by this (0.1 for a quick smoke run)")
	fs.IntVar(&cfg.runs, "runs", 1, "run everything this many times and report each metric's median")
	only := fs.String("only", "", "comma-separated substrings of phase names to run (default all), e.g. produce,restart")
	brokers := fs.String("brokers", "vltava,kfake", "broker kinds to run, in column order; ratios are first/second")
	fs.StringVar(&cfg.root, "root", ".", "module root, where ./cmd/vltava and ./bench/cmd/kfakepeer are built from")
	fs.StringVar(&cfg.out, "out", "", "JSON results file (default ROOT/bench/results/latest.json)")
	fs.DurationVar(&cfg.phaseTimeout, "phase-timeout", 30*time.Second, "stop a timed phase after this long and report what it did")
	vbin := fs.String("vltava-bin", "", "use this vltava binary instead of building ./cmd/vltava")
	kbin := fs.String("kfake-bin", "", "use this kfakepeer binary instead of building ./bench/cmd/kfakepeer")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the temporary directory (binaries, data, broker logs)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.scale <= 0 {
		return nil, fmt.Errorf("-scale must be positive, got %v", cfg.scale)
	}
	if cfg.runs < 1 {
		return nil, fmt.Errorf("-runs must be at least 1, got %d", cfg.runs)
	}
	cfg.only = splitList(*only)
	cfg.brokers = splitList(*brokers)
	if len(cfg.brokers) == 0 {
		return nil, errors.New("-brokers is empty")
	}
	for _, b := range cfg.brokers {
		if _, err := kindByName(b, ""); err != nil {
			return nil, err
		}
	}
	cfg.bins["vltava"], cfg.bins["kfake"] = *vbin, *kbin
	if cfg.out == "" {
		cfg.out = filepath.Join(cfg.root, "bench", "results", "latest.json")
	}
	return cfg, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// selected reports whether -only lets phase name run.
func (c *config) selected(name string) bool {
	if len(c.only) == 0 {
		return true
	}
	for _, o := range c.only {
		if strings.Contains(name, o) {
			return true
		}
	}
	return false
}
