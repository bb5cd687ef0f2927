package record

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the checked-in fuzz seeds under testdata/fuzz")

// fuzzCap bounds decompressed output in the fuzz targets.
const fuzzCap = 1 << 20

// FuzzValidateProduce: arbitrary bytes never panic; when they validate,
// ParseHeader agrees, the CRC checks, and the records iterate with offset
// deltas 0..n-1.
func FuzzValidateProduce(f *testing.F) {
	c := NewCodecs(WithMaxDecompressed(fuzzCap))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkValidate(t, c, data)
		if len(data) >= HeaderSize { // again with the framing fixed, to reach the records
			fixed := edit(data, true, func(b []byte) {
				put64(offBaseOffset, 0)(b)
				put32(offLength, int32(len(b)-LogOverhead))(b)
				b[offMagic] = 2
			})
			checkValidate(t, c, fixed)
		}
	})
}

// checkValidate checks FuzzValidateProduce's properties for data.
func checkValidate(t *testing.T, c *Codecs, data []byte) {
	strict := okOptions(c)
	strict.RequireKeys, strict.TimestampBeforeMaxMs, strict.TimestampAfterMaxMs = true, 10, 10
	checkRecordsError(t, data, strict)
	res, err := ValidateProduce(data, okOptions(c))
	if err != nil {
		return
	}
	h, err := ParseHeader(data)
	if err != nil || h != res.Header || h.Size() != len(data) || CheckCRC(data) != nil {
		t.Fatalf("validated, but header %+v (%v), result %+v, CRC %v", h, err, res.Header, CheckCRC(data))
	}
	var i int32
	err = IterBatch(data, c, func(r *Record) error {
		if r.OffsetDelta != i {
			return fmt.Errorf("record %d has delta %d", i, r.OffsetDelta)
		}
		i++
		return nil
	})
	if err != nil || i != h.NumRecords {
		t.Fatalf("validated, but IterBatch: %v after %d of %d records", err, i, h.NumRecords)
	}
}

// checkRecordsError validates data with record-level checks likely to fire
// and checks the shape of a *RecordsError.
func checkRecordsError(t *testing.T, data []byte, o ValidateOptions) {
	_, err := ValidateProduce(data, o)
	var re *RecordsError
	if !errors.As(err, &re) {
		return
	}
	h, _ := ParseHeader(data)
	if len(re.Records) == 0 || len(re.Records) > int(h.NumRecords) || re.Error() == "" {
		t.Fatalf("RecordsError with %d records for a batch of %d", len(re.Records), h.NumRecords)
	}
	for _, r := range re.Records {
		if r.Index < 0 || r.Index >= h.NumRecords {
			t.Fatalf("record error index %d of %d", r.Index, h.NumRecords)
		}
	}
}

// FuzzIterRecords: arbitrary sections never panic; what decodes re-encodes
// with AppendRecord to records that decode the same.
func FuzzIterRecords(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, n int32) {
		n %= 1 << 12
		got, err := iterAll(data, n)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if len(got) != int(n) {
			t.Fatalf("%d records for count %d", len(got), n)
		}
		again, err := iterAll(encode(got), n)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("re-encoded records differ: %v", err)
		}
	})
}

