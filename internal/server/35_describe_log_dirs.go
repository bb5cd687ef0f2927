package server

// DescribeLogDirs: v1-4
//
// The broker's one log directory, with the size of each partition's log
// (all topics when Topics is null) and, v4+, the file system's total and
// usable bytes.
//
// Left out: several log dirs per broker (log.dirs takes one directory for
// now); OffsetLag is 0 (no future replicas).

import (
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleDescribeLogDirs(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.DescribeLogDirsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeLogDirsResponse)
	dir := kmsg.NewDescribeLogDirsResponseDir()
	dir.Dir = s.o.Settings.LogDir
	dir.TotalBytes, dir.UsableBytes = -1, -1
	var st syscall.Statfs_t
	if syscall.Statfs(dir.Dir, &st) == nil {
		dir.TotalBytes = int64(st.Blocks) * int64(st.Bsize)
		dir.UsableBytes = int64(st.Bavail) * int64(st.Bsize)
	}
	if s.o.Logs.Offline() {
		dir.ErrorCode = kerr.KafkaStorageError.Code
		resp.Dirs = append(resp.Dirs, dir)
		return resp, nil
	}
	im := s.o.Controller.Image()
	add := func(topic string, partitions []int32) {
		dt := kmsg.NewDescribeLogDirsResponseDirTopic()
		dt.Topic = topic
		for _, p := range partitions {
			rp := s.o.Replicas.Get(topic, p)
			if rp == nil {
				continue
			}
			dp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
			dp.Partition, dp.Size = p, rp.Log().Size()
			dt.Partitions = append(dt.Partitions, dp)
		}
		if len(dt.Partitions) > 0 {
			dir.Topics = append(dir.Topics, dt)
		}
	}
	if req.Topics == nil {
		for _, name := range im.TopicNames() {
			ps := make([]int32, len(im.Topics[name].Partitions))
			for i := range ps {
				ps[i] = int32(i)
			}
			add(name, ps)
		}
	} else {
		for _, t := range req.Topics {
			add(t.Topic, t.Partitions)
		}
	}
	resp.Dirs = append(resp.Dirs, dir)
	return resp, nil
}
