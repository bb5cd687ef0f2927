package server

// Produce: v3-13
//
// Each partition's records must be one v2 batch; it is validated (CRC,
// counts, sizes, timestamps, keys for compacted topics) and appended as sent
// after the broker rewrites its base offset and leader epoch (and the
// timestamps for LogAppendTime topics). Idempotent producers' duplicates are
// answered with the original offsets. acks=0 gets no response; acks=1 and
// acks=-1 are answered once the append is done and, where the flush policy
// asks for it (flush.messages), fsynced; concurrent fsyncs are grouped.
//
// Left out: transactional produce (the transaction coordinator is a later
// issue), quotas (ThrottleMillis is 0). Topics are named by id from v13 on
// (KIP-516): an id the broker does not know gets UNKNOWN_TOPIC_ID.

import (
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/replica"
)

// pendingFlush is a partition whose append must be fsynced before the
// response goes out.
type pendingFlush struct {
	p    *replica.Partition
	upTo int64
	rp   *kmsg.ProduceResponseTopicPartition
}

func (s *Server) handleProduce(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.ProduceRequest)
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	if req.Acks != 0 && req.Acks != 1 && req.Acks != -1 {
		fillProduceError(req, resp, kerr.InvalidRequiredAcks, "")
		return resp, nil
	}
	if req.TransactionID != nil {
		fillProduceError(req, resp, kerr.TransactionalIDAuthorizationFailed, "transactions are not supported yet")
		return resp, nil
	}
	var flushes []pendingFlush
	resp.Topics = make([]kmsg.ProduceResponseTopic, len(req.Topics))
	for i := range req.Topics {
		rt := &req.Topics[i]
		st := &resp.Topics[i]
		*st = kmsg.NewProduceResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		st.Partitions = make([]kmsg.ProduceResponseTopicPartition, len(rt.Partitions))
		name := rt.Topic
		if req.Version >= 13 {
			name, _ = topicRef(s.o.Controller.Image(), req.Version, "", rt.TopicID)
		}
		for j := range rt.Partitions {
			rp := &st.Partitions[j]
			if name == "" {
				fillPartitionError(rp, rt.Partitions[j].Partition, kerr.UnknownTopicID, "")
				continue
			}
			if f := s.produceTo(name, &rt.Partitions[j], req.Acks, rp); f != nil {
				flushes = append(flushes, *f)
			}
		}
	}
	if req.Acks == 0 {
		r.respond(nil)
		return nil, nil
	}
	if len(flushes) == 0 {
		return resp, nil
	}
	go func() {
		flushAll(flushes)
		r.respond(resp)
	}()
	return nil, nil
}

// produceTo appends one partition's batch and fills its response. It
// returns the fsync the response must wait for, if any.
func (s *Server) produceTo(topic string, pp *kmsg.ProduceRequestTopicPartition, acks int16, rp *kmsg.ProduceResponseTopicPartition) *pendingFlush {
	*rp = kmsg.NewProduceResponseTopicPartition()
	rp.Partition = pp.Partition
	rp.BaseOffset, rp.LogAppendTime, rp.LogStartOffset = -1, -1, -1
	p := s.o.Replicas.Get(topic, pp.Partition)
	if p == nil {
		rp.ErrorCode = s.partitionAbsentCode(topic, pp.Partition).Code
		return nil
	}
	if s.o.Logs.Offline() {
		rp.ErrorCode = kerr.KafkaStorageError.Code
		return nil
	}
	res, err := p.Append(pp.Records, acks)
	if err != nil {
		code := appendErrorCode(err)
		rp.ErrorCode = code.Code
		if code == kerr.KafkaStorageError {
			s.log.Error("append failed", "topic", topic, "partition", pp.Partition, "err", err)
		} else {
			msg := err.Error()
			rp.ErrorMessage = &msg
			rp.ErrorRecords = recordErrors(err)
		}
		return nil
	}
	rp.BaseOffset, rp.LogAppendTime, rp.LogStartOffset = res.FirstOffset, res.LogAppendTime, res.LogStartOffset
	if res.FlushNeeded {
		return &pendingFlush{p: p, upTo: res.LastOffset + 1, rp: rp}
	}
	return nil
}

// flushAll fsyncs the partitions in parallel; a failed fsync fails that
// partition's produce with KAFKA_STORAGE_ERROR.
func flushAll(fs []pendingFlush) {
	if len(fs) == 1 {
		flushOne(fs[0])
		return
	}
	var wg sync.WaitGroup
	for _, f := range fs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			flushOne(f)
		}()
	}
	wg.Wait()
}

func flushOne(f pendingFlush) {
	if err := f.p.Log().Flush(f.upTo); err != nil {
		f.rp.ErrorCode = kerr.KafkaStorageError.Code
		f.rp.BaseOffset = -1
		msg := err.Error()
		f.rp.ErrorMessage = &msg
	}
}

// partitionAbsentCode tells why a partition isn't hosted here.
func (s *Server) partitionAbsentCode(topic string, partition int32) *kerr.Error {
	t := s.o.Controller.Image().Topics[topic]
	if t == nil || partition < 0 || int(partition) >= len(t.Partitions) {
		return kerr.UnknownTopicOrPartition
	}
	return kerr.NotLeaderForPartition
}

func fillProduceError(req *kmsg.ProduceRequest, resp *kmsg.ProduceResponse, code *kerr.Error, msg string) {
	for _, rt := range req.Topics {
		st := kmsg.NewProduceResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		st.Partitions = make([]kmsg.ProduceResponseTopicPartition, len(rt.Partitions))
		for i, rp := range rt.Partitions {
			fillPartitionError(&st.Partitions[i], rp.Partition, code, msg)
		}
		resp.Topics = append(resp.Topics, st)
	}
}

// fillPartitionError makes sp a failed partition response.
func fillPartitionError(sp *kmsg.ProduceResponseTopicPartition, partition int32, code *kerr.Error, msg string) {
	*sp = kmsg.NewProduceResponseTopicPartition()
	sp.Partition, sp.ErrorCode = partition, code.Code
	sp.BaseOffset, sp.LogAppendTime, sp.LogStartOffset = -1, -1, -1
	if msg != "" {
		sp.ErrorMessage = &msg
	}
}
