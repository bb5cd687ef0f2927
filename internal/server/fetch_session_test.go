package server_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/record"
	"github.com/vltava/vltava/internal/testkit"
)

// fetcher sends hand-made Fetch requests of one version on a raw
// connection, naming topics by name (v12-) or id (v13+).
type fetcher struct {
	t       *testing.T
	rc      *rawConn
	version int16
	ids     map[string][16]byte
	names   map[[16]byte]string
}

func newFetcher(t *testing.T, b *testkit.Broker, version int16, topics ...string) *fetcher {
	t.Helper()
	td, err := b.Admin().ListTopics(testkit.Context(t, 10*time.Second), topics...)
	if err != nil {
		t.Fatalf("list topics: %v", err)
	}
	f := &fetcher{t: t, rc: dialRaw(t, b.Addr()), version: version, ids: map[string][16]byte{}, names: map[[16]byte]string{}}
	for _, name := range topics {
		d, ok := td[name]
		if !ok || d.Err != nil {
			t.Fatalf("topic %s: %v", name, d.Err)
		}
		f.ids[name], f.names[d.ID] = d.ID, name
	}
	return f
}

// fp names a partition of a fetch (and its fetch offset).
type fp struct {
	topic     string
	partition int32
	offset    int64
}

// fetchOpts are the request fields the tests vary.
type fetchOpts struct {
	sessionID, epoch int32
	minBytes, wait   int32
	leaderEpoch      int32
	parts, forget    []fp
}

func (f *fetcher) request(o fetchOpts) *kmsg.FetchRequest {
	req := kmsg.NewPtrFetchRequest()
	req.SetVersion(f.version)
	req.ReplicaID, req.MaxBytes = -1, 50<<20
	req.MinBytes, req.MaxWaitMillis = o.minBytes, o.wait
	req.SessionID, req.SessionEpoch = o.sessionID, o.epoch
	for _, p := range o.parts {
		rt := f.topic(&req.Topics, p.topic)
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition, rp.FetchOffset, rp.PartitionMaxBytes = p.partition, p.offset, 1<<20
		rp.CurrentLeaderEpoch = o.leaderEpoch
		rt.Partitions = append(rt.Partitions, rp)
	}
	for _, p := range o.forget {
		ft := kmsg.NewFetchRequestForgottenTopic()
		ft.Topic, ft.TopicID = p.topic, f.id(p.topic)
		if f.version >= 13 {
			ft.Topic = ""
		}
		ft.Partitions = []int32{p.partition}
		req.ForgottenTopics = append(req.ForgottenTopics, ft)
	}
	return req
}

// id is a topic's id, or for a topic the broker does not have, a made-up
// id spelling its name.
func (f *fetcher) id(name string) [16]byte {
	id, known := f.ids[name]
	if !known {
		copy(id[:], name)
	}
	return id
}

// topic finds or adds the request topic for name.
func (f *fetcher) topic(topics *[]kmsg.FetchRequestTopic, name string) *kmsg.FetchRequestTopic {
	id := f.id(name)
	for i := range *topics {
		if (*topics)[i].Topic == name && f.version < 13 || (*topics)[i].TopicID == id && f.version >= 13 {
			return &(*topics)[i]
		}
	}
	rt := kmsg.NewFetchRequestTopic()
	if f.version >= 13 {
		rt.TopicID = id
	} else {
		rt.Topic = name
	}
	*topics = append(*topics, rt)
	return &(*topics)[len(*topics)-1]
}

// fetch sends a request and returns the response.
func (f *fetcher) fetch(o fetchOpts) *kmsg.FetchResponse {
	f.t.Helper()
	return f.rc.roundTrip(f.request(o)).(*kmsg.FetchResponse)
}

