package record

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

// goodBatch is a valid 3-record uncompressed batch.
func goodBatch(t testing.TB) []byte {
	return build(t, nil, testHeader(CodecNone), makeRecords(3, 10))
}

// edit copies b, applies fn, and recomputes the CRC when crc is set.
func edit(b []byte, crc bool, fn func(b []byte)) []byte {
	b = append([]byte(nil), b...)
	fn(b)
	if crc && len(b) >= HeaderSize {
		binary.BigEndian.PutUint32(b[offCRC:], ComputeCRC(b))
	}
	return b
}

func put32(off int, v int32) func([]byte) {
	return func(b []byte) { binary.BigEndian.PutUint32(b[off:], uint32(v)) }
}

func put64(off int, v int64) func([]byte) {
	return func(b []byte) { binary.BigEndian.PutUint64(b[off:], uint64(v)) }
}

// withRecords builds a batch for h whose records section is raw, with
// count records and lastOffsetDelta count-1.
func withRecords(h Header, count int32, raw []byte) []byte {
	b := append(make([]byte, HeaderSize), raw...)
	h.LastOffsetDelta = count - 1
	fillHeader(b, &h, nil)
	binary.BigEndian.PutUint32(b[offRecordCount:], uint32(count))
	binary.BigEndian.PutUint64(b[offMaxTimestamp:], uint64(h.FirstTimestamp))
	binary.BigEndian.PutUint32(b[offCRC:], ComputeCRC(b))
	return b
}

