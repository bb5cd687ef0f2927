package record

import (
	"encoding/binary"
	"fmt"
)

// The records section of a v2 batch (after the 61-byte header, decompressed
// when the batch is compressed) holds recordCount records, each:
//
//	length          varint   bytes that follow, up to the end of the headers
//	attributes      int8     unused
//	timestampDelta  varlong  from the batch's firstTimestamp
//	offsetDelta     varint   from the batch's baseOffset
//	keyLength       varint   -1 (any negative) for a null key
//	key             bytes
//	valueLength     varint   -1 (any negative) for a null value
//	value           bytes
//	headerCount     varint
//	headers         headerKeyLength varint (>= 0), headerKey, headerValueLength varint (-1: null), headerValue
//
// Varints are zig-zag encoded, as in protobuf. Like Kafka, a varint is read
// from at most 5 bytes (varlong: 10) and bits past the type's width are
// dropped.

// Record is one decoded record. Key, Value and header values are nil when
// null.
type Record struct {
	OffsetDelta    int32
	TimestampDelta int64
	Key, Value     []byte
	Headers        []RecordHeader
}

// RecordHeader is one record header. (The name Header is the batch header.)
type RecordHeader struct {
	Key   string
	Value []byte
}

// recordView is one record's fields as sub-slices of the records section;
// nothing is copied. The headers are kept raw, already checked.
type recordView struct {
	timestampDelta int64
	offsetDelta    int32
	key, value     []byte // nil when null
	headers        []byte
	numHeaders     int32
}

// varint reads a zig-zag varint of at most 5 bytes. n is 0 when b ends
// first or the fifth byte has its continuation bit set.
func varint(b []byte) (v int32, n int) {
	if len(b) > 0 && b[0] < 0x80 { // fast path: one byte
		x := uint32(b[0])
		return int32(x>>1) ^ -int32(x&1), 1
	}
	var x uint32
	for i := 0; i < 5 && i < len(b); i++ {
		c := b[i]
		x |= uint32(c&0x7f) << (7 * i)
		if c < 0x80 {
			return int32(x>>1) ^ -int32(x&1), i + 1
		}
	}
	return 0, 0
}

// varlong reads a zig-zag varint of at most 10 bytes; n is 0 on error.
func varlong(b []byte) (v int64, n int) {
	var x uint64
	for i := 0; i < 10 && i < len(b); i++ {
		c := b[i]
		x |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return int64(x>>1) ^ -int64(x&1), i + 1
		}
	}
	return 0, 0
}

// corruptf returns an error wrapping ErrCorrupt.
func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

// bytesField reads a varint length and that many bytes from b at p; a
// negative length is null (nil).
func bytesField(b []byte, p int) ([]byte, int, error) {
	l, n := varint(b[p:])
	if n == 0 {
		return nil, p, corruptf("bad length varint")
	}
	p += n
	if l < 0 {
		return nil, p, nil
	}
	if int(l) > len(b)-p {
		return nil, p, corruptf("field of %d bytes overruns the record", l)
	}
	return b[p : p+int(l) : p+int(l)], p + int(l), nil
}

// parseRecord reads the record at the start of b into v and returns its
// size, length prefix included.
func parseRecord(b []byte, v *recordView) (int, error) {
	length, n := varint(b)
	if n == 0 || length < 1 || int(length) > len(b)-n {
		return 0, corruptf("record length %d with %d bytes left", length, len(b)-n)
	}
	body := b[n : n+int(length)]
	p := 1 // attributes
	var m int
	if v.timestampDelta, m = varlong(body[p:]); m == 0 {
		return 0, corruptf("bad timestamp delta")
	}
	p += m
	if v.offsetDelta, m = varint(body[p:]); m == 0 {
		return 0, corruptf("bad offset delta")
	}
	p += m
	var err error
	if v.key, p, err = bytesField(body, p); err != nil {
		return 0, err
	}
	if v.value, p, err = bytesField(body, p); err != nil {
		return 0, err
	}
	if p, err = v.parseHeaders(body, p); err != nil {
		return 0, err
	}
	return n + int(length), nil
}

// parseHeaders checks the headers at body[p:], which must end exactly at
// the end of body, and keeps them raw in v.
func (v *recordView) parseHeaders(body []byte, p int) (int, error) {
	nh, m := varint(body[p:])
	if m == 0 || nh < 0 || int(nh) > len(body)-p-m {
		return p, corruptf("bad header count %d", nh)
	}
	p += m
	start := p
	for range nh {
		kl, m := varint(body[p:])
		if m == 0 || kl < 0 || int(kl) > len(body)-p-m {
			return p, corruptf("bad header key length %d", kl)
		}
		p += m + int(kl)
		var err error
		if _, p, err = bytesField(body, p); err != nil {
			return p, err
		}
	}
	if p != len(body) {
		return p, corruptf("record length says %d bytes, fields use %d", len(body), p)
	}
	v.headers, v.numHeaders = body[start:p], nh
	return p, nil
}