// summary renders a fetch response's partitions, one string per partition
// in response order: "topic/p err=E hw=H lso=L ls=S recs=first..last".
func (f *fetcher) summary(resp *kmsg.FetchResponse) []string {
	f.t.Helper()
	var out []string
	for _, rt := range resp.Topics {
		name := rt.Topic
		if f.version >= 13 {
			if rt.Topic != "" {
				f.t.Errorf("v%d response names topic %q", f.version, rt.Topic)
			}
			var ok bool
			if name, ok = f.names[rt.TopicID]; !ok {
				name = "?" + strings.TrimRight(string(rt.TopicID[:]), "\x00")
			}
		}
		for _, p := range rt.Partitions {
			out = append(out, fmt.Sprintf("%s/%d err=%d hw=%d lso=%d ls=%d recs=%s",
				name, p.Partition, p.ErrorCode, p.HighWatermark, p.LastStableOffset, p.LogStartOffset, batchRange(f.t, p.RecordBatches)))
		}
	}
	return out
}

// batchRange is "first..last" offsets of the records in batches, or "-".
func batchRange(t testing.TB, b []byte) string {
	t.Helper()
	if len(b) == 0 {
		return "-"
	}
	first, last := int64(-1), int64(-1)
	for len(b) > 0 {
		h, err := record.ParseHeader(b)
		if err != nil || h.Size() > len(b) {
			t.Fatalf("fetched batches do not parse: %v", err)
		}
		if first < 0 {
			first = h.BaseOffset
		}
		last, b = h.LastOffset(), b[h.Size():]
	}
	return fmt.Sprintf("%d..%d", first, last)
}

// expect sends a request and checks the top-level error, whether a
// session id came back, and the partitions' summary.
func (f *fetcher) expect(what string, o fetchOpts, code *kerr.Error, wantSession int32, want ...string) *kmsg.FetchResponse {
	f.t.Helper()
	resp := f.fetch(o)
	var wantCode int16
	if code != nil {
		wantCode = code.Code
	}
	if resp.ErrorCode != wantCode {
		f.t.Fatalf("%s: error %d (%v), want %d", what, resp.ErrorCode, kerr.ErrorForCode(resp.ErrorCode), wantCode)
	}
	switch {
	case wantSession == newSession && resp.SessionID == 0:
		f.t.Fatalf("%s: no session id", what)
	case wantSession != newSession && resp.SessionID != wantSession:
		f.t.Fatalf("%s: session id %d, want %d", what, resp.SessionID, wantSession)
	}
	if got := f.summary(resp); !slices.Equal(got, want) {
		f.t.Fatalf("%s: got partitions\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	return resp
}

// newSession as expect's wantSession: any non-zero session id.
const newSession = -1

func produceTo(t *testing.T, cl *kgo.Client, topic string, partition int32, n int) {
	t.Helper()
	produceN(t, cl, topic, n, partition)
}

func TestFetchSessions(t *testing.T) {
	b := testkit.StartBroker(t)
	for _, v := range []int16{12, 13, 17} {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) { testFetchSession(t, b, v) })
	}
}

