package server

// Fetch: v4-18
//
// Reads committed data (below the high watermark; below the last stable
// offset for read_committed) as whole batches exactly as stored. Honours
// max.wait.ms and min.bytes by parking the request on the partitions until
// data arrives or the wait ends, response max bytes (capped by
// fetch.max.bytes) and partition max bytes, and always returns at least one
// batch of the first partition with data (KIP-74). Incremental fetch
// sessions (KIP-227, v7+): full and incremental requests, forgotten topics,
// and responses that carry only partitions with news. Topic ids in v13+.
// Checks CurrentLeaderEpoch (v9+): FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH.
//
// Left out: follower fetches (replication is a later issue: ReplicaID,
// ReplicaState and v18's HighWatermark tag are ignored), rack-aware preferred read replicas (KIP-392,
// always -1), aborted transactions (none exist yet: an empty list for
// read_committed), diverging epochs.

import (
	"context"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/metadata/image"
	"github.com/vltava/vltava/internal/replica"
)

// fetchPart is one partition to read in this fetch.
type fetchPart struct {
	topic     string
	topicID   [16]byte
	partition int32
	offset    int64
	maxBytes  int32
	curEpoch  int32
	sp        *sessPart // nil for sessionless fetches
	err       *kerr.Error
}

// fetchPlan is a fetch's partitions and how to answer it.
type fetchPlan struct {
	req         *kmsg.FetchRequest
	parts       []fetchPart
	sess        *fetchSession
	incremental bool
	maxBytes    int
}

func (s *Server) handleFetch(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.FetchRequest)
	plan, code := s.planFetch(req)
	if code != nil {
		resp := req.ResponseKind().(*kmsg.FetchResponse)
		resp.ErrorCode = code.Code
		return resp, nil
	}
	resp, n, hasErr, refs := s.fetchAttempt(plan)
	if n >= int(req.MinBytes) || req.MaxWaitMillis <= 0 || hasErr {
		r.files = refs
		return s.finishFetch(plan, resp), nil
	}
	releaseRefs(refs)
	s.parkFetch(r, plan)
	return nil, nil
}

// parkFetch waits for data or the end of max.wait.ms, then answers.
func (s *Server) parkFetch(r *request, plan *fetchPlan) {
	f := &parkedFetch{s: s, r: r, plan: plan}
	// Nothing answers it before it is fully parked: a partition's news
	// waits for f.mu.
	f.mu.Lock()
	for _, fp := range plan.parts {
		if p := s.o.Replicas.Get(fp.topic, fp.partition); p != nil {
			p.Park(f)
			f.parked = append(f.parked, p)
		}
	}
	f.timer = time.AfterFunc(time.Duration(plan.req.MaxWaitMillis)*time.Millisecond, func() { f.attempt(true) })
	f.stopCtx = context.AfterFunc(r.ctx, f.cancel)
	f.mu.Unlock()
	// Data may have arrived before we parked: look once more.
	f.attempt(false)
}

// parkedFetch is a fetch waiting for data. Whichever comes first answers
// it: a partition's new data (on the goroutine that appended it, as
// Kafka's purgatory completes delayed fetches), max.wait.ms, or the
// connection closing.
type parkedFetch struct {
	s      *Server
	r      *request
	plan   *fetchPlan
	parked []*replica.Partition

	mu      sync.Mutex
	done    bool
	timer   *time.Timer
	stopCtx func() bool
}

// Notify implements replica.Waiter.
func (f *parkedFetch) Notify() { f.attempt(false) }

// attempt reads the partitions and answers if min.bytes is met (or final).
func (f *parkedFetch) attempt(final bool) {
	f.mu.Lock()
	if f.done {
		f.mu.Unlock()
		return
	}
	resp, n, hasErr, refs := f.s.fetchAttempt(f.plan)
	if !final && n < int(f.plan.req.MinBytes) && !hasErr {
		f.mu.Unlock()
		releaseRefs(refs)
		return
	}
	f.finishLocked()
	f.r.files = refs
	f.r.respond(f.s.finishFetch(f.plan, resp))
}

// cancel gives up: the client is gone.
func (f *parkedFetch) cancel() {
	f.mu.Lock()
	if f.done {
		f.mu.Unlock()
		return
	}
	f.finishLocked()
	f.r.respond(nil)
}

// finishLocked marks the fetch done, unlocks it and leaves the partitions.
func (f *parkedFetch) finishLocked() {
	f.done = true
	if f.timer != nil {
		f.timer.Stop()
	}
	if f.stopCtx != nil {
		f.stopCtx()
	}
	f.mu.Unlock()
	for _, p := range f.parked {
		p.Unpark(f)
	}
}

