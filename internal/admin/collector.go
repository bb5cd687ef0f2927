package admin

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// partitionCollector exports the hosted partitions' logs and cleaner
// status, read from the partitions when scraped.
type partitionCollector struct {
	parts PartitionLister

	logStart, logEnd, highWatermark, size, segments *prometheus.Desc

	dirtyRatio, dirtyBytes, cleanBytes, lastClean, cleaning, cleanerErr *prometheus.Desc
}

// newPartitionCollector describes the partition metrics. Every metric has
// topic and partition labels; the cleaner metrics are exported for
// compacted partitions only.
func newPartitionCollector(parts PartitionLister) *partitionCollector {
	labels := []string{"topic", "partition"}
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("vltava_"+name, help, labels, nil)
	}
	return &partitionCollector{
		parts:         parts,
		logStart:      desc("log_start_offset", "The first offset a consumer can read."),
		logEnd:        desc("log_end_offset", "The offset the next appended record gets."),
		highWatermark: desc("log_high_watermark", "The offset below which records are committed and visible to consumers."),
		size:          desc("log_size_bytes", "Bytes of the partition's segment files."),
		segments:      desc("log_segments", "Number of segments of the partition's log."),
		dirtyRatio:    desc("log_cleaner_dirty_ratio", "Dirty bytes over clean plus dirty bytes of a compacted log; it is cleaned above min.cleanable.dirty.ratio."),
		dirtyBytes:    desc("log_cleaner_dirty_bytes", "Bytes of cleanable segments not cleaned yet."),
		cleanBytes:    desc("log_cleaner_clean_bytes", "Bytes of segments below the first dirty offset."),
		lastClean:     desc("log_cleaner_last_clean_timestamp_seconds", "Unix time of the partition's last completed clean; absent if never cleaned."),
		cleaning:      desc("log_cleaner_cleaning", "1 while a clean of the partition is running, else 0."),
		cleanerErr:    desc("log_cleaner_error", "1 if an error (a corrupt segment) stopped cleaning the partition until restart, else 0."),
	}
}

// Describe implements prometheus.Collector.
func (c *partitionCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.logStart, c.logEnd, c.highWatermark, c.size, c.segments,
		c.dirtyRatio, c.dirtyBytes, c.cleanBytes, c.lastClean, c.cleaning, c.cleanerErr,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *partitionCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.parts() {
		st := readPartition(p)
		labels := []string{st.topic, strconv.Itoa(int(st.partition))}
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
		}
		gauge(c.logStart, float64(st.logStartOffset))
		gauge(c.logEnd, float64(st.logEndOffset))
		gauge(c.highWatermark, float64(st.highWatermark))
		gauge(c.size, float64(st.sizeBytes))
		gauge(c.segments, float64(st.segments))
		cs := st.cleaner
		if !cs.Compacted {
			continue
		}
		gauge(c.dirtyRatio, cs.DirtyRatio)
		gauge(c.dirtyBytes, float64(cs.DirtyBytes))
		gauge(c.cleanBytes, float64(cs.CleanBytes))
		if !cs.LastCleanTime.IsZero() {
			gauge(c.lastClean, float64(cs.LastCleanTime.UnixMilli())/1000)
		}
		gauge(c.cleaning, boolFloat(cs.Cleaning))
		gauge(c.cleanerErr, boolFloat(cs.Err != nil))
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
