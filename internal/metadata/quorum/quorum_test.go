package quorum

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/vltava/vltava/internal/metadata/image"
	"github.com/vltava/vltava/internal/vfs"
)

func replayAll(t *testing.T, l *Local) (firsts []int64, names []string) {
	t.Helper()
	err := l.Replay(func(first int64, recs []image.Record) error {
		firsts = append(firsts, first)
		for _, r := range recs {
			names = append(names, r.(*image.TopicRecord).Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return firsts, names
}

// A torn last frame (a crash mid-append) is dropped on open; what was
// acknowledged before it stays, and appends continue after it.
func TestLocalDropsTornTail(t *testing.T) {
	fs := vfs.NewMem()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	l, err := OpenLocal(fs, "/meta", logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := l.Append(ctx, []image.Record{&image.TopicRecord{Name: "a"}, &image.TopicRecord{Name: "b"}}); err != nil {
		t.Fatal(err)
	}
	if first, err := l.Append(ctx, []image.Record{&image.TopicRecord{Name: "c"}}); err != nil || first != 2 {
		t.Fatalf("second append at %d: %v", first, err)
	}
	l.Close()
	// Tear the second frame.
	f, err := fs.OpenFile(filepath.Join("/meta", fileName), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	if err := f.Truncate(st.Size() - 3); err != nil {
		t.Fatal(err)
	}
	f.Close()

	l, err = OpenLocal(fs, "/meta", logger)
	if err != nil {
		t.Fatal(err)
	}
	firsts, names := replayAll(t, l)
	if len(firsts) != 1 || firsts[0] != 0 || len(names) != 2 || names[0] != "a" || names[1] != "b" {
		t.Fatalf("after a torn tail: frames at %v, records %v", firsts, names)
	}
	if first, err := l.Append(ctx, []image.Record{&image.TopicRecord{Name: "d"}}); err != nil || first != 2 {
		t.Fatalf("append after recovery at %d: %v", first, err)
	}
	l.Close()
	l, err = OpenLocal(fs, "/meta", logger)
	if err != nil {
		t.Fatal(err)
	}
	if _, names := replayAll(t, l); len(names) != 3 || names[2] != "d" {
		t.Fatalf("after reopening: %v", names)
	}
}
