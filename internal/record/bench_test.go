package record

import "testing"

// BenchmarkValidateProduce validates a batch of 160 records of 100-byte
// values (about 16 KiB, a typical producer batch) per codec and reports
// ns/record.
func BenchmarkValidateProduce(b *testing.B) {
	c := NewCodecs()
	recs := makeRecords(160, 100)
	for _, codec := range allCodecs {
		b.Run(codecName(codec), func(b *testing.B) {
			batch := build(b, c, testHeader(codec), recs)
			o := okOptions(c)
			b.SetBytes(int64(len(encode(recs))))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ValidateProduce(batch, o); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
		})
	}
}

// BenchmarkIterBatch decodes every record of the same batches.
func BenchmarkIterBatch(b *testing.B) {
	c := NewCodecs()
	recs := makeRecords(160, 100)
	for _, codec := range []int{CodecNone, CodecZstd} {
		b.Run(codecName(codec), func(b *testing.B) {
			batch := build(b, c, testHeader(codec), recs)
			b.ReportAllocs()
			for b.Loop() {
				if err := IterBatch(batch, c, func(*Record) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
		})
	}
}

// BenchmarkFastScan scans the records of a 170 KB batch of 1,700 keyless
// 100-byte records, the shape of a busy producer's batch, and reports
// ns/record.
func BenchmarkFastScan(b *testing.B) {
	recs := makeRecords(1700, 100)
	for i := range recs {
		recs[i].Key, recs[i].TimestampDelta = nil, int64(i/400)
	}
	batch := build(b, nil, testHeader(CodecNone), recs)
	h, err := ParseHeader(batch)
	if err != nil {
		b.Fatal(err)
	}
	o := okOptions(nil)
	b.SetBytes(int64(len(batch)))
	for b.Loop() {
		s := newScanner(&h, &o)
		if !s.fastScan(batch[HeaderSize:]) {
			b.Fatal("fast scan declined a plain batch")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}
