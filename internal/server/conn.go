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

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// conn is one client connection.
type conn struct {
	s        *Server
	nc       net.Conn
	listener string
	queue    chan *request // requests in arrival order, for the writer
	log      *slog.Logger
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

	done    chan struct{}
	once    sync.Once
	resp    kmsg.Response // nil: no response (acks=0 produce)
	files   []*fileRef    // record data that resp's markers stand for
	flexHdr bool          // response header v1 (tagged fields)
}

func newConn(s *Server, nc net.Conn, listener string) *conn {
	return &conn{
		s: s, nc: nc, listener: listener,
		queue: make(chan *request, s.o.Settings.MaxInflightPerClient),
		log:   s.log.With("remote", nc.RemoteAddr().String()),
	}
}

func (c *conn) serve(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop()
	}()
	err := c.readLoop(ctx)
	cancel() // parked requests give up: the client is gone
	close(c.queue)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		c.log.Info("closing connection", "err", err)
	}
	if errors.Is(err, errProtocol) {
		c.nc.Close() // don't answer pending requests of a client that broke the protocol
	}
	<-writerDone
	c.nc.Close()
}

// maxNonProduceRequest caps the frames of every request but Produce.
// Decoding allocates arrays by the counts a request claims, which a
// crafted frame can inflate many times over its size; no real client sends
// any other request this large.
const maxNonProduceRequest = 16 << 20

// errProtocol marks errors after which the connection is closed at once.
var errProtocol = errors.New("protocol error")

func (c *conn) readLoop(ctx context.Context) error {
	br := bufio.NewReaderSize(c.nc, 64<<10)
	var sizeBuf [4]byte
	for {
		if _, err := io.ReadFull(br, sizeBuf[:]); err != nil {
			return err
		}
		size := int32(binary.BigEndian.Uint32(sizeBuf[:]))
		if size < 8 || size > c.s.o.Settings.MaxRequestSize {
			return fmt.Errorf("%w: request size %d outside [8, %d] (socket.request.max.bytes)", errProtocol, size, c.s.o.Settings.MaxRequestSize)
		}
		if size > maxNonProduceRequest {
			key, err := br.Peek(2)
			if err != nil {
				return err
			}
			if k := int16(binary.BigEndian.Uint16(key)); k != kmsg.Produce.Int16() {
				return fmt.Errorf("%w: %d-byte %s request (only Produce may exceed %d bytes)", errProtocol, size, kmsg.NameForKey(k), maxNonProduceRequest)
			}
		}
		body := c.s.bodies.get(int(size))
		if _, err := io.ReadFull(br, body); err != nil {
			return err
		}
		r, err := c.parse(ctx, body)
		if err != nil {
			return err
		}
		c.queue <- r
		if r.kreq == nil { // answered already (unsupported ApiVersions version)
			continue
		}
		c.dispatch(r)
		if r.key == kmsg.Produce.Int16() {
			// The records were appended (copied to the log) before
			// dispatch returned, and nothing reads the request's byte
			// fields after that.
			c.s.bodies.put(body)
		}
	}
}

// bodyPool recycles request bodies of Produce requests, the only large
// ones, so that the hot path neither allocates nor zeroes them.
type bodyPool struct{ p sync.Pool }

func (bp *bodyPool) get(n int) []byte {
	if b, ok := bp.p.Get().(*[]byte); ok && cap(*b) >= n {
		return (*b)[:n]
	}
	return make([]byte, n)
}

func (bp *bodyPool) put(b []byte) {
	if cap(b) <= 8<<20 {
		bp.p.Put(&b)
	}
}

// parse decodes the request header and body.
func (c *conn) parse(ctx context.Context, b []byte) (*request, error) {
	key := int16(binary.BigEndian.Uint16(b))
	ver := int16(binary.BigEndian.Uint16(b[2:]))
	r := &request{c: c, ctx: ctx, key: key, version: ver, corr: int32(binary.BigEndian.Uint32(b[4:])), done: make(chan struct{})}
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
	r.respond(resp)
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
		close(r.done)
	})
}

// writeLoop writes responses in request order, batching those that are
// ready into one write.
func (c *conn) writeLoop() {
	var buf []byte
	var carry *request // taken from the queue but not done yet
	broken := false
	for {
		r := carry
		carry = nil
		if r == nil {
			var ok bool
			if r, ok = <-c.queue; !ok {
				return
			}
		}
		<-r.done
		if broken {
			releaseRefs(r.files)
			continue
		}
		if r.files != nil {
			err := writeStreamed(c.nc, c.appendResponse(buf[:0], r), r.files, r.kreq.IsFlexible())
			releaseRefs(r.files)
			if err != nil {
				broken = true
				c.nc.Close()
			}
			continue
		}
		buf = c.appendResponse(buf[:0], r)
		carry = c.coalesce(&buf)
		if len(buf) > 0 {
			if _, err := c.nc.Write(buf); err != nil {
				broken = true
				c.nc.Close()
			}
		}
		if cap(buf) > 4<<20 {
			buf = nil // don't pin a huge buffer
		}
	}
}

// coalesce appends to buf the responses queued behind the one just encoded
// that are already done. It returns the first queued request that is not.
func (c *conn) coalesce(buf *[]byte) *request {
	for len(*buf) < 1<<20 {
		select {
		case next, ok := <-c.queue:
			if !ok {
				return nil
			}
			select {
			case <-next.done:
				if next.files != nil {
					return next // streamed: written on its own
				}
				*buf = c.appendResponse(*buf, next)
			default:
				return next
			}
		default:
			return nil
		}
	}
	return nil
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
