package group

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/coord"
)

// testEnv is a coord.Env on a manual clock: timers run when the test
// advances time, in order of due time, on the test's goroutine.
type testEnv struct {
	now    time.Time
	seq    int
	timers map[string]*testTimer
}

type testTimer struct {
	at  time.Time
	seq int
	fn  func() coord.Result
}

func (e *testEnv) Now() time.Time { return e.now }

func (e *testEnv) Schedule(key string, d time.Duration, fn func() coord.Result) {
	e.seq++
	e.timers[key] = &testTimer{at: e.now.Add(d), seq: e.seq, fn: fn}
}

func (e *testEnv) Cancel(key string) { delete(e.timers, key) }

// harness drives one Shard like the runtime does, without goroutines: it
// keeps the records written (the partition's log) and completes results
// at once.
type harness struct {
	t   *testing.T
	env *testEnv
	d   *deps
	s   *Shard
	log []coord.Record
	ids int
}

func newHarness(t *testing.T, cfg Config) *harness {
	h := &harness{t: t, env: &testEnv{now: time.UnixMilli(1_700_000_000_000), timers: map[string]*testTimer{}}}
	h.d = &deps{
		cfg:             cfg,
		partitionExists: func(topic string, p int32) bool { return (topic == "t" || topic == "u") && p >= 0 && p < 4 },
		newMemberID: func(prefix string) string {
			h.ids++
			return fmt.Sprintf("%s-%d", prefix, h.ids)
		},
	}
	h.s = newShard(0, h.env, h.d)
	h.s.Loaded()
	return h
}

func defaultConfig() Config {
	return Config{
		InitialRebalanceDelay: 3 * time.Second, MinSessionTimeout: 6 * time.Second, MaxSessionTimeout: 30 * time.Minute,
		MaxSize: 1 << 30, OffsetsRetention: 7 * 24 * time.Hour, RetentionCheckInterval: 10 * time.Minute, MetadataMaxBytes: 4096,
	}
}

// run completes a result as the runtime would after a successful write.
func (h *harness) run(res coord.Result) {
	h.log = append(h.log, res.Records...)
	if res.Done != nil {
		res.Done(nil)
	}
}

// advance moves the clock, running due timers in order.
func (h *harness) advance(d time.Duration) {
	end := h.env.now.Add(d)
	for {
		var key string
		var next *testTimer
		for k, tm := range h.env.timers {
			if !tm.at.After(end) && (next == nil || tm.at.Before(next.at) || tm.at.Equal(next.at) && tm.seq < next.seq) {
				key, next = k, tm
			}
		}
		if next == nil {
			break
		}
		delete(h.env.timers, key)
		h.env.now = next.at
		h.run(next.fn())
	}
	h.env.now = end
}

// reload builds a new shard from the records written so far, as a broker
// does after a restart.
func (h *harness) reload() {
	h.s = newShard(0, h.env, h.d)
	h.env.timers = map[string]*testTimer{}
	for i, r := range h.log {
		if err := h.s.Replay(int64(i), r); err != nil {
			h.t.Fatalf("replay record %d: %v", i, err)
		}
	}
	h.s.Loaded()
}

// pendingJoin is a JoinGroup whose response may come later.
type pendingJoin struct {
	resp *kmsg.JoinGroupResponse
}

func (p *pendingJoin) done() bool { return p.resp != nil }

func protocols(names ...string) []kmsg.JoinGroupRequestProtocol {
	md := kmsg.NewConsumerMemberMetadata()
	md.Topics = []string{"t"}
	var out []kmsg.JoinGroupRequestProtocol
	for _, n := range names {
		out = append(out, kmsg.JoinGroupRequestProtocol{Name: n, Metadata: md.AppendTo(nil)})
	}
	return out
}

// joinReq is a JoinGroup v9 from client "c" with a 10s session timeout.
func joinReq(group, memberID string) *kmsg.JoinGroupRequest {
	r := kmsg.NewPtrJoinGroupRequest()
	r.Version, r.Group, r.MemberID = 9, group, memberID
	r.SessionTimeoutMillis, r.RebalanceTimeoutMillis = 10_000, 20_000
	r.ProtocolType, r.Protocols = "consumer", protocols("range")
	return r
}

