package log

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vltava/vltava/internal/vfs"
)

func TestCrashKeepsFlushedData(t *testing.T) {
	e := newEnv(t)
	e.cfg.SegmentBytes = 1000
	l := e.open()
	appendN(t, l, 30, 3)
	if err := l.Flush(60); err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 10, 3) // not flushed
	flushed := l.RecoveryPoint()
	if flushed != 90 {
		t.Fatalf("recovery point %d", flushed)
	}
	e.fs.Crash()
	l2 := e.open()
	if leo := l2.LogEndOffset(); leo != 90 {
		t.Fatalf("LEO after crash %d, want 90", leo)
	}
	wantContiguous(t, readAll(t, l2, 0), 0, 90, 3)
	appendN(t, l2, 2, 3)
	wantContiguous(t, readAll(t, l2, 80), 78, 96, 3)
}

func TestRecoveryTruncatesTornTail(t *testing.T) {
	e := newEnv(t)
	l := e.open()
	appendN(t, l, 5, 2)
	if err := l.Flush(10); err != nil {
		t.Fatal(err)
	}
	// Simulate a torn write: half a batch, synced, after the valid data.
	seg := fileName(e.dir, 0, extLog)
	f, err := e.fs.OpenFile(seg, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	good := fi.Size()
	half := plain(2, 0).build()
	half = half[:len(half)/2]
	f.WriteAt(half, good)
	f.Sync()
	f.Close()
	e.fs.Crash()

	l2 := e.open()
	if l2.LogEndOffset() != 10 {
		t.Fatalf("LEO %d", l2.LogEndOffset())
	}
	if fi, _ := e.fs.Stat(seg); fi.Size() != good {
		t.Fatalf("segment size %d, want %d", fi.Size(), good)
	}
	info, err := l2.AppendAsLeader(plain(2, 0).build(), 0)
	if err != nil || info.FirstOffset != 10 {
		t.Fatalf("%+v %v", info, err)
	}
	wantContiguous(t, readAll(t, l2, 0), 0, 12, 2)
}

func TestRecoveryDropsCorruptBatchAndLaterSegments(t *testing.T) {
	e := newEnv(t)
	size := int64(len(plain(2, 0).build()))
	e.cfg.SegmentBytes = 3 * size
	l := e.open()
	appendN(t, l, 9, 2) // segments at 0, 6, 12
	if err := l.Flush(18); err != nil {
		t.Fatal(err)
	}
	// Corrupt the second batch of segment 6 (flip a byte under the CRC), then
	// crash without a clean shutdown and with the recovery point at 0.
	f, _ := e.fs.OpenFile(fileName(e.dir, 6, extLog), os.O_RDWR, 0)
	f.WriteAt([]byte{0xff}, size+record61+3)
	f.Sync()
	f.Close()
	writeCheckpoint(e.fs, e.dir, checkpoint{})
	e.fs.Crash()
	l2 := e.open()
	if l2.LogEndOffset() != 8 {
		t.Fatalf("LEO %d, want 8", l2.LogEndOffset())
	}
	if l2.NumSegments() != 2 {
		t.Fatalf("%d segments", l2.NumSegments())
	}
	wantContiguous(t, readAll(t, l2, 0), 0, 8, 2)
}

// record61 is the size of a batch header: a byte past it is in the records.
const record61 = 61

func TestIndexRebuild(t *testing.T) {
	for _, damage := range []string{"delete", "garbage", "wrong"} {
		t.Run(damage, func(t *testing.T) {
			e := newEnv(t)
			e.cfg.IndexIntervalBytes = 50
			e.cfg.SegmentBytes = 2000
			l := e.open()
			appendN(t, l, 60, 1)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			for _, base := range []int64{0, segBaseAfter(t, e, 0)} {
				for _, ext := range []string{extIndex, extTimeIndex} {
					name := fileName(e.dir, base, ext)
					switch damage {
					case "delete":
						e.fs.Remove(name)
					case "garbage":
						writeSynced(e.fs, name, []byte("not an index at all!!!"))
					case "wrong": // well-formed entries pointing at the wrong places
						if ext == extIndex {
							writeSynced(e.fs, name, encodeIndex([]indexEntry{{rel: 3, pos: 200}, {rel: 9, pos: 300}}))
						}
					}
				}
			}
			l = e.open()
			for _, off := range []int64{0, 5, 17, 33, 59} {
				bs, _ := readBatches(t, l, off, 1, 60)
				if len(bs) != 1 || bs[0].base != off {
					t.Fatalf("read %d: %v", off, bs)
				}
			}
			wantContiguous(t, readAll(t, l, 0), 0, 60, 1)
			if _, err := e.fs.Stat(fileName(e.dir, 0, extIndex)); err != nil {
				t.Fatalf("index not rewritten: %v", err)
			}
			b, _ := vfs.ReadFile(e.fs, fileName(e.dir, 0, extIndex))
			if _, ok := decodeIndex(b, 2000); !ok || len(b) == 0 {
				t.Fatalf("rewritten index invalid (%d bytes)", len(b))
			}
		})
	}
}

// segBaseAfter returns the base of the segment after base.
func segBaseAfter(t *testing.T, e *env, base int64) int64 {
	ents, _ := e.fs.ReadDir(e.dir)
	for _, en := range ents {
		if b, ok := parseOffsetName(en.Name(), extLog); ok && b > base {
			return b
		}
	}
	t.Fatal("no second segment")
	return 0
}

func TestCleanReopenDoesNotScan(t *testing.T) {
	e := newEnv(t)
	e.cfg.SegmentBytes = 500
	l := e.open()
	appendN(t, l, 50, 1)
	l.SetHighWatermark(50)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Fail every read of a .log file: a clean open must not need one.
	e.fs.InjectError(func(op, path string) error {
		if op == "read" && filepath.Ext(path) == extLog {
			return errors.New("segment read during clean open")
		}
		return nil
	})
	l = e.open()
	e.fs.InjectError(nil)
	if l.LogEndOffset() != 50 || l.HighWatermark() != 50 {
		t.Fatalf("LEO %d HW %d", l.LogEndOffset(), l.HighWatermark())
	}
	// An untouched log closes without rewriting its state, and stays clean.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fs.Stat(filepath.Join(e.dir, cleanMarkerFile)); err != nil {
		t.Fatal("clean marker gone after closing an untouched log")
	}
	l = e.open()
	appendN(t, l, 1, 1)
	if _, err := e.fs.Stat(filepath.Join(e.dir, cleanMarkerFile)); err == nil {
		t.Fatal("clean marker still there after an append")
	}
	wantContiguous(t, readAll(t, l, 0), 0, 51, 1)
}

func TestHighWatermarkCheckpoint(t *testing.T) {
	e := newEnv(t)
	l := e.open()
	appendN(t, l, 4, 1)
	l.SetHighWatermark(3)
	if err := l.Flush(4); err != nil {
		t.Fatal(err)
	}
	if err := l.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	l.SetHighWatermark(100) // clamped
	if l.HighWatermark() != 4 {
		t.Fatalf("HW %d", l.HighWatermark())
	}
	e.fs.Crash()
	l = e.open()
	if l.HighWatermark() != 3 || l.LogEndOffset() != 4 {
		t.Fatalf("HW %d LEO %d", l.HighWatermark(), l.LogEndOffset())
	}
}
