package log

import (
	"bytes"
	"os"
	"testing"

	"github.com/vltava/vltava/internal/vfs"
)

// FuzzRecover writes arbitrary bytes after three valid batches of a
// segment, crashes and reopens: Open must not panic, must keep the valid
// prefix byte for byte, and the log must stay appendable.
func FuzzRecover(f *testing.F) {
	valid := plain(2, 5).build()
	f.Add([]byte{})
	f.Add(valid[:30])
	f.Add(valid)
	f.Add(append(append([]byte{}, valid...), 0, 0, 0))
	f.Add(bytes.Repeat([]byte{0xff}, 100))
	f.Fuzz(func(t *testing.T, tail []byte) {
		e := newEnv(t)
		l, err := e.tryOpen()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if _, err := l.AppendAsLeader(plain(2, int64(i)).build(), 0); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Flush(6); err != nil {
			t.Fatal(err)
		}
		prefix := readRange(t, l, 0, 6)
		name := fileName(e.dir, 0, extLog)
		seg, err := e.fs.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		seg.WriteAt(tail, int64(len(prefix)))
		seg.Sync()
		e.fs.Crash()

		l2, err := e.tryOpen()
		if err != nil {
			t.Fatalf("Open after a bad tail: %v", err)
		}
		defer l2.Close()
		if l2.LogEndOffset() < 6 {
			t.Fatalf("valid prefix lost: LEO %d", l2.LogEndOffset())
		}
		if got := readRange(t, l2, 0, 6); !bytes.Equal(got, prefix) {
			t.Fatal("valid prefix changed")
		}
		readAll(t, l2, 0)
		info, err := l2.AppendAsLeader(plain(1, 0).build(), 0)
		if err != nil || info.FirstOffset != l2.LogEndOffset()-1 {
			t.Fatalf("append after recovery: %+v %v", info, err)
		}
	})
}

// readRange returns the bytes of the batches in [from, to).
func readRange(t *testing.T, l *Log, from, to int64) []byte {
	t.Helper()
	res, err := l.Read(from, 1<<20, to)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	b, err := res.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var _ vfs.FS = (*vfs.Mem)(nil)
