// Package record reads, validates and rewrites Kafka's v2 record batches
// (magic 2) as raw bytes. It does no I/O and knows nothing of the wire
// protocol's request types: a batch is the byte slice that a Produce request
// carries and that a log segment stores.
//
// Layout of a batch header (big-endian), HeaderSize bytes:
//
//	offset  size  field
//	0       8     baseOffset
//	8       4     batchLength (bytes after this field)
//	12      4     partitionLeaderEpoch
//	16      1     magic (2)
//	17      4     crc (CRC-32C of everything from attributes to the end)
//	21      2     attributes
//	23      4     lastOffsetDelta
//	27      8     baseTimestamp (firstTimestamp)
//	35      8     maxTimestamp
//	43      8     producerId
//	51      2     producerEpoch
//	53      4     baseSequence
//	57      4     recordCount
//	61            records...
package record

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// Header and field positions.
const (
	HeaderSize = 61
	// LogOverhead is the part of the header before and including batchLength.
	LogOverhead = 12

	offBaseOffset      = 0
	offLength          = 8
	offLeaderEpoch     = 12
	offMagic           = 16
	offCRC             = 17
	offAttributes      = 21
	offLastOffsetDelta = 23
	offFirstTimestamp  = 27
	offMaxTimestamp    = 35
	offProducerID      = 43
	offProducerEpoch   = 51
	offBaseSequence    = 53
	offRecordCount     = 57
)

// Attribute bits.
const (
	AttrCompressionMask = 0x07
	AttrTimestampType   = 0x08 // set: LogAppendTime
	AttrTransactional   = 0x10
	AttrControl         = 0x20
	AttrDeleteHorizon   = 0x40
)

// Compression codecs as stored in the attributes.
const (
	CodecNone   = 0
	CodecGzip   = 1
	CodecSnappy = 2
	CodecLZ4    = 3
	CodecZstd   = 4
)

// Errors returned by the parsers. The server maps them to Kafka error codes.
var (
	ErrShort        = errors.New("record batch: truncated")
	ErrMagic        = errors.New("record batch: unsupported magic (only v2 is accepted)")
	ErrCRC          = errors.New("record batch: CRC mismatch")
	ErrLength       = errors.New("record batch: invalid length")
	ErrRecordCount  = errors.New("record batch: record count does not match lastOffsetDelta")
	ErrCorrupt      = errors.New("record batch: corrupt records")
	ErrCompression  = errors.New("record batch: unknown compression codec")
	ErrNoRecords    = errors.New("record batch: no records")
	ErrInvalidDelta = errors.New("record batch: invalid offset delta")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Header is a decoded batch header.
type Header struct {
	BaseOffset           int64
	Length               int32
	PartitionLeaderEpoch int32
	Magic                int8
	CRC                  uint32
	Attributes           int16
	LastOffsetDelta      int32
	FirstTimestamp       int64
	MaxTimestamp         int64
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	NumRecords           int32
}

// Size is the batch's size in bytes, header included.
func (h *Header) Size() int { return LogOverhead + int(h.Length) }

// LastOffset is the offset of the batch's last record.
func (h *Header) LastOffset() int64 { return h.BaseOffset + int64(h.LastOffsetDelta) }

// Codec is the compression codec.
func (h *Header) Codec() int { return int(h.Attributes & AttrCompressionMask) }

// IsTransactional reports whether the batch is part of a transaction.
func (h *Header) IsTransactional() bool { return h.Attributes&AttrTransactional != 0 }

// IsControl reports whether the batch is a control batch (transaction marker).
func (h *Header) IsControl() bool { return h.Attributes&AttrControl != 0 }

// LogAppendTime reports whether the timestamps are the broker's append time.
func (h *Header) LogAppendTime() bool { return h.Attributes&AttrTimestampType != 0 }

// HasProducerID reports whether the batch was written by an idempotent or
// transactional producer.
func (h *Header) HasProducerID() bool { return h.ProducerID >= 0 }

// LastSequence is the sequence number of the batch's last record.
func (h *Header) LastSequence() int32 {
	if h.BaseSequence < 0 {
		return -1
	}
	s := int64(h.BaseSequence) + int64(h.LastOffsetDelta)
	if s > 0x7fffffff { // sequences wrap around
		s -= 0x80000000
	}
	return int32(s)
}

// ParseHeader decodes the header at the start of b. It checks only that
// the header is there and that the magic is 2; it does not need the whole
// batch.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < HeaderSize {
		if len(b) > offMagic && b[offMagic] != 2 {
			return h, ErrMagic
		}
		return h, ErrShort
	}
	h.BaseOffset = int64(binary.BigEndian.Uint64(b[offBaseOffset:]))
	h.Length = int32(binary.BigEndian.Uint32(b[offLength:]))
	h.PartitionLeaderEpoch = int32(binary.BigEndian.Uint32(b[offLeaderEpoch:]))
	h.Magic = int8(b[offMagic])
	h.CRC = binary.BigEndian.Uint32(b[offCRC:])
	h.Attributes = int16(binary.BigEndian.Uint16(b[offAttributes:]))
	h.LastOffsetDelta = int32(binary.BigEndian.Uint32(b[offLastOffsetDelta:]))
	h.FirstTimestamp = int64(binary.BigEndian.Uint64(b[offFirstTimestamp:]))
	h.MaxTimestamp = int64(binary.BigEndian.Uint64(b[offMaxTimestamp:]))
	h.ProducerID = int64(binary.BigEndian.Uint64(b[offProducerID:]))
	h.ProducerEpoch = int16(binary.BigEndian.Uint16(b[offProducerEpoch:]))
	h.BaseSequence = int32(binary.BigEndian.Uint32(b[offBaseSequence:]))
	h.NumRecords = int32(binary.BigEndian.Uint32(b[offRecordCount:]))
	if h.Magic != 2 {
		return h, ErrMagic
	}
	if h.Length < HeaderSize-LogOverhead {
		return h, ErrLength
	}
	return h, nil
}

