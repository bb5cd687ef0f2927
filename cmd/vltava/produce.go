package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

// maxReportedFailures caps how many failed records produce prints one by one.
const maxReportedFailures = 10

// produceFlags are the flags of `vltava produce`.
type produceFlags struct {
	keySeparator    string
	headers         []string
	partition       int32
	acks            string
	compression     string
	linger          time.Duration
	idempotent      bool
	maxMessageBytes int32
}

func newProduceCmd() *cobra.Command {
	f := &produceFlags{}
	var client *clientOptions
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Produce one record per line of standard input",
		Long: "Produce reads standard input and sends each line as one record to TOPIC,\n" +
			"waiting for every record to be acknowledged before it exits.",
		Args: exactArgs("TOPIC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runProduce(cmd, client, f, args[0])
		},
	}
	client = addClientFlags(cmd, false)
	fs := cmd.Flags()
	fs.StringVar(&f.keySeparator, "key-separator", "", "split each line at the first SEP into key and value")
	fs.StringArrayVar(&f.headers, "header", nil, "record header key=value added to every record (repeatable)")
	fs.Int32Var(&f.partition, "partition", -1, "produce every record to this partition (default: the key's partition)")
	fs.StringVar(&f.acks, "acks", "all", "required acknowledgements: -1|all, 0 or 1")
	fs.StringVar(&f.compression, "compression", "none", "batch compression: none, gzip, snappy, lz4 or zstd")
	fs.DurationVar(&f.linger, "linger", 10*time.Millisecond, "how long to wait for more records before sending a batch")
	fs.BoolVar(&f.idempotent, "idempotent", true, "idempotent producer (requires --acks all)")
	fs.Int32Var(&f.maxMessageBytes, "max-message-bytes", 1000012, "largest record batch to send, in bytes")
	return cmd
}