// planFetch resolves the request's partitions through the fetch session.
func (s *Server) planFetch(req *kmsg.FetchRequest) (*fetchPlan, *kerr.Error) {
	im := s.o.Controller.Image()
	plan := &fetchPlan{req: req, maxBytes: int(req.MaxBytes)}
	if limit := int(s.o.Settings.FetchMaxBytes); limit > 0 && (plan.maxBytes <= 0 || plan.maxBytes > limit) {
		plan.maxBytes = limit
	}
	if req.Version < 7 || (req.SessionID == 0 && req.SessionEpoch == -1) {
		plan.parts = requestParts(im, req)
		return plan, nil
	}
	switch {
	case req.SessionEpoch == -1: // close the session; this fetch is sessionless
		s.sessions.remove(req.SessionID)
		plan.parts = requestParts(im, req)
		return plan, nil
	case req.SessionEpoch == 0: // a new full session
		if req.SessionID != 0 {
			s.sessions.remove(req.SessionID)
		}
		plan.sess = s.sessions.create(req.Version >= 13)
	default: // incremental; session id 0 is never found, as in Kafka
		sess, code := s.sessions.lookup(req.SessionID, req.SessionEpoch, req.Version >= 13)
		if code != nil {
			return nil, code
		}
		plan.sess, plan.incremental = sess, true
	}
	if plan.sess == nil {
		plan.parts = requestParts(im, req)
		return plan, nil
	}
	plan.sess.mu.Lock()
	defer plan.sess.mu.Unlock()
	s.updateSession(im, plan.sess, req)
	if plan.incremental && len(plan.sess.parts) == 0 {
		// Kafka closes a session that the request emptied and answers
		// the request sessionless.
		s.sessions.remove(plan.sess.id)
		plan.sess, plan.incremental = nil, false
		plan.parts = requestParts(im, req)
		return plan, nil
	}
	for _, sp := range plan.sess.parts {
		fp := fetchPart{topic: sp.topic, topicID: sp.topicID, partition: sp.partition, offset: sp.fetchOffset, maxBytes: sp.maxBytes, curEpoch: sp.curEpoch, sp: sp}
		if sp.topic == "" {
			fp.err = kerr.UnknownTopicID
		}
		plan.parts = append(plan.parts, fp)
	}
	return plan, nil
}

// updateSession adds or updates the request's partitions, then removes
// the forgotten ones (Kafka's order: a partition in both lists is removed).
func (s *Server) updateSession(im *image.Image, sess *fetchSession, req *kmsg.FetchRequest) {
	for _, rt := range req.Topics {
		name, id := topicRef(im, req.Version, rt.Topic, rt.TopicID)
		for _, rp := range rt.Partitions {
			sess.upsert(name, id, rp.Partition, rp.FetchOffset, rp.PartitionMaxBytes, rp.CurrentLeaderEpoch)
		}
	}
	for _, ft := range req.ForgottenTopics {
		name, id := topicRef(im, req.Version, ft.Topic, ft.TopicID)
		for _, p := range ft.Partitions {
			sess.forget(name, id, p)
		}
	}
}

// topicRef resolves a fetch topic by name (v<13) or id (v13+). An unknown
// id gives an empty name.
func topicRef(im *image.Image, version int16, name string, id [16]byte) (string, [16]byte) {
	if version < 13 {
		if t := im.Topics[name]; t != nil {
			return name, t.ID
		}
		return name, id
	}
	if t := im.ByID[id]; t != nil {
		return t.Name, id
	}
	return "", id
}

func requestParts(im *image.Image, req *kmsg.FetchRequest) []fetchPart {
	var out []fetchPart
	for _, rt := range req.Topics {
		name, id := topicRef(im, req.Version, rt.Topic, rt.TopicID)
		for _, rp := range rt.Partitions {
			fp := fetchPart{topic: name, topicID: id, partition: rp.Partition, offset: rp.FetchOffset, maxBytes: rp.PartitionMaxBytes, curEpoch: rp.CurrentLeaderEpoch}
			if name == "" {
				fp.err = kerr.UnknownTopicID
			}
			out = append(out, fp)
		}
	}
	return out
}

// fetchAttempt reads every partition of the plan. It returns the response
// partitions by plan index, the bytes read, whether any partition failed,
// and the reads to be sent from files (the caller releases them).
func (s *Server) fetchAttempt(plan *fetchPlan) ([]kmsg.FetchResponseTopicPartition, int, bool, []*fileRef) {
	if plan.sess != nil {
		plan.sess.mu.Lock()
		defer plan.sess.mu.Unlock()
	}
	out := make([]kmsg.FetchResponseTopicPartition, len(plan.parts))
	total, hasErr := 0, false
	var refs []*fileRef
	readCommitted := plan.req.IsolationLevel == 1
	for i := range plan.parts {
		fp := &plan.parts[i]
		rp := &out[i]
		*rp = kmsg.NewFetchResponseTopicPartition()
		rp.Partition = fp.partition
		rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = -1, -1, -1
		// Empty, not null: librdkafka rejects a null record set.
		rp.RecordBatches = []byte{}
		if readCommitted {
			rp.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{}
		}
		n := s.readPartition(fp, rp, plan.maxBytes-total, total == 0, &refs)
		total += n
		if rp.ErrorCode != 0 {
			hasErr = true
		}
	}
	return out, total, hasErr, refs
}

