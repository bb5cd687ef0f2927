package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"syscall"

	vlog "github.com/vltava/vltava/internal/log"
)

// Large fetch responses are sent without copying record data through user
// space: the response is encoded with a 16-byte marker in place of each
// partition's records, and the writer sends the bytes around the markers
// with write and the records straight from the segment files with
// sendfile. The records field's length prefix is the only length that
// covers them (the protocol nests no other byte counts), so it is rewritten
// on the way out.

// streamMin is the smallest partition read sent with sendfile; smaller ones
// are copied, which is cheaper for them and keeps small responses in one
// write.
const streamMin = 64 << 10

// fileRef is one partition's records, to be sent from the log.
type fileRef struct {
	marker [16]byte
	rr     vlog.ReadResult
}

func newFileRef(rr vlog.ReadResult) *fileRef {
	f := &fileRef{rr: rr}
	binary.LittleEndian.PutUint64(f.marker[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(f.marker[8:], rand.Uint64())
	return f
}

// streamable reports whether every chunk can go out with sendfile.
func streamable(rr *vlog.ReadResult) bool {
	if rr.Size < streamMin {
		return false
	}
	for _, c := range rr.Chunks {
		if c.File.Fd() == ^uintptr(0) {
			return false
		}
	}
	return true
}

func releaseRefs(refs []*fileRef) {
	for _, f := range refs {
		f.rr.Release()
	}
}

type piece struct {
	pos int // where the marker starts in the encoding
	ref *fileRef
}

// writeStreamed writes one encoded response (frame size prefix included)
// whose markers stand for file data. flexible tells the records field's
// length encoding (compact bytes in flexible versions).
func writeStreamed(nc net.Conn, enc []byte, refs []*fileRef, flexible bool) error {
	var pieces []piece
	for _, f := range refs {
		if i := bytes.Index(enc, f.marker[:]); i >= 0 {
			pieces = append(pieces, piece{i, f})
		}
	}
	slices.SortFunc(pieces, func(a, b piece) int { return a.pos - b.pos })
	oldPrefix := 4
	if flexible {
		oldPrefix = 1 // uvarint(16+1)
	}
	total := len(enc) - 4
	for _, p := range pieces {
		total += len(lengthPrefix(nil, p.ref.rr.Size, flexible)) - oldPrefix - len(p.ref.marker) + p.ref.rr.Size
	}
	binary.BigEndian.PutUint32(enc, uint32(total))
	cursor := 0
	var out []byte
	for _, p := range pieces {
		out = append(out[:0], enc[cursor:p.pos-oldPrefix]...)
		out = lengthPrefix(out, p.ref.rr.Size, flexible)
		if _, err := nc.Write(out); err != nil {
			return err
		}
		for _, c := range p.ref.rr.Chunks {
			if err := sendChunk(nc, c); err != nil {
				return err
			}
		}
		cursor = p.pos + len(p.ref.marker)
	}
	_, err := nc.Write(enc[cursor:])
	return err
}

func lengthPrefix(dst []byte, n int, flexible bool) []byte {
	if flexible {
		return binary.AppendUvarint(dst, uint64(n)+1)
	}
	return binary.BigEndian.AppendUint32(dst, uint32(n))
}

// sendChunk sends a chunk of a segment file with sendfile, or by copying
// when the connection is not a TCP connection.
func sendChunk(nc net.Conn, c vlog.Chunk) error {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		_, err := io.Copy(nc, io.NewSectionReader(c.File, c.Pos, int64(c.Size)))
		return err
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return err
	}
	off, remain := c.Pos, c.Size
	var werr error
	err = rc.Write(func(fd uintptr) bool {
		for remain > 0 {
			n, err := syscall.Sendfile(int(fd), int(c.File.Fd()), &off, remain)
			if n > 0 {
				remain -= n
			}
			switch {
			case errors.Is(err, syscall.EAGAIN):
				return false // wait until the socket is writable
			case errors.Is(err, syscall.EINTR):
			case err != nil:
				werr = err
				return true
			case n == 0:
				werr = io.ErrUnexpectedEOF // the file is shorter than promised
				return true
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	return werr
}