// ComputeCRC computes the CRC-32C of a whole batch (from attributes on).
func ComputeCRC(b []byte) uint32 { return crc32.Checksum(b[offAttributes:], castagnoli) }

// CheckCRC verifies the CRC of a whole batch.
func CheckCRC(b []byte) error {
	if len(b) < HeaderSize {
		return ErrShort
	}
	if binary.BigEndian.Uint32(b[offCRC:]) != ComputeCRC(b) {
		return ErrCRC
	}
	return nil
}

// SetBaseOffset rewrites the base offset (not covered by the CRC).
func SetBaseOffset(b []byte, off int64) { binary.BigEndian.PutUint64(b[offBaseOffset:], uint64(off)) }

// SetPartitionLeaderEpoch rewrites the leader epoch (not covered by the CRC).
func SetPartitionLeaderEpoch(b []byte, epoch int32) {
	binary.BigEndian.PutUint32(b[offLeaderEpoch:], uint32(epoch))
}

// SetLogAppendTime sets the timestamp type to LogAppendTime and the max
// timestamp to ts, and recomputes the CRC.
func SetLogAppendTime(b []byte, ts int64) {
	attrs := binary.BigEndian.Uint16(b[offAttributes:]) | AttrTimestampType
	binary.BigEndian.PutUint16(b[offAttributes:], attrs)
	binary.BigEndian.PutUint64(b[offMaxTimestamp:], uint64(ts))
	binary.BigEndian.PutUint32(b[offCRC:], ComputeCRC(b))
}

// BatchSize returns the size of the batch at the start of b from its length
// field, or -1 when b is too short to tell.
func BatchSize(b []byte) int {
	if len(b) < LogOverhead {
		return -1
	}
	return LogOverhead + int(int32(binary.BigEndian.Uint32(b[offLength:])))
}

// SetCreateTime sets the timestamp type to CreateTime and the max timestamp
// to ts, and recomputes the CRC. Kafka does this when a produced batch's
// header disagrees with its records (see ValidateResult.RewriteMaxTimestamp).
func SetCreateTime(b []byte, ts int64) {
	attrs := binary.BigEndian.Uint16(b[offAttributes:]) &^ AttrTimestampType
	binary.BigEndian.PutUint16(b[offAttributes:], attrs)
	binary.BigEndian.PutUint64(b[offMaxTimestamp:], uint64(ts))
	binary.BigEndian.PutUint32(b[offCRC:], ComputeCRC(b))
}
