package log

import (
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

var errEIO = errors.New("EIO")

func TestInjectedWriteErrorFailsLog(t *testing.T) {
	e := newEnv(t)
	l := e.open()
	appendN(t, l, 2, 1)
	e.fs.InjectError(func(op, path string) error {
		if op == "write" && filepath.Ext(path) == extLog {
			return errEIO
		}
		return nil
	})
	_, err := l.AppendAsLeader(plain(1, 0).build(), 0)
	wantErr(t, err, ErrStorage)
	wantErr(t, err, errEIO)
	e.fs.InjectError(nil)
	_, err = l.AppendAsLeader(plain(1, 0).build(), 0) // the log stays failed
	wantErr(t, err, ErrStorage)
	if l.Failed() == nil || !l.dirFailed.Load() {
		t.Fatal("log not marked failed")
	}
	// Reads keep working.
	wantContiguous(t, readAll(t, l, 0), 0, 2, 1)
}

func TestInjectedErrorsNeverPanic(t *testing.T) {
	ops := []string{"open", "create", "read", "write", "sync", "truncate", "rename", "remove", "syncdir", "readdir", "stat", "close"}
	for _, op := range ops {
		for after := 0; after < 12; after += 3 {
			t.Run(op, func(t *testing.T) {
				e := newEnv(t)
				e.cfg.SegmentBytes = 300
				e.cfg.RetentionMs = 0
				var calls atomic.Int32
				e.fs.InjectError(func(o, path string) error {
					if o == op && calls.Add(1) > int32(after) {
						return errEIO
					}
					return nil
				})
				l, err := e.tryOpen()
				if err != nil {
					wantErr(t, err, ErrStorage)
					return
				}
				defer l.Close()
				exercise(t, l)
				e.fs.InjectError(nil)
				e.fs.Crash()
				l2, err := e.tryOpen()
				if err != nil {
					t.Fatalf("reopen after %s errors: %v", op, err)
				}
				readAll(t, l2, l2.LogStartOffset())
				l2.Close()
			})
		}
	}
}

// exercise runs every operation once, accepting storage errors only.
func exercise(t *testing.T, l *Log) {
	t.Helper()
	ok := func(err error) {
		t.Helper()
		if err != nil && !errors.Is(err, ErrStorage) && !errors.Is(err, ErrOffsetOutOfRange) {
			t.Fatalf("unexpected error: %v", err)
		}
	}
	for i := 0; i < 6; i++ {
		_, err := l.AppendAsLeader(idem(1, 0, int32(i), 1).build(), 0)
		ok(err)
	}
	ok(l.Flush(l.LogEndOffset()))
	l.SetHighWatermark(l.LogEndOffset())
	if res, err := l.Read(l.LogStartOffset(), 1000, l.LogEndOffset()); err == nil {
		res.Bytes()
		res.Release()
	} else {
		ok(err)
	}
	l.OffsetForTimestamp(0)
	l.MaxTimestamp()
	_, err := l.DeleteRecordsBefore(1)
	ok(err)
	_, err = l.EnforceRetention()
	ok(err)
	ok(l.Checkpoint())
	ok(l.TruncateTo(l.LogEndOffset() - 1))
	ok(l.Close())
}

func TestFlushSyncErrorIsStorageError(t *testing.T) {
	e := newEnv(t)
	l := e.open()
	appendN(t, l, 1, 1)
	e.fs.InjectError(func(op, path string) error {
		if op == "sync" && strings.HasSuffix(path, extLog) {
			return errEIO
		}
		return nil
	})
	wantErr(t, l.Flush(1), ErrStorage)
	if l.RecoveryPoint() != 0 {
		t.Fatal("failed flush moved the recovery point")
	}
}
