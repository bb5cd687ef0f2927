package main

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Base sizes of the phases at -scale 1, chosen so that each takes a few
// seconds on a 2-core machine.
const (
	smallRecords   = 3_000_000 // 100 B records per small-record produce phase
	kibRecords     = 1 << 20   // 1 KiB records: 1 GiB
	fsyncRecords   = 1 << 20   // 1 KiB records with fsync before every ack: 1 GiB, as without
	e2eRecords     = 50_000    // at 10,000 records/s: 5 s
	e2eRate        = 10_000
	manyParts      = 1000
	manyPerPart    = 10       // 100 B records written to each of the 1,000 partitions
	restartBytes   = 1 << 30  // written before the restart phase: ~1,000 segments of 1 MiB
	restartRecSize = 16 << 10 // record size for the restart data, to keep the client cheap
	segmentBytes   = 1 << 20  // Kafka 4's minimum log.segment.bytes
	defaultParts   = 6
	// warmShare of a timed produce's records is produced first, unmeasured,
	// with the same settings: enough for full-size requests, so that the
	// broker's one-time costs (buffers first faulted in, goroutines and
	// connections set up) fall outside a short measured run. A broker runs
	// in steady state for days; the run should measure that.
	warmShare = 0.2
	settle    = time.Second
)

// phase is one measurement; it runs against a session's broker.
type phase struct {
	name  string // for -only and the JSON
	title string
	run   func(e *env) ([]metric, error)
}

// session is a broker started with some settings and the phases run on it.
type session struct {
	name   string
	set    settings
	phases []phase
}

// env is what a phase sees: the broker and what earlier phases left in it.
type env struct {
	ctx      context.Context
	cfg      *config
	b        *broker
	startup  time.Duration    // exec until the first Metadata answer
	topics   map[string]int64 // records written to each topic created this session
	notes    []string         // notes of the running phase
	deadline time.Time        // of the running phase
}

func (e *env) note(format string, args ...any) {
	e.notes = append(e.notes, fmt.Sprintf(format, args...))
}

// n scales a base record count, keeping at least one.
func (c *config) n(base int64) int64 {
	return max(1, int64(math.Round(float64(base)*c.scale)))
}

// sessions lists every phase, grouped by the broker they run on. Each
// group gets a fresh broker, so that no phase pays for state an unrelated
// one left behind (kfake, for one, slows down for the rest of its life
// after an idempotent producer has used it); a consume phase shares its
// broker with the produce phase that wrote its data.
func sessions(c *config) []session {
	return []session{
		{name: "small", phases: []phase{
			{"idle", "idle broker after start (no topics)", idlePhase},
			producePhase(c, "produce-100B-acks1", 100, smallRecords, false),
			consumePhase(c, "consume-100B", "produce-100B-acks1", 100, smallRecords),
		}},
		{name: "acksall", phases: []phase{
			producePhase(c, "produce-100B-acksall", 100, smallRecords, true),
		}},
		{name: "kib", phases: []phase{
			producePhase(c, "produce-1KiB-acks1", 1024, kibRecords, false),
			consumePhase(c, "consume-1KiB", "produce-1KiB-acks1", 1024, kibRecords),
		}},
		{name: "fsync", set: settings{flushEveryMessage: true}, phases: []phase{
			producePhase(c, "produce-1KiB-fsync", 1024, fsyncRecords, false),
		}},
		{name: "e2e", phases: []phase{
			{"e2e-latency", fmt.Sprintf("end-to-end latency, 100 B at %s records/s, %s records", count(e2eRate), count(c.n(e2eRecords))), e2ePhase},
		}},
		{name: "many", phases: []phase{
			{"partitions-1000", fmt.Sprintf("RSS with %d partitions holding %d records each", manyParts, c.n(manyPerPart)), manyPhase},
		}},
		{name: "restart", set: settings{segmentBytes: segmentBytes}, phases: []phase{
			{"restart", fmt.Sprintf("clean restart with %d MiB in 1 MiB segments", c.n(restartBytes)>>20), restartPhase},
		}},
		{name: "classic", set: settings{noRebalanceDelay: true}, phases: []phase{
			rebalancePhase(c, "classic-rebalance", "classic group (JoinGroup/SyncGroup/Heartbeat)", newClassicGroup),
		}},
		{name: "kip848", set: settings{noRebalanceDelay: true}, phases: []phase{
			rebalancePhase(c, "consumer-rebalance", "KIP-848 consumer group (ConsumerGroupHeartbeat)", newConsumerGroup),
		}},
		{name: "commits", phases: []phase{offsetCommitsPhase(c)}},
		{name: "compaction", set: settings{cleanerBackoffMs: cleanerBackoffMs}, phases: []phase{compactionPhase(c)}},
	}
}

// idlePhase reads the RSS of a broker that has done nothing yet.
func idlePhase(e *env) ([]metric, error) {
	time.Sleep(settle)
	m, err := procMem(e.b.pid())
	if err != nil {
		return nil, err
	}
	return []metric{
		{Name: "startup", Unit: "s", Better: lower, Value: e.startup.Seconds()},
		{Name: "idle RSS", Unit: "MB", Better: lower, Value: float64(m.rss) / mb},
	}, nil
}

// producePhase times base (scaled) records of size bytes into a fresh
// 6-partition topic named after the phase.
func producePhase(c *config, name string, size int, base int64, acksAll bool) phase {
	acks := "acks=1"
	if acksAll {
		acks = "acks=all, idempotent"
	}
	title := fmt.Sprintf("produce %s records, %s, %d partitions, %s records", sizeName(size), acks, defaultParts, count(c.n(base)))
	return phase{name, title, func(e *env) ([]metric, error) {
		s := produceSpec{topic: name, size: size, count: c.n(base), acksAll: acksAll, linger: 5 * time.Millisecond}
		return e.timedProduce(s)
	}}
}

