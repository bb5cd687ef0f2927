package broker

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"

	"github.com/vltava/vltava/internal/config"
	"github.com/vltava/vltava/internal/vfs"
)

// loadMetaProperties reads meta.properties from the data directory, as
// Kafka's storage tool writes it, creating it (with a new cluster id) on
// first start. A directory that belongs to another node id is refused.
func loadMetaProperties(fsys vfs.FS, dir string, nodeID int32) (string, error) {
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("log dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, "meta.properties")
	data, err := vfs.ReadFile(fsys, path)
	if errors.Is(err, fs.ErrNotExist) {
		id := newClusterID()
		body := fmt.Sprintf("# Written by Vltava on first start.\nversion=1\ncluster.id=%s\nnode.id=%d\n", id, nodeID)
		if err := vfs.WriteFileAtomic(fsys, dir, path, []byte(body)); err != nil {
			return "", fmt.Errorf("write %s: %w", path, err)
		}
		return id, nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	props, err := config.ParseProperties(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if got := props["node.id"]; got != strconv.Itoa(int(nodeID)) {
		return "", fmt.Errorf("%s: the data directory belongs to node.id=%s, but this node is node.id=%d", path, got, nodeID)
	}
	if props["cluster.id"] == "" {
		return "", fmt.Errorf("%s: no cluster.id", path)
	}
	return props["cluster.id"], nil
}

// newClusterID makes a cluster id like Kafka's: a random UUID in URL-safe
// base64 without padding.
func newClusterID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	return base64.RawURLEncoding.EncodeToString(u[:])
}
