package record

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// payload is compressible, non-trivial test data.
func payload(n int) []byte {
	out := make([]byte, 0, n)
	for i := 0; len(out) < n; i++ {
		out = append(out, "vltava flows through prague "[i%7:]...)
		out = append(out, byte(i), byte(i>>8))
	}
	return out[:n]
}

func TestCodecsRoundTrip(t *testing.T) {
	c := NewCodecs()
	for _, codec := range allCodecs {
		for _, n := range []int{0, 1, 100, 70_000, 300_000} {
			src := payload(n)
			comp, err := c.Compress(codec, src, []byte("prefix"))
			if err != nil {
				t.Fatalf("%s/%d: Compress: %v", codecName(codec), n, err)
			}
			if !bytes.HasPrefix(comp, []byte("prefix")) {
				t.Fatalf("%s/%d: Compress did not append to dst", codecName(codec), n)
			}
			got, err := c.Decompress(codec, comp[len("prefix"):], []byte("dst:"))
			if err != nil {
				t.Fatalf("%s/%d: Decompress: %v", codecName(codec), n, err)
			}
			if want := append([]byte("dst:"), src...); !bytes.Equal(got, want) {
				t.Fatalf("%s/%d: round trip differs (len %d, want %d)", codecName(codec), n, len(got), len(want))
			}
		}
	}
}

// TestCodecsInteropFranzGo: what franz-go compresses we decompress, and what
// we compress franz-go decompresses.
func TestCodecsInteropFranzGo(t *testing.T) {
	c := NewCodecs()
	dec := kgo.DefaultDecompressor()
	for _, codec := range allCodecs[1:] {
		src := payload(200_000)
		got, err := c.Decompress(codec, kgoCompress(t, codec, src), nil)
		if err != nil || !bytes.Equal(got, src) {
			t.Fatalf("%s: decompressing kgo's output: err %v, equal %v", codecName(codec), err, bytes.Equal(got, src))
		}
		ours, err := c.Compress(codec, src, nil)
		if err != nil {
			t.Fatalf("%s: Compress: %v", codecName(codec), err)
		}
		got, err = dec.Decompress(ours, kgo.CompressionCodecType(codec))
		if err != nil || !bytes.Equal(got, src) {
			t.Fatalf("%s: kgo decompressing ours: err %v, equal %v", codecName(codec), err, bytes.Equal(got, src))
		}
	}
}

func TestSnappyXerial(t *testing.T) {
	c := NewCodecs()
	src := payload(100_000)
	for _, chunk := range []int{32 << 10, 1000, 1 << 20} {
		got, err := c.Decompress(CodecSnappy, xerial(src, chunk), nil)
		if err != nil || !bytes.Equal(got, src) {
			t.Fatalf("chunk %d: err %v, equal %v", chunk, err, bytes.Equal(got, src))
		}
	}
	empty := xerial(nil, 1)
	if got, err := c.Decompress(CodecSnappy, empty, nil); err != nil || len(got) != 0 {
		t.Fatalf("empty xerial stream: %q, %v", got, err)
	}
	bad := xerial(src, 1000)
	for _, cut := range []int{xerialHeaderSize + 2, xerialHeaderSize + 10, len(bad) - 1} {
		if _, err := c.Decompress(CodecSnappy, bad[:cut], nil); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("xerial cut at %d: err %v, want ErrCorrupt", cut, err)
		}
	}
}

// TestDecompressCap: a small payload that expands past the cap fails with
// ErrCorrupt for every codec, and one at the cap succeeds.
func TestDecompressCap(t *testing.T) {
	const limit = 64 << 10
	c := NewCodecs(WithMaxDecompressed(limit))
	if c.MaxDecompressed() != limit {
		t.Fatalf("MaxDecompressed %d", c.MaxDecompressed())
	}
	big := NewCodecs()
	for _, codec := range allCodecs {
		over := make([]byte, limit+1)
		comp, err := big.Compress(codec, over, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Decompress(codec, comp, nil); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %d bytes over a %d cap: err %v, want ErrCorrupt", codecName(codec), len(over), limit, err)
		}
		at, _ := big.Compress(codec, make([]byte, limit), nil)
		if got, err := c.Decompress(codec, at, nil); err != nil || len(got) != limit {
			t.Errorf("%s: exactly at the cap: len %d, err %v", codecName(codec), len(got), err)
		}
	}
	xe := xerial(make([]byte, limit+1), 8<<10)
	if _, err := c.Decompress(CodecSnappy, xe, nil); !errors.Is(err, ErrCorrupt) {
		t.Errorf("xerial over the cap: err %v, want ErrCorrupt", err)
	}
}

