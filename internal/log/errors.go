package log

import (
	"errors"
	"fmt"
)

// Errors returned by the log. The server maps them to Kafka error codes.
var (
	// ErrOffsetOutOfRange: the offset is outside [log start, log end] (or,
	// for DeleteRecordsBefore, above the high watermark).
	ErrOffsetOutOfRange = errors.New("log: offset out of range")
	// ErrOutOfOrderSequence: an idempotent batch's sequence does not follow
	// the producer's last one.
	ErrOutOfOrderSequence = errors.New("log: out of order sequence number")
	// ErrInvalidProducerEpoch: the batch's producer epoch is older than the
	// producer's current one (a fenced producer).
	ErrInvalidProducerEpoch = errors.New("log: invalid producer epoch")
	// ErrUnknownProducerID: the log has no state for the producer and the
	// batch does not start at sequence 0.
	ErrUnknownProducerID = errors.New("log: unknown producer id")
	// ErrStorage wraps every I/O error; the partition's log dir should be
	// treated as offline (KAFKA_STORAGE_ERROR).
	ErrStorage = errors.New("log: storage error")
	// ErrCorruptBatch: a batch handed to an append does not parse, or its
	// offsets do not fit the log.
	ErrCorruptBatch = errors.New("log: corrupt record batch")
	// ErrInconsistentTopicID: the partition directory belongs to an
	// earlier topic of the same name (its partition.metadata names another
	// topic id); Kafka's INCONSISTENT_TOPIC_ID.
	ErrInconsistentTopicID = errors.New("log: partition directory belongs to another topic id")
	// ErrClosed: the log was closed or deleted.
	ErrClosed = errors.New("log: closed")
)

// storageErr wraps an I/O error so that it matches both ErrStorage and err.
func storageErr(op string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrStorage, op, err)
}
