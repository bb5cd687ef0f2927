package record

import (
	"encoding/binary"
	"fmt"
)

// BuildBatch appends a whole v2 batch holding records to dst and returns the
// extended slice. From h it takes BaseOffset, PartitionLeaderEpoch,
// Attributes (the codec, timestamp type, transactional and control bits),
// FirstTimestamp, ProducerID, ProducerEpoch and BaseSequence. It computes
// the rest:
//   - LastOffsetDelta is the last record's OffsetDelta, or h.LastOffsetDelta
//     when that is larger (the log cleaner keeps a batch's original last
//     offset so that producer sequences stay right);
//   - MaxTimestamp is FirstTimestamp plus the largest TimestampDelta, or
//     h.MaxTimestamp for a LogAppendTime batch or an empty one;
//   - NumRecords, Length, Magic (2) and the CRC.
//
// The records are written as given (offset deltas are not renumbered) and
// compressed with the codec in h.Attributes; codecs may be nil for an
// uncompressed batch.
func BuildBatch(dst []byte, h Header, records []Record, codecs *Codecs) ([]byte, error) {
	return BuildBatchLevels(dst, h, records, codecs, DefaultLevels())
}

// BuildBatchLevels is BuildBatch compressing at the given levels.
func BuildBatchLevels(dst []byte, h Header, records []Record, codecs *Codecs, lv Levels) ([]byte, error) {
	start := len(dst)
	dst = append(grow(dst, HeaderSize), make([]byte, HeaderSize)...)
	var err error
	if dst, err = appendRecordsSection(dst, h.Codec(), records, codecs, lv); err != nil {
		return dst[:start], err
	}
	fillHeader(dst[start:], &h, records)
	return dst, nil
}

// appendRecordsSection appends the records, compressed with codec.
func appendRecordsSection(dst []byte, codec int, records []Record, codecs *Codecs, lv Levels) ([]byte, error) {
	if codec == CodecNone {
		for i := range records {
			dst = AppendRecord(dst, &records[i])
		}
		return dst, nil
	}
	if codecs == nil {
		return dst, fmt.Errorf("record batch: %s batch needs codecs: %w", codecName(codec), ErrCompression)
	}
	buf := codecs.getBuf()
	defer codecs.putBuf(buf)
	for i := range records {
		*buf = AppendRecord(*buf, &records[i])
	}
	return codecs.CompressLevels(codec, lv, *buf, dst)
}

// fillHeader writes the header of the batch b, whose records section is
// already in place.
func fillHeader(b []byte, h *Header, records []Record) {
	last, maxTs := h.LastOffsetDelta, h.MaxTimestamp
	if len(records) > 0 {
		last = max(last, records[len(records)-1].OffsetDelta)
		if h.Attributes&AttrTimestampType == 0 {
			maxTs = h.FirstTimestamp + maxTimestampDelta(records)
		}
	}
	be := binary.BigEndian
	be.PutUint64(b[offBaseOffset:], uint64(h.BaseOffset))
	be.PutUint32(b[offLength:], uint32(len(b)-LogOverhead))
	be.PutUint32(b[offLeaderEpoch:], uint32(h.PartitionLeaderEpoch))
	b[offMagic] = 2
	be.PutUint16(b[offAttributes:], uint16(h.Attributes))
	be.PutUint32(b[offLastOffsetDelta:], uint32(last))
	be.PutUint64(b[offFirstTimestamp:], uint64(h.FirstTimestamp))
	be.PutUint64(b[offMaxTimestamp:], uint64(maxTs))
	be.PutUint64(b[offProducerID:], uint64(h.ProducerID))
	be.PutUint16(b[offProducerEpoch:], uint16(h.ProducerEpoch))
	be.PutUint32(b[offBaseSequence:], uint32(h.BaseSequence))
	be.PutUint32(b[offRecordCount:], uint32(len(records)))
	be.PutUint32(b[offCRC:], ComputeCRC(b))
}

// maxTimestampDelta is the largest TimestampDelta of records (non-empty).
func maxTimestampDelta(records []Record) int64 {
	m := records[0].TimestampDelta
	for i := range records[1:] {
		m = max(m, records[i+1].TimestampDelta)
	}
	return m
}
