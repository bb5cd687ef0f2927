package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/record"
)

// fuzzMaxRequest is socket.request.max.bytes for the fuzz target.
const fuzzMaxRequest = 1 << 20

// fuzzConn is a connection of a server with the real dispatch table and
// nothing behind it: enough to parse requests.
func fuzzConn() *conn {
	s := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Settings: Settings{MaxRequestSize: fuzzMaxRequest}})
	return &conn{s: s, log: s.log}
}

// FuzzRequestFrame feeds arbitrary bytes to the request parsing path: a
// frame's contents after the size prefix (api key, version, correlation id,
// client id, tagged fields, body). It must never panic; what parses must be
// a supported key and version whose body re-encodes stably, an
// unsupported-version ApiVersions gets its v0 answer, and everything else
// is a protocol error that closes the connection.
func FuzzRequestFrame(f *testing.F) {
	c := fuzzConn()
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 8 || len(b) > fuzzMaxRequest { // readLoop's size check
			return
		}
		r, err := c.parse(context.Background(), b)
		if err != nil {
			if !errors.Is(err, errProtocol) || r != nil {
				t.Fatalf("parse error %v (request %v) is not a protocol error", err, r)
			}
			return
		}
		checkParsed(t, c, b, r)
	})
}

// checkParsed checks FuzzRequestFrame's properties of a parsed request.
func checkParsed(t *testing.T, c *conn, b []byte, r *request) {
	key, ver := int16(binary.BigEndian.Uint16(b)), int16(binary.BigEndian.Uint16(b[2:]))
	corr := int32(binary.BigEndian.Uint32(b[4:]))
	if r.key != key || r.version != ver || r.corr != corr {
		t.Fatalf("parsed key %d v%d corr %d from %d v%d corr %d", r.key, r.version, r.corr, key, ver, corr)
	}
	h := c.s.handlers[key]
	if r.kreq == nil { // ApiVersions of a version we don't serve
		resp, ok := r.resp.(*kmsg.ApiVersionsResponse)
		if key != kmsg.ApiVersions.Int16() || (ver >= h.min && ver <= h.max) || !ok || resp.ErrorCode != kerr.UnsupportedVersion.Code {
			t.Fatalf("key %d v%d answered without a request: %+v", key, ver, r.resp)
		}
		if out := c.appendResponse(nil, r); len(out) != 4+4+12 {
			t.Fatalf("unsupported ApiVersions answer is %d bytes: %x", len(out), out)
		}
		return
	}
	if h.fn == nil || ver < h.min || ver > h.max || r.kreq.Key() != key || r.kreq.GetVersion() != ver {
		t.Fatalf("parsed %s v%d, not served (%d-%d)", kmsg.NameForKey(key), ver, h.min, h.max)
	}
	// Decoding what was decoded and encoded again gives the same bytes.
	enc := r.kreq.AppendTo(nil)
	again := kmsg.RequestForKey(key)
	again.SetVersion(ver)
	if err := again.ReadFrom(enc); err != nil {
		t.Fatalf("%s v%d: re-encoded body does not decode: %v", kmsg.NameForKey(key), ver, err)
	}
	if enc2 := again.AppendTo(nil); !bytes.Equal(enc, enc2) {
		t.Fatalf("%s v%d: encoding is not stable:\n%x\n%x", kmsg.NameForKey(key), ver, enc, enc2)
	}
}

// seedRequests are requests of every served key, with some content.
func seedRequests() []kmsg.Request {
	var out []kmsg.Request
	for _, h := range handlerTable {
		req := kmsg.RequestForKey(h.key)
		fillSeed(req)
		out = append(out, req)
	}
	return out
}