func TestDecompressGarbage(t *testing.T) {
	c := NewCodecs()
	garbage := []byte("this is not compressed data at all, not in any codec")
	for _, codec := range allCodecs[1:] {
		got, err := c.Decompress(codec, garbage, []byte("keep"))
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err %v, want ErrCorrupt", codecName(codec), err)
		}
		if string(got) != "keep" {
			t.Errorf("%s: dst changed to %q on error", codecName(codec), got)
		}
		comp, _ := c.Compress(codec, payload(10_000), nil)
		if _, err := c.Decompress(codec, comp[:len(comp)/2], nil); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s truncated: err %v, want ErrCorrupt", codecName(codec), err)
		}
	}
}

func TestUnknownCodec(t *testing.T) {
	c := NewCodecs()
	for _, codec := range []int{5, 6, 7, -1} {
		if _, err := c.Decompress(codec, []byte("x"), nil); !errors.Is(err, ErrCompression) {
			t.Errorf("Decompress codec %d: %v", codec, err)
		}
		if _, err := c.Compress(codec, []byte("x"), nil); !errors.Is(err, ErrCompression) {
			t.Errorf("Compress codec %d: %v", codec, err)
		}
	}
}

// TestCodecsConcurrent exercises the pools from many goroutines (run with
// -race).
func TestCodecsConcurrent(t *testing.T) {
	c := NewCodecs()
	var wg sync.WaitGroup
	errs := make(chan error, 8*len(allCodecs))
	for g := range 8 {
		for _, codec := range allCodecs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				src := payload(10_000 + g*1000)
				for range 20 {
					comp, err := c.Compress(codec, src, nil)
					if err != nil {
						errs <- err
						return
					}
					got, err := c.Decompress(codec, comp, nil)
					if err != nil || !bytes.Equal(got, src) {
						errs <- errors.Join(errors.New(codecName(codec)+" mismatch"), err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// levelData is text-like data whose compressed size depends on the level:
// words drawn from a small vocabulary by a fixed pseudo-random sequence.
func levelData(n int) []byte {
	words := []string{"vltava ", "moldau ", "prague ", "bridge ", "charles ", "river ", "flows ", "north ", "into ", "the ", "elbe ", "at ", "melnik "}
	out := make([]byte, 0, n+8)
	x := uint32(1)
	for len(out) < n {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		out = append(out, words[x%uint32(len(words))]...)
	}
	return out[:n]
}

// TestCompressLevels: every level of each codec round-trips, Compress is
// CompressLevels at Kafka's default levels, and a higher level compresses
// the same data smaller than a low one, so the level reaches the encoder.
func TestCompressLevels(t *testing.T) {
	c := NewCodecs()
	src := levelData(96 << 10)
	size := func(codec int, lv Levels) int {
		t.Helper()
		comp, err := c.CompressLevels(codec, lv, src, nil)
		if err != nil {
			t.Fatalf("%s %+v: %v", codecName(codec), lv, err)
		}
		got, err := c.Decompress(codec, comp, nil)
		if err != nil || !bytes.Equal(got, src) {
			t.Fatalf("%s %+v: round trip failed: %v", codecName(codec), lv, err)
		}
		return len(comp)
	}
	def := DefaultLevels()
	for _, codec := range allCodecs {
		comp, err := c.Compress(codec, src, nil)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := c.CompressLevels(codec, def, src, nil)
		if !bytes.Equal(comp, again) {
			t.Errorf("%s: Compress differs from CompressLevels at the default levels", codecName(codec))
		}
	}
	for _, lv := range []int{-1, 1, 2, 5, 9, 0, 10, -7} { // 0, 10 and -7 are clamped to the default
		size(CodecGzip, Levels{Gzip: lv})
	}
	if lo, hi := size(CodecGzip, Levels{Gzip: 1}), size(CodecGzip, Levels{Gzip: 9}); hi >= lo {
		t.Errorf("gzip level 9: %d bytes, not smaller than level 1's %d", hi, lo)
	}
	for lv := 1; lv <= 17; lv++ {
		size(CodecLZ4, Levels{LZ4: lv})
	}
	if fast, hc := size(CodecLZ4, Levels{LZ4: 9}), size(CodecLZ4, Levels{LZ4: 17}); hc >= fast {
		t.Errorf("lz4 level 17 (high compressor): %d bytes, not smaller than level 9's (fast) %d", hc, fast)
	}
	for _, lv := range []int{-131072, -5, 1, 3, 6, 10, 22} {
		size(CodecZstd, Levels{Zstd: lv})
	}
	if fast, best := size(CodecZstd, Levels{Zstd: 1}), size(CodecZstd, Levels{Zstd: 19}); best >= fast {
		t.Errorf("zstd level 19: %d bytes, not smaller than level 1's %d", best, fast)
	}
}
