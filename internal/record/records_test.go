package record

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// oddRecords covers null and empty keys/values, headers with null values,
// negative and large deltas.
func oddRecords() []Record {
	return []Record{
		{OffsetDelta: 0, TimestampDelta: 0, Key: nil, Value: nil},
		{OffsetDelta: 1, TimestampDelta: -5, Key: []byte{}, Value: []byte{}},
		{OffsetDelta: 2, TimestampDelta: 1 << 40, Key: []byte("k"), Value: []byte("v"), Headers: []RecordHeader{
			{Key: "h1", Value: []byte("x")}, {Key: "", Value: nil}, {Key: "h3", Value: []byte{}},
		}},
		{OffsetDelta: 1 << 30, TimestampDelta: -1 << 62, Key: make([]byte, 300), Value: make([]byte, 70_000)},
	}
}

func encode(recs []Record) []byte {
	var b []byte
	for i := range recs {
		b = AppendRecord(b, &recs[i])
	}
	return b
}

func iterAll(b []byte, n int32) ([]Record, error) {
	var out []Record
	err := IterRecords(b, n, func(r *Record) error {
		out = append(out, cloneRecord(r))
		return nil
	})
	return out, err
}

func TestRecordsRoundTrip(t *testing.T) {
	recs := oddRecords()
	got, err := iterAll(encode(recs), int32(len(recs)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, recs) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, recs)
	}
	if got, err := iterAll(nil, 0); err != nil || got != nil {
		t.Fatalf("empty: %v, %v", got, err)
	}
}

// TestRecordsInteropKmsg: kmsg's encoding decodes with IterRecords, and
// ours decodes with kmsg.Record.ReadFrom.
func TestRecordsInteropKmsg(t *testing.T) {
	recs := oddRecords()
	got, err := iterAll(kmsgRecords(recs), int32(len(recs)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, recs) {
		t.Fatalf("kmsg -> ours:\n got %+v\nwant %+v", got, recs)
	}
	b := encode(recs)
	for i, want := range recs {
		l, n := varint(b)
		var kr kmsg.Record
		if err := kr.ReadFrom(b[:n+int(l)]); err != nil {
			t.Fatalf("record %d: kmsg ReadFrom: %v", i, err)
		}
		b = b[n+int(l):]
		if kr.OffsetDelta != want.OffsetDelta || kr.TimestampDelta64 != want.TimestampDelta ||
			!reflect.DeepEqual(kr.Key, want.Key) || !reflect.DeepEqual(kr.Value, want.Value) ||
			len(kr.Headers) != len(want.Headers) {
			t.Fatalf("record %d: kmsg read %+v, want %+v", i, kr, want)
		}
		for j, h := range kr.Headers {
			if h.Key != want.Headers[j].Key || !reflect.DeepEqual(h.Value, want.Headers[j].Value) {
				t.Fatalf("record %d header %d: %+v, want %+v", i, j, h, want.Headers[j])
			}
		}
	}
}

// rec encodes one record body (after the length) and prefixes the length.
func rec(body ...[]byte) []byte {
	var b []byte
	for _, p := range body {
		b = append(b, p...)
	}
	return append(binary.AppendVarint(nil, int64(len(b))), b...)
}

func vi(v int64) []byte { return binary.AppendVarint(nil, v) }

func TestIterRecordsErrors(t *testing.T) {
	attr := []byte{0}
	good := rec(attr, vi(0), vi(0), vi(1), []byte("k"), vi(1), []byte("v"), vi(0))
	cases := []struct {
		name string
		b    []byte
		n    int32
	}{
		{"fewer records than count", good, 2},
		{"bytes after the last record", append(append([]byte{}, good...), 0), 1},
		{"negative count", good, -1},
		{"empty with count 1", nil, 1},
		{"varint over 5 bytes", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 1},
		{"truncated varint", []byte{0x80}, 1},
		{"negative record length", vi(-3), 1},
		{"zero record length", vi(0), 1},
		{"length past the end", append(vi(100), good...), 1},
		{"key past the record", rec(attr, vi(0), vi(0), vi(5), []byte("k"), vi(0), vi(0)), 1},
		{"value past the record", rec(attr, vi(0), vi(0), vi(-1), vi(9), []byte("v"), vi(0)), 1},
		{"negative header count", rec(attr, vi(0), vi(0), vi(-1), vi(-1), vi(-1)), 1},
		{"header count past the record", rec(attr, vi(0), vi(0), vi(-1), vi(-1), vi(3)), 1},
		{"negative header key length", rec(attr, vi(0), vi(0), vi(-1), vi(-1), vi(1), vi(-1), vi(-1)), 1},
		{"header value past the record", rec(attr, vi(0), vi(0), vi(-1), vi(-1), vi(1), vi(0), vi(4), []byte("x")), 1},
		{"fields shorter than the length", rec(attr, vi(0), vi(0), vi(-1), vi(-1), vi(0), []byte("extra")), 1},
		{"missing header count", rec(attr, vi(0), vi(0), vi(-1), vi(-1)), 1},
		{"varlong over 10 bytes", rec(attr, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, vi(0), vi(-1), vi(-1), vi(0)), 1},
	}
	for _, tc := range cases {
		err := IterRecords(tc.b, tc.n, func(*Record) error { return nil })
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err %v, want ErrCorrupt", tc.name, err)
		}
	}
}

