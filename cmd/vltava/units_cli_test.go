package main

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestReadLine(t *testing.T) {
	long := strings.Repeat("y", 100)
	in := "a\r\nb\n\n" + long + "\nc\n" + long + "z\nlast"
	r := bufio.NewReaderSize(strings.NewReader(in), 16)
	var got []string
	for {
		b, err := readLine(r, 100)
		if errors.Is(err, io.EOF) {
			break
		}
		switch {
		case errors.Is(err, errLineTooLong):
			got = append(got, "<too long>")
		case err != nil:
			t.Fatal(err)
		default:
			got = append(got, string(b))
		}
	}
	want := []string{"a", "b", "", long, "c", "<too long>", "last"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("lines %q, want %q", got, want)
	}
}

func TestReadLineOwnsSlices(t *testing.T) {
	r := bufio.NewReaderSize(strings.NewReader("first\nsecond\n"), 16)
	a, _ := readLine(r, 100)
	b, _ := readLine(r, 100)
	if string(a) != "first" || string(b) != "second" {
		t.Fatalf("got %q %q: a line was overwritten by the next read", a, b)
	}
}

func TestFormatRecord(t *testing.T) {
	rec := &kgo.Record{
		Topic: "t", Partition: 2, Offset: 41, Key: []byte("k"), Value: []byte("v"),
		Timestamp: time.UnixMilli(1700000000123),
		Headers:   []kgo.RecordHeader{{Key: "a", Value: []byte("1")}, {Key: "b", Value: nil}},
	}
	for _, tc := range []struct{ format, want string }{
		{`%v\n`, "v\n"},
		{`%k\t%v`, "k\tv"},
		{`%T-%p-%o-%t`, "t-2-41-1700000000123"},
		{`[%h]`, "[a=1,b=]"},
		{`100%% \\ \r \q %`, "100% \\ \r \\q %"},
		{``, ""},
		{`trailing\`, `trailing\`},
	} {
		parts, err := compileFormat(tc.format)
		if err != nil {
			t.Fatalf("%q: %v", tc.format, err)
		}
		var sb strings.Builder
		w := bufio.NewWriter(&sb)
		for _, p := range parts {
			writeFormatPart(w, p, rec)
		}
		w.Flush()
		if sb.String() != tc.want {
			t.Errorf("format %q: got %q, want %q", tc.format, sb.String(), tc.want)
		}
	}
	if _, err := compileFormat("%z"); err == nil || err.Error() != "unknown verb %z" {
		t.Fatalf("compileFormat(%%z) error %v", err)
	}
}

func TestWriteRecordJSONNulls(t *testing.T) {
	var sb strings.Builder
	rec := &kgo.Record{Topic: "t", Timestamp: time.UnixMilli(5), Headers: []kgo.RecordHeader{{Key: "h"}}}
	if err := writeRecordJSON(&sb, rec); err != nil {
		t.Fatal(err)
	}
	want := `{"topic":"t","partition":0,"offset":0,"timestamp":5,"key":null,"value":null,"headers":[{"key":"h","value":null}]}` + "\n"
	wantEqual(t, "json", sb.String(), want)
}

func TestStartOffset(t *testing.T) {
	const logStart, end, atTime = 10, 20, 15
	for _, tc := range []struct {
		f    consumeFlags
		want int64
	}{
		{consumeFlags{}, 20},
		{consumeFlags{fromBeginning: true}, 10},
		{consumeFlags{offsetSet: true, offset: 0}, 10},
		{consumeFlags{offsetSet: true, offset: 12}, 12},
		{consumeFlags{offsetSet: true, offset: 25}, 20},
		{consumeFlags{offsetSet: true, offset: -3}, 17},
		{consumeFlags{offsetSet: true, offset: -30}, 10},
		{consumeFlags{fromTimestamp: "x"}, 15},
	} {
		if got := tc.f.startOffset(logStart, end, atTime); got != tc.want {
			t.Errorf("%+v: start %d, want %d", tc.f, got, tc.want)
		}
	}
	f := consumeFlags{fromTimestamp: "x"}
	if got := f.startOffset(logStart, end, -1); got != end {
		t.Errorf("no record after timestamp: start %d, want the end %d", got, end)
	}
}
