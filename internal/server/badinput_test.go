package server_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/record"
	"github.com/vltava/vltava/internal/testkit"
)

// rawConn is a bare Kafka protocol connection, for requests that a client
// library would never send and for pinning exact request versions.
type rawConn struct {
	t    testing.TB
	nc   net.Conn
	corr int32
	f    *kmsg.RequestFormatter
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, f: kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw"))}
}

// write sends raw bytes.
func (c *rawConn) write(b []byte) {
	c.t.Helper()
	_ = c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// send writes req (at its set version) and returns its correlation id.
func (c *rawConn) send(req kmsg.Request) int32 {
	c.t.Helper()
	c.corr++
	c.write(c.f.AppendRequest(nil, req, c.corr))
	return c.corr
}

// readFrame reads one size-prefixed frame and returns it without the
// size, failing the test if none arrives within 10s.
func (c *rawConn) readFrame() []byte {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var size [4]byte
	if _, err := io.ReadFull(c.nc, size[:]); err != nil {
		c.t.Fatalf("read response size: %v", err)
	}
	b := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c.nc, b); err != nil {
		c.t.Fatalf("read response: %v", err)
	}
	return b
}

// read reads the response to the request with correlation id corr into
// resp (whose version must be set).
func (c *rawConn) read(corr int32, resp kmsg.Response) {
	c.t.Helper()
	b := c.readFrame()
	if got := int32(binary.BigEndian.Uint32(b)); got != corr {
		c.t.Fatalf("response correlation id %d, want %d", got, corr)
	}
	b = b[4:]
	if resp.IsFlexible() && resp.Key() != kmsg.ApiVersions.Int16() {
		if len(b) == 0 || b[0] != 0 {
			c.t.Fatalf("flexible response header: want no tagged fields, got %x", b[:min(len(b), 1)])
		}
		b = b[1:]
	}
	if err := resp.ReadFrom(b); err != nil {
		c.t.Fatalf("decode %s v%d response: %v", kmsg.NameForKey(resp.Key()), resp.GetVersion(), err)
	}
}

// roundTrip sends req and returns its response.
func (c *rawConn) roundTrip(req kmsg.Request) kmsg.Response {
	c.t.Helper()
	corr := c.send(req)
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	c.read(corr, resp)
	return resp
}

// expectClosed asserts that the broker closes the connection without
// sending anything.
func (c *rawConn) expectClosed() {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, err := c.nc.Read(buf)
	if n > 0 {
		c.t.Fatalf("broker answered %d bytes (%x) instead of closing", n, buf[:n])
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		c.t.Fatalf("connection not closed by the broker: %v", err)
	}
}

// frame builds a size-prefixed frame: key, version, correlation id, then
// rest (client id, tags and body, as the case needs).
func frame(key, version int16, corr int32, rest []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(rest)))
	b = binary.BigEndian.AppendUint16(b, uint16(key))
	b = binary.BigEndian.AppendUint16(b, uint16(version))
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	return append(b, rest...)
}

// clientIDRest is a non-flexible header's client id "x" followed by body.
func clientIDRest(body []byte) []byte { return append([]byte{0, 1, 'x'}, body...) }

// traffic is a franz-go producer and consumer working one partition while
// a test misbehaves on other connections.
type traffic struct {
	t        *testing.T
	topic    string
	cancel   context.CancelFunc // stops both
	stopProd context.CancelFunc // stops the producer only
	prodDone chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	produced int
	consumed []*kgo.Record
	errs     []error
}