func TestValidateProduceBatchErrors(t *testing.T) {
	c := NewCodecs()
	good := goodBatch(t)
	size := len(good)
	recs := makeRecords(3, 10)
	cases := []struct {
		name string
		b    []byte
		opt  func(*ValidateOptions)
		want error
	}{
		{"empty", nil, nil, ErrShort},
		{"shorter than the log overhead", good[:11], nil, ErrShort},
		{"length below Kafka's minimum", edit(good, false, put32(offLength, 13)), nil, ErrLength},
		{"no magic byte", good[:16], nil, ErrShort},
		{"magic 1", edit(good, true, func(b []byte) { b[offMagic] = 1 }), nil, ErrMagic},
		{"magic 0", edit(good, true, func(b []byte) { b[offMagic] = 0 }), nil, ErrMagic},
		{"magic 3", edit(good, true, func(b []byte) { b[offMagic] = 3 }), nil, ErrUnknownMagic},
		{"magic -1", edit(good, true, func(b []byte) { b[offMagic] = 0xff }), nil, ErrUnknownMagic},
		{"truncated", good[:size-1], nil, ErrShort},
		{"trailing byte", append(append([]byte{}, good...), 0), nil, ErrMultipleBatches},
		{"two batches", append(append([]byte{}, good...), good...), nil, ErrMultipleBatches},
		{"length shorter than a v2 header", edit(good[:LogOverhead+48], false, put32(offLength, 48)), nil, ErrLength},
		{"codec 5", edit(good, true, func(b []byte) { b[offAttributes+1] |= 5 }), nil, ErrCompression},
		{"codec 7", edit(good, true, func(b []byte) { b[offAttributes+1] |= 7 }), nil, ErrCompression},
		{"base offset 5", edit(good, false, put64(offBaseOffset, 5)), nil, ErrBaseOffset},
		{"over max.message.bytes", good, func(o *ValidateOptions) { o.MaxBatchBytes = size - 1 }, ErrTooLarge},
		{"CRC of a changed value", edit(good, false, func(b []byte) { b[size-2] ^= 1 }), nil, ErrCRC},
		{"CRC field changed", edit(good, false, func(b []byte) { b[offCRC] ^= 1 }), nil, ErrCRC},
		{"lastOffsetDelta -1", edit(good, true, put32(offLastOffsetDelta, -1)), nil, ErrNoRecords},
		{"lastOffsetDelta min int32", edit(good, true, put32(offLastOffsetDelta, -1<<31)), nil, ErrNoRecords},
		{"record count 0", edit(good, true, put32(offRecordCount, 0)), nil, ErrNoRecords},
		{"record count -3", edit(good, true, put32(offRecordCount, -3)), nil, ErrNoRecords},
		{"count 2 != lastOffsetDelta+1", edit(good, true, put32(offRecordCount, 2)), nil, ErrRecordCount},
		{"lastOffsetDelta 3 != count-1", edit(good, true, put32(offLastOffsetDelta, 3)), nil, ErrRecordCount},
		{"control batch", edit(good, true, func(b []byte) { b[offAttributes+1] |= AttrControl }), nil, ErrControl},
		{"producer id without sequence", edit(good, true, put64(offProducerID, 7)), nil, ErrSequence},
		{"offset deltas out of order", withRecords(testHeader(CodecNone), 3, encode([]Record{recs[0], recs[2], recs[1]})), nil, ErrInvalidDelta},
		{"offset deltas from 1", build(t, nil, testHeader(CodecNone), []Record{
			{OffsetDelta: 1}, {OffsetDelta: 2}, {OffsetDelta: 3}}), nil, ErrRecordCount},
		{"offset delta repeated", withRecords(testHeader(CodecNone), 2, encode([]Record{{OffsetDelta: 0}, {OffsetDelta: 0}})), nil, ErrInvalidDelta},
		{"bytes after the records", withRecords(testHeader(CodecNone), 3, append(encode(recs), 0)), nil, ErrCorrupt},
		{"fewer records than count", withRecords(testHeader(CodecNone), 4, encode(recs)), nil, ErrCorrupt},
		{"garbage records", withRecords(testHeader(CodecNone), 1, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80}), nil, ErrCorrupt},
		{"garbage gzip", withRecords(testHeader(CodecGzip), 3, []byte("not gzip")), nil, ErrCorrupt},
		{"garbage zstd", withRecords(testHeader(CodecZstd), 3, []byte("not zstd")), nil, ErrCorrupt},
		{"compressed without codecs", build(t, c, testHeader(CodecLZ4), recs), func(o *ValidateOptions) { o.Codecs = nil }, ErrCompression},
	}
	sentinels := []error{ErrShort, ErrLength, ErrMagic, ErrUnknownMagic, ErrMultipleBatches, ErrCompression,
		ErrBaseOffset, ErrTooLarge, ErrCRC, ErrNoRecords, ErrRecordCount, ErrControl, ErrSequence,
		ErrInvalidDelta, ErrCorrupt, ErrNoKey, ErrInvalidTimestamp}
	for _, tc := range cases {
		o := okOptions(c)
		if tc.opt != nil {
			tc.opt(&o)
		}
		_, err := ValidateProduce(tc.b, o)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
			continue
		}
		for _, s := range sentinels {
			if s != tc.want && errors.Is(err, s) {
				t.Errorf("%s: err %v also matches %v", tc.name, err, s)
			}
		}
	}
}

func TestValidateProduceResult(t *testing.T) {
	good := goodBatch(t)
	o := okOptions(nil)
	res, err := ValidateProduce(good, o)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := ParseHeader(good)
	want := ValidateResult{Header: h, MaxTimestamp: testNow + 2, MaxTimestampDelta: 2, UncompressedBytes: len(good) - HeaderSize}
	if res != want {
		t.Fatalf("result %+v\nwant   %+v", res, want)
	}
	// Exactly at max.message.bytes passes.
	o.MaxBatchBytes = len(good)
	if _, err := ValidateProduce(good, o); err != nil {
		t.Fatalf("at max.message.bytes: %v", err)
	}
	// An idempotent batch with a sequence passes.
	idem := edit(good, true, func(b []byte) { put64(offProducerID, 7)(b); put32(offBaseSequence, 0)(b) })
	if _, err := ValidateProduce(idem, o); err != nil {
		t.Fatalf("idempotent batch: %v", err)
	}
	// LogAppendTime topic: max timestamp is now, first record.
	o.LogAppendTime = true
	res, err = ValidateProduce(good, o)
	if err != nil || res.MaxTimestamp != testNow || res.MaxTimestampDelta != 0 || res.RewriteMaxTimestamp {
		t.Fatalf("LogAppendTime: %+v, %v", res, err)
	}
}

