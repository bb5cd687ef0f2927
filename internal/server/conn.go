package server

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// conn is one client connection. Its reader goroutine reads and
// dispatches requests; responses go out strictly in request order, written
// by whichever goroutine completes the oldest unanswered request (the
// reader for most requests; for a parked fetch, the producer whose data
// completed it; for a produce that waited for fsync, the flusher),
// together with every later one that is ready by then. No goroutine
// hand-off sits on the path of a response unless the socket is full or
// the response carries record data sent from files (see flushLocked).
type conn struct {
	s        *Server
	nc       net.Conn
	listener string
	log      *slog.Logger
	slots    chan struct{}  // one per request read and not yet answered
	inflight sync.WaitGroup // requests read and not yet written
	// lastActive is when a request was last read or responses last
	// written, in Server.now's nanoseconds (idle.go).
	lastActive atomic.Int64

	mu      sync.Mutex
	pending []*request // read and not yet written, in arrival order
	writing bool       // a goroutine is writing out the ready ones
	broken  bool       // a write failed: the rest are dropped

	raw syscall.RawConn // for writes that must not wait; nil without a descriptor

	// Owned by the writing goroutine.
	batch []*request // the answered requests being written
	next  int        // batch[:next] are encoded into buf or sent
	buf   []byte     // encoded responses
	sent  int        // buf[:sent] is written
}

// request is one in-flight request.
type request struct {
	c        *conn
	ctx      context.Context
	key      int16
	version  int16
	corr     int32
	clientID string
	kreq     kmsg.Request

	once    sync.Once
	ready   bool          // answered (guarded by c.mu)
	resp    kmsg.Response // nil: no response (acks=0 produce)
	files   []*fileRef    // record data that resp's markers stand for
	flexHdr bool          // response header v1 (tagged fields)
}

func newConn(s *Server, nc net.Conn, listener string) *conn {
	c := &conn{
		s: s, nc: nc, listener: listener,
		slots: make(chan struct{}, s.o.Settings.MaxInflightPerClient),
		log:   s.log.With("remote", nc.RemoteAddr().String()),
	}
	if sc, ok := nc.(syscall.Conn); ok {
		c.raw, _ = sc.SyscallConn()
	}
	c.touch()
	return c
}

func (c *conn) serve(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.log.Debug("connection opened", "listener", c.listener)
	err := c.readLoop(ctx)
	cancel() // parked requests give up: the client is gone
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		c.log.Info("closing connection", "err", err)
	} else {
		c.log.Debug("connection closed")
	}
	if errors.Is(err, errProtocol) {
		c.nc.Close() // don't answer pending requests of a client that broke the protocol
	}
	c.inflight.Wait()
	c.nc.Close()
}

// maxNonProduceRequest caps the frames of every request but Produce.
// Decoding allocates arrays by the counts a request claims, which a
// crafted frame can inflate many times over its size; no real client sends
// any other request this large.
const maxNonProduceRequest = 16 << 20

// readBufSize is the size of a connection's read buffer.
const readBufSize = 8 << 10

// errProtocol marks errors after which the connection is closed at once.
var errProtocol = errors.New("protocol error")

func (c *conn) readLoop(ctx context.Context) error {
	var src io.Reader = c.nc
	if c.raw != nil {
		src = rawReader{c.raw} // rawio.go
	}
	// The buffer batches the reads of small requests. A request larger
	// than what it holds is read straight into its body, after a copy of
	// the buffered part, so a small buffer keeps that copy small: with
	// 64 KiB the copy cost about 3% of the broker's CPU under 100-byte
	// produce.
	br := bufio.NewReaderSize(src, readBufSize)
	var sizeBuf [4]byte
	for {
		if _, err := io.ReadFull(br, sizeBuf[:]); err != nil {
			return err
		}
		size := int32(binary.BigEndian.Uint32(sizeBuf[:]))
		if size < 8 || size > c.s.o.Settings.MaxRequestSize {
			return fmt.Errorf("%w: request size %d outside [8, %d] (socket.request.max.bytes)", errProtocol, size, c.s.o.Settings.MaxRequestSize)
		}
		key, err := br.Peek(2)
		if err != nil {
			return err
		}
		k := int16(binary.BigEndian.Uint16(key))
		produce := k == kmsg.Produce.Int16()
		if size > maxNonProduceRequest && !produce {
			return fmt.Errorf("%w: %d-byte %s request (only Produce may exceed %d bytes)", errProtocol, size, kmsg.NameForKey(k), maxNonProduceRequest)
		}
		if !produce {
			if err := c.serveOne(ctx, br, make([]byte, size)); err != nil {
				return err
			}
			continue
		}
		// Only Produce bodies come from the pool, and each goes back to it:
		// the records were appended (copied to the log) before dispatch
		// returned, and nothing reads the request's byte fields after that.
		bd := c.s.bodies.get(int(size))
		err = c.serveOne(ctx, br, bd.b)
		c.s.bodies.put(bd)
		if err != nil {
			return err
		}
	}
}