func startTraffic(t *testing.T, b *testkit.Broker, topic string) *traffic {
	t.Helper()
	createTopic(t, b.Admin(), topic, 1, nil)
	ctx, cancel := context.WithCancel(context.Background())
	pctx, stopProd := context.WithCancel(ctx)
	tr := &traffic{t: t, topic: topic, cancel: cancel, stopProd: stopProd, prodDone: make(chan struct{})}
	prod := b.Client(kgo.DefaultProduceTopic(topic))
	cons := b.Client(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	tr.wg.Add(2)
	go func() {
		defer close(tr.prodDone)
		tr.produce(pctx, prod)
	}()
	go tr.consume(ctx, cons)
	t.Cleanup(tr.stop)
	return tr
}

func (tr *traffic) produce(ctx context.Context, cl *kgo.Client) {
	defer tr.wg.Done()
	for i := 0; ; i++ {
		err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(fmt.Sprintf("r%d", i))}).FirstErr()
		tr.mu.Lock()
		switch {
		case ctx.Err() != nil:
			tr.mu.Unlock()
			return
		case err != nil:
			tr.errs = append(tr.errs, fmt.Errorf("produce r%d: %w", i, err))
		default:
			tr.produced++
		}
		tr.mu.Unlock()
	}
}

func (tr *traffic) consume(ctx context.Context, cl *kgo.Client) {
	defer tr.wg.Done()
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		if fs.IsClientClosed() {
			return
		}
		tr.mu.Lock()
		fs.EachError(func(_ string, _ int32, err error) {
			if !errors.Is(err, context.Canceled) {
				tr.errs = append(tr.errs, fmt.Errorf("fetch: %w", err))
			}
		})
		tr.consumed = append(tr.consumed, fs.Records()...)
		tr.mu.Unlock()
	}
}

func (tr *traffic) counts() (produced, consumed int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.produced, len(tr.consumed)
}

// progress waits until the producer has acknowledged and the consumer read
// n more records than now.
func (tr *traffic) progress(n int) {
	tr.t.Helper()
	p0, c0 := tr.counts()
	testkit.Eventually(tr.t, 15*time.Second, fmt.Sprintf("%d more records produced and consumed", n), func() bool {
		p, c := tr.counts()
		return p >= p0+n && c >= c0+n
	})
}

func (tr *traffic) stop() {
	if tr.cancel != nil {
		tr.cancel()
		tr.wg.Wait()
		tr.cancel = nil
	}
}

// verify stops the traffic and checks that the consumer got exactly what
// the producer wrote: r0, r1, ... at offsets 0, 1, ..., with no errors.
func (tr *traffic) verify() {
	tr.t.Helper()
	// Stop producing, then let the consumer catch up with the last
	// acknowledged record.
	tr.stopProd()
	<-tr.prodDone
	testkit.Eventually(tr.t, 15*time.Second, "consumer catches up", func() bool {
		p, c := tr.counts()
		return c >= p
	})
	tr.stop()
	if len(tr.errs) > 0 {
		tr.t.Fatalf("client errors: %v", tr.errs)
	}
	if tr.produced == 0 {
		tr.t.Fatal("no record produced")
	}
	// The producer may have had one more record acknowledged by the broker
	// while being cancelled; it is not counted, but may be consumed.
	if n := len(tr.consumed); n != tr.produced && n != tr.produced+1 {
		tr.t.Fatalf("consumed %d records, produced %d", n, tr.produced)
	}
	for i, r := range tr.consumed {
		if r.Offset != int64(i) || string(r.Value) != fmt.Sprintf("r%d", i) || r.Partition != 0 {
			tr.t.Fatalf("record %d: partition %d offset %d value %q", i, r.Partition, r.Offset, r.Value)
		}
	}
}