func testFetchSession(t *testing.T, b *testkit.Broker, v int16) {
	ta, tb := fmt.Sprintf("sa%d", v), fmt.Sprintf("sb%d", v)
	adm := b.Admin()
	createTopic(t, adm, ta, 3, nil)
	createTopic(t, adm, tb, 1, nil)
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produceTo(t, cl, ta, 0, 2)
	produceTo(t, cl, ta, 2, 1)
	f := newFetcher(t, b, v, ta, tb)
	all := []fp{{ta, 0, 0}, {ta, 1, 0}, {ta, 2, 0}, {tb, 0, 0}}

	full := f.expect("full fetch", fetchOpts{parts: all}, nil, newSession,
		ta+"/0 err=0 hw=2 lso=2 ls=0 recs=0..1",
		ta+"/1 err=0 hw=0 lso=0 ls=0 recs=-",
		ta+"/2 err=0 hw=1 lso=1 ls=0 recs=0..0",
		tb+"/0 err=0 hw=0 lso=0 ls=0 recs=-")
	sid := full.SessionID
	sess := func(epoch int32, parts ...fp) fetchOpts {
		return fetchOpts{sessionID: sid, epoch: epoch, parts: parts}
	}

	// The client moves its positions; nothing else changed.
	f.expect("incremental, positions moved", sess(1, fp{ta, 0, 2}, fp{ta, 2, 1}), nil, sid)
	f.expect("incremental, nothing new", sess(2), nil, sid)

	// New data in one partition: only it comes back.
	produceTo(t, cl, ta, 1, 1)
	f.expect("incremental, new data", sess(3), nil, sid, ta+"/1 err=0 hw=1 lso=1 ls=0 recs=0..0")
	// The session keeps the old position until the client sends a new one.
	f.expect("incremental, same position", sess(4), nil, sid, ta+"/1 err=0 hw=1 lso=1 ls=0 recs=0..0")
	f.expect("incremental, position moved", sess(5, fp{ta, 1, 1}), nil, sid)

	// A moved log start offset is news, without records.
	deleteBefore(t, adm, ta, 0, 1)
	f.expect("incremental, log start moved", sess(6), nil, sid, ta+"/0 err=0 hw=2 lso=2 ls=1 recs=-")

	// Forgotten partitions are no longer returned.
	forget := sess(7)
	forget.forget = []fp{{ta, 2, 0}, {tb, 0, 0}}
	f.expect("incremental, forget two", forget, nil, sid)
	produceTo(t, cl, ta, 2, 1)
	produceTo(t, cl, tb, 0, 1)
	produceTo(t, cl, ta, 0, 1)
	f.expect("incremental after forgetting", sess(8), nil, sid, ta+"/0 err=0 hw=3 lso=3 ls=1 recs=2..2")

	// Session errors leave the session as it was.
	f.expect("wrong epoch", sess(99), kerr.InvalidFetchSessionEpoch, 0)
	f.expect("epoch already used", sess(8), kerr.InvalidFetchSessionEpoch, 0)
	f.expect("right epoch after a wrong one", sess(9, fp{ta, 0, 3}), nil, sid)
	f.expect("unknown session", fetchOpts{sessionID: sid ^ 0x40000000, epoch: 1}, kerr.FetchSessionIDNotFound, 0)
	f.expect("session id 0, epoch 1", fetchOpts{epoch: 1}, kerr.FetchSessionIDNotFound, 0)
	other := int16(12)
	if v < 13 {
		other = 13
	}
	g := newFetcher(t, b, other, ta, tb)
	g.expect(fmt.Sprintf("v%d request in a v%d session", other, v), sess(10), kerr.FetchSessionTopicIDError, 0)

	// A partition re-added comes back in full.
	f.expect("incremental, re-add", sess(10, fp{tb, 0, 0}), nil, sid, tb+"/0 err=0 hw=1 lso=1 ls=0 recs=0..0")

	// Epoch -1 closes the session; that fetch is sessionless.
	closing := sess(-1, fp{ta, 0, 1})
	f.expect("close", closing, nil, 0, ta+"/0 err=0 hw=3 lso=3 ls=1 recs=0..2") // whole batches
	f.expect("closed session", sess(11), kerr.FetchSessionIDNotFound, 0)

	// A request that forgets every partition closes the session too.
	second := f.expect("second full fetch", fetchOpts{parts: []fp{{ta, 1, 1}}}, nil, newSession, ta+"/1 err=0 hw=1 lso=1 ls=0 recs=-")
	empty := fetchOpts{sessionID: second.SessionID, epoch: 1, forget: []fp{{ta, 1, 0}}}
	f.expect("forget all", empty, nil, 0)
	f.expect("emptied session", fetchOpts{sessionID: second.SessionID, epoch: 2}, kerr.FetchSessionIDNotFound, 0)

	// A partition both added and forgotten in one request is removed
	// (Kafka applies the additions first).
	third := f.expect("third full fetch", fetchOpts{parts: []fp{{ta, 1, 1}, {tb, 0, 1}}}, nil, newSession,
		ta+"/1 err=0 hw=1 lso=1 ls=0 recs=-", tb+"/0 err=0 hw=1 lso=1 ls=0 recs=-")
	both := fetchOpts{sessionID: third.SessionID, epoch: 1, parts: []fp{{tb, 0, 0}}, forget: []fp{{tb, 0, 0}}}
	f.expect("add and forget", both, nil, third.SessionID)
	produceTo(t, cl, tb, 0, 1)
	f.expect("after add and forget", fetchOpts{sessionID: third.SessionID, epoch: 2}, nil, third.SessionID)
}