// TestValidateProduceMaxTimestampRewrite: a header max timestamp that
// disagrees with the records is flagged; SetCreateTime fixes it.
func TestValidateProduceMaxTimestampRewrite(t *testing.T) {
	bad := edit(goodBatch(t), true, put64(offMaxTimestamp, testNow))
	o := okOptions(nil)
	res, err := ValidateProduce(bad, o)
	if err != nil || !res.RewriteMaxTimestamp || res.MaxTimestamp != testNow+2 {
		t.Fatalf("stale max timestamp: %+v, %v", res, err)
	}
	SetCreateTime(bad, res.MaxTimestamp)
	res, err = ValidateProduce(bad, o)
	if err != nil || res.RewriteMaxTimestamp {
		t.Fatalf("after SetCreateTime: %+v, %v", res, err)
	}
	// Records with the earliest max timestamp: the first one is reported.
	recs := []Record{{OffsetDelta: 0, TimestampDelta: 5}, {OffsetDelta: 1, TimestampDelta: 9}, {OffsetDelta: 2, TimestampDelta: 9}}
	res, err = ValidateProduce(build(t, nil, testHeader(CodecNone), recs), o)
	if err != nil || res.MaxTimestamp != testNow+9 || res.MaxTimestampDelta != 1 || res.RewriteMaxTimestamp {
		t.Fatalf("tie: %+v, %v", res, err)
	}
}

func TestValidateProduceRecordErrors(t *testing.T) {
	recs := makeRecords(4, 10)
	recs[1].Key, recs[3].Key = nil, nil
	b := build(t, nil, testHeader(CodecNone), recs)
	o := okOptions(nil)
	if _, err := ValidateProduce(b, o); err != nil {
		t.Fatalf("null keys on a non-compacted topic: %v", err)
	}
	o.RequireKeys = true
	_, err := ValidateProduce(b, o)
	var re *RecordsError
	if !errors.As(err, &re) || !errors.Is(err, ErrNoKey) {
		t.Fatalf("err %v, want *RecordsError with ErrNoKey", err)
	}
	msg := "Compacted topic cannot accept message without key"
	want := []RecordError{{1, msg}, {3, msg}}
	if !reflect.DeepEqual(re.Records, want) {
		t.Fatalf("records %+v, want %+v", re.Records, want)
	}
	wantMsg := "One or more records have been rejected due to 2 record errors in total, and only showing the first three errors at most: [record 1: " + msg + ", record 3: " + msg + "]"
	if err.Error() != wantMsg {
		t.Fatalf("message %q\nwant    %q", err.Error(), wantMsg)
	}
}

func TestValidateProduceTimestamps(t *testing.T) {
	const before, after = 1000, 500
	recs := []Record{
		{OffsetDelta: 0, TimestampDelta: -before},     // oldest allowed
		{OffsetDelta: 1, TimestampDelta: after},       // newest allowed
		{OffsetDelta: 2, TimestampDelta: -before - 1}, // too old
		{OffsetDelta: 3, TimestampDelta: after + 1},   // too new
	}
	o := okOptions(nil)
	o.TimestampBeforeMaxMs, o.TimestampAfterMaxMs = before, after
	b := build(t, nil, testHeader(CodecNone), recs)
	_, err := ValidateProduce(b, o)
	var re *RecordsError
	if !errors.As(err, &re) || !errors.Is(err, ErrInvalidTimestamp) {
		t.Fatalf("err %v, want ErrInvalidTimestamp", err)
	}
	want := []RecordError{
		{2, "Timestamp 1699999998999 of message with offset 2 is out of range. The timestamp should be within [1699999999000, 1700000000500]"},
		{3, "Timestamp 1700000000501 of message with offset 3 is out of range. The timestamp should be within [1699999999000, 1700000000500]"},
	}
	if !reflect.DeepEqual(re.Records, want) || err.Error() != "One or more records have been rejected due to invalid timestamp" {
		t.Fatalf("got %+v / %q", re.Records, err.Error())
	}
	// LogAppendTime topics skip the check.
	o.LogAppendTime = true
	if _, err := ValidateProduce(b, o); err != nil {
		t.Fatalf("LogAppendTime topic: %v", err)
	}
	// Timestamp -1 (none) is not checked.
	o.LogAppendTime = false
	h := testHeader(CodecNone)
	h.FirstTimestamp = -1
	if _, err := ValidateProduce(build(t, nil, h, []Record{{}}), o); err != nil {
		t.Fatalf("timestamp -1: %v", err)
	}
	// A timestamp error wins over a key error, and both records are listed.
	o.RequireKeys = true
	_, err = ValidateProduce(build(t, nil, testHeader(CodecNone), []Record{{Key: nil}, {OffsetDelta: 1, TimestampDelta: after + 1, Key: []byte("k")}}), o)
	if !errors.As(err, &re) || !errors.Is(err, ErrInvalidTimestamp) || len(re.Records) != 2 || re.Records[0].Index != 0 || re.Records[1].Index != 1 {
		t.Fatalf("key + timestamp: %v %+v", err, re)
	}
}