// TestBadFramesCloseOnlyThatConnection sends malformed frames on raw
// connections while a franz-go client produces and consumes on its own.
func TestBadFramesCloseOnlyThatConnection(t *testing.T) {
	const maxReq = 64 << 10
	b := testkit.StartBroker(t, testkit.WithConfig("socket.request.max.bytes", fmt.Sprint(maxReq)))
	tr := startTraffic(t, b, "traffic")
	tr.progress(5)

	metadataV1 := kmsg.NewPtrMetadataRequest()
	metadataV1.SetVersion(1)
	metadataV1.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr("traffic")}}
	goodMetadata := metadataV1.AppendTo(nil)
	produceV3 := kmsg.NewPtrProduceRequest()
	produceV3.SetVersion(3)
	produceBody := produceV3.AppendTo(nil)

	cases := []struct {
		name string
		data []byte
	}{
		{"garbage", []byte("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")},
		{"garbage-binary", []byte{0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05}},
		{"size-over-max", binary.BigEndian.AppendUint32(nil, maxReq+1)},
		{"size-max-int32", binary.BigEndian.AppendUint32(nil, 0x7fffffff)},
		{"size-negative", binary.BigEndian.AppendUint32(nil, 0xffffffff)},
		{"size-zero", binary.BigEndian.AppendUint32(nil, 0)},
		{"header-shorter-than-8", []byte{0, 0, 0, 6, 0, 18, 0, 0, 0, 0}},
		{"header-truncated-client-id", frame(3, 1, 1, []byte{0, 9, 'a', 'b'})},
		{"header-missing-client-id", frame(3, 1, 1, []byte{0})},
		{"flexible-header-missing-tags", frame(3, 9, 1, []byte{0, 1, 'x'})},
		{"flexible-header-bad-tag-size", frame(3, 9, 1, []byte{0, 1, 'x', 1, 0, 100, 1})},
		{"unknown-key-1000", frame(1000, 0, 1, clientIDRest(nil))},
		{"unknown-key-99", frame(99, 0, 1, clientIDRest(nil))},
		{"negative-key", frame(-1, 0, 1, clientIDRest(nil))},
		{"produce-v2", frame(0, 2, 1, clientIDRest(produceBody))},
		{"produce-v99", frame(0, 99, 1, clientIDRest(produceBody))},
		{"metadata-negative-version", frame(3, -1, 1, clientIDRest(goodMetadata))},
		{"metadata-huge-array", frame(3, 1, 1, clientIDRest([]byte{0x7f, 0xff, 0xff, 0xff}))},
		{"metadata-truncated-body", frame(3, 1, 1, clientIDRest(goodMetadata[:len(goodMetadata)-3]))},
		{"produce-truncated-body", frame(0, 3, 1, clientIDRest(produceBody[:len(produceBody)-1]))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc := dialRaw(t, b.Addr())
			rc.write(c.data)
			rc.expectClosed()
			tr.progress(3)
		})
	}
	// A frame that announces more bytes than it sends, then the client
	// hangs up: the broker drops the connection too.
	t.Run("truncated-frame", func(t *testing.T) {
		rc := dialRaw(t, b.Addr())
		rc.write(frame(18, 0, 1, clientIDRest(nil))[:9])
		rc.nc.(*net.TCPConn).CloseWrite()
		rc.expectClosed()
		tr.progress(3)
	})
	// Valid requests still work on a fresh raw connection.
	rc := dialRaw(t, b.Addr())
	req := kmsg.NewPtrApiVersionsRequest()
	req.SetVersion(3)
	req.ClientSoftwareName, req.ClientSoftwareVersion = "raw", "1"
	if resp := rc.roundTrip(req).(*kmsg.ApiVersionsResponse); resp.ErrorCode != 0 || len(resp.ApiKeys) == 0 {
		t.Fatalf("ApiVersions v3: error %d, %d keys", resp.ErrorCode, len(resp.ApiKeys))
	}
	tr.verify()
}

