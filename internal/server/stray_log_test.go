package server_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vltava/vltava/internal/testkit"
)

// TestStrayPartitionDirIsNotServed: each partition directory names its
// topic's id in partition.metadata (Kafka's format). A directory that names
// another id, left by an earlier topic of the same name, is not served as
// this topic's partition after a restart: it is deleted and the partition
// starts empty.
func TestStrayPartitionDirIsNotServed(t *testing.T) {
	b := testkit.StartBroker(t)
	createTopic(t, b.Admin(), "reborn", 1, nil)
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produceN(t, cl, "reborn", 5, 0)
	cl.Close()
	ctx := testkit.Context(t, 10*time.Second)
	td, err := b.Admin().ListTopics(ctx, "reborn")
	if err != nil {
		t.Fatal(err)
	}
	id := td["reborn"].ID
	file := filepath.Join(b.Dir(), "reborn-0", "partition.metadata")
	want := "version: 0\ntopic_id: " + base64.RawURLEncoding.EncodeToString(id[:])
	if got, err := os.ReadFile(file); err != nil || string(got) != want {
		t.Fatalf("partition.metadata = %q, %v; want %q", got, err, want)
	}

	// Make the directory an earlier topic's, as if its deletion had not
	// reached the disk before the topic was created again.
	b.Close()
	other := id
	other[0] ^= 0xff
	if err := os.WriteFile(file, []byte("version: 0\ntopic_id: "+base64.RawURLEncoding.EncodeToString(other[:])), 0o644); err != nil {
		t.Fatal(err)
	}
	b.Restart()
	ends, err := b.Admin().ListEndOffsets(testkit.Context(t, 10*time.Second), "reborn")
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := ends.Lookup("reborn", 0); !ok || o.Err != nil || o.Offset != 0 {
		t.Fatalf("end offset of the partition after its stray log went: %+v %v, want 0", o, ok)
	}
	if got, err := os.ReadFile(file); err != nil || string(got) != want {
		t.Fatalf("partition.metadata after restart = %q, %v; want %q", got, err, want)
	}
	cl = b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produceN(t, cl, "reborn", 1, 0)
	got := consumeN(t, b, "reborn", 1)
	if got[0].Offset != 0 || string(got[0].Value) != "v0" {
		t.Fatalf("record after restart: offset %d value %q", got[0].Offset, got[0].Value)
	}
}
