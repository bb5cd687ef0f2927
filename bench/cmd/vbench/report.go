package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// report collects every result and renders them as tables and JSON.
type report struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Scale    float64   `json:"scale"`
	Runs     int       `json:"runs"` // each value is the median over this many runs
	Go       string    `json:"go"`
	Platform string    `json:"platform"`
	CPUs     int       `json:"cpus"`
	Brokers  []string  `json:"brokers"` // column labels; ratio is Brokers[0]/Brokers[1]
	Tables   []*table  `json:"tables"`
	Errors   []string  `json:"errors,omitempty"` // failures outside any phase

	results []phaseResult
}

// table is one scenario: each metric with every broker's value.
type table struct {
	Phase   string              `json:"phase"`
	Session string              `json:"session"`
	Title   string              `json:"title"`
	Rows    []*row              `json:"rows"`
	Errors  map[string]string   `json:"errors,omitempty"`
	Notes   map[string][]string `json:"notes,omitempty"`
}

// row is one metric across brokers.
type row struct {
	Metric string             `json:"metric"`
	Unit   string             `json:"unit"`
	Better string             `json:"better,omitempty"`
	Values map[string]float64 `json:"values"`
	Ratio  *float64           `json:"ratio,omitempty"`
}

func newReport(cfg *config) *report {
	return &report{
		Started:  time.Now(),
		Scale:    cfg.scale,
		Runs:     cfg.runs,
		Go:       runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH,
		CPUs:     runtime.NumCPU(),
		Brokers:  labels(cfg.brokers),
	}
}

// labels names the columns, numbering repeated kinds ("kfake", "kfake#2").
func labels(kinds []string) []string {
	seen := map[string]int{}
	out := make([]string, len(kinds))
	for i, k := range kinds {
		seen[k]++
		out[i] = k
		if seen[k] > 1 {
			out[i] = k + "#" + strconv.Itoa(seen[k])
		}
	}
	return out
}

// add records one broker's result for phase p, creating its table.
func (rep *report) add(session string, p phase, r phaseResult) {
	rep.results = append(rep.results, r)
	if rep.table(p.name) == nil {
		rep.Tables = append(rep.Tables, &table{Phase: p.name, Session: session, Title: p.title})
	}
}

func (rep *report) table(name string) *table {
	for _, t := range rep.Tables {
		if t.Phase == name {
			return t
		}
	}
	return nil
}

func (rep *report) result(broker, phase string) *phaseResult {
	for i := range rep.results {
		if r := &rep.results[i]; r.Broker == broker && r.Phase == phase {
			return r
		}
	}
	return nil
}

// finish adds the derived metrics and fills the tables.
func (rep *report) finish() {
	rep.Finished = time.Now()
	rep.results = medians(rep.results)
	for _, b := range rep.Brokers {
		rep.deriveFsync(b)
	}
	rep.addOverall()
	for i := range rep.results {
		rep.fill(&rep.results[i])
	}
	if len(rep.Brokers) < 2 {
		return
	}
	for _, t := range rep.Tables {
		for _, rw := range t.Rows {
			a, okA := rw.Values[rep.Brokers[0]]
			b, okB := rw.Values[rep.Brokers[1]]
			if okA && okB && b != 0 {
				ratio := a / b
				rw.Ratio = &ratio
			}
		}
	}
}

// deriveFsync relates fsync-per-message throughput to the plain 1 KiB run.
func (rep *report) deriveFsync(broker string) {
	f, p := rep.result(broker, "produce-1KiB-fsync"), rep.result(broker, "produce-1KiB-acks1")
	if f == nil || p == nil || f.Error != "" || p.Error != "" {
		return
	}
	fv, _ := f.lookup("throughput")
	pv, _ := p.lookup("throughput")
	if pv > 0 {
		f.Metrics = append(f.Metrics, metric{Name: "share of no-fsync records/s", Unit: "fraction", Better: higher, Value: fv / pv})
	}
}

// addOverall adds the highest peak RSS seen in any phase, per broker.
func (rep *report) addOverall() {
	const name = "overall"
	var added bool
	for _, b := range rep.Brokers {
		peak := 0.0
		for _, r := range rep.results {
			for _, m := range r.Metrics {
				if r.Broker == b && strings.Contains(m.Name, "RSS") {
					peak = math.Max(peak, m.Value)
				}
			}
		}
		if peak == 0 {
			continue
		}
		if !added {
			rep.Tables = append(rep.Tables, &table{Phase: name, Title: "broker peak RSS over every phase above"})
			added = true
		}
		rep.results = append(rep.results, phaseResult{Broker: b, Phase: name,
			Metrics: []metric{{Name: "broker peak RSS", Unit: "MB", Better: lower, Value: peak}}})
	}
}

// fill copies r into its table.
func (rep *report) fill(r *phaseResult) {
	t := rep.table(r.Phase)
	if r.Error != "" {
		if t.Errors == nil {
			t.Errors = map[string]string{}
		}
		t.Errors[r.Broker] = r.Error
	}
	if len(r.Notes) > 0 {
		if t.Notes == nil {
			t.Notes = map[string][]string{}
		}
		t.Notes[r.Broker] = r.Notes
	}
	for _, m := range r.Metrics {
		t.row(m).Values[r.Broker] = m.Value
	}
}

// row returns the table's row for m, adding it in first-seen order.
func (t *table) row(m metric) *row {
	for _, rw := range t.Rows {
		if rw.Metric == m.Name && rw.Unit == m.Unit {
			return rw
		}
	}
	rw := &row{Metric: m.Name, Unit: m.Unit, Better: m.Better, Values: map[string]float64{}}
	t.Rows = append(t.Rows, rw)
	return rw
}

// failed reports whether any phase or broker stop failed.
func (rep *report) failed() bool {
	if len(rep.Errors) > 0 {
		return true
	}
	for _, r := range rep.results {
		if r.Error != "" {
			return true
		}
	}
	return false
}

// write saves the report as indented JSON, creating the directory.
func (rep *report) write(path string) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding results: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	return nil
}

// medians merges the results of repeated runs: one result per broker and
// phase, each metric its median over the runs that measured it, with every
// run's errors and notes.
func medians(results []phaseResult) []phaseResult {
	var out []phaseResult
	idx := map[[2]string]int{}
	samples := map[[2]string]map[string][]float64{}
	for _, r := range results {
		k := [2]string{r.Broker, r.Phase}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, phaseResult{Broker: r.Broker, Phase: r.Phase})
			samples[k] = map[string][]float64{}
		}
		merge(&out[i], r, samples[k])
	}
	for k, i := range idx {
		for j, m := range out[i].Metrics {
			out[i].Metrics[j].Value = median(samples[k][m.key()])
		}
	}
	return out
}

// merge folds run r into the merged result dst, collecting metric samples.
func merge(dst *phaseResult, r phaseResult, samples map[string][]float64) {
	dst.Took += r.Took
	dst.Notes = append(dst.Notes, r.Notes...)
	if r.Error != "" {
		dst.Error = strings.TrimPrefix(dst.Error+"; "+r.Error, "; ")
	}
	for _, m := range r.Metrics {
		if _, seen := samples[m.key()]; !seen {
			dst.Metrics = append(dst.Metrics, m)
		}
		samples[m.key()] = append(samples[m.key()], m.Value)
	}
}

// median of a non-empty sample.
func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
