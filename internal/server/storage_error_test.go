package server_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/testkit"
	"github.com/vltava/vltava/internal/vfs"
)

// A disk error on append fails that produce with KAFKA_STORAGE_ERROR and
// takes the log dir offline for writes; what is on disk is still served.
func TestDiskErrorFailsProduceAndKeepsServingReads(t *testing.T) {
	mem := vfs.NewMem()
	var failWrites atomic.Bool
	mem.InjectError(func(op, path string) error {
		if failWrites.Load() && op == "write" && strings.HasSuffix(path, ".log") {
			return syscall.ENOSPC
		}
		return nil
	})
	b := testkit.StartBroker(t, testkit.WithFS(mem), testkit.WithDir("/data"))
	createTopic(t, b.Admin(), "disk", 1, nil)
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RecordRetries(0), kgo.RecordDeliveryTimeout(3*time.Second))
	produceN(t, cl, "disk", 20, 0)

	failWrites.Store(true)
	ctx := testkit.Context(t, 10*time.Second)
	err := cl.ProduceSync(ctx, &kgo.Record{Topic: "disk", Value: []byte("lost")}).FirstErr()
	if !errors.Is(err, kerr.KafkaStorageError) {
		t.Fatalf("produce on a failing disk: %v", err)
	}
	// The dir stays offline even once the disk would work again.
	failWrites.Store(false)
	other := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RecordRetries(0), kgo.RecordDeliveryTimeout(3*time.Second), kgo.DisableIdempotentWrite())
	err = other.ProduceSync(ctx, &kgo.Record{Topic: "disk", Value: []byte("later")}).FirstErr()
	if !errors.Is(err, kerr.KafkaStorageError) {
		t.Fatalf("produce to an offline log dir: %v", err)
	}
	got := consumeN(t, b, "disk", 20)
	for i, r := range got {
		if r.Offset != int64(i) || string(r.Value) != "v"+string(r.Key[1:]) {
			t.Fatalf("record %d after the disk error: offset %d value %q", i, r.Offset, r.Value)
		}
	}
}