// serveOne reads a request's body into body, decodes it and dispatches it.
func (c *conn) serveOne(ctx context.Context, br *bufio.Reader, body []byte) error {
	if _, err := io.ReadFull(br, body); err != nil {
		return err
	}
	r, err := c.parse(ctx, body)
	if err != nil {
		return err
	}
	c.enqueue(r)
	if r.kreq == nil { // an ApiVersions version we don't serve: answered by parse
		r.respond(r.resp)
		return nil
	}
	c.dispatch(r)
	return nil
}

// parse decodes the request header and body.
func (c *conn) parse(ctx context.Context, b []byte) (*request, error) {
	key := int16(binary.BigEndian.Uint16(b))
	ver := int16(binary.BigEndian.Uint16(b[2:]))
	r := &request{c: c, ctx: ctx, key: key, version: ver, corr: int32(binary.BigEndian.Uint32(b[4:]))}
	if key < 0 || int(key) > maxKey || c.s.handlers[key].fn == nil {
		return nil, fmt.Errorf("%w: unsupported api key %d", errProtocol, key)
	}
	h := &c.s.handlers[key]
	if ver < h.min || ver > h.max {
		if key == kmsg.ApiVersions.Int16() {
			c.unsupportedApiVersions(r)
			return r, nil
		}
		return nil, fmt.Errorf("%w: unsupported version %d of %s (supported %d-%d)", errProtocol, ver, kmsg.NameForKey(key), h.min, h.max)
	}
	kreq := kmsg.RequestForKey(key)
	kreq.SetVersion(ver)
	rest, clientID, err := readHeaderRest(b[8:], kreq.IsFlexible())
	if err != nil {
		return nil, fmt.Errorf("%w: %s v%d header: %v", errProtocol, kmsg.NameForKey(key), ver, err)
	}
	if err := kreq.ReadFrom(rest); err != nil {
		return nil, fmt.Errorf("%w: %s v%d: malformed body: %v", errProtocol, kmsg.NameForKey(key), ver, err)
	}
	r.kreq, r.clientID = kreq, clientID
	r.flexHdr = kreq.IsFlexible() && key != kmsg.ApiVersions.Int16()
	return r, nil
}

// readHeaderRest reads the client id and, for flexible versions, the
// header's tagged fields; it returns the body.
func readHeaderRest(b []byte, flexible bool) ([]byte, string, error) {
	if len(b) < 2 {
		return nil, "", errors.New("truncated client id")
	}
	n := int(int16(binary.BigEndian.Uint16(b)))
	b = b[2:]
	var clientID string
	if n > 0 {
		if n > len(b) {
			return nil, "", errors.New("truncated client id")
		}
		clientID, b = string(b[:n]), b[n:]
	}
	if !flexible {
		return b, clientID, nil
	}
	rest, err := skipTags(b)
	return rest, clientID, err
}

func skipTags(b []byte) ([]byte, error) {
	num, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, errors.New("bad tag count")
	}
	b = b[n:]
	for range num {
		if _, n = binary.Uvarint(b); n <= 0 {
			return nil, errors.New("bad tag")
		}
		b = b[n:]
		size, n := binary.Uvarint(b)
		if n <= 0 || size > uint64(len(b)-n) {
			return nil, errors.New("bad tag size")
		}
		b = b[n+int(size):]
	}
	return b, nil
}

// unsupportedApiVersions answers an ApiVersions request of a version we
// don't know as Kafka does: a v0 response with UNSUPPORTED_VERSION and our
// own range of ApiVersions, so that the client can retry with one we know.
func (c *conn) unsupportedApiVersions(r *request) {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(0)
	resp.ErrorCode = kerr.UnsupportedVersion.Code
	h := c.s.handlers[kmsg.ApiVersions.Int16()]
	resp.ApiKeys = []kmsg.ApiVersionsResponseApiKey{{ApiKey: h.key, MinVersion: h.min, MaxVersion: h.max}}
	r.resp = resp
}

func (c *conn) dispatch(r *request) {
	r.kreq.SetVersion(r.version)
	resp, err := c.s.handlers[r.key].fn(c.s, r)
	if err != nil {
		c.log.Info("closing connection", "api", kmsg.NameForKey(r.key), "version", r.version, "err", err)
		c.nc.Close()
		r.respond(nil)
		return
	}
	if resp != nil {
		r.respond(resp)
	}
}

// respond completes the request. It may be called from any goroutine, once.
func (r *request) respond(resp kmsg.Response) {
	r.once.Do(func() {
		if resp != nil && r.kreq != nil {
			resp.SetVersion(r.version)
		}
		r.resp = resp
		if resp == nil {
			releaseRefs(r.files)
			r.files = nil
		}
		r.c.complete(r)
	})
}

