package record

import (
	"encoding/binary"
	"fmt"
	"math"
)

// noTimestamp is Kafka's RecordBatch.NO_TIMESTAMP.
const noTimestamp = -1

// ValidateOptions are the topic's settings and the broker's clock for
// ValidateProduce.
type ValidateOptions struct {
	// MaxBatchBytes is max.message.bytes: a batch (header included) larger
	// than this fails with ErrTooLarge. <= 0: no limit.
	MaxBatchBytes int
	// Now is the broker's time in milliseconds.
	Now int64
	// TimestampBeforeMaxMs and TimestampAfterMaxMs are
	// message.timestamp.before.max.ms and message.timestamp.after.max.ms;
	// they apply to CreateTime topics only.
	TimestampBeforeMaxMs, TimestampAfterMaxMs int64
	// LogAppendTime is message.timestamp.type=LogAppendTime: record
	// timestamps are not checked (the broker overwrites them).
	LogAppendTime bool
	// RequireKeys is set for compacted topics: every record needs a key.
	RequireKeys bool
	// Codecs decompresses compressed batches; required for them.
	Codecs *Codecs
}

// ValidateResult describes a batch that passed validation.
type ValidateResult struct {
	Header Header
	// MaxTimestamp is the largest record timestamp (CreateTime topics; -1
	// if no record has one), or Now for LogAppendTime topics.
	MaxTimestamp int64
	// MaxTimestampDelta is the offset delta of the first record carrying
	// MaxTimestamp (-1 if none; 0 for LogAppendTime topics).
	MaxTimestampDelta int32
	// RewriteMaxTimestamp is set, for a CreateTime topic, when the header's
	// maxTimestamp or timestamp type disagrees with the records. Kafka then
	// rewrites the header: call SetCreateTime(batch, MaxTimestamp) before
	// appending.
	RewriteMaxTimestamp bool
	// UncompressedBytes is the size of the records section after
	// decompression.
	UncompressedBytes int
}

// ValidateProduce checks one partition's records from a Produce request
// (v3+) the way Apache Kafka does before appending them as leader: exactly
// one v2 batch, framing, base offset 0, size, CRC, counts, no control batch,
// a sequence for idempotent batches, then every record (decompressed if
// need be): structure, offset deltas 0..n-1, keys on compacted topics,
// timestamps. It does not modify records. Errors wrap the sentinels listed
// in errors.go; see the table there for the Kafka error code of each.
func ValidateProduce(records []byte, o ValidateOptions) (ValidateResult, error) {
	h, err := checkFraming(records)
	if err != nil {
		return ValidateResult{Header: h}, err
	}
	if err := checkBatch(records, &h, &o); err != nil {
		return ValidateResult{Header: h}, err
	}
	res := ValidateResult{Header: h}
	if err := checkRecords(records, &o, &res); err != nil {
		return res, err
	}
	return res, nil
}

// checkFraming checks that b is exactly one v2 batch, in Kafka's order.
func checkFraming(b []byte) (Header, error) {
	if len(b) < LogOverhead {
		return Header{}, fmt.Errorf("%w: %d bytes", ErrShort, len(b))
	}
	length := int32(binary.BigEndian.Uint32(b[offLength:]))
	if length < 14 { // Kafka's smallest (v0) record overhead
		return Header{}, fmt.Errorf("%w: %d", ErrLength, length)
	}
	if len(b) <= offMagic {
		return Header{}, fmt.Errorf("%w: %d bytes", ErrShort, len(b))
	}
	if m := int8(b[offMagic]); m < 0 || m > 2 {
		return Header{}, fmt.Errorf("%w: %d", ErrUnknownMagic, m)
	} else if m != 2 {
		return Header{}, fmt.Errorf("%w: got %d", ErrMagic, m)
	}
	size := LogOverhead + int64(length)
	if int64(len(b)) < size {
		return Header{}, fmt.Errorf("%w: length field says %d bytes, have %d", ErrShort, size, len(b))
	}
	if int64(len(b)) > size {
		return Header{}, fmt.Errorf("%w: %d bytes after the batch", ErrMultipleBatches, int64(len(b))-size)
	}
	if length < HeaderSize-LogOverhead {
		return Header{}, fmt.Errorf("%w: %d is shorter than a v2 header", ErrLength, length)
	}
	h, err := ParseHeader(b)
	if err != nil {
		return h, err
	}
	if h.Codec() > CodecZstd {
		return h, fmt.Errorf("%w: %d", ErrCompression, h.Codec())
	}
	return h, nil
}