// TestFetchSessionErrorsResent checks that a partition whose error clears
// is sent again even when nothing else about it changed.
func TestFetchSessionErrorsResent(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "er", 1, nil)
	produceN(t, b.Client(), "er", 2, 0)
	f := newFetcher(t, b, 12, "er")
	full := f.expect("full fetch out of range", fetchOpts{parts: []fp{{"er", 0, 5}}}, nil, newSession,
		"er/0 err=1 hw=2 lso=2 ls=0 recs=-")
	sid := full.SessionID
	f.expect("still out of range", fetchOpts{sessionID: sid, epoch: 1}, nil, sid, "er/0 err=1 hw=2 lso=2 ls=0 recs=-")
	f.expect("back in range, at the end", fetchOpts{sessionID: sid, epoch: 2, parts: []fp{{"er", 0, 2}}}, nil, sid,
		"er/0 err=0 hw=2 lso=2 ls=0 recs=-")
	f.expect("nothing new", fetchOpts{sessionID: sid, epoch: 3}, nil, sid)
}

// TestFetchUnknownTopicID checks v13+ fetches of a topic id the broker does
// not know, sessionless and in a session.
func TestFetchUnknownTopicID(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "known", 1, nil)
	produceN(t, b.Client(), "known", 1, 0)
	f := newFetcher(t, b, 13, "known")
	parts := []fp{{"known", 0, 0}, {"nope", 0, 0}}
	f.expect("sessionless", fetchOpts{sessionID: 0, epoch: -1, parts: parts}, nil, 0,
		"known/0 err=0 hw=1 lso=1 ls=0 recs=0..0",
		"?nope/0 err=100 hw=-1 lso=-1 ls=-1 recs=-")
	full := f.expect("full", fetchOpts{parts: parts}, nil, newSession,
		"known/0 err=0 hw=1 lso=1 ls=0 recs=0..0",
		"?nope/0 err=100 hw=-1 lso=-1 ls=-1 recs=-")
	// Errors are always sent again in incremental responses.
	f.expect("incremental", fetchOpts{sessionID: full.SessionID, epoch: 1, parts: []fp{{"known", 0, 1}}}, nil, full.SessionID,
		"?nope/0 err=100 hw=-1 lso=-1 ls=-1 recs=-")
	// Two unknown ids are two partitions of the session, forgotten apart.
	f.expect("second unknown id", fetchOpts{sessionID: full.SessionID, epoch: 2, parts: []fp{{"nada", 0, 0}}}, nil, full.SessionID,
		"?nope/0 err=100 hw=-1 lso=-1 ls=-1 recs=-", "?nada/0 err=100 hw=-1 lso=-1 ls=-1 recs=-")
	forget := fetchOpts{sessionID: full.SessionID, epoch: 3, forget: []fp{{"nope", 0, 0}}}
	f.expect("forget the first unknown id", forget, nil, full.SessionID, "?nada/0 err=100 hw=-1 lso=-1 ls=-1 recs=-")
}

// TestFetchLeaderEpoch checks CurrentLeaderEpoch: our epoch is 0, so 1 is
// UNKNOWN_LEADER_EPOCH, and 0 or -1 (no check) read normally. The fenced
// case (an epoch below ours) cannot happen on a single node whose epochs
// stay 0: -1 means "don't check".
func TestFetchLeaderEpoch(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "le", 1, nil)
	produceN(t, b.Client(), "le", 1, 0)
	f := newFetcher(t, b, 12, "le")
	parts := []fp{{"le", 0, 0}}
	f.expect("epoch 1", fetchOpts{epoch: -1, leaderEpoch: 1, parts: parts}, nil, 0, "le/0 err=75 hw=-1 lso=-1 ls=-1 recs=-")
	f.expect("epoch 0", fetchOpts{epoch: -1, leaderEpoch: 0, parts: parts}, nil, 0, "le/0 err=0 hw=1 lso=1 ls=0 recs=0..0")
	f.expect("no epoch", fetchOpts{epoch: -1, leaderEpoch: -1, parts: parts}, nil, 0, "le/0 err=0 hw=1 lso=1 ls=0 recs=0..0")
	// An epoch error answers at once instead of waiting for data.
	start := time.Now()
	f.expect("epoch 1, long poll", fetchOpts{epoch: -1, leaderEpoch: 1, minBytes: 1, wait: 5000, parts: []fp{{"le", 0, 1}}}, nil, 0,
		"le/0 err=75 hw=-1 lso=-1 ls=-1 recs=-")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("error response took %v", d)
	}
}

