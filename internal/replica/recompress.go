package replica

import (
	"bytes"
	"fmt"

	"github.com/vltava/vltava/internal/record"
)

// CodecFor maps a topic's compression.type to a batch codec; -1 means
// "producer": keep batches as they were sent.
func CodecFor(compressionType string) int {
	switch compressionType {
	case "uncompressed":
		return record.CodecNone
	case "gzip":
		return record.CodecGzip
	case "snappy":
		return record.CodecSnappy
	case "lz4":
		return record.CodecLZ4
	case "zstd":
		return record.CodecZstd
	}
	return -1
}

// recompress rebuilds a validated batch with another codec, as Kafka does
// for a topic whose compression.type names one. Everything but the
// compression is kept: producer fields, timestamps, records and headers.
func recompress(batch []byte, codec int, lv record.Levels, codecs *record.Codecs) ([]byte, error) {
	h, err := record.ParseHeader(batch)
	if err != nil {
		return nil, err
	}
	recs := make([]record.Record, 0, h.NumRecords)
	err = record.IterBatch(batch, codecs, func(r *record.Record) error {
		cp := *r
		cp.Key, cp.Value = cloneNullable(r.Key), cloneNullable(r.Value)
		cp.Headers = make([]record.RecordHeader, len(r.Headers))
		for i, hd := range r.Headers {
			cp.Headers[i] = record.RecordHeader{Key: hd.Key, Value: cloneNullable(hd.Value)}
		}
		recs = append(recs, cp)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recompress: %w", err)
	}
	h.Attributes = h.Attributes&^record.AttrCompressionMask | int16(codec)
	return record.BuildBatchLevels(nil, h, recs, codecs, lv)
}

func cloneNullable(b []byte) []byte {
	if b == nil {
		return nil
	}
	return bytes.Clone(b)
}