// TestValidateProduceClientLogAppendTime: a client batch typed
// LogAppendTime is rejected on LogAppendTime topics and when it carries no
// timestamp; on a CreateTime topic its header timestamp is checked and the
// header must be rewritten, as Kafka does.
func TestValidateProduceClientLogAppendTime(t *testing.T) {
	h := testHeader(CodecNone)
	h.Attributes |= AttrTimestampType
	h.MaxTimestamp = testNow
	b := build(t, nil, h, makeRecords(2, 5))
	o := okOptions(nil)
	res, err := ValidateProduce(b, o)
	if err != nil || !res.RewriteMaxTimestamp || res.MaxTimestamp != testNow || res.MaxTimestampDelta != 0 {
		t.Fatalf("CreateTime topic: %+v, %v", res, err)
	}
	o.LogAppendTime = true
	if _, err := ValidateProduce(b, o); !errors.Is(err, ErrInvalidTimestamp) {
		t.Fatalf("LogAppendTime topic: %v", err)
	}
	h.MaxTimestamp = -1
	o.LogAppendTime = false
	if _, err := ValidateProduce(build(t, nil, h, makeRecords(2, 5)), o); !errors.Is(err, ErrInvalidTimestamp) {
		t.Fatalf("no timestamp: %v", err)
	}
}

// TestBuildValidateIterAllCodecs: BuildBatch -> ValidateProduce -> IterBatch
// for every codec, and the same for batches made by franz-go.
func TestBuildValidateIterAllCodecs(t *testing.T) {
	c := NewCodecs()
	recs := append(makeRecords(50, 100), oddRecords()[:3]...)
	for i := range recs {
		recs[i].OffsetDelta = int32(i)
		recs[i].TimestampDelta = int64(i % 7)
	}
	for _, codec := range allCodecs {
		for name, b := range map[string][]byte{
			"ours":     build(t, c, testHeader(codec), recs),
			"franz-go": kmsgBatch(t, codec, recs),
		} {
			res, err := ValidateProduce(b, okOptions(c))
			if err != nil {
				t.Fatalf("%s/%s: %v", codecName(codec), name, err)
			}
			if res.Header.Codec() != codec || res.Header.NumRecords != int32(len(recs)) ||
				res.MaxTimestamp != testNow+6 || res.MaxTimestampDelta != 6 || res.RewriteMaxTimestamp ||
				res.UncompressedBytes != len(encode(recs)) {
				t.Fatalf("%s/%s: result %+v", codecName(codec), name, res)
			}
			if got := collect(t, c, b); !reflect.DeepEqual(got, recs) {
				t.Fatalf("%s/%s: records differ", codecName(codec), name)
			}
		}
	}
}

// TestBuildBatchMatchesKmsg: uncompressed, our batch is byte-for-byte the
// one kmsg builds.
func TestBuildBatchMatchesKmsg(t *testing.T) {
	recs := oddRecords()
	for i := range recs {
		recs[i].OffsetDelta = int32(i)
		recs[i].TimestampDelta = int64(i)
	}
	ours := build(t, nil, testHeader(CodecNone), recs)
	theirs := kmsgBatch(t, CodecNone, recs)
	if string(ours) != string(theirs) {
		t.Fatalf("batches differ:\n ours % x\ntheirs % x", ours[:HeaderSize], theirs[:HeaderSize])
	}
}