// decodeHeaders decodes raw headers (already checked by parseHeaders) into
// dst[:0].
func decodeHeaders(raw []byte, n int32, dst []RecordHeader) []RecordHeader {
	dst = dst[:0]
	p := 0
	for range n {
		kl, m := varint(raw[p:])
		p += m
		key := string(raw[p : p+int(kl)])
		p += int(kl)
		val, np, _ := bytesField(raw, p)
		p = np
		dst = append(dst, RecordHeader{Key: key, Value: val})
	}
	return dst
}

// IterRecords calls fn for each of the n records in b, a raw (decompressed)
// records section. The Record passed to fn is reused between calls and its
// slices alias b: copy what must outlive the call. It returns an error
// wrapping ErrCorrupt on a malformed varint or length, on bytes left after
// the n-th record, or when b holds fewer than n records; and fn's error
// as is.
func IterRecords(b []byte, n int32, fn func(r *Record) error) error {
	if n < 0 {
		return corruptf("negative record count %d", n)
	}
	var v recordView
	var r Record
	for i := range n {
		size, err := parseRecord(b, &v)
		if err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		b = b[size:]
		r.OffsetDelta, r.TimestampDelta = v.offsetDelta, v.timestampDelta
		r.Key, r.Value = v.key, v.value
		r.Headers = decodeHeaders(v.headers, v.numHeaders, r.Headers)
		if err := fn(&r); err != nil {
			return err
		}
	}
	if len(b) != 0 {
		return corruptf("%d bytes after the last of %d records", len(b), n)
	}
	return nil
}

// IterBatch calls fn for each record of the whole batch b (header
// included), decompressing it with codecs when needed (codecs may be nil
// for an uncompressed batch). It checks the header's framing but not the
// CRC. The Record passed to fn is reused between calls.
func IterBatch(b []byte, codecs *Codecs, fn func(r *Record) error) error {
	h, err := ParseHeader(b)
	if err != nil {
		return err
	}
	if h.Size() > len(b) {
		return ErrShort
	}
	recs := b[HeaderSize:h.Size()]
	if h.Codec() == CodecNone {
		return IterRecords(recs, h.NumRecords, fn)
	}
	if codecs == nil {
		return fmt.Errorf("record batch: %s batch needs codecs: %w", codecName(h.Codec()), ErrCompression)
	}
	buf := codecs.getBuf()
	defer codecs.putBuf(buf)
	if *buf, err = codecs.Decompress(h.Codec(), recs, *buf); err != nil {
		return err
	}
	return IterRecords(*buf, h.NumRecords, fn)
}

// varintLen is the encoded size of v as a zig-zag varint.
func varintLen(v int64) int {
	ux := uint64(v) << 1
	if v < 0 {
		ux = ^ux
	}
	n := 1
	for ux >= 0x80 {
		ux >>= 7
		n++
	}
	return n
}

// bytesLen is the encoded size of a nullable byte field.
func bytesLen(b []byte) int {
	if b == nil {
		return 1
	}
	return varintLen(int64(len(b))) + len(b)
}

// appendBytes appends a nullable byte field.
func appendBytes(dst, b []byte) []byte {
	if b == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(b)))
	return append(dst, b...)
}

// bodyLen is the size of r's encoding after its length prefix.
func bodyLen(r *Record) int {
	n := 1 + varintLen(r.TimestampDelta) + varintLen(int64(r.OffsetDelta)) +
		bytesLen(r.Key) + bytesLen(r.Value) + varintLen(int64(len(r.Headers)))
	for i := range r.Headers {
		h := &r.Headers[i]
		n += varintLen(int64(len(h.Key))) + len(h.Key) + bytesLen(h.Value)
	}
	return n
}

// AppendRecord appends the encoding of r to dst. (Zig-zag varints of an
// int32 and of the same value as an int64 are identical, so one encoder
// serves both.)
func AppendRecord(dst []byte, r *Record) []byte {
	dst = binary.AppendVarint(dst, int64(bodyLen(r)))
	dst = append(dst, 0) // attributes
	dst = binary.AppendVarint(dst, r.TimestampDelta)
	dst = binary.AppendVarint(dst, int64(r.OffsetDelta))
	dst = appendBytes(dst, r.Key)
	dst = appendBytes(dst, r.Value)
	dst = binary.AppendVarint(dst, int64(len(r.Headers)))
	for i := range r.Headers {
		h := &r.Headers[i]
		dst = binary.AppendVarint(dst, int64(len(h.Key)))
		dst = append(dst, h.Key...)
		dst = appendBytes(dst, h.Value)
	}
	return dst
}
