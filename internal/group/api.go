package group

import (
	"context"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/coord"
)

// Each method below serves one request and calls reply exactly once, from
// any goroutine, with the response (whose version the caller sets).

// JoinGroup serves JoinGroup; reply waits for the rebalance.
func (c *Coordinator) JoinGroup(ctx context.Context, req *kmsg.JoinGroupRequest, clientID, clientHost string, reply func(*kmsg.JoinGroupResponse)) {
	c.submit(ctx, req.Group, func(s *Shard) coord.Result {
		return s.JoinGroup(req, clientID, clientHost, reply)
	}, func(code *kerr.Error) { reply(joinError(code, req.MemberID)) })
}

// SyncGroup serves SyncGroup; reply waits for the leader's assignment.
func (c *Coordinator) SyncGroup(ctx context.Context, req *kmsg.SyncGroupRequest, reply func(*kmsg.SyncGroupResponse)) {
	c.submit(ctx, req.Group, func(s *Shard) coord.Result {
		return s.SyncGroup(req, reply)
	}, func(code *kerr.Error) { reply(syncError(code)) })
}

// Heartbeat serves Heartbeat.
func (c *Coordinator) Heartbeat(ctx context.Context, req *kmsg.HeartbeatRequest, reply func(*kmsg.HeartbeatResponse)) {
	c.submit(ctx, req.Group, func(s *Shard) coord.Result {
		resp, res := s.Heartbeat(req)
		return withReply(res, func(error) { reply(resp) })
	}, func(code *kerr.Error) {
		resp := kmsg.NewPtrHeartbeatResponse()
		resp.ErrorCode = code.Code
		reply(resp)
	})
}

// LeaveGroup serves LeaveGroup.
func (c *Coordinator) LeaveGroup(ctx context.Context, req *kmsg.LeaveGroupRequest, reply func(*kmsg.LeaveGroupResponse)) {
	c.submit(ctx, req.Group, func(s *Shard) coord.Result {
		resp, res := s.LeaveGroup(req)
		return withReply(res, func(error) { reply(resp) })
	}, func(code *kerr.Error) {
		resp := kmsg.NewPtrLeaveGroupResponse()
		resp.ErrorCode = code.Code
		reply(resp)
	})
}

// withReply adds a completion to a result (after its own).
func withReply(res coord.Result, fn func(error)) coord.Result {
	prev := res.Done
	res.Done = func(err error) {
		if prev != nil {
			prev(err)
		}
		fn(err)
	}
	return res
}

// OffsetCommit serves OffsetCommit; reply waits for the offsets to be written.
func (c *Coordinator) OffsetCommit(ctx context.Context, req *kmsg.OffsetCommitRequest, reply func(*kmsg.OffsetCommitResponse)) {
	c.submit(ctx, req.Group, func(s *Shard) coord.Result {
		return s.OffsetCommit(req, reply)
	}, func(code *kerr.Error) { reply(commitResponse(req, code)) })
}

// OffsetFetch serves OffsetFetch: one group before v8, several since,
// each on its own shard.
func (c *Coordinator) OffsetFetch(ctx context.Context, req *kmsg.OffsetFetchRequest, reply func(*kmsg.OffsetFetchResponse)) {
	resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
	if req.Version < 8 {
		var topics []kmsg.OffsetFetchRequestGroupTopic
		if req.Topics != nil {
			topics = []kmsg.OffsetFetchRequestGroupTopic{}
			for _, t := range req.Topics {
				topics = append(topics, kmsg.OffsetFetchRequestGroupTopic{Topic: t.Topic, Partitions: t.Partitions})
			}
		}
		c.fetchGroup(ctx, req.Group, nil, -1, topics, func(g kmsg.OffsetFetchResponseGroup) {
			resp.ErrorCode = g.ErrorCode
			for _, t := range g.Topics {
				rt := kmsg.OffsetFetchResponseTopic{Topic: t.Topic}
				for _, p := range t.Partitions {
					rt.Partitions = append(rt.Partitions, kmsg.OffsetFetchResponseTopicPartition{
						Partition: p.Partition, Offset: p.Offset, LeaderEpoch: p.LeaderEpoch,
						Metadata: p.Metadata, ErrorCode: p.ErrorCode,
					})
				}
				resp.Topics = append(resp.Topics, rt)
			}
			if req.Version < 2 && g.ErrorCode != 0 {
				setFetchPartitionErrors(resp, req, g.ErrorCode)
			}
			reply(resp)
		})
		return
	}
	resp.Groups = make([]kmsg.OffsetFetchResponseGroup, len(req.Groups))
	done := countdown(len(req.Groups), func() { reply(resp) })
	for i, rg := range req.Groups {
		c.fetchGroup(ctx, rg.Group, rg.MemberID, rg.MemberEpoch, rg.Topics, func(g kmsg.OffsetFetchResponseGroup) {
			resp.Groups[i] = g
			done()
		})
	}
}