func TestBuildBatchHeaderFields(t *testing.T) {
	h := Header{BaseOffset: 100, PartitionLeaderEpoch: 4, Attributes: AttrTransactional, FirstTimestamp: 50,
		MaxTimestamp: 999, LastOffsetDelta: 9, ProducerID: 12, ProducerEpoch: 3, BaseSequence: 40}
	recs := []Record{{OffsetDelta: 2, TimestampDelta: 7}, {OffsetDelta: 5, TimestampDelta: 3}}
	b := build(t, nil, h, recs)
	got, err := ParseHeader(b)
	if err != nil || CheckCRC(b) != nil {
		t.Fatalf("ParseHeader %v, CRC %v", err, CheckCRC(b))
	}
	want := h
	want.Length, want.Magic, want.CRC = int32(len(b)-LogOverhead), 2, got.CRC
	want.MaxTimestamp, want.NumRecords = 57, 2 // LastOffsetDelta 9 > 5 is kept
	if got != want {
		t.Fatalf("header %+v\nwant   %+v", got, want)
	}
	// An empty batch keeps the given deltas and timestamps (the cleaner
	// keeps such batches for producer state).
	b = build(t, nil, h, nil)
	if got, _ = ParseHeader(b); got.NumRecords != 0 || got.LastOffsetDelta != 9 || got.MaxTimestamp != 999 {
		t.Fatalf("empty batch header %+v", got)
	}
}

// TestValidateProduceAllocs: the uncompressed hot path does not allocate.
func TestValidateProduceAllocs(t *testing.T) {
	b := build(t, nil, testHeader(CodecNone), makeRecords(100, 100))
	o := okOptions(nil)
	if n := testing.AllocsPerRun(100, func() {
		if _, err := ValidateProduce(b, o); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per run, want 0", n)
	}
}

// TestFastScanShapes: the fast scan takes the batches real producers send
// (keys or not, headers, tombstones, values up to 8 KiB) and agrees with the
// careful scan on them; what it declines, the careful scan still decides.
func TestFastScanShapes(t *testing.T) {
	withHeaders := makeRecords(50, 100)
	for i := range withHeaders {
		withHeaders[i].Headers = []RecordHeader{{Key: "trace", Value: []byte("abc")}, {Key: "n", Value: nil}}
	}
	tombstones := makeRecords(50, 0)
	for i := range tombstones {
		tombstones[i].Value = nil
	}
	keyless := makeRecords(1000, 100)
	for i := range keyless {
		keyless[i].Key = nil
	}
	cases := []struct {
		name string
		recs []Record
		fast bool
	}{
		{"keyed", makeRecords(200, 100), true},
		{"keyless", keyless, true},
		{"headers", withHeaders, true},
		{"tombstones", tombstones, true},
		{"8000B", makeRecords(3, 8000), true},
		{"9000B", makeRecords(3, 9000), true},
		{"big", makeRecords(10_000, 10), true}, // three-byte offset deltas
		{"1MiB", makeRecords(1, 1<<20), false}, // a four-byte length
		{"odd", oddRecords()[:3], false},       // a timestamp delta of 2^40
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i := range tc.recs {
				tc.recs[i].OffsetDelta = int32(i)
			}
			section := encode(tc.recs)
			h := Header{NumRecords: int32(len(tc.recs)), FirstTimestamp: testNow, MaxTimestamp: -1}
			o := okOptions(nil)
			s := newScanner(&h, &o)
			if got := s.fastScan(section); got != tc.fast {
				t.Fatalf("fastScan = %v, want %v", got, tc.fast)
			}
			checkFastScan(t, section, h.NumRecords, testNow, 0)
			if careful := newScanner(&h, &o); careful.carefulScan(section) != nil {
				t.Fatalf("careful scan: %v", careful.carefulScan(section))
			}
		})
	}
}