func TestFetchLongPoll(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "lp", 2, nil)
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	f := newFetcher(t, b, 12, "lp")
	parts := []fp{{"lp", 0, 0}, {"lp", 1, 0}}

	// Data produced while the fetch waits answers it at once.
	start := time.Now()
	corr := f.rc.send(f.request(fetchOpts{epoch: -1, minBytes: 1, wait: 3000, parts: parts}))
	produceTo(t, cl, "lp", 1, 1)
	resp := kmsg.NewPtrFetchResponse()
	resp.SetVersion(12)
	f.rc.read(corr, resp)
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Fatalf("long poll answered after %v, want well under the 3s max wait", d)
	}
	want := []string{"lp/0 err=0 hw=0 lso=0 ls=0 recs=-", "lp/1 err=0 hw=1 lso=1 ls=0 recs=0..0"}
	if got := f.summary(resp); !slices.Equal(got, want) {
		t.Fatalf("long poll response %v, want %v", got, want)
	}

	// Without data the fetch waits out max.wait.ms, then answers empty.
	start = time.Now()
	f.expect("nothing to read", fetchOpts{epoch: -1, minBytes: 1, wait: 500, parts: []fp{{"lp", 0, 0}, {"lp", 1, 1}}}, nil, 0,
		"lp/0 err=0 hw=0 lso=0 ls=0 recs=-", "lp/1 err=0 hw=1 lso=1 ls=0 recs=-")
	if d := time.Since(start); d < 500*time.Millisecond || d > 2500*time.Millisecond {
		t.Fatalf("empty long poll answered after %v, want about 500ms", d)
	}

	// Less data than min.bytes: wait, then answer with what there is.
	start = time.Now()
	f.expect("under min bytes", fetchOpts{epoch: -1, minBytes: 1 << 20, wait: 300, parts: parts}, nil, 0,
		"lp/0 err=0 hw=0 lso=0 ls=0 recs=-", "lp/1 err=0 hw=1 lso=1 ls=0 recs=0..0")
	if d := time.Since(start); d < 300*time.Millisecond || d > 2500*time.Millisecond {
		t.Fatalf("min.bytes fetch answered after %v, want about 300ms", d)
	}

	// A session's incremental long poll is woken by data too, and answers
	// with only that partition.
	full := f.expect("full", fetchOpts{parts: []fp{{"lp", 0, 0}, {"lp", 1, 1}}}, nil, newSession,
		"lp/0 err=0 hw=0 lso=0 ls=0 recs=-", "lp/1 err=0 hw=1 lso=1 ls=0 recs=-")
	start = time.Now()
	corr = f.rc.send(f.request(fetchOpts{sessionID: full.SessionID, epoch: 1, minBytes: 1, wait: 3000}))
	produceTo(t, cl, "lp", 0, 2)
	resp = kmsg.NewPtrFetchResponse()
	resp.SetVersion(12)
	f.rc.read(corr, resp)
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Fatalf("incremental long poll answered after %v", d)
	}
	want = []string{"lp/0 err=0 hw=2 lso=2 ls=0 recs=0..1"}
	if got := f.summary(resp); resp.SessionID != full.SessionID || !slices.Equal(got, want) {
		t.Fatalf("incremental long poll: session %d (want %d), partitions %v, want %v", resp.SessionID, full.SessionID, got, want)
	}
}

// deleteBefore moves a partition's log start offset with DeleteRecords.
func deleteBefore(t *testing.T, adm *kadm.Client, topic string, partition int32, offset int64) {
	t.Helper()
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: topic, Partition: partition, At: offset})
	res, err := adm.DeleteRecords(testkit.Context(t, 10*time.Second), offs)
	if err != nil {
		t.Fatalf("delete records: %v", err)
	}
	if r, ok := res.Lookup(topic, partition); !ok || r.Err != nil || r.LowWatermark != offset {
		t.Fatalf("delete records: %+v", r)
	}
}
