package log

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"sort"

	"github.com/vltava/vltava/internal/record"
)

// maxBatchesPerProducer is how many recent batches per producer are kept
// for duplicate detection (Kafka: 5, the most in-flight requests an
// idempotent producer may have).
const maxBatchesPerProducer = 5

// batchMeta is what is remembered of one appended idempotent batch.
type batchMeta struct {
	firstSeq, lastSeq       int32
	firstOffset, lastOffset int64
	timestamp               int64 // the batch's maxTimestamp as stored
}

// producerEntry is the state of one producer id in this partition.
type producerEntry struct {
	epoch   int16
	batches []batchMeta // oldest first, at most maxBatchesPerProducer
	// txnFirstOffset is the first offset of the producer's ongoing
	// transaction, or -1. Transactions hook in here: the last stable
	// offset is the smallest txnFirstOffset over all producers, and an
	// abort marker turns [txnFirstOffset, marker) into an entry of the
	// aborted-transaction index.
	txnFirstOffset int64
	// lastTimestamp is the maxTimestamp of the producer's last batch, data
	// or control, as Kafka's ProducerStateEntry.lastTimestamp: expiry
	// counts the producer's idle time from it. It is kept apart from
	// batches because a marker or an epoch bump can leave those empty, and
	// because it comes from the batch rather than the broker's clock it is
	// the same on every replica and after a replay of the log.
	lastTimestamp int64
}

func (e *producerEntry) lastSeq() int32 {
	if len(e.batches) == 0 {
		return -1
	}
	return e.batches[len(e.batches)-1].lastSeq
}

// duplicateOf returns the remembered batch that h repeats, if any.
func (e *producerEntry) duplicateOf(h *record.Header) (batchMeta, bool) {
	if h.ProducerEpoch != e.epoch {
		return batchMeta{}, false
	}
	for _, b := range e.batches {
		if b.firstSeq == h.BaseSequence && b.lastSeq == h.LastSequence() {
			return b, true
		}
	}
	return batchMeta{}, false
}

// expired reports whether the producer's state may be dropped at nowMs:
// it has no open transaction (whose first offset holds the last stable
// offset down and must not be forgotten) and has been idle for at least
// expirationMs, as Kafka's ProducerStateManager.isProducerExpired. It is
// written as lastTimestamp <= nowMs-expirationMs, which cannot overflow
// for any timestamp a batch may carry, rather than as the difference.
func (e *producerEntry) expired(nowMs, expirationMs int64) bool {
	return e.txnFirstOffset < 0 && e.lastTimestamp <= nowMs-expirationMs
}

// producers maps producer ids to their state. Guarded by Log.mu.
type producers map[int64]*producerEntry

// removeExpired drops the producers expired at nowMs and returns how many.
// A later batch from one of them is an unknown producer's, which check
// accepts at any sequence (KIP-360).
func (ps producers) removeExpired(nowMs, expirationMs int64) int {
	n := 0
	for id, e := range ps {
		if e.expired(nowMs, expirationMs) {
			delete(ps, id)
			n++
		}
	}
	return n
}

// inSequence reports whether next follows last, with int32 wraparound.
func inSequence(last, next int32) bool {
	return int64(next) == int64(last)+1 || (next == 0 && last == math.MaxInt32)
}

// check validates an idempotent batch from a client against the
// producer's state, as Kafka's ProducerAppendInfo does. A duplicate of one
// of the last batches is returned with dup set and no error.
//
// A producer the log has no state for may start at any sequence, as in
// Kafka since KIP-360: its state may have been dropped with the segments
// that held it, and the producer cannot know.
func (ps producers) check(h *record.Header) (dup batchMeta, isDup bool, err error) {
	e, known := ps[h.ProducerID]
	if !known {
		return dup, false, nil
	}
	if d, ok := e.duplicateOf(h); ok {
		return d, true, nil
	}
	if h.ProducerEpoch < e.epoch {
		return dup, false, fmt.Errorf("%w: producer %d epoch %d is older than %d", ErrInvalidProducerEpoch, h.ProducerID, h.ProducerEpoch, e.epoch)
	}
	if h.ProducerEpoch != e.epoch {
		if h.BaseSequence != 0 {
			return dup, false, fmt.Errorf("%w: new epoch %d of producer %d starts at sequence %d", ErrOutOfOrderSequence, h.ProducerEpoch, h.ProducerID, h.BaseSequence)
		}
		return dup, false, nil
	}
	if last := e.lastSeq(); !inSequence(last, h.BaseSequence) {
		return dup, false, fmt.Errorf("%w: producer %d sent sequence %d after %d", ErrOutOfOrderSequence, h.ProducerID, h.BaseSequence, last)
	}
	return dup, false, nil
}

