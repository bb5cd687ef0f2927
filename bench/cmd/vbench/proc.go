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

// procCPU returns the user plus system CPU time the process has used.
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

// usage is a snapshot of a broker's CPU time, taken at the start of a phase.
type usage struct {
	pid       int
	cpu       time.Duration
	peakReset bool
}

// startUsage resets the broker's peak RSS and reads its CPU time.
func startUsage(pid int) (usage, error) {
	u := usage{pid: pid, peakReset: resetPeakRSS(pid)}
	cpu, err := procCPU(pid)
	u.cpu = cpu
	return u, err
}

// finish returns the CPU time used and the peak RSS since startUsage.
func (u usage) finish() (cpu time.Duration, peak int64, err error) {
	end, err := procCPU(u.pid)
	if err != nil {
		return 0, 0, err
	}
	m, err := procMem(u.pid)
	if err != nil {
		return 0, 0, err
	}
	return end - u.cpu, m.hwm, nil
}