// warmCount is how many records warm up a timed produce of n.
func warmCount(n int64) int64 { return max(int64(float64(n)*warmShare), 1) }

// count formats n with thousands separators.
func count(n int64) string { return group(strconv.FormatInt(n, 10)) }

func sizeName(size int) string {
	if size%1024 == 0 {
		return fmt.Sprintf("%d KiB", size/1024)
	}
	return fmt.Sprintf("%d B", size)
}

// timedProduce creates the topic, warms the producer path up, then measures.
func (e *env) timedProduce(s produceSpec) ([]metric, error) {
	if err := e.ensureTopic(s.topic, defaultParts); err != nil {
		return nil, err
	}
	warm := s
	warm.count = warmCount(s.count)
	if _, err := e.produce(warm); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	u, err := startUsage(e.b.pid())
	if err != nil {
		return nil, err
	}
	res, err := e.produce(s)
	if err != nil {
		return nil, err
	}
	cpu, peak, err := u.finish()
	if err != nil {
		return nil, err
	}
	if res.timedOut {
		e.note("stopped at the phase time limit after %d of %d records", res.records, s.count)
	}
	out := throughput(res.records, res.bytes, res.elapsed)
	out = append(out, latency("latency", res.lat, false)...)
	return append(out, brokerUsage(cpu, res.records, peak)...), nil
}

// produce runs s and counts what it wrote into the topic.
func (e *env) produce(s produceSpec) (produceResult, error) {
	res, err := produce(e.ctx, e.b.addr(), s, e.deadline)
	e.topics[s.topic] += res.records
	return res, err
}

// ensureTopic creates topic once per session.
func (e *env) ensureTopic(topic string, parts int) error {
	if _, ok := e.topics[topic]; ok {
		return nil
	}
	if err := createTopic(e.ctx, e.b, topic, parts, nil); err != nil {
		return err
	}
	e.topics[topic] = 0
	return nil
}

// consumePhase reads from offset 0 the topic that phase from filled,
// producing it first (untimed) if that phase did not run.
func consumePhase(c *config, name, from string, size int, base int64) phase {
	title := fmt.Sprintf("consume %s records from offset 0, %d partitions, %s+ records", sizeName(size), defaultParts, count(c.n(base)))
	return phase{name, title, func(e *env) ([]metric, error) {
		if e.topics[from] < c.n(base) {
			if err := e.ensureTopic(from, defaultParts); err != nil {
				return nil, err
			}
			s := produceSpec{topic: from, size: size, count: c.n(base) - e.topics[from], linger: 5 * time.Millisecond}
			if _, err := e.produce(s); err != nil {
				return nil, fmt.Errorf("filling %s: %w", from, err)
			}
		}
		return e.timedConsume(from, e.topics[from])
	}}
}

// timedConsume measures reading want records of topic from offset 0.
func (e *env) timedConsume(topic string, want int64) ([]metric, error) {
	u, err := startUsage(e.b.pid())
	if err != nil {
		return nil, err
	}
	res, err := consume(e.ctx, e.b.addr(), topic, defaultParts, want, e.deadline)
	if err != nil {
		return nil, err
	}
	cpu, peak, err := u.finish()
	if err != nil {
		return nil, err
	}
	if res.timedOut {
		e.note("stopped at the phase time limit after %d of %d records", res.records, want)
	}
	out := throughput(res.records, res.bytes, res.elapsed)
	return append(out, brokerUsage(cpu, res.records, peak)...), nil
}

// e2ePhase measures latency from produce to consume at a fixed rate.
func e2ePhase(e *env) ([]metric, error) {
	const topic = "e2e-latency"
	if err := e.ensureTopic(topic, defaultParts); err != nil {
		return nil, err
	}
	s := e2eSpec{topic: topic, parts: defaultParts, size: 100, rate: e2eRate, count: e.cfg.n(e2eRecords), warm: 100}
	u, err := startUsage(e.b.pid())
	if err != nil {
		return nil, err
	}
	res, err := e2e(e.ctx, e.b.addr(), s)
	if err != nil {
		return nil, err
	}
	cpu, peak, err := u.finish()
	if err != nil {
		return nil, err
	}
	out := []metric{
		{Name: "records", Unit: "count", Value: float64(res.received)},
		{Name: "send rate", Unit: "records/s", Value: res.rate},
	}
	out = append(out, latency("e2e latency", res.lat, true)...)
	return append(out, brokerUsage(cpu, res.received, peak)...), nil
}

// manyPhase writes to each of 1,000 partitions and reads the broker's RSS.
func manyPhase(e *env) ([]metric, error) {
	const topic = "partitions-1000"
	t0 := time.Now()
	if err := e.ensureTopic(topic, manyParts); err != nil {
		return nil, err
	}
	created := time.Since(t0)
	per := e.cfg.n(manyPerPart)
	s := produceSpec{topic: topic, size: 100, count: per * manyParts, linger: 5 * time.Millisecond,
		partitionOf: func(i int64) int32 { return int32(i % manyParts) }}
	if _, err := e.produce(s); err != nil {
		return nil, err
	}
	time.Sleep(settle)
	m, err := procMem(e.b.pid())
	if err != nil {
		return nil, err
	}
	return []metric{
		{Name: "records", Unit: "count", Value: float64(e.topics[topic])},
		{Name: "create topic", Unit: "s", Better: lower, Value: created.Seconds()},
		{Name: "RSS", Unit: "MB", Better: lower, Value: float64(m.rss) / mb},
		{Name: "broker peak RSS", Unit: "MB", Better: lower, Value: float64(m.hwm) / mb},
	}, nil
}
