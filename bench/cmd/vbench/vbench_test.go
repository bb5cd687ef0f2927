package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSmokeKfake runs every scenario at a tiny scale against kfake only (so
// it does not need the Vltava server) and checks that each phase moved
// exactly the records it should have.
func TestSmokeKfake(t *testing.T) {
	out := filepath.Join(t.TempDir(), "latest.json")
	cfg, err := parseFlags([]string{"-brokers", "kfake", "-scale", "0.001", "-root", "../../..", "-out", out,
		"-phase-timeout", "30s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := run(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.write(out); err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.results {
		if r.Error != "" {
			t.Errorf("%s: %s", r.Phase, r.Error)
		}
	}
	n := cfg.n
	want := map[string]int64{
		"produce-100B-acks1":   n(smallRecords),
		"consume-100B":         n(smallRecords) + warmCount(n(smallRecords)),
		"produce-100B-acksall": n(smallRecords),
		"produce-1KiB-acks1":   n(kibRecords),
		"consume-1KiB":         n(kibRecords) + warmCount(n(kibRecords)),
		"produce-1KiB-fsync":   n(fsyncRecords),
		"e2e-latency":          n(e2eRecords),
		"partitions-1000":      manyParts * n(manyPerPart),
		"restart":              n(restartBytes) / restartRecSize,
	}
	for phase, records := range want {
		r := rep.result("kfake", phase)
		if r == nil {
			t.Errorf("%s: no result", phase)
			continue
		}
		if got, _ := r.lookup("records"); got != float64(records) {
			t.Errorf("%s: %v records, want %d", phase, got, records)
		}
	}
	checkGroups(t, rep)
	checkJSON(t, out, len(want)+3+3) // plus idle, overall, compaction and the three group scenarios
}

// checkGroups checks the group scenarios' counts: 101 members settled in
// both rebalance scenarios, and some commits.
func checkGroups(t *testing.T, rep *report) {
	t.Helper()
	for phase, metric := range map[string]string{"classic-rebalance": "members", "consumer-rebalance": "members", "offset-commits": "commits"} {
		r := rep.result("kfake", phase)
		if r == nil {
			t.Errorf("%s: no result", phase)
			continue
		}
		got, _ := r.lookup(metric)
		if want := float64(groupMembers + 1); metric == "members" && got != want {
			t.Errorf("%s: %v members, want %v", phase, got, want)
		}
		if metric == "commits" && got < commitClients*commitInflight {
			t.Errorf("%s: %v commits, want at least one per committer", phase, got)
		}
	}
}

// checkJSON decodes the results file and counts its tables.
func checkJSON(t *testing.T, path string, tables int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got report
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Tables) != tables || got.Brokers[0] != "kfake" {
		t.Fatalf("results file has %d tables for %v, want %d for [kfake]", len(got.Tables), got.Brokers, tables)
	}
}

func TestHistQuantiles(t *testing.T) {
	var h hist
	for i := 1; i <= 100; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	// Buckets are exact below 128 ns and within 1/128 above: 50 µs and 99 µs
	// fall into buckets starting at 49,920 ns and 98,816 ns.
	if got := h.quantile(0.5); got != 49920 {
		t.Errorf("p50 = %d, want 49920", got)
	}
	if got := h.quantile(0.99); got != 98816 {
		t.Errorf("p99 = %d, want 98816", got)
	}
	if got := h.maxValue(); got != 100*time.Microsecond {
		t.Errorf("max = %v, want 100µs", got)
	}
	if got := h.total(); got != 100 {
		t.Errorf("total = %d, want 100", got)
	}
}

func TestHistBucketsRoundTrip(t *testing.T) {
	for _, v := range []int64{0, 1, 127, 128, 129, 255, 256, 1000, 1 << 20, 123456789, 1 << 39} {
		b := bucketOf(v)
		lo, next := lowerBound(b), lowerBound(b+1)
		if v < lo || v >= next {
			t.Errorf("value %d in bucket %d = [%d, %d)", v, b, lo, next)
		}
	}
}

func TestMedians(t *testing.T) {
	runs := []phaseResult{
		{Broker: "a", Phase: "p", Metrics: []metric{{Name: "x", Unit: "u", Value: 3}}},
		{Broker: "a", Phase: "p", Metrics: []metric{{Name: "x", Unit: "u", Value: 1}}, Error: "boom"},
		{Broker: "a", Phase: "p", Metrics: []metric{{Name: "x", Unit: "u", Value: 2}}, Notes: []string{"n"}},
		{Broker: "b", Phase: "p", Metrics: []metric{{Name: "x", Unit: "u", Value: 5}, {Name: "y", Unit: "u", Value: 4}}},
		{Broker: "b", Phase: "p", Metrics: []metric{{Name: "x", Unit: "u", Value: 6}}},
	}
	got := medians(runs)
	if len(got) != 2 {
		t.Fatalf("got %d results, want 2", len(got))
	}
	if v, _ := got[0].lookup("x"); v != 2 || got[0].Error != "boom" || len(got[0].Notes) != 1 {
		t.Errorf("a: x=%v error=%q notes=%v, want 2, boom, [n]", v, got[0].Error, got[0].Notes)
	}
	x, _ := got[1].lookup("x")
	y, _ := got[1].lookup("y")
	if x != 5.5 || y != 4 {
		t.Errorf("b: x=%v y=%v, want 5.5 and 4", x, y)
	}
}

func TestFormat(t *testing.T) {
	cases := map[float64]string{1234567.4: "1,234,567", -4321: "-4,321", 512.4: "512", 12.345: "12.3", 1.234: "1.23", 0.01234: "0.012"}
	for v, want := range cases {
		if got := formatNum(v); got != want {
			t.Errorf("formatNum(%v) = %q, want %q", v, got, want)
		}
	}
	if got := formatValue(550, "count"); got != "550" {
		t.Errorf("formatValue(550, count) = %q", got)
	}
}

func TestLabels(t *testing.T) {
	got := strings.Join(labels([]string{"kfake", "vltava", "kfake"}), ",")
	if got != "kfake,vltava,kfake#2" {
		t.Errorf("labels = %s", got)
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-brokers", "redpanda"},
		{"-scale", "0"},
		{"-runs", "0"},
		{"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) succeeded", args)
		}
	}
}