// FuzzDecompress: arbitrary input to each codec never panics and never
// exceeds the cap; what decodes survives a compress/decompress round trip.
func FuzzDecompress(f *testing.F) {
	c := NewCodecs(WithMaxDecompressed(fuzzCap))
	f.Fuzz(func(t *testing.T, codec int, data []byte) {
		codec &= 7
		out, err := c.Decompress(codec, data, nil)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrCompression) {
				t.Fatalf("error %v wraps neither ErrCorrupt nor ErrCompression", err)
			}
			return
		}
		if len(out) > fuzzCap {
			t.Fatalf("%d bytes out, over the %d cap", len(out), fuzzCap)
		}
		comp, err := c.Compress(codec, out, nil)
		if err != nil {
			t.Fatalf("Compress: %v", err)
		}
		back, err := c.Decompress(codec, comp, nil)
		if err != nil || !bytes.Equal(back, out) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzFastScan: whenever the fast scan accepts a records section, the
// careful scan accepts it too and finds the same max timestamp.
func FuzzFastScan(f *testing.F) {
	f.Fuzz(func(t *testing.T, section []byte, n int32, first int64, flags byte) {
		checkFastScan(t, section, n, first, flags)
	})
}

// checkFastScan is FuzzFastScan's property; flags picks the topic's
// options: bit 0 compacted, bit 1 LogAppendTime, bit 2 a 10 ms timestamp
// window around testNow.
func checkFastScan(t *testing.T, section []byte, n int32, first int64, flags byte) {
	t.Helper()
	o := okOptions(nil)
	o.RequireKeys, o.LogAppendTime = flags&1 != 0, flags&2 != 0
	if flags&4 != 0 {
		o.TimestampBeforeMaxMs, o.TimestampAfterMaxMs = 10, 10
	}
	h := Header{NumRecords: n, FirstTimestamp: first, MaxTimestamp: -1}
	fast := newScanner(&h, &o)
	if !fast.fastScan(section) {
		return
	}
	careful := newScanner(&h, &o)
	if err := careful.carefulScan(section); err != nil {
		t.Fatalf("fast scan accepted %d records the careful scan rejects: %v", n, err)
	}
	if fast.maxTs != careful.maxTs || fast.maxDelta != careful.maxDelta {
		t.Fatalf("max timestamp: fast %d at %d, careful %d at %d", fast.maxTs, fast.maxDelta, careful.maxTs, careful.maxDelta)
	}
}

// seedSet is one fuzz target's seeds, by file name.
type seedSet map[string][]any

// fuzzSeeds builds the seeds from real batches: ours and franz-go's, for
// every codec, plus broken variants.
func fuzzSeeds(t testing.TB) map[string]seedSet {
	c := NewCodecs()
	recs := append(makeRecords(5, 20), oddRecords()[:3]...)
	for i := range recs {
		recs[i].OffsetDelta, recs[i].TimestampDelta = int32(i), int64(i)
	}
	recs[7].Value = make([]byte, 300)
	vp, ir, dc := seedSet{}, seedSet{}, seedSet{}
	raw := encode(recs)
	ir["records"] = []any{raw, int32(len(recs))}
	ir["records-kmsg"] = []any{kmsgRecords(recs), int32(len(recs))}
	ir["truncated"] = []any{raw[:len(raw)-3], int32(len(recs))}
	for _, codec := range allCodecs {
		name := codecName(codec)
		ours := build(t, c, testHeader(codec), recs)
		vp[name] = []any{ours}
		vp[name+"-kgo"] = []any{kmsgBatch(t, codec, recs)}
		vp[name+"-badcrc"] = []any{edit(ours, false, func(b []byte) { b[len(b)-1] ^= 0xff })}
		if codec != CodecNone {
			comp, _ := c.Compress(codec, raw, nil)
			dc[name] = []any{codec, comp}
			dc[name+"-kgo"] = []any{codec, kgoCompress(t, codec, raw)}
		}
	}
	fs := seedSet{}
	fs["records"] = []any{raw, int32(len(recs)), int64(testNow), byte(0)}
	fs["compacted"] = []any{raw, int32(len(recs)), int64(testNow), byte(1)}
	fs["window"] = []any{raw, int32(len(recs)), int64(testNow), byte(4)}
	fs["odd"] = []any{encode(oddRecords()), int32(4), int64(testNow), byte(0)}
	vp["keyless"] = []any{build(t, nil, testHeader(CodecNone), []Record{{}, {OffsetDelta: 1, TimestampDelta: 1 << 40}})}
	vp["two-batches"] = []any{append(goodBatch(t), goodBatch(t)...)}
	dc["snappy-xerial"] = []any{CodecSnappy, xerial(raw, 100)}
	return map[string]seedSet{"FuzzValidateProduce": vp, "FuzzIterRecords": ir, "FuzzDecompress": dc, "FuzzFastScan": fs}
}

// seedFile encodes one seed in the go test fuzz v1 corpus format.
func seedFile(args []any) string {
	var sb strings.Builder
	sb.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			fmt.Fprintf(&sb, "[]byte(%q)\n", v)
		case int32:
			fmt.Fprintf(&sb, "int32(%d)\n", v)
		case int:
			fmt.Fprintf(&sb, "int(%d)\n", v)
		case int64:
			fmt.Fprintf(&sb, "int64(%d)\n", v)
		case byte:
			fmt.Fprintf(&sb, "byte(%q)\n", v)
		}
	}
	return sb.String()
}

// TestFuzzSeeds checks that every seed is checked in (run with
// -update-seeds to rewrite them) and that the valid batches among them
// validate.
func TestFuzzSeeds(t *testing.T) {
	for target, seeds := range fuzzSeeds(t) {
		dir := filepath.Join("testdata", "fuzz", target)
		for name, args := range seeds {
			path := filepath.Join(dir, name)
			if *updateSeeds {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(seedFile(args)), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("seed %s missing (go test -run TestFuzzSeeds -update-seeds): %v", path, err)
			}
		}
	}
	c := NewCodecs()
	for _, codec := range allCodecs {
		path := filepath.Join("testdata", "fuzz", "FuzzValidateProduce", codecName(codec)+"-kgo")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var data string
		if _, err := fmt.Sscanf(strings.SplitN(string(b), "\n", 3)[1], "[]byte(%q)", &data); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if _, err := ValidateProduce([]byte(data), okOptions(c)); err != nil {
			t.Errorf("seed %s does not validate: %v", path, err)
		}
	}
}