// setFetchPartitionErrors puts a group error on every partition asked for
// (v0-1 have no top-level error code).
func setFetchPartitionErrors(resp *kmsg.OffsetFetchResponse, req *kmsg.OffsetFetchRequest, code int16) {
	resp.Topics = nil
	for _, t := range req.Topics {
		rt := kmsg.OffsetFetchResponseTopic{Topic: t.Topic}
		for _, p := range t.Partitions {
			rt.Partitions = append(rt.Partitions, kmsg.OffsetFetchResponseTopicPartition{Partition: p, Offset: -1, LeaderEpoch: -1, ErrorCode: code})
		}
		resp.Topics = append(resp.Topics, rt)
	}
}

func (c *Coordinator) fetchGroup(ctx context.Context, id string, memberID *string, epoch int32, topics []kmsg.OffsetFetchRequestGroupTopic, done func(kmsg.OffsetFetchResponseGroup)) {
	c.submit(ctx, id, func(s *Shard) coord.Result {
		if code := s.ValidateFetch(id, memberID, epoch); code != nil {
			g := kmsg.NewOffsetFetchResponseGroup()
			g.Group, g.ErrorCode = id, code.Code
			return coord.Result{Done: func(error) { done(g) }}
		}
		g := s.FetchOffsets(id, topics)
		return coord.Result{Done: func(error) { done(g) }}
	}, func(code *kerr.Error) {
		g := kmsg.NewOffsetFetchResponseGroup()
		g.Group, g.ErrorCode = id, code.Code
		done(g)
	})
}

// countdown calls fn after n calls of the returned func (at once if n is 0).
func countdown(n int, fn func()) func() {
	if n == 0 {
		fn()
		return func() {}
	}
	var mu sync.Mutex
	return func() {
		mu.Lock()
		n--
		last := n == 0
		mu.Unlock()
		if last {
			fn()
		}
	}
}

// DescribeGroups serves DescribeGroups.
func (c *Coordinator) DescribeGroups(ctx context.Context, req *kmsg.DescribeGroupsRequest, reply func(*kmsg.DescribeGroupsResponse)) {
	resp := req.ResponseKind().(*kmsg.DescribeGroupsResponse)
	resp.Groups = make([]kmsg.DescribeGroupsResponseGroup, len(req.Groups))
	done := countdown(len(req.Groups), func() { reply(resp) })
	for i, id := range req.Groups {
		c.submit(ctx, id, func(s *Shard) coord.Result {
			resp.Groups[i] = s.Describe(id, req.Version)
			return coord.Result{Done: func(error) { done() }}
		}, func(code *kerr.Error) {
			g := kmsg.NewDescribeGroupsResponseGroup()
			g.Group, g.ErrorCode, g.AuthorizedOperations = id, code.Code, authorizedOpsNotProvided
			resp.Groups[i] = g
			done()
		})
	}
}

// ListGroups serves ListGroups over every shard of this broker; a shard
// still loading makes the answer COORDINATOR_LOAD_IN_PROGRESS.
func (c *Coordinator) ListGroups(ctx context.Context, req *kmsg.ListGroupsRequest, reply func(*kmsg.ListGroupsResponse)) {
	resp := req.ResponseKind().(*kmsg.ListGroupsResponse)
	shards := c.rt.Shards()
	var mu sync.Mutex
	done := countdown(len(shards), func() {
		if resp.ErrorCode != 0 {
			resp.Groups = nil
		}
		reply(resp)
	})
	for _, p := range shards {
		c.rt.Submit(ctx, p, func(s *Shard) coord.Result {
			gs := s.List(req.StatesFilter, req.TypesFilter)
			return coord.Result{Done: func(error) {
				mu.Lock()
				resp.Groups = append(resp.Groups, gs...)
				mu.Unlock()
				done()
			}}
		}, func(err error) {
			mu.Lock()
			if code := submitError(err); code == kerr.CoordinatorLoadInProgress {
				resp.ErrorCode = code.Code
			}
			mu.Unlock()
			done()
		})
	}
}

// DeleteGroups serves DeleteGroups.
func (c *Coordinator) DeleteGroups(ctx context.Context, req *kmsg.DeleteGroupsRequest, reply func(*kmsg.DeleteGroupsResponse)) {
	resp := req.ResponseKind().(*kmsg.DeleteGroupsResponse)
	resp.Groups = make([]kmsg.DeleteGroupsResponseGroup, len(req.Groups))
	done := countdown(len(req.Groups), func() { reply(resp) })
	for i, id := range req.Groups {
		resp.Groups[i] = kmsg.NewDeleteGroupsResponseGroup()
		resp.Groups[i].Group = id
		set := func(code *kerr.Error) {
			resp.Groups[i].ErrorCode = errCode(code)
			done()
		}
		c.submit(ctx, id, func(s *Shard) coord.Result { return s.Delete(id, set) }, set)
	}
}

// OffsetDelete serves OffsetDelete.
func (c *Coordinator) OffsetDelete(ctx context.Context, req *kmsg.OffsetDeleteRequest, reply func(*kmsg.OffsetDeleteResponse)) {
	c.submit(ctx, req.Group, func(s *Shard) coord.Result {
		return s.OffsetDelete(req, reply)
	}, func(code *kerr.Error) {
		resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
		resp.ErrorCode = code.Code
		reply(resp)
	})
}
