// Package coord is the runtime under Vltava's coordinators (the group
// coordinator now, the transaction coordinator later).
//
// A coordinator keeps its state in an internal compacted topic
// (__consumer_offsets, __transaction_state). Each partition of that topic
// this broker leads has a shard: a state machine owned by one goroutine that
// runs one event at a time from a bounded queue. An operation on a shard
// returns a Result: the records to append (every record has a key: the
// topic is compacted) and a completion. The runtime appends the records to
// the partition as one v2 batch, fsyncs it when the topic's flush policy
// asks for it, and only then calls the completion, which releases the
// response: nothing is answered before it is written.
//
// When a shard starts it replays its partition's log from the start to the
// high watermark through Shard.Replay and answers ErrLoading until that is
// done. Timers (session timeouts, rebalance delays) come from the clock
// given in Options and run as events of their shard, so a test drives them
// with a clock.Manual.
//
// Operations change their shard's state as they run and the records follow;
// if an append fails, the shard throws its state away and rebuilds it from
// the log, so that memory never stays ahead of what was written.
package coord

import (
	"errors"
	"time"
)

// Record is one record of an internal topic. A nil Value is a tombstone.
type Record struct {
	Key, Value []byte
}

// Result is what an operation on a shard produces.
type Result struct {
	// Records are appended to the shard's partition, in order, as one batch.
	Records []Record
	// Done, if set, is called once the records are written (and fsynced
	// when the policy asks), with nil; or with the error that failed the
	// write. It may run on any goroutine and must not touch shard state:
	// it releases responses.
	Done func(err error)
}

// Shard is the state machine of one partition, owned by one goroutine.
type Shard interface {
	// Replay applies one record read from the log while the shard loads.
	// offset is the record's offset; the slices are valid only during the
	// call. An error stops the load and leaves the shard unavailable.
	Replay(offset int64, r Record) error
	// Loaded is called once, after the last record is replayed and before
	// the first operation runs (to start timers, for example).
	Loaded()
}

// Env is a shard's handle on time. Its methods may be called only from the
// shard's own goroutine (inside operations, Replay, Loaded and timers).
type Env interface {
	// Now is the current time.
	Now() time.Time
	// Schedule runs fn as an event of the shard after d, replacing a timer
	// of the same key.
	Schedule(key string, d time.Duration, fn func() Result)
	// Cancel stops the timer of that key, if any.
	Cancel(key string)
}

// Errors returned by Runtime.Submit.
var (
	// ErrNotCoordinator: this broker has no shard for the partition.
	ErrNotCoordinator = errors.New("not the coordinator for this partition")
	// ErrLoading: the shard is still replaying its log.
	ErrLoading = errors.New("coordinator is loading")
	// ErrClosed: the runtime is shutting down.
	ErrClosed = errors.New("coordinator runtime closed")
)
