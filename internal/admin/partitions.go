package admin

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	vlog "github.com/vltava/vltava/internal/log"
	"github.com/vltava/vltava/internal/metadata/image"
	"github.com/vltava/vltava/internal/replica"
)

// HostedPartitions lists the partitions of the current metadata image that
// rm hosts, in topic and partition order.
func HostedPartitions(img func() *image.Image, rm *replica.Manager) PartitionLister {
	return func() []*replica.Partition {
		im := img()
		var out []*replica.Partition
		for _, name := range im.TopicNames() {
			for i := range im.Topics[name].Partitions {
				if p := rm.Get(name, int32(i)); p != nil {
					out = append(out, p)
				}
			}
		}
		return out
	}
}

// partitionState is one partition as the admin endpoints show it, read
// from its log when asked.
type partitionState struct {
	topic          string
	partition      int32
	logStartOffset int64
	logEndOffset   int64
	highWatermark  int64
	sizeBytes      int64
	segments       int
	cleaner        vlog.CleanerStatus // only Compacted is set when not compacted
}

// readPartition reads p's state now. Each value is read on its own, so a
// concurrent append may show in one and not yet in another.
func readPartition(p *replica.Partition) partitionState {
	l := p.Log()
	st := partitionState{
		topic:          p.Topic,
		partition:      p.Index,
		logStartOffset: l.LogStartOffset(),
		logEndOffset:   l.LogEndOffset(),
		highWatermark:  p.HighWatermark(),
		sizeBytes:      l.Size(),
		segments:       l.NumSegments(),
	}
	if l.Config().Compact {
		st.cleaner = l.CleanerStatus()
	}
	return st
}

// PartitionJSON is one element of GET /v1/partitions.
type PartitionJSON struct {
	Topic          string      `json:"topic"`
	Partition      int32       `json:"partition"`
	LogStartOffset int64       `json:"logStartOffset"`
	LogEndOffset   int64       `json:"logEndOffset"`
	HighWatermark  int64       `json:"highWatermark"`
	SizeBytes      int64       `json:"sizeBytes"`
	Segments       int         `json:"segments"`
	Cleaner        CleanerJSON `json:"cleaner"`
}

// CleanerJSON is the cleaner's status of a partition. Partitions that are
// not compacted have only "compacted": false and zero values.
type CleanerJSON struct {
	Compacted        bool       `json:"compacted"`
	DirtyRatio       float64    `json:"dirtyRatio"`
	DirtyBytes       int64      `json:"dirtyBytes"`
	CleanBytes       int64      `json:"cleanBytes"`
	FirstDirtyOffset int64      `json:"firstDirtyOffset"`
	LastCleanTime    *time.Time `json:"lastCleanTime"` // RFC 3339; null if never cleaned
	Cleaning         bool       `json:"cleaning"`
	Error            *string    `json:"error"` // what stopped cleaning this partition, or null
}

func (st partitionState) json() PartitionJSON {
	c := st.cleaner
	out := PartitionJSON{
		Topic: st.topic, Partition: st.partition,
		LogStartOffset: st.logStartOffset, LogEndOffset: st.logEndOffset,
		HighWatermark: st.highWatermark, SizeBytes: st.sizeBytes, Segments: st.segments,
		Cleaner: CleanerJSON{
			Compacted: c.Compacted, DirtyRatio: c.DirtyRatio, DirtyBytes: c.DirtyBytes,
			CleanBytes: c.CleanBytes, FirstDirtyOffset: c.FirstDirtyOffset, Cleaning: c.Cleaning,
		},
	}
	if !c.LastCleanTime.IsZero() {
		t := c.LastCleanTime.UTC()
		out.Cleaner.LastCleanTime = &t
	}
	if c.Err != nil {
		s := c.Err.Error()
		out.Cleaner.Error = &s
	}
	return out
}

// partitionsHandler serves GET /v1/partitions: every hosted partition, or
// those of the topics named by repeated topic= parameters. An unknown
// topic gives an empty list: the partitions may be hosted elsewhere.
func partitionsHandler(parts PartitionLister, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		topics := r.URL.Query()["topic"]
		out := []PartitionJSON{}
		for _, p := range parts() {
			if len(topics) > 0 && !slices.Contains(topics, p.Topic) {
				continue
			}
			out = append(out, readPartition(p).json())
		}
		body, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			logger.Error("admin: encode partitions", "err", err)
			http.Error(w, "encode partitions: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
		_, _ = w.Write(append(body, '\n'))
	})
}