func TestIterRecordsCallbackError(t *testing.T) {
	stop := errors.New("stop")
	recs := makeRecords(3, 10)
	calls := 0
	err := IterRecords(encode(recs), 3, func(*Record) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Fatalf("err %v after %d calls, want stop after 1", err, calls)
	}
}

// TestVarintKafkaSemantics: like Kafka's ByteUtils, the fifth byte's bits
// past 32 are dropped, and null is any negative length.
func TestVarintKafkaSemantics(t *testing.T) {
	cases := []struct {
		b    []byte
		v    int32
		n    int
		name string
	}{
		{[]byte{0x01}, -1, 1, "-1"},
		{[]byte{0x02}, 1, 1, "1"},
		{[]byte{0xfe, 0xff, 0xff, 0xff, 0x0f}, 2147483647, 5, "max int32"},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0x0f}, -2147483648, 5, "min int32"},
		{[]byte{0xfe, 0xff, 0xff, 0xff, 0x7f}, 2147483647, 5, "high bits dropped"},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x80}, 0, 0, "fifth byte continues"},
	}
	for _, c := range cases {
		if v, n := varint(c.b); v != c.v || n != c.n {
			t.Errorf("%s: varint(% x) = %d, %d; want %d, %d", c.name, c.b, v, n, c.v, c.n)
		}
	}
	if v, n := varlong(vi(-1 << 63)); v != -1<<63 || n != 10 {
		t.Errorf("varlong(min int64) = %d, %d", v, n)
	}
	// A key length of -7 is null, as in Kafka's Utils.readBytes.
	b := rec([]byte{0}, vi(0), vi(0), vi(-7), vi(-2), vi(0))
	got, err := iterAll(b, 1)
	if err != nil || got[0].Key != nil || got[0].Value != nil {
		t.Fatalf("negative lengths: %+v, %v", got, err)
	}
}

func TestAppendRecordSize(t *testing.T) {
	for _, r := range oddRecords() {
		b := AppendRecord(nil, &r)
		l, n := varint(b)
		if int(l) != len(b)-n || int(l) != bodyLen(&r) {
			t.Fatalf("length prefix %d, body %d, bodyLen %d", l, len(b)-n, bodyLen(&r))
		}
	}
	for _, v := range []int64{0, 1, -1, 63, 64, -64, -65, 1 << 31, -1 << 63, 1<<63 - 1} {
		if got, want := varintLen(v), len(vi(v)); got != want {
			t.Errorf("varintLen(%d) = %d, want %d", v, got, want)
		}
	}
}
