package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Output formats accepted by --output.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// addOutputFlag registers --output on cmd and returns where its value lands.
func addOutputFlag(cmd *cobra.Command, persistent bool) *string {
	out := new(string)
	fs := cmd.Flags()
	if persistent {
		fs = cmd.PersistentFlags()
	}
	fs.StringVar(out, "output", outputTable, "output format: table or json")
	return out
}

// checkOutput validates an --output value.
func checkOutput(cmd *cobra.Command, format string) error {
	if format != outputTable && format != outputJSON {
		return usageErrorf(cmd, "invalid --output %q: want table or json", format)
	}
	return nil
}

// writeTable writes rows under header as left-aligned columns separated by
// two spaces, without trailing blanks.
func writeTable(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// writeJSON writes v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// joinInt32s renders broker ids as a comma-separated list.
func joinInt32s(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ",")
}

// nonNil returns ids, or an empty slice so JSON prints [] rather than null.
func nonNil(ids []int32) []int32 {
	if ids == nil {
		return []int32{}
	}
	return ids
}

// jsonRecord is one consumed record as `consume --output json` prints it.
type jsonRecord struct {
	Topic     string       `json:"topic"`
	Partition int32        `json:"partition"`
	Offset    int64        `json:"offset"`
	Timestamp int64        `json:"timestamp"`
	Key       *string      `json:"key"`
	Value     *string      `json:"value"`
	Headers   []jsonHeader `json:"headers"`
}

// jsonHeader is one record header in JSON output.
type jsonHeader struct {
	Key   string  `json:"key"`
	Value *string `json:"value"`
}

// writeRecordJSON writes r as one line of JSON. Null keys, values and
// header values print as null; bytes print as (UTF-8) strings.
func writeRecordJSON(w io.Writer, r *kgo.Record) error {
	jr := jsonRecord{
		Topic:     r.Topic,
		Partition: r.Partition,
		Offset:    r.Offset,
		Timestamp: r.Timestamp.UnixMilli(),
		Key:       bytesPtr(r.Key),
		Value:     bytesPtr(r.Value),
		Headers:   make([]jsonHeader, len(r.Headers)),
	}
	for i, h := range r.Headers {
		jr.Headers[i] = jsonHeader{Key: h.Key, Value: bytesPtr(h.Value)}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jr); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// bytesPtr returns b as a string pointer, nil for a null b.
func bytesPtr(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}
