package log

import (
	"path/filepath"
	"slices"
	"testing"
)

// FuzzCleanerFiles opens a cleaned log whose cleaner-swap and
// cleaner-checkpoint hold arbitrary bytes: Open must not panic, and the
// records must be those of the log before (a manifest naming nothing that
// exists changes nothing) or an error must be returned.
func FuzzCleanerFiles(f *testing.F) {
	f.Add(swapManifest{newBase: 0, oldBases: []int64{0, 3}}.encode(), cleanerCheckpoint{firstDirty: 3, lastCleanMs: 5, horizon: 9}.encode())
	f.Add(swapManifest{newBase: -1, oldBases: []int64{99}}.encode(), []byte("VCC1"))
	f.Add([]byte{}, []byte{})
	f.Add([]byte("VCS1\x00\x00\x00\x00"), cleanerCheckpoint{firstDirty: -5}.encode())
	f.Fuzz(func(t *testing.T, manifest, ckpt []byte) {
		e := compactEnv(t)
		l := e.open()
		appendKV(t, l, plainOpts(1000), put("a", "1"), put("b", "1"))
		appendKV(t, l, plainOpts(1000), put("a", "2"))
		rollNow(t, l)
		cleanNow(t, e.testCleaner(1<<20), l)
		want := recStrings(readKeyed(t, l))
		l.Close()
		if m, err := decodeSwapManifest(manifest); err == nil && slices.ContainsFunc(m.oldBases, func(b int64) bool { return b == 0 || b == 3 }) {
			return // a valid manifest naming live segments is a committed swap: not this test
		}
		mustWrite(t, e, swapManifestFile, manifest)
		mustWrite(t, e, cleanerCkptFile, ckpt)
		l2, err := e.tryOpen()
		if err != nil {
			return
		}
		defer l2.Close()
		if got := recStrings(readKeyed(t, l2)); !slices.Equal(got, want) {
			t.Fatalf("records %v, want %v", got, want)
		}
		l2.CleanerStatus()
		e.testCleaner(1<<20).clean(t.Context(), l2, true)
		if got := recStrings(readKeyed(t, l2)); !slices.Equal(got, want) {
			t.Fatalf("after a clean: %v, want %v", got, want)
		}
	})
}

func mustWrite(t *testing.T, e *env, name string, data []byte) {
	t.Helper()
	if err := writeSynced(e.fs, filepath.Join(e.dir, name), data); err != nil {
		t.Fatal(err)
	}
}
