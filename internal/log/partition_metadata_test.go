package log

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/vltava/vltava/internal/clock"
	"github.com/vltava/vltava/internal/vfs"
)

var (
	idA = TopicID{0x6e, 0x28, 0xd5, 0x21, 0x20, 0x87, 0x43, 0xe2, 0xa4, 0x69, 0x53, 0x66, 0x2b, 0x1f, 0xbe, 0x23}
	idB = TopicID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
)

// TestPartitionMetadataFormat: the file is Kafka's, byte for byte, and
// reads back; what Kafka would not read is refused.
func TestPartitionMetadataFormat(t *testing.T) {
	const want = "version: 0\ntopic_id: bijVISCHQ-KkaVNmKx--Iw"
	if got := string(encodePartitionMetadata(idA)); got != want {
		t.Fatalf("encoded %q, want %q", got, want)
	}
	for _, in := range []string{want, want + "\n", want + "\n\n"} {
		if id, err := decodePartitionMetadata([]byte(in)); err != nil || id != idA {
			t.Errorf("decode %q = %v, %v", in, id, err)
		}
	}
	for _, bad := range []string{
		"",
		"version: 1\ntopic_id: bijVISCHQ-KkaVNmKx--Iw",
		"version: 0",
		"version: 0\ntopic: bijVISCHQ-KkaVNmKx--Iw",
		"version: 0\ntopic_id: bijVISCHQ-KkaVNmKx--I",    // 15 bytes
		"version: 0\ntopic_id: bijVISCHQ-KkaVNmKx--Iw==", // padded
		"version: 0\ntopic_id: bijVISCHQ+KkaVNmKx//Iw",   // not URL-safe
		"version: 0\ntopic_id: bijVISCHQ-KkaVNmKx--Iw\nextra: 1",
	} {
		if id, err := decodePartitionMetadata([]byte(bad)); err == nil {
			t.Errorf("decode %q = %v, want an error", bad, id)
		}
	}
}

// TestOpenClaimsTopicID: Open with a topic id writes it; reopening with
// the same id or none works; another id is refused before anything is
// loaded, and the directory is left as it was.
func TestOpenClaimsTopicID(t *testing.T) {
	fs := vfs.NewMem()
	o := Options{FS: fs, Dir: "/d/t-0", Config: DefaultConfig(), Clock: clock.NewManual(t0), TopicID: idA}
	l, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 3, 1)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := vfs.ReadFile(fs, filepath.Join(o.Dir, partitionMetadataFile))
	if err != nil || string(b) != string(encodePartitionMetadata(idA)) {
		t.Fatalf("partition.metadata = %q, %v", b, err)
	}
	for _, id := range []TopicID{idA, {}} {
		o.TopicID = id
		l, err := Open(o)
		if err != nil {
			t.Fatalf("reopen with id %v: %v", id, err)
		}
		if l.LogEndOffset() != 3 {
			t.Fatalf("reopened with id %v: log end %d, want 3", id, l.LogEndOffset())
		}
		l.Close()
	}
	o.TopicID = idB
	if _, err := Open(o); !errors.Is(err, ErrInconsistentTopicID) {
		t.Fatalf("open with another topic id: %v, want ErrInconsistentTopicID", err)
	}
	o.TopicID = idA
	l, err = Open(o)
	if err != nil || l.LogEndOffset() != 3 {
		t.Fatalf("after the refused open: %v", err)
	}
	l.Close()
}

// TestManagerDeletesStrayLog: a partition directory left by an earlier
// topic of the same name is deleted when the new topic's partition opens;
// a directory from before partition.metadata existed is adopted.
func TestManagerDeletesStrayLog(t *testing.T) {
	fs := vfs.NewMem()
	m := newManager(t, fs, clock.NewManual(t0), "/data")
	stray, adopted := TopicPartition{"reborn", 0}, TopicPartition{"old", 0}
	for _, tp := range []TopicPartition{stray, adopted} {
		l, err := m.GetOrCreateTopic(tp, idA, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, l, 5, 1)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fs.Remove(filepath.Join("/data", adopted.DirName(), partitionMetadataFile)); err != nil {
		t.Fatal(err)
	}

	m = newManager(t, fs, clock.NewManual(t0), "/data")
	defer m.Close()
	l, err := m.GetOrCreateTopic(stray, idB, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if l.LogStartOffset() != 0 || l.LogEndOffset() != 0 {
		t.Fatalf("the new topic's partition: log [%d, %d), want empty", l.LogStartOffset(), l.LogEndOffset())
	}
	if id, ok, err := checkTopicID(fs, filepath.Join("/data", stray.DirName())); err != nil || !ok || id != idB {
		t.Fatalf("partition.metadata after the stray log went: %v %v %v", id, ok, err)
	}
	l, err = m.GetOrCreateTopic(adopted, idB, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if l.LogEndOffset() != 5 {
		t.Fatalf("a directory without partition.metadata: log end %d, want its 5 records", l.LogEndOffset())
	}
	if id, ok, err := checkTopicID(fs, filepath.Join("/data", adopted.DirName())); err != nil || !ok || id != idB {
		t.Fatalf("partition.metadata of the adopted directory: %v %v %v", id, ok, err)
	}
}

// TestEmptyPartitionMetadata: an empty (or zeroed) file, what a crash
// can leave of one just written, reads as none and is written again.
func TestEmptyPartitionMetadata(t *testing.T) {
	for _, content := range []string{"", "\x00\x00\x00"} {
		fs := vfs.NewMem()
		dir := "/d/t-0"
		if err := fs.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := vfs.WriteFileAtomic(fs, dir, filepath.Join(dir, partitionMetadataFile), []byte(content)); err != nil {
			t.Fatal(err)
		}
		l, err := Open(Options{FS: fs, Dir: dir, Config: DefaultConfig(), TopicID: idA})
		if err != nil {
			t.Fatalf("open over %q: %v", content, err)
		}
		l.Close()
		if id, ok, err := checkTopicID(fs, dir); err != nil || !ok || id != idA {
			t.Fatalf("partition.metadata after open over %q: %v %v %v", content, id, ok, err)
		}
	}
}

// TestCorruptPartitionMetadata: a file the broker cannot read takes the
// data directory offline, as in Kafka, and deletes nothing.
func TestCorruptPartitionMetadata(t *testing.T) {
	fs := vfs.NewMem()
	dir := "/d/t-0"
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := vfs.WriteFileAtomic(fs, dir, filepath.Join(dir, partitionMetadataFile), []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	_, err := Open(Options{FS: fs, Dir: dir, Config: DefaultConfig(), TopicID: idA})
	if !errors.Is(err, ErrStorage) {
		t.Fatalf("open: %v, want ErrStorage", err)
	}
	if _, err := vfs.ReadFile(fs, filepath.Join(dir, partitionMetadataFile)); err != nil {
		t.Fatalf("the damaged file is gone: %v", err)
	}
}

// FuzzPartitionMetadata: decoding never panics, and whatever decodes
// encodes to a file that decodes to the same id.
func FuzzPartitionMetadata(f *testing.F) {
	f.Add([]byte("version: 0\ntopic_id: bijVISCHQ-KkaVNmKx--Iw"))
	f.Add([]byte("version: 0\ntopic_id: AQIDBAUGBwgJCgsMDQ4PEA\n"))
	f.Add([]byte("version: 1\ntopic_id: x"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := decodePartitionMetadata(b)
		if err != nil {
			return
		}
		back, err := decodePartitionMetadata(encodePartitionMetadata(id))
		if err != nil || back != id {
			t.Fatalf("round trip of %v: %v, %v", id, back, err)
		}
	})
}
