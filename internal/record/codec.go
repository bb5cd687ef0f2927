package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// DefaultMaxDecompressed is the default cap on the decompressed size of one
// batch's records. Kafka itself has no cap; producers size batches by their
// compressed size (the Java producer estimates it), so the uncompressed size
// of a legitimate batch can be many times max.message.bytes. 64 MiB leaves
// room for that while stopping decompression bombs.
const DefaultMaxDecompressed = 64 << 20

// maxPooledBuf is the largest scratch buffer kept in the pool: bigger ones
// are left to the garbage collector so that one huge batch does not pin its
// memory for good.
const maxPooledBuf = 4 << 20

// xerial framing, as written by the Java client's snappy stream:
//
//	magic "\x82SNAPPY\x00" (8) | version int32 (4) | min compatible version int32 (4)
//	then chunks: length int32 big-endian (4) | raw snappy block
const xerialHeaderSize = 16

var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

// Codecs compresses and decompresses record batches with the four codecs
// Kafka supports. It owns pools of encoders, decoders and scratch buffers
// and is safe for concurrent use; create one per broker (or per test) with
// NewCodecs.
type Codecs struct {
	maxOut int // cap on one decompressed payload

	gzr  sync.Pool     // *gzipReader
	gzw  [11]sync.Pool // *gzip.Writer, by level+1 (levels -1 to 9)
	lz4r sync.Pool     // *lz4Reader
	lz4w [10]sync.Pool // *lz4.Writer: [0] the fast compressor, [n] pierrec/lz4's Level n
	bufs sync.Pool     // *[]byte scratch buffers

	zdecOnce sync.Once
	zdec     *zstd.Decoder
	zdecErr  error
	zenc     [4]zstdEnc // by zstd.EncoderLevel-1
}

// zstdEnc is one zstd encoder, made on first use.
type zstdEnc struct {
	once sync.Once
	enc  *zstd.Encoder
	err  error
}

// Levels are compression levels with Kafka's meaning (KIP-390:
// compression.gzip.level, compression.lz4.level, compression.zstd.level).
type Levels struct {
	Gzip int // -1 (the default, 6) or 1-9
	LZ4  int // 1-17; 9 (the default) is LZ4's fast compressor, any other its high compressor at that level
	Zstd int // -131072 to 22; 3 is the default
}

// defaultLZ4Level is Kafka's default compression.lz4.level, which means
// LZ4's fast compressor.
const defaultLZ4Level = 9

// DefaultLevels are Kafka's default levels, those Compress uses.
func DefaultLevels() Levels { return Levels{Gzip: -1, LZ4: defaultLZ4Level, Zstd: 3} }

// CodecsOption configures NewCodecs.
type CodecsOption func(*Codecs)

// WithMaxDecompressed caps the decompressed size of one payload; anything
// larger fails with ErrCorrupt. n <= 0 keeps DefaultMaxDecompressed.
func WithMaxDecompressed(n int) CodecsOption {
	return func(c *Codecs) {
		if n > 0 {
			c.maxOut = n
		}
	}
}

// NewCodecs returns a Codecs ready for use. Encoders and decoders are
// created lazily, on first use of their codec.
func NewCodecs(opts ...CodecsOption) *Codecs {
	c := &Codecs{maxOut: DefaultMaxDecompressed}
	for _, o := range opts {
		o(c)
	}
	return c
}

// MaxDecompressed is the cap on one decompressed payload.
func (c *Codecs) MaxDecompressed() int { return c.maxOut }

// Decompress appends the decompressed form of src, compressed with codec
// (CodecNone..CodecZstd), to dst and returns the extended slice. An unknown
// codec gives ErrCompression; malformed input, or output over the cap, gives
// an error wrapping ErrCorrupt. Snappy input may be a raw block or xerial
// framed.
func (c *Codecs) Decompress(codec int, src, dst []byte) ([]byte, error) {
	var out []byte
	var err error
	switch codec {
	case CodecNone:
		if len(src) > c.maxOut {
			return dst, fmt.Errorf("%w: %d bytes over the %d byte cap", ErrCorrupt, len(src), c.maxOut)
		}
		return append(dst, src...), nil
	case CodecGzip:
		out, err = c.gunzip(src, dst)
	case CodecSnappy:
		out, err = c.unsnappy(src, dst)
	case CodecLZ4:
		out, err = c.unlz4(src, dst)
	case CodecZstd:
		out, err = c.unzstd(src, dst)
	default:
		return dst, fmt.Errorf("%w: %d", ErrCompression, codec)
	}
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			return dst, err
		}
		return dst, fmt.Errorf("%w: %s: %w", ErrCorrupt, codecName(codec), err)
	}
	return out, nil
}

