package main

import (
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"strings"
	"time"
)

// restartTimeout bounds how long a restarted broker may take to be ready.
const restartTimeout = 2 * time.Minute

// restartPhase fills a topic with many small segments, stops the broker
// with SIGTERM, starts it again on the same data and port, and times how
// long until Metadata lists the topic with every partition led, and until
// ListOffsets has answered for every partition (a broker that loads its logs
// lazily is ready sooner than it can serve them). The end offsets must be
// those from before the restart.
func restartPhase(e *env) ([]metric, error) {
	const topic = "restart"
	before, segs, filledPeak, err := e.fillSegments(topic)
	if err != nil {
		return nil, err
	}
	shutdown, err := e.b.stop(time.Minute)
	if err != nil {
		return nil, fmt.Errorf("clean shutdown: %w", err)
	}
	t0 := time.Now()
	ready, err := e.restart(topic)
	if err != nil {
		return nil, err
	}
	if err := e.checkOffsets(topic, before); err != nil {
		return nil, err
	}
	served := time.Since(t0)
	m, err := procMem(e.b.pid())
	if err != nil {
		return nil, err
	}
	return []metric{
		{Name: "records", Unit: "count", Value: float64(e.topics[topic])},
		{Name: "segments", Unit: "count", Value: float64(segs)},
		{Name: "shutdown", Unit: "s", Better: lower, Value: shutdown.Seconds()},
		{Name: "restart to ready", Unit: "s", Better: lower, Value: ready.Seconds()},
		{Name: "restart to end offsets", Unit: "s", Better: lower, Value: served.Seconds()},
		{Name: "broker peak RSS", Unit: "MB", Better: lower, Value: float64(filledPeak) / mb},
		{Name: "RSS after restart", Unit: "MB", Better: lower, Value: float64(m.rss) / mb},
	}, nil
}

// fillSegments writes the restart data into topic and returns its end
// offsets, the number of segment files and the broker's peak RSS so far.
func (e *env) fillSegments(topic string) (map[int32]int64, int, int64, error) {
	if err := e.ensureTopic(topic, defaultParts); err != nil {
		return nil, 0, 0, err
	}
	n := max(1, e.cfg.n(restartBytes)/restartRecSize)
	if _, err := e.produce(produceSpec{topic: topic, size: restartRecSize, count: n, linger: 5 * time.Millisecond}); err != nil {
		return nil, 0, 0, err
	}
	before, err := endOffsets(e.ctx, e.b.addr(), topic)
	if err != nil {
		return nil, 0, 0, err
	}
	segs, err := countSegments(e.b.dataDir, topic, e.b.kind.files)
	if err != nil {
		return nil, 0, 0, err
	}
	m, err := procMem(e.b.pid())
	return before, segs, m.hwm, err
}

// restart starts the stopped broker again and times it until topic is
// ready.
func (e *env) restart(topic string) (time.Duration, error) {
	t0 := time.Now()
	if err := e.b.start(); err != nil {
		return 0, err
	}
	if err := waitReady(e.ctx, e.b, topic, defaultParts, restartTimeout); err != nil {
		return 0, fmt.Errorf("after restart: %w", err)
	}
	return time.Since(t0), nil
}

// checkOffsets verifies that topic's end offsets survived the restart.
func (e *env) checkOffsets(topic string, before map[int32]int64) error {
	after, err := endOffsets(e.ctx, e.b.addr(), topic)
	if err != nil {
		return err
	}
	if !maps.Equal(before, after) {
		return fmt.Errorf("end offsets changed across a clean restart: before %v, after %v", before, after)
	}
	return nil
}

// countSegments counts segment files (by suffix) in the partition
// directories of topic ("TOPIC-N") anywhere under dir.
func countSegments(dir, topic string, suffixes []string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasPrefix(filepath.Base(filepath.Dir(path)), topic+"-") {
			return nil
		}
		for _, s := range suffixes {
			if strings.HasSuffix(path, s) {
				n++
				break
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("counting segments: %w", err)
	}
	return n, nil
}