// update records an appended batch h (already holding its offsets).
func (ps producers) update(h *record.Header) {
	if !h.HasProducerID() {
		return
	}
	e := ps[h.ProducerID]
	if e == nil {
		e = &producerEntry{epoch: h.ProducerEpoch, txnFirstOffset: -1}
		ps[h.ProducerID] = e
	}
	if h.ProducerEpoch != e.epoch {
		e.epoch, e.batches = h.ProducerEpoch, e.batches[:0]
	}
	// Kafka takes a marker's record timestamp; a marker batch holds one
	// record, so that is its maxTimestamp (also under LogAppendTime).
	e.lastTimestamp = h.MaxTimestamp
	if h.IsControl() {
		e.txnFirstOffset = -1 // a transaction marker ends the transaction
		return
	}
	if h.IsTransactional() && e.txnFirstOffset < 0 {
		e.txnFirstOffset = h.BaseOffset
	}
	if h.BaseSequence < 0 {
		return
	}
	if len(e.batches) == maxBatchesPerProducer {
		copy(e.batches, e.batches[1:])
		e.batches = e.batches[:maxBatchesPerProducer-1]
	}
	e.batches = append(e.batches, batchMeta{
		firstSeq: h.BaseSequence, lastSeq: h.LastSequence(),
		firstOffset: h.BaseOffset, lastOffset: h.LastOffset(), timestamp: h.MaxTimestamp,
	})
}

// Snapshot versions (see doc.go): VPS2 adds each producer's
// lastTimestamp to VPS1. Snapshots are written as VPS2; VPS1 files, from
// before producer ids expired, are still read.
const (
	snapshotMagicV1 = "VPS1"
	snapshotMagic   = "VPS2"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encode serialises the producer state (see doc.go), in producer id
// order so that equal states give equal files.
func (ps producers) encode() []byte {
	ids := make([]int64, 0, len(ps))
	for id := range ps {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	b := append([]byte(snapshotMagic), 0, 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(ids)))
	for _, id := range ids {
		e := ps[id]
		b = binary.BigEndian.AppendUint64(b, uint64(id))
		b = binary.BigEndian.AppendUint16(b, uint16(e.epoch))
		b = binary.BigEndian.AppendUint64(b, uint64(e.txnFirstOffset))
		b = binary.BigEndian.AppendUint64(b, uint64(e.lastTimestamp))
		b = append(b, byte(len(e.batches)))
		for _, m := range e.batches {
			b = binary.BigEndian.AppendUint32(b, uint32(m.firstSeq))
			b = binary.BigEndian.AppendUint32(b, uint32(m.lastSeq))
			b = binary.BigEndian.AppendUint64(b, uint64(m.firstOffset))
			b = binary.BigEndian.AppendUint64(b, uint64(m.lastOffset))
			b = binary.BigEndian.AppendUint64(b, uint64(m.timestamp))
		}
	}
	binary.BigEndian.PutUint32(b[4:], crc32.Checksum(b[8:], castagnoli))
	return b
}

var errBadSnapshot = errors.New("log: corrupt producer snapshot")

// decodeProducers parses a snapshot of either version. A VPS1 snapshot
// did not record when each producer was last seen: its producers get
// lastTimestamp = max(v1Now, their newest batch's timestamp), v1Now being
// the broker's time as the file is read. The newest batch alone could be
// older than the producer's true last timestamp (a later marker or epoch
// bump left no batch, or none at all), and expiring on it could forget a
// producer too early; counting from the read instead can only keep an
// idle producer longer, by at most one producer.id.expiration.ms, once,
// after the upgrade that brought VPS2.
func decodeProducers(b []byte, v1Now int64) (producers, error) {
	if len(b) < 12 || binary.BigEndian.Uint32(b[4:]) != crc32.Checksum(b[8:], castagnoli) {
		return nil, errBadSnapshot
	}
	var v1 bool
	minEntry := 27 // the least a VPS2 producer takes: no batches
	switch string(b[:4]) {
	case snapshotMagic:
	case snapshotMagicV1:
		v1, minEntry = true, 19
	default:
		return nil, errBadSnapshot
	}
	n := binary.BigEndian.Uint32(b[8:])
	r := snapReader{b: b[12:]}
	ps := make(producers, min(int(n), len(b)/minEntry))
	for i := uint32(0); i < n; i++ {
		id := int64(r.u64())
		e := &producerEntry{epoch: int16(r.u16()), txnFirstOffset: int64(r.u64())}
		if v1 {
			e.lastTimestamp = v1Now
		} else {
			e.lastTimestamp = int64(r.u64())
		}
		nb := int(r.u8())
		if nb > maxBatchesPerProducer {
			return nil, errBadSnapshot
		}
		for j := 0; j < nb; j++ {
			e.batches = append(e.batches, batchMeta{
				firstSeq: int32(r.u32()), lastSeq: int32(r.u32()),
				firstOffset: int64(r.u64()), lastOffset: int64(r.u64()), timestamp: int64(r.u64()),
			})
		}
		if r.short {
			return nil, errBadSnapshot
		}
		if v1 && nb > 0 {
			e.lastTimestamp = max(e.lastTimestamp, e.batches[nb-1].timestamp)
		}
		ps[id] = e
	}
	return ps, nil
}

// snapReader reads big-endian fields, noting when it ran out.
type snapReader struct {
	b     []byte
	short bool
}

func (r *snapReader) take(n int) []byte {
	if len(r.b) < n {
		r.short = true
		return make([]byte, n)
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *snapReader) u8() uint8   { return r.take(1)[0] }
func (r *snapReader) u16() uint16 { return binary.BigEndian.Uint16(r.take(2)) }
func (r *snapReader) u32() uint32 { return binary.BigEndian.Uint32(r.take(4)) }
func (r *snapReader) u64() uint64 { return binary.BigEndian.Uint64(r.take(8)) }
