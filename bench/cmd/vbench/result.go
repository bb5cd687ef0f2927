package main

import (
	"fmt"
	"time"
)

// Which direction of a metric is better.
const (
	higher = "higher"
	lower  = "lower"
	info   = "" // informational: counts and sizes, no direction
)

// metric is one measured number of a phase.
type metric struct {
	Name   string  `json:"name"`
	Unit   string  `json:"unit"`
	Better string  `json:"better,omitempty"`
	Value  float64 `json:"value"`
}

// phaseResult is one broker's outcome for one phase.
type phaseResult struct {
	Broker  string   `json:"broker"`
	Phase   string   `json:"phase"`
	Metrics []metric `json:"metrics,omitempty"`
	Notes   []string `json:"notes,omitempty"`
	Error   string   `json:"error,omitempty"`
	Took    float64  `json:"took_s"`
}

// lookup returns the value of the named metric.
func (r *phaseResult) lookup(name string) (float64, bool) {
	for _, m := range r.Metrics {
		if m.Name == name {
			return m.Value, true
		}
	}
	return 0, false
}

const mb = 1e6 // MB and MB/s are decimal megabytes of record values

func perSec(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// throughput is records/s and MB/s.
func throughput(records, bytes int64, d time.Duration) []metric {
	return []metric{
		{Name: "records", Unit: "count", Value: float64(records)},
		{Name: "throughput", Unit: "records/s", Better: higher, Value: perSec(records, d)},
		{Name: "throughput", Unit: "MB/s", Better: higher, Value: perSec(bytes, d) / mb},
	}
}

// ms converts a duration to fractional milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// latency reports the given quantiles of h, in milliseconds.
func latency(prefix string, h *hist, withMax bool) []metric {
	out := []metric{
		{Name: prefix + " p50", Unit: "ms", Better: lower, Value: ms(h.quantile(0.50))},
		{Name: prefix + " p99", Unit: "ms", Better: lower, Value: ms(h.quantile(0.99))},
	}
	if withMax {
		out = append(out, metric{Name: prefix + " max", Unit: "ms", Better: lower, Value: ms(h.maxValue())})
	}
	return out
}

// brokerUsage is CPU per million records and the phase's peak RSS.
func brokerUsage(cpu time.Duration, records int64, peak int64) []metric {
	out := []metric{{Name: "broker peak RSS", Unit: "MB", Better: lower, Value: float64(peak) / mb}}
	if records > 0 {
		perM := cpu.Seconds() / (float64(records) / 1e6)
		out = append(out, metric{Name: "broker CPU", Unit: "s/M records", Better: lower, Value: perM})
	}
	return out
}

// key identifies a metric across brokers.
func (m metric) key() string { return fmt.Sprintf("%s (%s)", m.Name, m.Unit) }