// checkBatch applies Kafka's batch-level checks (UnifiedLog's
// analyzeAndValidateRecords, then LogValidator's validateBatch).
func checkBatch(b []byte, h *Header, o *ValidateOptions) error {
	if h.BaseOffset != 0 {
		return fmt.Errorf("%w: it is %d", ErrBaseOffset, h.BaseOffset)
	}
	if o.MaxBatchBytes > 0 && h.Size() > o.MaxBatchBytes {
		return fmt.Errorf("%w: the batch is %d bytes, the maximum is %d", ErrTooLarge, h.Size(), o.MaxBatchBytes)
	}
	if err := CheckCRC(b); err != nil {
		return err
	}
	if int64(h.LastOffsetDelta)+1 <= 0 {
		return fmt.Errorf("%w: invalid offset range, lastOffsetDelta %d", ErrNoRecords, h.LastOffsetDelta)
	}
	if h.NumRecords <= 0 {
		return fmt.Errorf("%w: record count %d", ErrNoRecords, h.NumRecords)
	}
	if int64(h.LastOffsetDelta)+1 != int64(h.NumRecords) {
		return fmt.Errorf("%w: lastOffsetDelta %d, record count %d", ErrRecordCount, h.LastOffsetDelta, h.NumRecords)
	}
	if h.IsControl() {
		return ErrControl
	}
	if h.HasProducerID() && h.BaseSequence < 0 {
		return fmt.Errorf("%w: producer id %d, base sequence %d", ErrSequence, h.ProducerID, h.BaseSequence)
	}
	return nil
}

// checkRecords decompresses the records when needed and scans them.
func checkRecords(b []byte, o *ValidateOptions, res *ValidateResult) error {
	h := &res.Header
	section := b[HeaderSize:]
	if h.Codec() != CodecNone {
		if o.Codecs == nil {
			return fmt.Errorf("%w: no codecs to decompress %s", ErrCompression, codecName(h.Codec()))
		}
		buf := o.Codecs.getBuf()
		defer o.Codecs.putBuf(buf)
		var err error
		if *buf, err = o.Codecs.Decompress(h.Codec(), section, *buf); err != nil {
			return err
		}
		section = *buf
	}
	res.UncompressedBytes = len(section)
	s := newScanner(h, o)
	if err := s.scan(section); err != nil {
		return err
	}
	res.MaxTimestamp, res.MaxTimestampDelta = s.maxTs, s.maxDelta
	if o.LogAppendTime {
		res.MaxTimestamp, res.MaxTimestampDelta = o.Now, 0
	} else {
		res.RewriteMaxTimestamp = h.LogAppendTime() || h.MaxTimestamp != s.maxTs
	}
	return nil
}

// scanner walks a records section in place, checking each record. It
// holds copies, not pointers, so that nothing it is built from escapes with
// the error it may return.
type scanner struct {
	n           int32 // record count
	first       int64 // batch firstTimestamp
	headerTs    int64 // the header's maxTimestamp
	batchLAT    bool  // the batch is typed LogAppendTime
	topicLAT    bool  // the topic is LogAppendTime
	requireKeys bool
	now         int64
	before      int64
	after       int64

	maxTs    int64
	maxDelta int32
	errs     *RecordsError // nil until a record is rejected
}

// newScanner returns a scanner for the batch h under o.
func newScanner(h *Header, o *ValidateOptions) scanner {
	return scanner{
		n: h.NumRecords, first: h.FirstTimestamp, headerTs: h.MaxTimestamp, batchLAT: h.LogAppendTime(),
		topicLAT: o.LogAppendTime, requireKeys: o.RequireKeys,
		now: o.Now, before: o.TimestampBeforeMaxMs, after: o.TimestampAfterMaxMs,
		maxTs: noTimestamp, maxDelta: -1,
	}
}