// Compress appends src compressed with codec to dst and returns the extended
// slice. Snappy output is a raw snappy block (what franz-go and librdkafka
// write; every client reads it). LZ4 output is an LZ4 frame with 64 KiB
// blocks, as the Java client writes.
func (c *Codecs) Compress(codec int, src, dst []byte) ([]byte, error) {
	return c.CompressLevels(codec, DefaultLevels(), src, dst)
}

// CompressLevels is Compress at the given levels. Levels outside Kafka's
// ranges are clamped into them. The Go libraries have fewer levels than
// Kafka's Java ones: an LZ4 level other than 9 uses pierrec/lz4's level
// min(n, 9), and zstd levels map to klauspost/compress's four speeds as
// zstd.EncoderLevelFromZstd does.
func (c *Codecs) CompressLevels(codec int, lv Levels, src, dst []byte) ([]byte, error) {
	switch codec {
	case CodecNone:
		return append(dst, src...), nil
	case CodecGzip:
		return c.gzip(src, dst, lv.Gzip)
	case CodecSnappy:
		return c.snappy(src, dst)
	case CodecLZ4:
		return c.lz4(src, dst, lv.LZ4)
	case CodecZstd:
		enc, err := c.zstdEncoder(lv.Zstd)
		if err != nil {
			return dst, err
		}
		return enc.EncodeAll(src, dst), nil
	default:
		return dst, fmt.Errorf("%w: %d", ErrCompression, codec)
	}
}

func codecName(codec int) string {
	switch codec {
	case CodecGzip:
		return "gzip"
	case CodecSnappy:
		return "snappy"
	case CodecLZ4:
		return "lz4"
	case CodecZstd:
		return "zstd"
	}
	return "none"
}

// grow returns dst with room for at least n more bytes after len(dst).
// The bytes after len(dst) are not zeroed: callers pass dst[len(dst):] to
// an encoder that overwrites them.
func grow(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst
	}
	out := make([]byte, len(dst), len(dst)+n)
	copy(out, dst)
	return out
}

// getBuf returns a pooled scratch buffer with length 0.
func (c *Codecs) getBuf() *[]byte {
	if p, ok := c.bufs.Get().(*[]byte); ok {
		*p = (*p)[:0]
		return p
	}
	b := make([]byte, 0, 64<<10)
	return &b
}

// putBuf returns a scratch buffer to the pool unless it grew too large.
func (c *Codecs) putBuf(p *[]byte) {
	if cap(*p) <= maxPooledBuf {
		c.bufs.Put(p)
	}
}

