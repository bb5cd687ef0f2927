package server

import (
	"container/list"
	"math/rand/v2"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
)

// fetchSessions is the incremental fetch session cache (KIP-227). A session
// remembers the partitions a client fetches and what the broker last told
// it about each, so that later requests name only the partitions that
// changed and responses carry only the partitions that have news.
type fetchSessions struct {
	mu   sync.Mutex
	max  int
	byID map[int32]*fetchSession
	lru  *list.List // of *fetchSession, most recent at front
}

type fetchSession struct {
	mu       sync.Mutex // held while a fetch reads or updates the partitions
	id       int32
	epoch    int32 // the epoch the next request must carry
	topicIDs bool  // created by a v13+ request: later ones must be v13+ too
	parts    []*sessPart
	index    map[sessKey]*sessPart
	elem     *list.Element
}

// sessKey identifies a session partition as Kafka does: by topic id in a
// session of v13+ requests (so that distinct ids the broker does not know
// stay apart), by name otherwise.
type sessKey struct {
	topic     string
	id        [16]byte
	partition int32
}

func (sess *fetchSession) key(topic string, id [16]byte, partition int32) sessKey {
	if sess.topicIDs {
		return sessKey{id: id, partition: partition}
	}
	return sessKey{topic: topic, partition: partition}
}

// sessPart is one partition of a session.
type sessPart struct {
	topic       string
	topicID     [16]byte
	partition   int32
	fetchOffset int64
	maxBytes    int32
	curEpoch    int32
	// What the last response said; -2 until a response included it.
	hw, lso, logStart int64
	removed           bool
}

func newFetchSessions(max int) *fetchSessions {
	return &fetchSessions{max: max, byID: map[int32]*fetchSession{}, lru: list.New()}
}

// create makes a new session, evicting the least recently used one when the
// cache is full. It returns nil when sessions are disabled. topicIDs tells
// whether the session's requests name topics by id (Fetch v13+).
func (fs *fetchSessions) create(topicIDs bool) *fetchSession {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.max <= 0 {
		return nil
	}
	for len(fs.byID) >= fs.max {
		old := fs.lru.Back().Value.(*fetchSession)
		fs.removeLocked(old.id)
	}
	id := rand.Int32()
	for id == 0 || fs.byID[id] != nil {
		id = rand.Int32()
	}
	sess := &fetchSession{id: id, epoch: 1, topicIDs: topicIDs, index: map[sessKey]*sessPart{}}
	sess.elem = fs.lru.PushFront(sess)
	fs.byID[id] = sess
	return sess
}

// lookup finds a session for an incremental request with the given epoch
// (and use of topic ids), or says why not, in Kafka's order of checks.
func (fs *fetchSessions) lookup(id, epoch int32, topicIDs bool) (*fetchSession, *kerr.Error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	sess := fs.byID[id]
	if sess == nil {
		return nil, kerr.FetchSessionIDNotFound
	}
	if sess.epoch != epoch {
		return nil, kerr.InvalidFetchSessionEpoch
	}
	if sess.topicIDs != topicIDs {
		return nil, kerr.FetchSessionTopicIDError
	}
	sess.epoch = nextEpoch(epoch)
	fs.lru.MoveToFront(sess.elem)
	return sess, nil
}

func nextEpoch(e int32) int32 {
	if e == 0x7fffffff {
		return 1
	}
	return e + 1
}

func (fs *fetchSessions) remove(id int32) {
	fs.mu.Lock()
	fs.removeLocked(id)
	fs.mu.Unlock()
}

func (fs *fetchSessions) removeLocked(id int32) {
	if sess := fs.byID[id]; sess != nil {
		fs.lru.Remove(sess.elem)
		delete(fs.byID, id)
	}
}

// upsert adds a partition to the session or updates its fetch position.
func (sess *fetchSession) upsert(topic string, id [16]byte, partition int32, offset int64, maxBytes, curEpoch int32) {
	k := sess.key(topic, id, partition)
	sp := sess.index[k]
	if sp == nil {
		sp = &sessPart{topic: topic, topicID: id, partition: partition, hw: -2, lso: -2, logStart: -2}
		sess.index[k] = sp
		sess.parts = append(sess.parts, sp)
	}
	sp.fetchOffset, sp.maxBytes, sp.curEpoch = offset, maxBytes, curEpoch
}

// forget removes a partition from the session.
func (sess *fetchSession) forget(topic string, id [16]byte, partition int32) {
	k := sess.key(topic, id, partition)
	sp := sess.index[k]
	if sp == nil {
		return
	}
	delete(sess.index, k)
	sp.removed = true
	kept := sess.parts[:0]
	for _, p := range sess.parts {
		if !p.removed {
			kept = append(kept, p)
		}
	}
	sess.parts = kept
}
