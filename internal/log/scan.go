package log

import (
	"errors"
	"io"
	"math"

	"github.com/vltava/vltava/internal/record"
	"github.com/vltava/vltava/internal/vfs"
)

// maxRelOffset is the largest offset relative to a segment's base that the
// indexes hold (Kafka keeps it within an int32).
const maxRelOffset = math.MaxInt32

// errTorn reports a batch that does not fit in what is left of the file,
// or a header that does not parse: the end of the valid data.
var errTorn = errors.New("log: torn or corrupt batch")

// walker reads the batches of a segment file in order, through a window
// buffer so that walking many small batches costs few ReadAt calls.
type walker struct {
	f      vfs.File
	pos    int64 // position of the next batch
	end    int64 // end of the data to walk
	buf    []byte
	bufPos int64 // file position of buf[0]
	bufLen int
}

// newWalker walks f from pos to end with a window of at most win bytes:
// never more than the data to walk, so that walking a small or empty
// segment does not allocate (and zero) a large buffer.
func newWalker(f vfs.File, pos, end int64, win int) *walker {
	win = int(max(min(int64(win), end-pos), 0))
	return &walker{f: f, pos: pos, end: end, buf: make([]byte, win)}
}

// window returns n bytes at pos, from the buffer when they are in it.
func (w *walker) window(pos int64, n int) ([]byte, error) {
	if pos >= w.bufPos && pos+int64(n) <= w.bufPos+int64(w.bufLen) {
		off := pos - w.bufPos
		return w.buf[off : off+int64(n)], nil
	}
	if n > len(w.buf) {
		b := make([]byte, n)
		if m, err := w.f.ReadAt(b, pos); m < n {
			if err == nil {
				err = errTorn
			}
			return nil, readErr(err)
		}
		return b, nil
	}
	want := int64(len(w.buf))
	if rest := w.end - pos; rest < want {
		want = rest
	}
	if want < int64(n) {
		return nil, errTorn
	}
	m, err := w.f.ReadAt(w.buf[:want], pos)
	if int64(m) < want {
		if err == nil || errors.Is(err, io.EOF) {
			err = errTorn
		}
		return nil, readErr(err)
	}
	w.bufPos, w.bufLen = pos, m
	return w.buf[:n], nil
}

// readErr turns a short read into errTorn and other errors into storage
// errors.
func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, errTorn) {
		return errTorn
	}
	return storageErr("read segment", err)
}

// next returns the header and position of the next batch; io.EOF at the
// end, errTorn when the data there is not a whole batch.
func (w *walker) next() (record.Header, int64, error) {
	if w.pos >= w.end {
		return record.Header{}, 0, io.EOF
	}
	if w.end-w.pos < record.HeaderSize {
		return record.Header{}, 0, errTorn
	}
	b, err := w.window(w.pos, record.HeaderSize)
	if err != nil {
		return record.Header{}, 0, err
	}
	h, err := record.ParseHeader(b)
	if err != nil || int64(h.Size()) > w.end-w.pos || h.LastOffsetDelta < 0 {
		return h, 0, errTorn
	}
	pos := w.pos
	w.pos += int64(h.Size())
	return h, pos, nil
}

// batch returns the whole batch at pos of size n (valid until the next
// call).
func (w *walker) batch(pos int64, n int) ([]byte, error) { return w.window(pos, n) }

// readWindow is the window of the walkers that reads use to find batch
// boundaries near an index entry.
const readWindow = 16 << 10

// readWalker returns a walker for a read, with a pooled buffer; give it
// back with putWalker.
func (l *Log) readWalker(f vfs.File, pos, end int64) *walker {
	bp, _ := l.bufs.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, readWindow)
		bp = &b
	}
	return &walker{f: f, pos: pos, end: end, buf: *bp}
}

// putWalker returns a read walker's buffer to the pool.
func (l *Log) putWalker(w *walker) {
	b := w.buf
	w.buf = nil
	l.bufs.Put(&b)
}