// scan checks every record of section; record-level rejections are
// collected and returned together as a *RecordsError.
func (s *scanner) scan(section []byte) error {
	if s.fastScan(section) {
		return nil
	}
	s.maxTs, s.maxDelta = noTimestamp, -1 // start over on the careful path
	return s.carefulScan(section)
}

// carefulScan parses every record in full and says what is wrong.
func (s *scanner) carefulScan(section []byte) error {
	var v recordView
	for i := range s.n {
		size, err := parseRecord(section, &v)
		if err != nil {
			return fmt.Errorf("record %d of %d: %w", i, s.n, err)
		}
		section = section[size:]
		if v.offsetDelta != i {
			return fmt.Errorf("%w: record %d has offset delta %d", ErrInvalidDelta, i, v.offsetDelta)
		}
		s.check(i, &v)
	}
	if len(section) != 0 {
		return corruptf("%d bytes after the last of %d records", len(section), s.n)
	}
	if s.errs != nil {
		return s.errs
	}
	return nil
}

// check applies the key and timestamp rules to record i and tracks the
// max timestamp.
func (s *scanner) check(i int32, v *recordView) {
	ts := s.first + v.timestampDelta
	if s.batchLAT { // Kafka reads such a record's timestamp from the header
		ts = s.headerTs
	}
	if ts > s.maxTs {
		s.maxTs, s.maxDelta = ts, i
	}
	if s.requireKeys && v.key == nil {
		s.reject(ErrNoKey, i, "Compacted topic cannot accept message without key")
		return
	}
	if !s.topicLAT && ts != noTimestamp {
		if d := s.now - ts; d > s.before || -d > s.after {
			s.reject(ErrInvalidTimestamp, i, fmt.Sprintf("Timestamp %d of message with offset %d is out of range. "+
				"The timestamp should be within [%d, %d]", ts, i, s.now-s.before, s.now+s.after))
		}
	} else if s.batchLAT {
		s.reject(ErrInvalidTimestamp, i, "Producer should not set timestamp type to LogAppendTime")
	}
}

// reject records a record-level error.
func (s *scanner) reject(err error, i int32, msg string) {
	if s.errs == nil {
		s.errs = &RecordsError{}
	}
	s.errs.add(err, i, msg)
}

// fastScan checks a records section that is well formed and whose records
// all pass, with as little work as possible per record: the hot path of
// uncompressed produce. It reports false, having decided nothing, when any
// record is malformed, rejected or unusual (a LogAppendTime batch, a length
// or timestamp delta of more than three bytes: a record over 1 MiB,
// timestamps over 17 minutes apart; a key or header over 8 KiB), and the
// careful scan then runs to say exactly why.
func (s *scanner) fastScan(b []byte) bool {
	if s.batchLAT {
		return false
	}
	checkTs := !s.topicLAT
	lo, hi := s.now-s.before, s.now+s.after
	if s.before < 0 || s.now-s.before > s.now { // overflow: no lower bound
		lo = math.MinInt64
	}
	if s.after < 0 || s.now+s.after < s.now {
		hi = math.MaxInt64
	}
	// Varints are read raw (not zig-zag decoded) where the sign is all
	// that matters: an odd raw length is negative (null).
	p := 0
	for i := range uint32(s.n) {
		l, q := u2(b, p)
		if q < 0 {
			l, q = u3(b, p)
		}
		if q < 0 || l&1 != 0 || int(l>>1) > len(b)-q {
			return false
		}
		r := b[:q+int(l>>1)] // the record; reads past it fail
		q++                  // attributes
		tsd, t := u2(r, q)
		if t < 0 {
			tsd, t = u3(r, q)
		}
		// The offset delta must be i: compare its bytes with the
		// encoding of zig-zag(i) = 2i.
		switch e := i << 1; {
		case e < 1<<7 && uint(t) < uint(len(r)) && r[t] == byte(e):
			q = t + 1
		case e < 1<<14 && t >= 0 && t+1 < len(r) && r[t] == byte(e|0x80) && r[t+1] == byte(e>>7):
			q = t + 2
		default:
			if q = skipDelta(r, t, e); q < 0 {
				return false
			}
		}
		kl, q := u2(r, q)
		if kl&1 == 0 {
			q += int(kl >> 1)
		} else if kl != 1 || s.requireKeys {
			return false
		}
		vl, v := u2(r, q)
		if v < 0 {
			vl, v = u3(r, q)
		}
		if q = v; vl&1 == 0 {
			q += int(vl >> 1)
		} else if vl != 1 {
			return false
		}
		nh, q := u2(r, q)
		if nh != 0 {
			q = skipHeadersFast(r, q, nh)
		}
		if q != len(r) {
			return false
		}
		ts := s.first + (int64(tsd>>1) ^ -int64(tsd&1))
		if checkTs && ts != noTimestamp && (ts < lo || ts > hi) {
			return false
		}
		if ts > s.maxTs {
			s.maxTs, s.maxDelta = ts, int32(i)
		}
		p = len(r)
	}
	return p == len(b)
}

