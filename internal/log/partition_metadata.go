package log

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/vltava/vltava/internal/vfs"
)

// partitionMetadataFile names the topic a partition directory belongs to:
// the topic's id, in Apache Kafka's partition.metadata format (text):
//
//	version: 0
//	topic_id: <the id, base64url without padding>
//
// A directory is named after the topic's name, which a deleted topic's
// successor may reuse; the id tells the two apart (KIP-516), so that the
// log of a deleted topic is never served as its successor's.
//
// Unlike Kafka, the broker does not fsync it: the fsynced metadata record
// is what makes a topic durable, and a new partition costs no fsync. After
// a crash the file may be missing or empty (never partly written: it is
// one small write to a new file); either reads as no file, and the next
// open writes it again.
const partitionMetadataFile = "partition.metadata"

// TopicID is a topic's id (a Kafka Uuid); the zero value is no id.
type TopicID [16]byte

func (id TopicID) String() string { return base64.RawURLEncoding.EncodeToString(id[:]) }

// encodePartitionMetadata is the file's content for id.
func encodePartitionMetadata(id TopicID) []byte {
	return []byte("version: 0\ntopic_id: " + id.String())
}

// decodePartitionMetadata parses the file as Kafka's reader does: a
// version line (0 is the only one) then a topic_id line.
func decodePartitionMetadata(b []byte) (TopicID, error) {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		return TopicID{}, fmt.Errorf("%d lines, want 2", len(lines))
	}
	version, ok := strings.CutPrefix(lines[0], "version: ")
	if !ok || version != "0" {
		return TopicID{}, fmt.Errorf("unsupported version line %q", lines[0])
	}
	enc, ok := strings.CutPrefix(lines[1], "topic_id: ")
	if !ok {
		return TopicID{}, fmt.Errorf("bad topic_id line %q", lines[1])
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(raw) != 16 {
		return TopicID{}, fmt.Errorf("bad topic id %q", enc)
	}
	return TopicID(raw), nil
}

// checkTopicID reads the directory's partition.metadata: ok is false when
// there is none, or an empty one (see partitionMetadataFile). Any other
// file that does not parse is a storage error (the data directory goes
// offline), as in Kafka: something other than the broker has damaged it.
func checkTopicID(fsys vfs.FS, dir string) (id TopicID, ok bool, err error) {
	b, err := vfs.ReadFile(fsys, filepath.Join(dir, partitionMetadataFile))
	if errors.Is(err, fs.ErrNotExist) {
		return TopicID{}, false, nil
	}
	if err != nil {
		return TopicID{}, false, storageErr("read "+partitionMetadataFile, err)
	}
	if len(bytes.Trim(b, "\x00")) == 0 {
		return TopicID{}, false, nil // written just before a crash
	}
	id, err = decodePartitionMetadata(b)
	if err != nil {
		return TopicID{}, false, storageErr(partitionMetadataFile+" in "+filepath.Base(dir), err)
	}
	return id, true, nil
}

// claimTopicID makes the directory name topic id want: it writes
// partition.metadata if the directory has none (a new partition, one from
// before the file existed, or one whose file a crash took), and fails with
// ErrInconsistentTopicID if it names another id. A zero want checks
// nothing.
func claimTopicID(fsys vfs.FS, dir string, want TopicID) error {
	if want == (TopicID{}) {
		return nil
	}
	have, ok, err := checkTopicID(fsys, dir)
	switch {
	case err != nil:
		return err
	case ok && have != want:
		return fmt.Errorf("%w: %s names topic id %s, the topic's is %s", ErrInconsistentTopicID, filepath.Base(dir), have, want)
	case ok:
		return nil
	}
	f, err := vfs.Create(fsys, filepath.Join(dir, partitionMetadataFile))
	if err != nil {
		return storageErr("write "+partitionMetadataFile, err)
	}
	_, err = f.Write(encodePartitionMetadata(want))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return storageErr("write "+partitionMetadataFile, err)
	}
	return nil
}