// TestPhaseCPU: a phase's CPU time is the threads' nanosecond counts, a
// thread born during the phase counted from zero, unless threads that
// exited took more than two ticks with them.
func TestPhaseCPU(t *testing.T) {
	ms := time.Millisecond
	start := map[string]time.Duration{"1": 100 * ms, "2": 50 * ms}
	for _, tc := range []struct {
		name  string
		ticks time.Duration
		end   map[string]time.Duration
		want  time.Duration
	}{
		{"same threads", 60 * ms, map[string]time.Duration{"1": 133 * ms, "2": 77 * ms}, 60 * ms},
		{"ticks rounded up", 80 * ms, map[string]time.Duration{"1": 133 * ms, "2": 77 * ms}, 60 * ms},
		{"new thread", 70 * ms, map[string]time.Duration{"1": 133 * ms, "2": 77 * ms, "3": 11 * ms}, 71 * ms},
		{"thread gone", 200 * ms, map[string]time.Duration{"1": 133 * ms}, 200 * ms},
	} {
		if got := phaseCPU(tc.ticks, start, tc.end); got != tc.want {
			t.Errorf("%s: phaseCPU = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSelected(t *testing.T) {
	cfg := &config{only: []string{"consume", "restart"}}
	for name, want := range map[string]bool{"consume-1KiB": true, "restart": true, "produce-100B-acks1": false} {
		if got := cfg.selected(name); got != want {
			t.Errorf("selected(%s) = %v, want %v", name, got, want)
		}
	}
}

func TestProcSelf(t *testing.T) {
	pid := os.Getpid()
	if _, err := procCPU(pid); err != nil {
		t.Fatal(err)
	}
	threads, err := threadCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	var sum time.Duration
	for _, d := range threads {
		sum += d
	}
	if len(threads) == 0 || sum <= 0 {
		t.Errorf("threadCPU of the test process: %v", threads)
	}
	m, err := procMem(pid)
	if err != nil {
		t.Fatal(err)
	}
	if m.rss <= 0 || m.hwm < m.rss {
		t.Errorf("rss %d, hwm %d: want 0 < rss <= hwm", m.rss, m.hwm)
	}
}

// TestRunOrder: the brokers go in the given order in even runs and in the
// reverse one in odd runs, so that over an even number of runs each goes
// first equally often.
func TestRunOrder(t *testing.T) {
	for r, want := range [][]int{{0, 1}, {1, 0}, {0, 1}, {1, 0}} {
		if got := runOrder(2, r); !slices.Equal(got, want) {
			t.Fatalf("run %d: order %v, want %v", r, got, want)
		}
	}
	if got := runOrder(1, 1); !slices.Equal(got, []int{0}) {
		t.Fatalf("one broker: %v", got)
	}
}