// fillSeed gives the requests whose bodies matter most some content.
func fillSeed(req kmsg.Request) {
	topic := func() *string { return kmsg.StringPtr("topic") }
	switch r := req.(type) {
	case *kmsg.ProduceRequest:
		r.Acks, r.TimeoutMillis = -1, 5000
		p := kmsg.NewProduceRequestTopicPartition()
		p.Records = seedBatch()
		t := kmsg.NewProduceRequestTopic()
		t.Topic, t.Partitions = "topic", []kmsg.ProduceRequestTopicPartition{p}
		r.Topics = []kmsg.ProduceRequestTopic{t}
	case *kmsg.FetchRequest:
		r.ReplicaID, r.MaxWaitMillis, r.MinBytes, r.SessionEpoch = -1, 500, 1, 0
		p := kmsg.NewFetchRequestTopicPartition()
		p.FetchOffset, p.PartitionMaxBytes = 10, 1<<20
		t := kmsg.NewFetchRequestTopic()
		t.Topic, t.TopicID, t.Partitions = "topic", [16]byte{1, 2, 3}, []kmsg.FetchRequestTopicPartition{p}
		r.Topics = []kmsg.FetchRequestTopic{t}
		f := kmsg.NewFetchRequestForgottenTopic()
		f.Topic, f.Partitions = "gone", []int32{0, 1}
		r.ForgottenTopics = []kmsg.FetchRequestForgottenTopic{f}
	case *kmsg.ListOffsetsRequest:
		p := kmsg.NewListOffsetsRequestTopicPartition()
		p.Timestamp = -1
		t := kmsg.NewListOffsetsRequestTopic()
		t.Topic, t.Partitions = "topic", []kmsg.ListOffsetsRequestTopicPartition{p}
		r.Topics = []kmsg.ListOffsetsRequestTopic{t}
	case *kmsg.OffsetForLeaderEpochRequest:
		r.ReplicaID = -1
		p := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
		p.CurrentLeaderEpoch, p.LeaderEpoch = 0, 0
		t := kmsg.NewOffsetForLeaderEpochRequestTopic()
		t.Topic, t.Partitions = "topic", []kmsg.OffsetForLeaderEpochRequestTopicPartition{p}
		r.Topics = []kmsg.OffsetForLeaderEpochRequestTopic{t}
	case *kmsg.DescribeProducersRequest:
		t := kmsg.NewDescribeProducersRequestTopic()
		t.Topic, t.Partitions = "topic", []int32{0, 1}
		r.Topics = []kmsg.DescribeProducersRequestTopic{t}
	case *kmsg.MetadataRequest:
		r.Topics = []kmsg.MetadataRequestTopic{{Topic: topic()}}
	case *kmsg.CreateTopicsRequest:
		t := kmsg.NewCreateTopicsRequestTopic()
		t.Topic, t.NumPartitions, t.ReplicationFactor = "topic", 3, 1
		t.Configs = []kmsg.CreateTopicsRequestTopicConfig{{Name: "retention.ms", Value: kmsg.StringPtr("1000")}}
		r.Topics = []kmsg.CreateTopicsRequestTopic{t}
	case *kmsg.DeleteTopicsRequest:
		r.TopicNames = []string{"topic"}
		r.Topics = []kmsg.DeleteTopicsRequestTopic{{Topic: topic()}}
	case *kmsg.DescribeConfigsRequest:
		r.Resources = []kmsg.DescribeConfigsRequestResource{{ResourceType: kmsg.ConfigResourceTypeTopic, ResourceName: "topic"}}
	case *kmsg.IncrementalAlterConfigsRequest:
		res := kmsg.NewIncrementalAlterConfigsRequestResource()
		res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeTopic, "topic"
		res.Configs = []kmsg.IncrementalAlterConfigsRequestResourceConfig{{Name: "retention.ms", Value: kmsg.StringPtr("1")}}
		r.Resources = []kmsg.IncrementalAlterConfigsRequestResource{res}
	case *kmsg.ApiVersionsRequest:
		r.ClientSoftwareName, r.ClientSoftwareVersion = "seed", "1.0"
	}
}

// seedBatch is a small valid record batch (one record, no compression).
func seedBatch() []byte {
	h := record.Header{FirstTimestamp: 1700000000000, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}
	b, err := record.BuildBatch(nil, h, []record.Record{{Key: []byte("k"), Value: []byte("v")}}, nil)
	if err != nil {
		panic(err) // an uncompressed batch cannot fail
	}
	return b
}

// seedFrames are the fuzz seeds: every served key at every served version,
// encoded as clients send them, without the size prefix; and an ApiVersions
// request of a version we don't serve.
func seedFrames() map[string][]byte {
	out := map[string][]byte{}
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("seed"))
	for _, req := range seedRequests() {
		h := handlerTable[slicesIndexKey(req.Key())]
		for v := h.min; v <= h.max; v++ {
			req.SetVersion(v)
			frame := f.AppendRequest(nil, req, 7)
			out[fmt.Sprintf("%s-v%d", kmsg.NameForKey(req.Key()), v)] = frame[4:]
		}
	}
	av := kmsg.NewPtrApiVersionsRequest()
	av.SetVersion(4)
	frame := f.AppendRequest(nil, av, 9)
	binary.BigEndian.PutUint16(frame[6:], 99)
	out["ApiVersions-v99"] = frame[4:]
	return out
}

func slicesIndexKey(key int16) int {
	for i, h := range handlerTable {
		if h.key == key {
			return i
		}
	}
	return -1
}

// TestFuzzRequestFrameSeeds checks that every seed is checked in under
// testdata/fuzz/FuzzRequestFrame and parses: real requests of every served
// key and version are accepted. VLTAVA_WRITE_FUZZ_SEEDS=1 (re)writes them.
func TestFuzzRequestFrameSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzRequestFrame")
	seeds := seedFrames()
	write := os.Getenv("VLTAVA_WRITE_FUZZ_SEEDS") != ""
	if write {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	c := fuzzConn()
	for name, b := range seeds {
		path := filepath.Join(dir, name)
		content := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
		if write {
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		} else if got, err := os.ReadFile(path); err != nil || string(got) != content {
			t.Errorf("seed %s missing or stale (%v): run VLTAVA_WRITE_FUZZ_SEEDS=1 go test -run TestFuzzRequestFrameSeeds", path, err)
		}
		r, err := c.parse(context.Background(), b)
		if err != nil {
			t.Errorf("seed %s does not parse: %v", name, err)
			continue
		}
		checkParsed(t, c, b, r)
		if name != "ApiVersions-v99" && r.clientID != "seed" {
			t.Errorf("seed %s: client id %q", name, r.clientID)
		}
	}
}
