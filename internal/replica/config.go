package replica

import (
	"github.com/vltava/vltava/internal/config"
	vlog "github.com/vltava/vltava/internal/log"
	"github.com/vltava/vltava/internal/record"
)

// ConfigFor is what a hosted partition needs of its topic's resolved
// config.
func ConfigFor(t config.Topic) Config {
	return Config{
		Log: vlog.Config{
			SegmentBytes:                  t.SegmentBytes,
			SegmentMs:                     t.SegmentMs,
			SegmentJitterMs:               t.SegmentJitterMs,
			SegmentIndexBytes:             t.SegmentIndexBytes,
			IndexIntervalBytes:            t.IndexIntervalBytes,
			RetentionMs:                   t.RetentionMs,
			RetentionBytes:                t.RetentionBytes,
			FlushMessages:                 t.FlushMessages,
			FlushMs:                       t.FlushMs,
			MessageTimestampLogAppendTime: t.TimestampType == "LogAppendTime",
			Compact:                       t.Compact,
			Delete:                        t.Delete,
			MinCleanableDirtyRatio:        t.MinCleanableDirtyRatio,
			MinCompactionLagMs:            t.MinCompactionLagMs,
			MaxCompactionLagMs:            t.MaxCompactionLagMs,
			DeleteRetentionMs:             t.DeleteRetentionMs,
		},
		MaxMessageBytes:      int(t.MaxMessageBytes),
		TimestampBeforeMaxMs: t.TimestampBeforeMaxMs,
		TimestampAfterMaxMs:  t.TimestampAfterMaxMs,
		LogAppendTime:        t.TimestampType == "LogAppendTime",
		Compact:              t.Compact,
		MinInsyncReplicas:    t.MinInsyncReplicas,
		Codec:                CodecFor(t.CompressionType),
		Levels: record.Levels{
			Gzip: int(t.CompressionGzipLevel),
			LZ4:  int(t.CompressionLz4Level),
			Zstd: int(t.CompressionZstdLevel),
		},
	}
}
