package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// print writes one table per scenario: each broker's value, the ratio of the
// first broker to the second, and which of the two is ahead.
func (rep *report) print(w io.Writer) {
	fmt.Fprintf(w, "vbench: scale %g, median of %d run(s), %s %s, %d CPUs, took %s\n", rep.Scale, rep.Runs,
		rep.Go, rep.Platform, rep.CPUs, rep.Finished.Sub(rep.Started).Round(time.Second))
	if len(rep.Brokers) >= 2 {
		fmt.Fprintf(w, "ratio = %s / %s; \"better is\" says which direction wins; the last column says whether %s is ahead (2%% tolerance)\n",
			rep.Brokers[0], rep.Brokers[1], rep.Brokers[0])
	}
	for _, t := range rep.Tables {
		fmt.Fprintf(w, "\n== %s: %s\n", t.Phase, t.Title)
		rep.printRows(w, t)
		rep.printIssues(w, t)
	}
	for _, e := range rep.Errors {
		fmt.Fprintln(w, "error:", e)
	}
}

func (rep *report) printRows(w io.Writer, t *table) {
	head := []string{"metric", "unit"}
	head = append(head, rep.Brokers...)
	if len(rep.Brokers) >= 2 {
		head = append(head, "ratio", "better is", rep.Brokers[0]+" is")
	}
	lines := [][]string{head}
	for _, rw := range t.Rows {
		line := []string{rw.Metric, rw.Unit}
		for _, b := range rep.Brokers {
			line = append(line, valueCell(rw, b, t))
		}
		if len(rep.Brokers) >= 2 {
			line = append(line, ratioCell(rw.Ratio), rw.Better, verdict(rw))
		}
		lines = append(lines, line)
	}
	printAligned(w, lines)
}

func valueCell(rw *row, broker string, t *table) string {
	if v, ok := rw.Values[broker]; ok {
		return formatValue(v, rw.Unit)
	}
	if _, failed := t.Errors[broker]; failed {
		return "error"
	}
	return "n/a"
}

func ratioCell(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.2fx", *r)
}

// verdict says whether the first broker is ahead on this row, allowing 2%
// for noise.
func verdict(rw *row) string {
	if rw.Ratio == nil || rw.Better == info {
		return ""
	}
	r := *rw.Ratio
	switch {
	case r > 1.02 && rw.Better == higher, r < 0.98 && rw.Better == lower:
		return "ahead"
	case r > 1.02 || r < 0.98:
		return "behind"
	}
	return "even"
}

func (rep *report) printIssues(w io.Writer, t *table) {
	for _, b := range sortedKeys(t.Errors) {
		fmt.Fprintf(w, "  %s error: %s\n", b, firstLine(t.Errors[b]))
	}
	for _, b := range sortedKeys(t.Notes) {
		for _, n := range t.Notes[b] {
			fmt.Fprintf(w, "  %s note: %s\n", b, n)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// printAligned left-aligns the first two columns and right-aligns the rest.
func printAligned(w io.Writer, lines [][]string) {
	widths := map[int]int{}
	for _, l := range lines {
		for i, c := range l {
			widths[i] = max(widths[i], len(c))
		}
	}
	for _, l := range lines {
		cells := make([]string, len(l))
		for i, c := range l {
			pad := strings.Repeat(" ", widths[i]-len(c))
			if i < 2 {
				cells[i] = c + pad
			} else {
				cells[i] = pad + c
			}
		}
		fmt.Fprintln(w, "  "+strings.TrimRight(strings.Join(cells, "  "), " "))
	}
}

// formatValue prints counts as whole numbers and the rest with formatNum.
func formatValue(v float64, unit string) string {
	if unit == "count" {
		return group(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	}
	return formatNum(v)
}

// formatNum prints v with about three significant digits, grouping
// thousands.
func formatNum(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1000:
		return group(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// group inserts commas into a string of digits with an optional sign.
func group(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String()
}