// TestUnsupportedApiVersionsVersion checks Kafka's answer to an ApiVersions
// request of an unknown version: a v0 response with UNSUPPORTED_VERSION and
// our ApiVersions range, and the connection stays open.
func TestUnsupportedApiVersionsVersion(t *testing.T) {
	b := testkit.StartBroker(t)
	tr := startTraffic(t, b, "traffic")
	rc := dialRaw(t, b.Addr())
	// A v99 request as a future client would send it: flexible header.
	rc.write(frame(18, 99, 42, []byte{0, 1, 'x', 0, 4, 'f', 'u', 't', 0}))
	body := rc.readFrame()
	want := []byte{
		0, 0, 0, 42, // correlation id; response header v0, no tags
		0, 35, // UNSUPPORTED_VERSION
		0, 0, 0, 1, // one api key
		0, 18, 0, 0, 0, 4, // ApiVersions 0-4
	}
	if !slices.Equal(body, want) {
		t.Fatalf("response to ApiVersions v99:\n got %x\nwant %x", body, want)
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(0)
	if err := resp.ReadFrom(body[4:]); err != nil || resp.ErrorCode != kerr.UnsupportedVersion.Code {
		t.Fatalf("decoded: %v, error code %d", err, resp.ErrorCode)
	}

	// The connection is still usable: a v3 request gets a full answer.
	req := kmsg.NewPtrApiVersionsRequest()
	req.SetVersion(3)
	req.ClientSoftwareName, req.ClientSoftwareVersion = "raw", "1"
	v3 := rc.roundTrip(req).(*kmsg.ApiVersionsResponse)
	if v3.ErrorCode != 0 {
		t.Fatalf("ApiVersions v3 error %d", v3.ErrorCode)
	}
	got := map[int16][2]int16{}
	for _, k := range v3.ApiKeys {
		got[k.ApiKey] = [2]int16{k.MinVersion, k.MaxVersion}
	}
	// Produce is listed from v0 as in Kafka 4 (see 18_api_versions.go).
	for key, r := range map[int16][2]int16{0: {0, 13}, 1: {4, 18}, 3: {0, 13}, 18: {0, 4}, 22: {0, 5}, 23: {2, 4}} {
		if got[key] != r {
			t.Errorf("ApiVersions v3 advertises %s as %v, want %v", kmsg.NameForKey(key), got[key], r)
		}
	}
	// And the ApiVersions v0 request (no client software fields) too.
	req0 := kmsg.NewPtrApiVersionsRequest()
	req0.SetVersion(0)
	if v0 := rc.roundTrip(req0).(*kmsg.ApiVersionsResponse); v0.ErrorCode != 0 || len(v0.ApiKeys) != len(v3.ApiKeys) {
		t.Fatalf("ApiVersions v0: error %d, %d keys (v3: %d)", v0.ErrorCode, len(v0.ApiKeys), len(v3.ApiKeys))
	}
	tr.progress(3)
	tr.verify()
}

// buildBatch is one uncompressed v2 batch of records with the given keys
// (nil: no key) and values v0, v1, ..., timestamped ts.
func buildBatch(t testing.TB, ts int64, keys ...[]byte) []byte {
	t.Helper()
	return buildProducerBatch(t, ts, -1, -1, -1, keys...)
}

// buildProducerBatch is buildBatch for an idempotent producer.
func buildProducerBatch(t testing.TB, ts, pid int64, epoch int16, seq int32, keys ...[]byte) []byte {
	t.Helper()
	recs := make([]record.Record, len(keys))
	for i, k := range keys {
		recs[i] = record.Record{OffsetDelta: int32(i), Key: k, Value: []byte(fmt.Sprintf("v%d", i))}
	}
	h := record.Header{FirstTimestamp: ts, ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq}
	batch, err := record.BuildBatch(nil, h, recs, nil)
	if err != nil {
		t.Fatalf("build batch: %v", err)
	}
	return batch
}

// produceRequest is a Produce request for one partition's records, at
// v12, the newest that names topics (v13 uses ids).
func produceRequest(topic string, partition int32, acks int16, records []byte) *kmsg.ProduceRequest {
	req := kmsg.NewPtrProduceRequest()
	req.SetVersion(12)
	req.Acks, req.TimeoutMillis = acks, 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition, rp.Records = partition, records
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return req
}

// onlyPartition returns the single partition of a one-partition response.
func onlyPartition(t testing.TB, resp *kmsg.ProduceResponse, topic string) kmsg.ProduceResponseTopicPartition {
	t.Helper()
	if len(resp.Topics) != 1 || resp.Topics[0].Topic != topic || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("produce response shape: %+v", resp)
	}
	return resp.Topics[0].Partitions[0]
}

