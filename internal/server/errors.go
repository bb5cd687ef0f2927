package server

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	vlog "github.com/vltava/vltava/internal/log"
	"github.com/vltava/vltava/internal/record"
	"github.com/vltava/vltava/internal/replica"
)

// appendErrorCode maps an error from validating or appending a batch to the
// Kafka error code Apache Kafka returns in that case (the table is in
// internal/record/errors.go).
func appendErrorCode(err error) *kerr.Error {
	for _, m := range appendErrors {
		if errors.Is(err, m.err) {
			return m.code
		}
	}
	return kerr.KafkaStorageError
}

var appendErrors = []struct {
	err  error
	code *kerr.Error
}{
	{record.ErrInvalidTimestamp, kerr.InvalidTimestamp},
	{record.ErrTooLarge, kerr.MessageTooLarge},
	{record.ErrCompression, kerr.UnsupportedCompressionType},
	{record.ErrUnknownMagic, kerr.CorruptMessage},
	{record.ErrLength, kerr.CorruptMessage},
	{record.ErrCRC, kerr.CorruptMessage},
	{record.ErrShort, kerr.InvalidRecord},
	{record.ErrMultipleBatches, kerr.InvalidRecord},
	{record.ErrMagic, kerr.InvalidRecord},
	{record.ErrBaseOffset, kerr.InvalidRecord},
	{record.ErrNoRecords, kerr.InvalidRecord},
	{record.ErrRecordCount, kerr.InvalidRecord},
	{record.ErrControl, kerr.InvalidRecord},
	{record.ErrSequence, kerr.InvalidRecord},
	{record.ErrCorrupt, kerr.InvalidRecord},
	{record.ErrInvalidDelta, kerr.InvalidRecord},
	{record.ErrNoKey, kerr.InvalidRecord},
	{vlog.ErrOutOfOrderSequence, kerr.OutOfOrderSequenceNumber},
	{vlog.ErrInvalidProducerEpoch, kerr.InvalidProducerEpoch},
	{vlog.ErrUnknownProducerID, kerr.UnknownProducerID},
	{vlog.ErrOffsetOutOfRange, kerr.OffsetOutOfRange},
	{vlog.ErrCorruptBatch, kerr.CorruptMessage},
	{replica.ErrNotEnoughReplicas, kerr.NotEnoughReplicas},
	{vlog.ErrClosed, kerr.NotLeaderForPartition},
}

// recordErrors lists the per-record errors of a rejected batch (Produce v8+).
func recordErrors(err error) []kmsg.ProduceResponseTopicPartitionErrorRecord {
	var re *record.RecordsError
	if !errors.As(err, &re) {
		return nil
	}
	out := make([]kmsg.ProduceResponseTopicPartitionErrorRecord, len(re.Records))
	for i, r := range re.Records {
		out[i] = kmsg.NewProduceResponseTopicPartitionErrorRecord()
		out[i].RelativeOffset = r.Index
		msg := r.Message
		out[i].ErrorMessage = &msg
	}
	return out
}