// enqueue records a request read from the connection, waiting while the
// connection has MaxInflightPerClient requests unanswered.
func (c *conn) enqueue(r *request) {
	c.slots <- struct{}{}
	c.inflight.Add(1)
	c.touch()
	c.mu.Lock()
	c.pending = append(c.pending, r)
	c.mu.Unlock()
}

// complete marks r answered and, unless another goroutine is at it,
// writes out every answered request at the head of the queue.
func (c *conn) complete(r *request) {
	c.mu.Lock()
	r.ready = true
	if c.writing {
		c.mu.Unlock() // the writing goroutine will see it
		return
	}
	c.writing = true
	c.flushLocked(false)
}

// errWouldBlock says the socket took less than it was given.
var errWouldBlock = errors.New("write would block")

// flushLocked writes out the answered requests at the head of the queue,
// in order. The caller holds c.mu and has set c.writing; c.mu is released
// on return. Unless mayBlock, it never waits on the network: whatever the
// socket does not take at once, and record data sent from files, is left
// to a goroutine of its own. So any goroutine may answer a request (a
// producer's completing a parked fetch, the group coordinator's loop), and
// a client that stops reading holds up only itself: its unanswered
// requests keep their slots, so it cannot send more.
func (c *conn) flushLocked(mayBlock bool) {
	for {
		if len(c.batch) == 0 {
			n := 0
			for n < len(c.pending) && c.pending[n].ready {
				n++
			}
			if n == 0 {
				c.writing = false
				c.mu.Unlock()
				return
			}
			c.batch = append(c.batch[:0], c.pending[:n]...)
			c.pending = append(c.pending[:0], c.pending[n:]...)
		}
		broken := c.broken
		c.mu.Unlock()
		var err error
		if !broken {
			err = c.writeBatch(mayBlock)
		}
		if errors.Is(err, errWouldBlock) {
			go func() {
				c.mu.Lock()
				c.flushLocked(true)
			}()
			return
		}
		c.finishBatch(err)
		c.mu.Lock()
		if err != nil {
			c.broken = true
		}
	}
}

// writeBatch sends the responses of c.batch from where an earlier call
// stopped: plain ones together in one write, large fetches with sendfile
// (only when mayBlock).
func (c *conn) writeBatch(mayBlock bool) error {
	for {
		if c.sent < len(c.buf) {
			n, err := c.writeOut(c.buf[c.sent:], mayBlock)
			c.sent += n
			if err != nil {
				return err
			}
		}
		c.buf, c.sent = c.buf[:0], 0
		if c.next == len(c.batch) {
			return nil
		}
		if r := c.batch[c.next]; r.files != nil {
			if !mayBlock {
				return errWouldBlock
			}
			c.next++
			enc := c.appendResponse(c.buf, r)
			c.buf = enc[:0]
			if err := writeStreamed(c.nc, enc, r.files, r.kreq.IsFlexible()); err != nil {
				return err
			}
			continue
		}
		for c.next < len(c.batch) && c.batch[c.next].files == nil {
			c.buf = c.appendResponse(c.buf, c.batch[c.next])
			c.next++
		}
	}
}

// writeOut writes b. Unless mayBlock it only writes what the socket takes
// at once, and says errWouldBlock if that was not all.
func (c *conn) writeOut(b []byte, mayBlock bool) (int, error) {
	if mayBlock {
		return c.nc.Write(b)
	}
	if c.raw == nil {
		return 0, errWouldBlock
	}
	var n int
	var werr error
	err := c.raw.Write(func(fd uintptr) bool {
		for n < len(b) {
			k, e := rawWrite(fd, b[n:])
			n += k
			if e != nil && e != syscall.EAGAIN {
				werr = e
			}
			if e != nil || k <= 0 {
				break
			}
		}
		return true // never wait for the socket here
	})
	switch {
	case werr != nil:
		return n, werr
	case err != nil:
		return n, err
	case n < len(b):
		return n, errWouldBlock
	}
	return n, nil
}

// finishBatch ends the written (or failed) batch: it frees the record data
// the responses held and their slots.
func (c *conn) finishBatch(err error) {
	if err != nil {
		c.nc.Close()
	}
	n := len(c.batch)
	for _, r := range c.batch {
		releaseRefs(r.files)
		r.files = nil
	}
	clear(c.batch)
	c.batch, c.next, c.sent = c.batch[:0], 0, 0
	if cap(c.buf) > 4<<20 {
		c.buf = nil // don't pin a huge buffer
	}
	c.buf = c.buf[:0]
	c.touch()
	for range n {
		<-c.slots
		c.inflight.Done()
	}
}

func (c *conn) appendResponse(buf []byte, r *request) []byte {
	if r.resp == nil {
		return buf
	}
	start := len(buf)
	buf = append(buf, 0, 0, 0, 0)
	buf = binary.BigEndian.AppendUint32(buf, uint32(r.corr))
	if r.flexHdr {
		buf = append(buf, 0)
	}
	buf = r.resp.AppendTo(buf)
	binary.BigEndian.PutUint32(buf[start:], uint32(len(buf)-start-4))
	return buf
}