// produceOnConn is produceRaw over a raw connection, at the given Produce
// version, with acks sent as given.
func produceOnConn(t testing.TB, rc *rawConn, version int16, topic string, partition int32, acks int16, records []byte) kmsg.ProduceResponseTopicPartition {
	t.Helper()
	req := produceRequest(topic, partition, acks, records)
	req.SetVersion(version)
	return onlyPartition(t, rc.roundTrip(req).(*kmsg.ProduceResponse), topic)
}

// produceRaw sends one partition's records in a Produce request through a
// franz-go client and returns that partition's response. (franz-go sends
// the acks the client is configured with, -1 by default, whatever the
// request says.)
func produceRaw(t testing.TB, cl *kgo.Client, topic string, partition int32, acks int16, records []byte) kmsg.ProduceResponseTopicPartition {
	t.Helper()
	ctx := testkit.Context(t, 10*time.Second)
	// kgo sends the newest version the broker takes, v13, which names the
	// topic by id (KIP-516): give it both.
	req := produceRequest(topic, partition, acks, records)
	if md, err := kadm.NewClient(cl).Metadata(ctx, topic); err == nil {
		req.Topics[0].TopicID = md.Topics[topic].ID
	}
	kr, err := cl.Request(ctx, req)
	if err != nil {
		t.Fatalf("produce request: %v", err)
	}
	resp := kr.(*kmsg.ProduceResponse)
	if resp.Version >= 13 && len(resp.Topics) == 1 && resp.Topics[0].TopicID == req.Topics[0].TopicID {
		resp.Topics[0].Topic = topic
	}
	return onlyPartition(t, resp, topic)
}

// endOffset is the partition's log end offset.
func endOffset(t testing.TB, b *testkit.Broker, topic string, partition int32) int64 {
	t.Helper()
	ends, err := b.Admin().ListEndOffsets(testkit.Context(t, 10*time.Second), topic)
	if err != nil {
		t.Fatalf("list end offsets: %v", err)
	}
	o, ok := ends.Lookup(topic, partition)
	if !ok || o.Err != nil {
		t.Fatalf("end offset of %s/%d: %v %v", topic, partition, ok, o.Err)
	}
	return o.Offset
}

