package record

import (
	"errors"
	"fmt"
	"strings"
)

// Errors of Produce validation, beside those declared in batch.go. The
// server maps each to the Kafka error code that Apache Kafka (4.x) returns
// for the same input, with errors.Is (returned errors wrap the sentinels,
// some with detail for the response's error message):
//
//	sentinel             Kafka error code              Kafka's check
//	ErrShort             INVALID_RECORD (87)           no complete batch in the partition's records (ProduceRequest.validateRecords)
//	ErrMultipleBatches   INVALID_RECORD (87)           bytes after the first batch (see note 1)
//	ErrMagic             INVALID_RECORD (87)           magic 0 or 1 in a v3+ Produce
//	ErrUnknownMagic      CORRUPT_MESSAGE (2)           magic byte outside 0..2 (ByteBufferLogInputStream)
//	ErrLength            CORRUPT_MESSAGE (2)           batch length shorter than a v2 header
//	ErrCompression       UNSUPPORTED_COMPRESSION_TYPE (76)  codec 5..7 (see note 2)
//	ErrBaseOffset        INVALID_RECORD (87)           client batch with baseOffset != 0 (UnifiedLog)
//	ErrTooLarge          MESSAGE_TOO_LARGE (10)        batch size > max.message.bytes (RecordTooLargeException)
//	ErrCRC               CORRUPT_MESSAGE (2)           CRC-32C mismatch
//	ErrNoRecords         INVALID_RECORD (87)           recordCount <= 0 or lastOffsetDelta < 0 (LogValidator)
//	ErrRecordCount       INVALID_RECORD (87)           recordCount != lastOffsetDelta+1
//	ErrControl           INVALID_RECORD (87)           control batch from a client
//	ErrSequence          INVALID_RECORD (87)           producerId >= 0 with baseSequence < 0
//	ErrCorrupt           INVALID_RECORD (87)           malformed records, count mismatch, bad compressed data (see note 3)
//	ErrInvalidDelta      INVALID_RECORD (87)           offset deltas not 0..n-1 in order (see note 4)
//	ErrNoKey             INVALID_RECORD (87)           a record without key on a compacted topic (per record)
//	ErrInvalidTimestamp  INVALID_TIMESTAMP (32)        timestamp outside message.timestamp.before/after.max.ms,
//	                                                   or a client batch typed LogAppendTime (per record)
//
// ErrNoKey and ErrInvalidTimestamp come inside a *RecordsError that lists
// every rejected record, for the response's RecordErrors (Produce v8+);
// when both occur INVALID_TIMESTAMP wins, as in Kafka.
//
// Deliberate differences from Kafka, all on input no real client sends:
//  1. Kafka silently trims a trailing partial batch (fewer than 12 bytes, or
//     shorter than its length field) and rejects a second complete batch; we
//     reject any trailing bytes.
//  2. Kafka fails the whole request with UNKNOWN_SERVER_ERROR on an unknown
//     codec id (an IllegalArgumentException escapes); the partition error
//     UNSUPPORTED_COMPRESSION_TYPE is the closer answer.
//  3. Kafka answers UNKNOWN_SERVER_ERROR when compressed data fails to
//     decompress; we answer INVALID_RECORD (not retriable: retrying the same
//     bytes cannot help). A payload over the Codecs' decompressed-size cap
//     is treated the same.
//  4. Kafka does not reject wrong inner offset deltas: it recompresses a
//     compressed batch with fresh offsets and leaves an uncompressed one
//     alone. Vltava stores batches as sent, so it rejects them.
var (
	ErrMultipleBatches  = errors.New("record batch: more than one batch, or trailing bytes, in a partition's records")
	ErrUnknownMagic     = errors.New("record batch: invalid magic byte")
	ErrBaseOffset       = errors.New("record batch: base offset of a produced batch must be 0")
	ErrTooLarge         = errors.New("record batch: batch larger than max.message.bytes")
	ErrControl          = errors.New("record batch: clients may not write control batches")
	ErrSequence         = errors.New("record batch: idempotent batch without a base sequence")
	ErrNoKey            = errors.New("record batch: compacted topic cannot accept a record without key")
	ErrInvalidTimestamp = errors.New("record batch: record timestamp out of range")
)

// RecordError is one rejected record: its index in the batch and why.
type RecordError struct {
	Index   int32
	Message string
}

// RecordsError is the error for a batch in which individual records failed
// validation (Kafka's RecordValidationException). Err is ErrInvalidTimestamp
// if any record's timestamp was rejected, else ErrNoKey.
type RecordsError struct {
	Err     error
	Records []RecordError
}

// Error describes the failure like Kafka's error message does, showing at
// most three records.
func (e *RecordsError) Error() string {
	if errors.Is(e.Err, ErrInvalidTimestamp) {
		return "One or more records have been rejected due to invalid timestamp"
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "One or more records have been rejected due to %d record errors in total, and only showing the first three errors at most: [", len(e.Records))
	for i, r := range e.Records[:min(3, len(e.Records))] {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "record %d: %s", r.Index, r.Message)
	}
	sb.WriteString("]")
	return sb.String()
}

// Unwrap returns the sentinel.
func (e *RecordsError) Unwrap() error { return e.Err }

// add records a rejected record; timestamp errors take over Err.
func (e *RecordsError) add(err error, index int32, msg string) {
	if e.Err == nil || errors.Is(err, ErrInvalidTimestamp) {
		e.Err = err
	}
	e.Records = append(e.Records, RecordError{Index: index, Message: msg})
}