// skipDelta checks that the varint at b[p] is raw (a record's offset
// delta, zig-zag encoded: twice its index), and returns the position after
// it, or -1. fastScan compares the bytes of one- and two-byte deltas
// inline.
func skipDelta(b []byte, p int, raw uint32) int {
	if uint(p) >= uint(len(b)) {
		return -1
	}
	v, n := varint(b[p:])
	if n == 0 || uint32(v)<<1 != raw || v < 0 || varintLen(int64(v)) != n {
		return -1
	}
	return p + n
}

// u2 reads the raw (zig-zag encoded) varint of one or two bytes at b[p]
// and returns it with the position after it; the position is -1 when p is
// -1 or out of range, or the varint is longer, so that errors flow through
// to one check.
func u2(b []byte, p int) (uint32, int) {
	if uint(p) >= uint(len(b)) {
		return 0, -1
	}
	x := uint32(b[p])
	if x < 0x80 {
		return x, p + 1
	}
	if uint(p+1) >= uint(len(b)) || b[p+1] >= 0x80 {
		return 0, -1
	}
	return x&0x7f | uint32(b[p+1])<<7, p + 2
}

// u3 is u2 for varints of up to three bytes, the rarer ones that fastScan
// also takes: lengths up to 1 MiB and timestamp deltas up to 17 minutes.
func u3(b []byte, p int) (uint32, int) {
	if p < 0 || p+2 >= len(b) || b[p] < 0x80 || b[p+1] < 0x80 || b[p+2] >= 0x80 {
		return u2(b, p)
	}
	return uint32(b[p])&0x7f | uint32(b[p+1]&0x7f)<<7 | uint32(b[p+2])<<14, p + 3
}

// skipHeadersFast skips nh (raw) headers at r[q:] for fastScan: the
// position after them, or -1.
func skipHeadersFast(r []byte, q int, nh uint32) int {
	if nh&1 != 0 {
		return -1
	}
	for range nh >> 1 {
		var hk, hv uint32
		if hk, q = u3(r, q); hk&1 != 0 || q < 0 {
			return -1
		}
		if hv, q = u3(r, q+int(hk>>1)); q < 0 {
			return -1
		}
		if hv&1 == 0 {
			q += int(hv >> 1)
		} else if hv != 1 {
			return -1
		}
	}
	return q
}

// skipBytes skips a varint-length-prefixed nullable field at b[p:]; it
// returns the position after it (-1 if malformed) and whether it was null.
func skipBytes(b []byte, p int) (int, bool) {
	l, m := varint(b[p:])
	if m == 0 {
		return -1, false
	}
	p += m
	if l < 0 {
		return p, true
	}
	if int(l) > len(b)-p {
		return -1, false
	}
	return p + int(l), false
}

// skipHeaders skips a record's headers at b[p:]; -1 if malformed.
func skipHeaders(b []byte, p int) int {
	nh, m := varint(b[p:])
	if m == 0 || nh < 0 {
		return -1
	}
	p += m
	for range nh {
		kl, m := varint(b[p:])
		if m == 0 || kl < 0 || int(kl) > len(b)-p-m {
			return -1
		}
		if p, _ = skipBytes(b, p+m+int(kl)); p < 0 {
			return -1
		}
	}
	return p
}