func (h *harness) join(req *kmsg.JoinGroupRequest) *pendingJoin {
	p := &pendingJoin{}
	h.run(h.s.JoinGroup(req, "c", "/127.0.0.1", func(r *kmsg.JoinGroupResponse) {
		if p.resp != nil {
			h.t.Fatalf("join answered twice: %+v then %+v", p.resp, r)
		}
		p.resp = r
	}))
	return p
}

// joinNew joins a dynamic member the KIP-394 way and returns its id and
// the pending real join.
func (h *harness) joinNew(group string) (string, *pendingJoin) {
	h.t.Helper()
	first := h.join(joinReq(group, ""))
	if !first.done() || first.resp.ErrorCode != kerr.MemberIDRequired.Code {
		h.t.Fatalf("first join: %+v, want MEMBER_ID_REQUIRED", first.resp)
	}
	return first.resp.MemberID, h.join(joinReq(group, first.resp.MemberID))
}

type pendingSync struct{ resp *kmsg.SyncGroupResponse }

func (h *harness) sync(group, member string, gen int32, assign map[string]string) *pendingSync {
	req := kmsg.NewPtrSyncGroupRequest()
	req.Version, req.Group, req.MemberID, req.Generation = 5, group, member, gen
	req.ProtocolType, req.Protocol = ptr("consumer"), ptr("range")
	for _, id := range sortedKeys(assign) {
		req.GroupAssignment = append(req.GroupAssignment, kmsg.SyncGroupRequestGroupAssignment{MemberID: id, MemberAssignment: []byte(assign[id])})
	}
	p := &pendingSync{}
	h.run(h.s.SyncGroup(req, func(r *kmsg.SyncGroupResponse) { p.resp = r }))
	return p
}

func (h *harness) heartbeat(group, member string, gen int32, instance *string) int16 {
	req := kmsg.NewPtrHeartbeatRequest()
	req.Version, req.Group, req.MemberID, req.Generation, req.InstanceID = 4, group, member, gen, instance
	resp, res := h.s.Heartbeat(req)
	h.run(res)
	return resp.ErrorCode
}

func (h *harness) state(group string) string {
	if g := h.s.groups[group]; g != nil {
		return g.state.String()
	}
	return "none"
}

// recordKinds summarises the records written since index from, e.g.
// "group g gen=1 members=2" or "offset g t/0=5" or "tombstone offset g t/0".
func (h *harness) recordKinds(from int) []string {
	var out []string
	for _, r := range h.log[from:] {
		out = append(out, describeRecord(h.t, r))
	}
	return out
}

func describeRecord(t *testing.T, r coord.Record) string {
	v, _ := keyVersion(r.Key)
	if v == 2 {
		var k kmsg.GroupMetadataKey
		if err := k.ReadFrom(r.Key); err != nil {
			t.Fatal(err)
		}
		if r.Value == nil {
			return "tombstone group " + k.Group
		}
		var gv kmsg.GroupMetadataValue
		if err := gv.ReadFrom(r.Value); err != nil {
			t.Fatal(err)
		}
		var ms []string
		for _, m := range gv.Members {
			ms = append(ms, m.MemberID+":"+string(m.Assignment))
		}
		sort.Strings(ms)
		return fmt.Sprintf("group %s gen=%d protocol=%s leader=%s members=%v", k.Group, gv.Generation, deref(gv.Protocol), deref(gv.Leader), ms)
	}
	var k kmsg.OffsetCommitKey
	if err := k.ReadFrom(r.Key); err != nil {
		t.Fatal(err)
	}
	if r.Value == nil {
		return fmt.Sprintf("tombstone offset %s %s/%d", k.Group, k.Topic, k.Partition)
	}
	var ov kmsg.OffsetCommitValue
	if err := ov.ReadFrom(r.Value); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("offset %s %s/%d=%d epoch=%d meta=%q", k.Group, k.Topic, k.Partition, ov.Offset, ov.LeaderEpoch, ov.Metadata)
}

func wantStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func wantCode(t *testing.T, what string, got int16, want *kerr.Error) {
	t.Helper()
	if got != errCode(want) {
		t.Fatalf("%s: error %v, want %v", what, kerr.ErrorForCode(got), want)
	}
}