// readAllCapped reads r to EOF, appending to dst, and fails with ErrCorrupt
// once more than limit bytes came out.
func readAllCapped(r io.Reader, dst []byte, limit int) ([]byte, error) {
	start := len(dst)
	for {
		if len(dst) == cap(dst) {
			dst = grow(dst, min(max(len(dst)-start, 4<<10), 1<<20))
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if len(dst)-start > limit {
			return dst, fmt.Errorf("%w: decompressed size over the %d byte cap", ErrCorrupt, limit)
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

// appendWriter is an io.Writer that appends to a byte slice.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// gzipReader and lz4Reader pool a decoder with the reader that feeds it.
type gzipReader struct {
	src bytes.Reader
	zr  gzip.Reader
}

type lz4Reader struct {
	src bytes.Reader
	zr  *lz4.Reader
}

func (c *Codecs) gunzip(src, dst []byte) ([]byte, error) {
	r, _ := c.gzr.Get().(*gzipReader)
	if r == nil {
		r = new(gzipReader)
	}
	defer func() {
		r.src.Reset(nil)
		c.gzr.Put(r)
	}()
	r.src.Reset(src)
	if err := r.zr.Reset(&r.src); err != nil {
		return dst, err
	}
	return readAllCapped(&r.zr, dst, c.maxOut)
}

func (c *Codecs) gzip(src, dst []byte, level int) ([]byte, error) {
	if level < 1 || level > 9 {
		level = gzip.DefaultCompression
	}
	pool := &c.gzw[level+1]
	w := &appendWriter{b: dst}
	zw, _ := pool.Get().(*gzip.Writer)
	if zw == nil {
		var err error
		if zw, err = gzip.NewWriterLevel(w, level); err != nil {
			return dst, fmt.Errorf("gzip: %w", err)
		}
	} else {
		zw.Reset(w)
	}
	defer pool.Put(zw)
	if _, err := zw.Write(src); err != nil {
		return dst, fmt.Errorf("gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return dst, fmt.Errorf("gzip: %w", err)
	}
	return w.b, nil
}

func (c *Codecs) unlz4(src, dst []byte) ([]byte, error) {
	r, _ := c.lz4r.Get().(*lz4Reader)
	if r == nil {
		r = &lz4Reader{zr: lz4.NewReader(nil)}
	}
	defer func() {
		r.src.Reset(nil)
		c.lz4r.Put(r)
	}()
	r.src.Reset(src)
	r.zr.Reset(&r.src)
	return readAllCapped(r.zr, dst, c.maxOut)
}

func (c *Codecs) lz4(src, dst []byte, level int) ([]byte, error) {
	n := 0 // the fast compressor, as Kafka's default level 9
	if level != defaultLZ4Level {
		n = min(max(level, 1), 9)
	}
	pool := &c.lz4w[n]
	w := &appendWriter{b: dst}
	zw, _ := pool.Get().(*lz4.Writer)
	if zw == nil {
		zw = lz4.NewWriter(w)
		lvl := lz4.Fast
		if n > 0 {
			lvl = lz4.CompressionLevel(1 << (8 + n)) // pierrec/lz4's Level1..Level9
		}
		if err := zw.Apply(lz4.BlockSizeOption(lz4.Block64Kb), lz4.CompressionLevelOption(lvl)); err != nil {
			return dst, fmt.Errorf("lz4: %w", err)
		}
	} else {
		zw.Reset(w)
	}
	defer pool.Put(zw)
	if _, err := zw.Write(src); err != nil {
		return dst, fmt.Errorf("lz4: %w", err)
	}
	if err := zw.Close(); err != nil {
		return dst, fmt.Errorf("lz4: %w", err)
	}
	return w.b, nil
}

// snappy appends src as one raw snappy block.
func (c *Codecs) snappy(src, dst []byte) ([]byte, error) {
	n := s2.MaxEncodedLen(len(src))
	if n < 0 {
		return dst, fmt.Errorf("snappy: %d bytes is too large for one block", len(src))
	}
	dst = grow(dst, n)
	out := s2.EncodeSnappy(dst[len(dst):cap(dst)], src) // writes from the start of its dst
	return dst[:len(dst)+len(out)], nil
}

// unsnappy decodes a raw snappy block or a xerial framed stream.
func (c *Codecs) unsnappy(src, dst []byte) ([]byte, error) {
	if len(src) >= xerialHeaderSize && bytes.Equal(src[:len(xerialMagic)], xerialMagic) {
		return c.unxerial(src[xerialHeaderSize:], dst, len(dst))
	}
	return c.snappyBlock(src, dst, len(dst))
}

// snappyBlock appends one raw snappy block, keeping the total appended since
// start under the cap.
func (c *Codecs) snappyBlock(block, dst []byte, start int) ([]byte, error) {
	n, err := s2.DecodedLen(block)
	if err != nil {
		return dst, err
	}
	if len(dst)-start+n > c.maxOut {
		return dst, fmt.Errorf("%w: decompressed size over the %d byte cap", ErrCorrupt, c.maxOut)
	}
	dst = grow(dst, n)
	out, err := s2.Decode(dst[len(dst):len(dst)+n], block)
	if err != nil {
		return dst, err
	}
	return dst[:len(dst)+len(out)], nil
}

// unxerial decodes the chunks that follow a xerial header.
func (c *Codecs) unxerial(src, dst []byte, start int) ([]byte, error) {
	for len(src) > 0 {
		if len(src) < 4 {
			return dst, errors.New("xerial: truncated chunk length")
		}
		n := binary.BigEndian.Uint32(src)
		src = src[4:]
		if uint64(n) > uint64(len(src)) {
			return dst, errors.New("xerial: truncated chunk")
		}
		var err error
		if dst, err = c.snappyBlock(src[:n], dst, start); err != nil {
			return dst, err
		}
		src = src[n:]
	}
	return dst, nil
}

func (c *Codecs) zstdDecoder() (*zstd.Decoder, error) {
	c.zdecOnce.Do(func() {
		c.zdec, c.zdecErr = zstd.NewReader(nil,
			zstd.WithDecoderMaxMemory(uint64(c.maxOut)),
			zstd.WithDecoderConcurrency(0))
	})
	return c.zdec, c.zdecErr
}

func (c *Codecs) zstdEncoder(level int) (*zstd.Encoder, error) {
	speed := zstd.EncoderLevelFromZstd(level)
	e := &c.zenc[speed-1]
	e.once.Do(func() {
		e.enc, e.err = zstd.NewWriter(nil,
			zstd.WithEncoderLevel(speed),
			zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithWindowSize(64<<10),
			zstd.WithZeroFrames(true))
	})
	return e.enc, e.err
}

func (c *Codecs) unzstd(src, dst []byte) ([]byte, error) {
	dec, err := c.zstdDecoder()
	if err != nil {
		return dst, err
	}
	start := len(dst)
	out, err := dec.DecodeAll(src, dst)
	if err != nil {
		return dst, err
	}
	if len(out)-start > c.maxOut {
		return dst, fmt.Errorf("%w: decompressed size over the %d byte cap", ErrCorrupt, c.maxOut)
	}
	return out, nil
}