// readPartition fills one response partition with up to budget bytes.
func (s *Server) readPartition(fp *fetchPart, rp *kmsg.FetchResponseTopicPartition, budget int, first bool, refs *[]*fileRef) int {
	if fp.err != nil {
		rp.ErrorCode = fp.err.Code
		return 0
	}
	p := s.o.Replicas.Get(fp.topic, fp.partition)
	if p == nil {
		rp.ErrorCode = s.partitionAbsentCode(fp.topic, fp.partition).Code
		return 0
	}
	if code := checkLeaderEpoch(p, fp.curEpoch); code != nil {
		rp.ErrorCode = code.Code
		return 0
	}
	l := p.Log()
	hw := l.HighWatermark()
	rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = hw, hw, l.LogStartOffset()
	if fp.offset < rp.LogStartOffset || fp.offset > l.LogEndOffset() {
		rp.ErrorCode = kerr.OffsetOutOfRange.Code
		return 0
	}
	if budget <= 0 || fp.offset >= hw {
		return 0
	}
	limit := min(int(fp.maxBytes), budget)
	rr, err := l.Read(fp.offset, max(limit, 1), hw)
	if err != nil {
		rp.ErrorCode = appendErrorCode(err).Code
		return 0
	}
	if rr.Size == 0 || (!first && rr.Size > limit) {
		rr.Release()
		return 0
	}
	if streamable(&rr) {
		f := newFileRef(rr)
		*refs = append(*refs, f)
		rp.RecordBatches = f.marker[:]
		return rr.Size
	}
	defer rr.Release()
	buf := make([]byte, rr.Size)
	at := 0
	for _, c := range rr.Chunks {
		if _, err := c.File.ReadAt(buf[at:at+c.Size], c.Pos); err != nil {
			rp.ErrorCode = kerr.KafkaStorageError.Code
			return 0
		}
		at += c.Size
	}
	rp.RecordBatches = buf
	return len(buf)
}

// checkLeaderEpoch compares the client's idea of the leader epoch with ours.
func checkLeaderEpoch(p *replica.Partition, clientEpoch int32) *kerr.Error {
	if clientEpoch < 0 {
		return nil
	}
	switch ours := p.LeaderEpoch(); {
	case clientEpoch < ours:
		return kerr.FencedLeaderEpoch
	case clientEpoch > ours:
		return kerr.UnknownLeaderEpoch
	}
	return nil
}

// finishFetch builds the response from the last attempt; for incremental
// sessions it keeps only the partitions with news, and it records in the
// session what the client was told.
func (s *Server) finishFetch(plan *fetchPlan, parts []kmsg.FetchResponseTopicPartition) *kmsg.FetchResponse {
	resp := plan.req.ResponseKind().(*kmsg.FetchResponse)
	if plan.sess != nil {
		resp.SessionID = plan.sess.id
		plan.sess.mu.Lock()
		defer plan.sess.mu.Unlock()
	}
	byTopic := map[string]int{}
	for i := range plan.parts {
		fp, rp := &plan.parts[i], &parts[i]
		if fp.sp != nil {
			changed := rp.ErrorCode != 0 || len(rp.RecordBatches) > 0 || rp.HighWatermark != fp.sp.hw ||
				rp.LastStableOffset != fp.sp.lso || rp.LogStartOffset != fp.sp.logStart
			if fp.sp.removed || (plan.incremental && !changed) {
				continue
			}
			fp.sp.hw, fp.sp.lso, fp.sp.logStart = rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset
			if rp.ErrorCode != 0 {
				fp.sp.hw = -2 // as Kafka: send the partition again once the error clears
			}
		}
		key := fp.topic
		if plan.req.Version >= 13 {
			key = string(fp.topicID[:])
		}
		ti, ok := byTopic[key]
		if !ok {
			ti = len(resp.Topics)
			byTopic[key] = ti
			rt := kmsg.NewFetchResponseTopic()
			rt.Topic, rt.TopicID = fp.topic, fp.topicID
			resp.Topics = append(resp.Topics, rt)
		}
		resp.Topics[ti].Partitions = append(resp.Topics[ti].Partitions, *rp)
	}
	return resp
}
