package log

import (
	"encoding/binary"
	"sort"
)

const (
	indexEntrySize = 8  // relative offset uint32, position uint32
	timeEntrySize  = 12 // timestamp int64, relative offset uint32
)

// indexEntry maps a batch's base offset (relative to the segment's base)
// to its position in the segment file.
type indexEntry struct {
	rel uint32
	pos uint32
}

// timeEntry records the largest timestamp so far and the relative base
// offset of the batch that first reached it.
type timeEntry struct {
	ts  int64
	rel uint32
}

// encodeIndex serialises offset index entries.
func encodeIndex(es []indexEntry) []byte {
	b := make([]byte, 0, len(es)*indexEntrySize)
	for _, e := range es {
		b = binary.BigEndian.AppendUint32(b, e.rel)
		b = binary.BigEndian.AppendUint32(b, e.pos)
	}
	return b
}

// encodeTimeIndex serialises time index entries.
func encodeTimeIndex(es []timeEntry) []byte {
	b := make([]byte, 0, len(es)*timeEntrySize)
	for _, e := range es {
		b = binary.BigEndian.AppendUint64(b, uint64(e.ts))
		b = binary.BigEndian.AppendUint32(b, e.rel)
	}
	return b
}

// decodeIndex parses and checks an offset index file for a segment of
// size bytes. ok is false when the file is inconsistent.
func decodeIndex(b []byte, size int64) (es []indexEntry, ok bool) {
	if len(b)%indexEntrySize != 0 {
		return nil, false
	}
	es = make([]indexEntry, 0, len(b)/indexEntrySize)
	for i := 0; i < len(b); i += indexEntrySize {
		e := indexEntry{rel: binary.BigEndian.Uint32(b[i:]), pos: binary.BigEndian.Uint32(b[i+4:])}
		if int64(e.pos) >= size || e.rel > maxRelOffset {
			return nil, false
		}
		if n := len(es); n > 0 && (e.rel <= es[n-1].rel || e.pos <= es[n-1].pos) {
			return nil, false
		}
		es = append(es, e)
	}
	return es, true
}

// decodeTimeIndex parses and checks a time index file.
func decodeTimeIndex(b []byte) (es []timeEntry, ok bool) {
	if len(b)%timeEntrySize != 0 {
		return nil, false
	}
	es = make([]timeEntry, 0, len(b)/timeEntrySize)
	for i := 0; i < len(b); i += timeEntrySize {
		e := timeEntry{ts: int64(binary.BigEndian.Uint64(b[i:])), rel: binary.BigEndian.Uint32(b[i+8:])}
		if e.rel > maxRelOffset {
			return nil, false
		}
		if n := len(es); n > 0 && (e.ts <= es[n-1].ts || e.rel < es[n-1].rel) {
			return nil, false
		}
		es = append(es, e)
	}
	return es, true
}

// floorEntry returns the last entry whose relative offset is at most rel;
// ok is false when there is none (the zero entry, position 0, applies).
func floorEntry(es []indexEntry, rel uint32) (e indexEntry, ok bool) {
	i := sort.Search(len(es), func(i int) bool { return es[i].rel > rel })
	if i == 0 {
		return indexEntry{}, false
	}
	return es[i-1], true
}

// floorPos returns the position of the last entry whose relative offset is
// at most rel, or 0.
func floorPos(es []indexEntry, rel uint32) int64 {
	i := sort.Search(len(es), func(i int) bool { return es[i].rel > rel })
	if i == 0 {
		return 0
	}
	return int64(es[i-1].pos)
}

// floorPosByPos returns the largest indexed position at most pos, or 0.
func floorPosByPos(es []indexEntry, pos int64) int64 {
	i := sort.Search(len(es), func(i int) bool { return int64(es[i].pos) > pos })
	if i == 0 {
		return 0
	}
	return int64(es[i-1].pos)
}

// timeFloorRel returns the relative offset of the last entry whose
// timestamp is below ts: no batch before that one reaches ts. ok is false
// when there is none.
func timeFloorRel(es []timeEntry, ts int64) (rel uint32, ok bool) {
	i := sort.Search(len(es), func(i int) bool { return es[i].ts >= ts })
	if i == 0 {
		return 0, false
	}
	return es[i-1].rel, true
}