// runProduce connects and streams standard input to topic.
func runProduce(cmd *cobra.Command, client *clientOptions, f *produceFlags, topic string) error {
	opts, err := f.kgoOpts(cmd, client.timeout)
	if err != nil {
		return err
	}
	headers, err := parseHeaders(cmd, f.headers)
	if err != nil {
		return err
	}
	cl, err := client.connect(cmd, opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	p := &producer{
		cl: cl, topic: topic, headers: headers, partition: f.partition,
		keySep: []byte(f.keySeparator), maxLine: int(f.maxMessageBytes), stderr: cmd.ErrOrStderr(),
	}
	return p.run(cmd.Context(), cmd.InOrStdin())
}

// kgoOpts validates the producer flags and turns them into client options.
func (f *produceFlags) kgoOpts(cmd *cobra.Command, timeout time.Duration) ([]kgo.Opt, error) {
	acks, err := f.acksOpts(cmd)
	if err != nil {
		return nil, err
	}
	codec, err := compressionCodec(cmd, f.compression)
	if err != nil {
		return nil, err
	}
	if f.partition < -1 {
		return nil, usageErrorf(cmd, "invalid --partition %d", f.partition)
	}
	if f.maxMessageBytes < 512 || f.maxMessageBytes > 1<<30 {
		return nil, usageErrorf(cmd, "invalid --max-message-bytes %d: want 512 to %d", f.maxMessageBytes, 1<<30)
	}
	if f.linger < 0 || f.linger > time.Minute {
		return nil, usageErrorf(cmd, "invalid --linger %s: want 0 to 1m", f.linger)
	}
	opts := append(acks,
		kgo.ProducerBatchCompression(codec),
		kgo.ProducerLinger(f.linger),
		kgo.ProducerBatchMaxBytes(f.maxMessageBytes),
		kgo.MaxBufferedBytes(max(64<<20, 2*int(f.maxMessageBytes))),
		kgo.RecordDeliveryTimeout(max(timeout, time.Second)),
		kgo.AllowAutoTopicCreation(),
	)
	if f.partition >= 0 {
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	return opts, nil
}

// acksOpts maps --acks and --idempotent to client options. Idempotence
// needs acks=all, so other acks turn it off unless it was asked for.
func (f *produceFlags) acksOpts(cmd *cobra.Command) ([]kgo.Opt, error) {
	var acks kgo.Acks
	switch strings.ToLower(f.acks) {
	case "-1", "all":
		acks = kgo.AllISRAcks()
	case "0":
		acks = kgo.NoAck()
	case "1":
		acks = kgo.LeaderAck()
	default:
		return nil, usageErrorf(cmd, "invalid --acks %q: want -1, all, 0 or 1", f.acks)
	}
	opts := []kgo.Opt{kgo.RequiredAcks(acks)}
	idempotent := f.idempotent
	if acks != kgo.AllISRAcks() {
		if idempotent && cmd.Flags().Changed("idempotent") {
			return nil, usageErrorf(cmd, "--idempotent requires --acks all")
		}
		idempotent = false
	}
	if !idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	return opts, nil
}

// compressionCodec maps a --compression name to its codec.
func compressionCodec(cmd *cobra.Command, name string) (kgo.CompressionCodec, error) {
	switch strings.ToLower(name) {
	case "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, usageErrorf(cmd, "invalid --compression %q: want none, gzip, snappy, lz4 or zstd", name)
}

// parseHeaders turns repeated k=v flags into record headers.
func parseHeaders(cmd *cobra.Command, kvs []string) ([]kgo.RecordHeader, error) {
	var hs []kgo.RecordHeader
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErrorf(cmd, "invalid --header %q: want key=value", kv)
		}
		hs = append(hs, kgo.RecordHeader{Key: k, Value: []byte(v)})
	}
	return hs, nil
}

// producer streams lines into records. Reading stops at the first failed
// record; records already handed to the client still complete.
type producer struct {
	cl        *kgo.Client
	topic     string
	headers   []kgo.RecordHeader
	partition int32
	keySep    []byte
	maxLine   int
	stderr    io.Writer

	mu     sync.Mutex
	failed int  // lines whose record failed
	lines  int  // lines read
	eof    bool // all of the input was read
}

// run produces every line of in and waits for all acknowledgements.
func (p *producer) run(ctx context.Context, in io.Reader) error {
	r := bufio.NewReaderSize(in, 64<<10)
	for line := 1; ctx.Err() == nil && !p.stopped(); line++ {
		b, err := readLine(r, p.maxLine)
		if errors.Is(err, io.EOF) {
			p.mu.Lock()
			p.eof = true
			p.mu.Unlock()
			break
		}
		p.mu.Lock()
		p.lines = line
		p.mu.Unlock()
		if err != nil && !errors.Is(err, errLineTooLong) {
			return fmt.Errorf("read standard input: %w", err)
		}
		if err != nil {
			p.fail(line, fmt.Errorf("%w (--max-message-bytes %d)", err, p.maxLine))
			continue
		}
		p.produce(ctx, line, b)
	}
	if err := p.cl.Flush(ctx); err != nil {
		return fmt.Errorf("produce to %s interrupted: %w", topicSubject(p.topic), err)
	}
	return p.result()
}

// produce builds the record for one line and hands it to the client.
func (p *producer) produce(ctx context.Context, line int, b []byte) {
	rec := &kgo.Record{Topic: p.topic, Value: b, Headers: p.headers, Partition: p.partition}
	if len(p.keySep) > 0 {
		k, v, ok := bytes.Cut(b, p.keySep)
		if !ok {
			p.fail(line, fmt.Errorf("no key separator %q in line", p.keySep))
			return
		}
		rec.Key, rec.Value = k, v
	}
	p.cl.Produce(ctx, rec, func(r *kgo.Record, err error) {
		if err != nil {
			p.fail(line, opError(recordSubject(r), err, ""))
		}
	})
}

// fail records a failed line and reports the first few on stderr.
func (p *producer) fail(line int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failed++
	if p.failed <= maxReportedFailures {
		fmt.Fprintf(p.stderr, "vltava: line %d: %v\n", line, err)
	} else if p.failed == maxReportedFailures+1 {
		fmt.Fprintln(p.stderr, "vltava: more records failed; not reporting them one by one")
	}
}

// recordSubject names where a record was headed.
func recordSubject(r *kgo.Record) string {
	if r.Partition < 0 {
		return topicSubject(r.Topic)
	}
	return fmt.Sprintf("topic %q partition %d", r.Topic, r.Partition)
}

// stopped reports whether a record has failed.
func (p *producer) stopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed > 0
}

// result summarises the run once every record has completed.
func (p *producer) result() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failed == 0 {
		return nil
	}
	err := fmt.Errorf("produce to %s: %d of %d records failed", topicSubject(p.topic), p.failed, p.lines)
	if !p.eof {
		err = fmt.Errorf("%w; stopped reading input after line %d", err, p.lines)
	}
	return err
}

// errLineTooLong reports an input line longer than the record size limit.
var errLineTooLong = errors.New("line too long")

// readLine returns the next line of r without its "\n" or "\r\n", in a new
// slice the caller owns. A line longer than limit is skipped and reported
// with errLineTooLong; at the end of input it returns io.EOF.
func readLine(r *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > limit+2 {
			return nil, skipLine(r, err)
		}
		line = append(line, chunk...)
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) == 0:
			return nil, io.EOF
		case err != nil && !errors.Is(err, io.EOF):
			return nil, err
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > limit {
			return nil, errLineTooLong
		}
		return line, nil
	}
}

// skipLine discards the rest of an over-long line; err is the error of the
// read that found it too long.
func skipLine(r *bufio.Reader, err error) error {
	for errors.Is(err, bufio.ErrBufferFull) {
		_, err = r.ReadSlice('\n')
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return errLineTooLong
}
