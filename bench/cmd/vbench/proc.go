package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat. It is
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// procCPU returns the user plus system CPU time the process has used, in
// clock ticks (10 ms): threads that have exited included.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading cpu of pid %d: %w", pid, err)
	}
	// The command name is in parentheses and may hold spaces: skip past it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("pid %d: malformed stat line", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// After the name come state (field 3) ... utime (14) and stime (15).
	if len(f) < 13 {
		return 0, fmt.Errorf("pid %d: short stat line", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("pid %d: bad utime/stime %q %q", pid, f[11], f[12])
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// memStats holds a process's resident set size now and its peak, in bytes.
type memStats struct {
	rss, hwm int64
}

// procMem reads VmRSS and VmHWM from /proc/PID/status.
func procMem(pid int) (memStats, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memStats{}, fmt.Errorf("reading memory of pid %d: %w", pid, err)
	}
	defer f.Close()
	var m memStats
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			return memStats{}, fmt.Errorf("pid %d: bad %s %q: %w", pid, key, val, err)
		}
		if key == "VmRSS" {
			m.rss = kb << 10
		} else {
			m.hwm = kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		return memStats{}, fmt.Errorf("reading memory of pid %d: %w", pid, err)
	}
	return m, nil
}

// resetPeakRSS makes VmHWM restart from the current RSS, so that a phase's
// peak is its own. It reports whether the kernel accepted the reset.
func resetPeakRSS(pid int) bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}

// threadCPU returns the CPU time of each live thread of the process, by
// thread id, from /proc/PID/task/TID/schedstat: nanoseconds, where
// /proc/PID/stat counts 10 ms ticks (a phase of one second is only some 20
// of them for a broker that uses a fifth of a core, so each figure would be
// good to no better than 5%). Threads that have exited are not listed.
func threadCPU(pid int) (map[string]time.Duration, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading threads of pid %d: %w", pid, err)
	}
	m := make(map[string]time.Duration, len(tasks))
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
		if err != nil {
			continue // the thread exited
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return nil, fmt.Errorf("pid %d thread %s: empty schedstat", pid, t.Name())
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("pid %d thread %s: bad schedstat %q", pid, t.Name(), f[0])
		}
		m[t.Name()] = time.Duration(ns)
	}
	return m, nil
}

// usage is a snapshot of a broker's CPU time, taken at the start of a phase.
type usage struct {
	pid       int
	cpu       time.Duration            // from /proc/PID/stat
	threads   map[string]time.Duration // from threadCPU
	peakReset bool
}

// startUsage resets the broker's peak RSS and reads its CPU time.
func startUsage(pid int) (usage, error) {
	u := usage{pid: pid, peakReset: resetPeakRSS(pid)}
	cpu, err := procCPU(pid)
	if err != nil {
		return u, err
	}
	u.cpu = cpu
	u.threads, err = threadCPU(pid)
	return u, err
}

// finish returns the CPU time used and the peak RSS since startUsage. The
// CPU time is the threads' nanosecond counts, unless a thread that ran
// during the phase has exited since (its time is then missing from them):
// when the tick count exceeds the nanosecond sum by more than its own
// rounding, the tick count is taken.
func (u usage) finish() (cpu time.Duration, peak int64, err error) {
	end, err := procCPU(u.pid)
	if err != nil {
		return 0, 0, err
	}
	threads, err := threadCPU(u.pid)
	if err != nil {
		return 0, 0, err
	}
	m, err := procMem(u.pid)
	if err != nil {
		return 0, 0, err
	}
	return phaseCPU(end-u.cpu, u.threads, threads), m.hwm, nil
}

// phaseCPU is finish's choice between the tick count and the threads'
// nanosecond counts at the start and end of a phase.
func phaseCPU(ticks time.Duration, start, end map[string]time.Duration) time.Duration {
	var precise time.Duration
	for tid, t := range end {
		precise += t - start[tid] // a thread started during the phase counts from 0
	}
	if ticks-precise > 2*time.Second/clockTicks {
		return ticks
	}
	return precise
}
