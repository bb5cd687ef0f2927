// Package quorum replicates the metadata log. The Log interface is what the
// controller and brokers use; Local is the single-voter implementation that
// writes the log to one file. The Raft-backed implementation (a later issue)
// puts the same interface over a quorum of controllers.
package quorum

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/vltava/vltava/internal/metadata/image"
	"github.com/vltava/vltava/internal/vfs"
)

// Log is a replicated, ordered log of metadata records.
type Log interface {
	// Append makes recs durable (committed) and returns the offset of the
	// first one.
	Append(ctx context.Context, recs []image.Record) (int64, error)
	// Replay calls fn with every committed batch of records in order.
	Replay(fn func(firstOffset int64, recs []image.Record) error) error
	Close() error
}

// Local is a Log with a single voter: this process. Each Append is one
// frame written and fsynced before it returns:
//
//	frame := length uint32 | crc32c uint32 (of payload) | payload
//	payload := count uint32 | { recLen uint32 | record }*
//
// A torn last frame (a crash mid-write) is dropped on open.
type Local struct {
	mu     sync.Mutex
	fs     vfs.FS
	dir    string
	f      vfs.File
	size   int64
	next   int64            // offset of the next record
	frames [][]image.Record // loaded at open, until Replay
	firsts []int64
	log    *slog.Logger
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

const fileName = "metadata.log"

// OpenLocal opens (or creates) the metadata log in dir.
func OpenLocal(fs vfs.FS, dir string, logger *slog.Logger) (*Local, error) {
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("metadata log: %w", err)
	}
	path := filepath.Join(dir, fileName)
	f, err := fs.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("metadata log: %w", err)
	}
	l := &Local{fs: fs, dir: dir, f: f, log: logger}
	if err := l.load(); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

func (l *Local) load() error {
	data, err := io.ReadAll(io.NewSectionReader(l.f, 0, 1<<62))
	if err != nil {
		return fmt.Errorf("metadata log: read: %w", err)
	}
	pos := 0
	for pos < len(data) {
		recs, n, err := decodeFrame(data[pos:])
		if err != nil {
			l.log.Warn("metadata log: dropping torn or corrupt tail", "at", pos, "bytes", len(data)-pos, "err", err)
			if err := l.f.Truncate(int64(pos)); err != nil {
				return fmt.Errorf("metadata log: truncate: %w", err)
			}
			break
		}
		l.frames = append(l.frames, recs)
		l.firsts = append(l.firsts, l.next)
		l.next += int64(len(recs))
		pos += n
	}
	l.size = int64(pos)
	return nil
}

func decodeFrame(b []byte) ([]image.Record, int, error) {
	if len(b) < 8 {
		return nil, 0, errors.New("short frame header")
	}
	n := int(binary.BigEndian.Uint32(b))
	if n < 4 || len(b)-8 < n {
		return nil, 0, errors.New("short frame")
	}
	payload := b[8 : 8+n]
	if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(b[4:]) {
		return nil, 0, errors.New("crc mismatch")
	}
	count := int(binary.BigEndian.Uint32(payload))
	payload = payload[4:]
	recs := make([]image.Record, 0, min(count, 1024))
	for range count {
		if len(payload) < 4 {
			return nil, 0, errors.New("short record")
		}
		rl := int(binary.BigEndian.Uint32(payload))
		if rl > len(payload)-4 {
			return nil, 0, errors.New("short record")
		}
		r, err := image.Decode(payload[4 : 4+rl])
		if err != nil {
			return nil, 0, err
		}
		recs = append(recs, r)
		payload = payload[4+rl:]
	}
	return recs, 8 + n, nil
}

func encodeFrame(recs []image.Record) ([]byte, error) {
	buf := make([]byte, 12, 256)
	binary.BigEndian.PutUint32(buf[8:], uint32(len(recs)))
	for _, r := range recs {
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		var err error
		if buf, err = image.Encode(buf, r); err != nil {
			return nil, err
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	binary.BigEndian.PutUint32(buf, uint32(len(buf)-8))
	binary.BigEndian.PutUint32(buf[4:], crc32.Checksum(buf[8:], castagnoli))
	return buf, nil
}

// Append implements Log.
func (l *Local) Append(ctx context.Context, recs []image.Record) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	frame, err := encodeFrame(recs)
	if err != nil {
		return 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.WriteAt(frame, l.size); err != nil {
		return 0, fmt.Errorf("metadata log: write: %w", err)
	}
	if err := l.f.Sync(); err != nil {
		// The frame may or may not be durable: cut it off so that the file
		// and our offsets agree.
		_ = l.f.Truncate(l.size)
		return 0, fmt.Errorf("metadata log: sync: %w", err)
	}
	l.size += int64(len(frame))
	first := l.next
	l.next += int64(len(recs))
	return first, nil
}

// Replay implements Log. Local keeps the records it loaded only until the
// first Replay: the log is replayed once, at start.
func (l *Local) Replay(fn func(int64, []image.Record) error) error {
	l.mu.Lock()
	frames, firsts := l.frames, l.firsts
	l.frames, l.firsts = nil, nil
	l.mu.Unlock()
	for i, recs := range frames {
		if err := fn(firsts[i], recs); err != nil {
			return err
		}
	}
	return nil
}

// Close implements Log.
func (l *Local) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.frames = nil
	return l.f.Close()
}