// TestProduceRejectsInvalidBatches checks the error code of each invalid
// produce and that nothing was appended.
func TestProduceRejectsInvalidBatches(t *testing.T) {
	b := testkit.StartBroker(t)
	adm := b.Admin()
	createTopic(t, adm, "plain", 1, map[string]*string{"message.timestamp.after.max.ms": ptr("60000")})
	createTopic(t, adm, "compacted", 1, map[string]*string{"cleanup.policy": ptr("compact")})
	cl := b.Client()
	now := time.Now().UnixMilli()
	key := []byte("k")

	// One good batch first, so that offsets are not all zero.
	if rp := produceRaw(t, cl, "plain", 0, -1, buildBatch(t, now, key, key)); rp.ErrorCode != 0 || rp.BaseOffset != 0 {
		t.Fatalf("good batch: error %d base offset %d", rp.ErrorCode, rp.BaseOffset)
	}
	if rp := produceRaw(t, cl, "compacted", 0, 1, buildBatch(t, now, key)); rp.ErrorCode != 0 || rp.BaseOffset != 0 {
		t.Fatalf("good compacted batch: error %d base offset %d", rp.ErrorCode, rp.BaseOffset)
	}

	badCRC := buildBatch(t, now, key)
	badCRC[len(badCRC)-1] ^= 0xff
	countMismatch := buildBatch(t, now, key, key)
	binary.BigEndian.PutUint32(countMismatch[57:], 3) // recordCount 3, lastOffsetDelta 1
	fixCRC(countMismatch)
	magic1 := buildBatch(t, now, key)
	magic1[16] = 1
	fixCRC(magic1)

	cases := []struct {
		name    string
		topic   string
		acks    int16
		records []byte
		want    *kerr.Error
		recErrs []int32 // RelativeOffsets of the response's record errors
	}{
		{"bad-crc", "plain", 1, badCRC, kerr.CorruptMessage, nil},
		{"count-mismatch", "plain", 1, countMismatch, kerr.InvalidRecord, nil},
		{"two-batches", "plain", 1, append(buildBatch(t, now, key), buildBatch(t, now, key)...), kerr.InvalidRecord, nil},
		{"magic-1", "plain", 1, magic1, kerr.InvalidRecord, nil},
		{"truncated", "plain", 1, buildBatch(t, now, key)[:40], kerr.InvalidRecord, nil},
		{"keyless-on-compacted", "compacted", 1, buildBatch(t, now, key, nil, key), kerr.InvalidRecord, []int32{1}},
		{"timestamp-too-new", "plain", 1, buildBatch(t, now+3_600_000, key), kerr.InvalidTimestamp, []int32{0}},
		// franz-go rewrites a request's acks to its own setting: these
		// two go over a raw connection.
		{"acks-5", "plain", 5, buildBatch(t, now, key), kerr.InvalidRequiredAcks, nil},
		{"acks-minus-2", "plain", -2, buildBatch(t, now, key), kerr.InvalidRequiredAcks, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := endOffset(t, b, c.topic, 0)
			var rp kmsg.ProduceResponseTopicPartition
			if c.acks == 1 || c.acks == -1 {
				rp = produceRaw(t, cl, c.topic, 0, c.acks, c.records)
			} else {
				rp = produceOnConn(t, dialRaw(t, b.Addr()), 9, c.topic, 0, c.acks, c.records)
			}
			if rp.ErrorCode != c.want.Code {
				t.Fatalf("error code %d (%v), want %d (%s); message %v", rp.ErrorCode, kerr.ErrorForCode(rp.ErrorCode), c.want.Code, c.want.Message, deref(rp.ErrorMessage))
			}
			if rp.BaseOffset != -1 {
				t.Errorf("base offset %d, want -1", rp.BaseOffset)
			}
			var rel []int32
			for _, e := range rp.ErrorRecords {
				rel = append(rel, e.RelativeOffset)
			}
			if !slices.Equal(rel, c.recErrs) {
				t.Errorf("record errors at %v, want %v", rel, c.recErrs)
			}
			if after := endOffset(t, b, c.topic, 0); after != before {
				t.Fatalf("end offset moved from %d to %d", before, after)
			}
		})
	}
	if got := endOffset(t, b, "plain", 0); got != 2 {
		t.Fatalf("plain end offset %d, want 2", got)
	}
	if got := endOffset(t, b, "compacted", 0); got != 1 {
		t.Fatalf("compacted end offset %d, want 1", got)
	}
}

// fixCRC recomputes a batch's CRC after the test changed its header.
func fixCRC(batch []byte) { binary.BigEndian.PutUint32(batch[17:], record.ComputeCRC(batch)) }

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// Only Produce may send frames over 16 MiB (below socket.request.max.bytes):
// decoding other requests allocates by the counts they claim.
func TestLargeNonProduceFrameClosed(t *testing.T) {
	b := testkit.StartBroker(t)
	tr := startTraffic(t, b, "traffic")
	tr.progress(3)
	rc := dialRaw(t, b.Addr())
	hdr := binary.BigEndian.AppendUint32(nil, 20<<20)
	hdr = append(hdr, 0, 3, 0, 1, 0, 0, 0, 1) // Metadata v1, correlation id 1
	rc.write(hdr)
	rc.expectClosed()
	tr.progress(3)
	tr.verify()
}
