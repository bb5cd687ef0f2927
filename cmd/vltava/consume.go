package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// consumeFlags are the flags of `vltava consume`.
type consumeFlags struct {
	fromBeginning bool
	offset        int64
	fromTimestamp string
	partitions    []int32
	count         int
	follow        bool
	format        string
	output        *string
	isolation     string
	group         string

	offsetSet   bool  // --offset was given
	startMillis int64 // parsed --from-timestamp
}

func newConsumeCmd() *cobra.Command {
	f := &consumeFlags{}
	var client *clientOptions
	cmd := &cobra.Command{
		Use:   "consume TOPIC",
		Short: "Print records of a topic",
		Long: "Consume prints TOPIC's records. Without --follow it exits once it has\n" +
			"read up to the end offsets the partitions had when it started.\n" +
			"Format verbs: %k key, %v value, %p partition, %o offset, %t timestamp (ms),\n" +
			"%h headers (k=v,...), %T topic, %% a percent sign; escapes \\n \\t \\r \\\\.",
		Args: exactArgs("TOPIC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConsume(cmd, client, f, args[0])
		},
	}
	client = addClientFlags(cmd, false)
	fs := cmd.Flags()
	f.output = fs.String("output", "text", "output format: text (the --format template) or json (one object per line)")
	fs.BoolVar(&f.fromBeginning, "from-beginning", false, "start at the log start offset")
	fs.Int64Var(&f.offset, "offset", 0, "start at this offset; negative counts back from the end (default: the end)")
	fs.StringVar(&f.fromTimestamp, "from-timestamp", "", "start at the first record at or after this time (RFC 3339 or Unix ms)")
	fs.Int32SliceVar(&f.partitions, "partition", nil, "consume only these partitions (repeatable or comma-separated)")
	fs.IntVar(&f.count, "count", 0, "exit after this many records (0: no limit)")
	fs.BoolVarP(&f.follow, "follow", "f", false, "keep waiting for new records instead of exiting at the end")
	fs.StringVar(&f.format, "format", `%v\n`, "output template for each record")
	fs.StringVar(&f.isolation, "isolation", "read_uncommitted", "read_uncommitted or read_committed")
	fs.StringVar(&f.group, "group", "", "consume as a member of this consumer group, committing what was printed")
	return cmd
}

// validate checks the flags that do not need the cluster.
func (f *consumeFlags) validate(cmd *cobra.Command) error {
	starts := 0
	for _, name := range []string{"from-beginning", "offset", "from-timestamp"} {
		if cmd.Flags().Changed(name) {
			starts++
		}
	}
	switch {
	case starts > 1:
		return usageErrorf(cmd, "--from-beginning, --offset and --from-timestamp exclude each other")
	case f.count < 0:
		return usageErrorf(cmd, "invalid --count %d: must not be negative", f.count)
	case f.isolation != "read_uncommitted" && f.isolation != "read_committed":
		return usageErrorf(cmd, "invalid --isolation %q: want read_uncommitted or read_committed", f.isolation)
	case f.group != "" && len(f.partitions) > 0:
		return usageErrorf(cmd, "--partition cannot be used with --group")
	case *f.output != outputTable && *f.output != "text" && *f.output != outputJSON:
		return usageErrorf(cmd, "invalid --output %q: want text or json", *f.output)
	case *f.output == outputJSON && cmd.Flags().Changed("format"):
		return usageErrorf(cmd, "--format cannot be used with --output json")
	}
	f.offsetSet = cmd.Flags().Changed("offset")
	for _, p := range f.partitions {
		if p < 0 {
			return usageErrorf(cmd, "invalid --partition %d", p)
		}
	}
	return f.parseTimestamp(cmd)
}

// parseTimestamp reads --from-timestamp as RFC 3339 or Unix milliseconds.
func (f *consumeFlags) parseTimestamp(cmd *cobra.Command) error {
	if f.fromTimestamp == "" {
		return nil
	}
	if ms, err := strconv.ParseInt(f.fromTimestamp, 10, 64); err == nil && ms >= 0 {
		f.startMillis = ms
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, f.fromTimestamp)
	if err != nil {
		return usageErrorf(cmd, "invalid --from-timestamp %q: want RFC 3339 or Unix milliseconds", f.fromTimestamp)
	}
	f.startMillis = t.UnixMilli()
	return nil
}

// runConsume plans where to start and stop, then prints records.
func runConsume(cmd *cobra.Command, client *clientOptions, f *consumeFlags, topic string) error {
	if err := f.validate(cmd); err != nil {
		return err
	}
	printer, err := newRecordPrinter(cmd, *f.output == outputJSON, f.format)
	if err != nil {
		return err
	}
	plan, err := planConsume(cmd, client, f, topic)
	if err != nil {
		return err
	}
	c := &consumer{flags: f, plan: plan, printer: printer, progress: newProgress(plan.end)}
	if f.group == "" {
		c.progress.startAll(plan.start)
	}
	if !f.follow && c.progress.done() {
		return nil
	}
	cl, err := client.connect(cmd, c.kgoOpts(topic)...)
	if err != nil {
		return err
	}
	c.cl = cl
	defer cl.Close()
	return c.run(cmd.Context(), client.timeout)
}

// consumePlan is what consume learned about the topic before it starts.
type consumePlan struct {
	start map[int32]int64 // where each partition starts, from the flags
	end   map[int32]int64 // each partition's end offset when consume began
}

// planConsume resolves partitions and their start and end offsets.
func planConsume(cmd *cobra.Command, client *clientOptions, f *consumeFlags, topic string) (consumePlan, error) {
	cl, adm, err := client.admin(cmd)
	if err != nil {
		return consumePlan{}, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), client.timeout)
	defer cancel()
	parts, err := topicPartitions(ctx, adm, topic, f.partitions)
	if err != nil {
		return consumePlan{}, err
	}
	ends, starts, err := listBounds(ctx, adm, topic, f.isolation == "read_committed")
	if err != nil {
		return consumePlan{}, err
	}
	var byTime kadm.ListedOffsets
	if f.fromTimestamp != "" {
		if byTime, err = adm.ListOffsetsAfterMilli(ctx, f.startMillis, topic); err != nil {
			return consumePlan{}, opError(topicSubject(topic), err, "")
		}
	}
	plan := consumePlan{start: map[int32]int64{}, end: map[int32]int64{}}
	for _, p := range parts {
		e, s, t := ends[p], starts[p], lookup(byTime, topic, p)
		if err := errors.Join(e.Err, s.Err, t.Err); err != nil {
			return consumePlan{}, opError(partitionSubject(topic, p), err, "")
		}
		plan.end[p] = e.Offset
		plan.start[p] = f.startOffset(s.Offset, e.Offset, t.Offset)
	}
	return plan, nil
}

// topicPartitions returns the partitions to read: those asked for, which
// must exist, or all of them.
func topicPartitions(ctx context.Context, adm *kadm.Client, topic string, want []int32) ([]int32, error) {
	tds, err := adm.ListTopicsWithInternal(ctx, topic)
	if err != nil {
		return nil, opError(topicSubject(topic), err, "")
	}
	td := tds[topic]
	if td.Err != nil {
		return nil, opError(topicSubject(topic), td.Err, "")
	}
	if len(want) == 0 {
		return td.Partitions.Numbers(), nil
	}
	for _, p := range want {
		if _, ok := td.Partitions[p]; !ok {
			return nil, fmt.Errorf("%s: no such partition (the topic has %d)", partitionSubject(topic, p), len(td.Partitions))
		}
	}
	return want, nil
}

// listBounds lists the end offsets (the last stable offsets when reading
// committed) and the log start offsets of topic's partitions.
func listBounds(ctx context.Context, adm *kadm.Client, topic string, committed bool) (ends, starts map[int32]kadm.ListedOffset, err error) {
	listEnd := adm.ListEndOffsets
	if committed {
		listEnd = adm.ListCommittedOffsets
	}
	e, err := listEnd(ctx, topic)
	if err != nil {
		return nil, nil, opError(topicSubject(topic), err, "")
	}
	s, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, nil, opError(topicSubject(topic), err, "")
	}
	return e[topic], s[topic], nil
}

// lookup returns the listed offset of p, or a zero one when nothing was listed.
func lookup(l kadm.ListedOffsets, topic string, p int32) kadm.ListedOffset {
	o, _ := l.Lookup(topic, p)
	return o
}

// startOffset picks a partition's first offset from the flags, given its log
// start, its end, and the first offset at or after --from-timestamp.
func (f *consumeFlags) startOffset(logStart, end, atTime int64) int64 {
	switch {
	case f.fromBeginning:
		return logStart
	case f.fromTimestamp != "":
		if atTime < 0 {
			return end
		}
		return atTime
	case f.offsetSet && f.offset < 0:
		return max(end+f.offset, logStart)
	case f.offsetSet:
		return min(max(f.offset, logStart), end)
	}
	return end
}

// resetOffset is where a group member starts on a partition that has no
// committed offset.
func (f *consumeFlags) resetOffset() kgo.Offset {
	switch {
	case f.fromBeginning:
		return kgo.NewOffset().AtStart()
	case f.fromTimestamp != "":
		return kgo.NewOffset().AfterMilli(f.startMillis)
	case f.offsetSet && f.offset < 0:
		return kgo.NewOffset().AtEnd().Relative(f.offset)
	case f.offsetSet:
		return kgo.NewOffset().At(f.offset)
	}
	return kgo.NewOffset().AtEnd()
}

// partitionSubject names a partition in messages.
func partitionSubject(topic string, p int32) string {
	return fmt.Sprintf("topic %q partition %d", topic, p)
}

// consumer prints records until the count or the planned end is reached.
type consumer struct {
	flags    *consumeFlags
	plan     consumePlan
	printer  *recordPrinter
	progress *progress
	cl       *kgo.Client
	printed  int
}

// kgoOpts returns the consuming client's options: direct partitions at the
// planned offsets, or group membership.
func (c *consumer) kgoOpts(topic string) []kgo.Opt {
	opts := []kgo.Opt{kgo.KeepControlRecords(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}
	if c.flags.isolation == "read_committed" {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	if c.flags.group == "" {
		at := make(map[int32]kgo.Offset, len(c.plan.start))
		for p, o := range c.plan.start {
			at[p] = kgo.NewOffset().At(o)
		}
		return append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: at}))
	}
	return append(opts,
		kgo.ConsumerGroup(c.flags.group),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(c.flags.resetOffset()),
		kgo.AutoCommitMarks(),
		kgo.OnPartitionsAssigned(c.assigned),
		kgo.OnPartitionsRevoked(c.revoked),
		kgo.OnPartitionsLost(c.revoked),
	)
}

// assigned starts tracking newly assigned partitions from their committed
// offsets, or the flags' start where the group has none.
func (c *consumer) assigned(ctx context.Context, cl *kgo.Client, parts map[string][]int32) {
	committed, err := kadm.NewClient(cl).FetchOffsets(ctx, c.flags.group)
	start := make(map[int32]int64)
	for topic, ps := range parts {
		for _, p := range ps {
			start[p] = c.plan.start[p]
			if o, ok := committed.Lookup(topic, p); ok && err == nil && o.Err == nil && o.At >= 0 {
				start[p] = o.At
			}
		}
	}
	c.progress.startAll(start)
}

// revoked stops tracking partitions that moved to another member.
func (c *consumer) revoked(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
	for _, ps := range parts {
		c.progress.drop(ps)
	}
}

// run polls and prints until done, then commits in group mode.
func (c *consumer) run(ctx context.Context, timeout time.Duration) error {
	pollCtx, stopPolling := context.WithCancel(ctx)
	defer stopPolling()
	if !c.flags.follow {
		// A group assignment can leave nothing to read while a poll waits.
		c.progress.setOnDone(stopPolling)
	}
	err := c.poll(pollCtx)
	if ferr := c.printer.flush(); err == nil {
		err = ferr
	}
	if c.flags.group == "" || err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := c.cl.CommitMarkedOffsets(cctx); err != nil {
		return opError(fmt.Sprintf("group %q", c.flags.group), err, "commit offsets")
	}
	return nil
}

// poll fetches until the count or the planned end is reached; an interrupt
// ends it quietly.
func (c *consumer) poll(ctx context.Context) error {
	for !c.finished() {
		fs := c.cl.PollRecords(ctx, c.remaining())
		if ctx.Err() != nil {
			return nil
		}
		if err := fetchError(fs); err != nil {
			return err
		}
		for it := fs.RecordIter(); !it.Done() && !c.finished(); {
			if err := c.handle(it.Next()); err != nil {
				return err
			}
		}
		if err := c.printer.flush(); err != nil {
			return err
		}
	}
	return nil
}

// remaining is how many records a poll may return (0: no limit).
func (c *consumer) remaining() int {
	if c.flags.count == 0 {
		return 0
	}
	return c.flags.count - c.printed
}

// finished reports whether consume should stop.
func (c *consumer) finished() bool {
	if c.flags.count > 0 && c.printed >= c.flags.count {
		return true
	}
	return !c.flags.follow && c.progress.done()
}

// handle prints one fetched record unless it is a control record or, when
// not following, lies past the planned end.
func (c *consumer) handle(r *kgo.Record) error {
	defer c.progress.seen(r.Partition, r.Offset)
	if r.Attrs.IsControl() {
		c.mark(r)
		return nil
	}
	if !c.flags.follow && r.Offset >= c.plan.end[r.Partition] {
		return nil
	}
	if err := c.printer.print(r); err != nil {
		return err
	}
	c.printed++
	c.mark(r)
	return nil
}

// mark records r as consumed for the group's commit.
func (c *consumer) mark(r *kgo.Record) {
	if c.flags.group != "" {
		c.cl.MarkCommitRecords(r)
	}
}

// fetchError returns the first real error of a poll.
func fetchError(fs kgo.Fetches) error {
	for _, fe := range fs.Errors() {
		if errors.Is(fe.Err, context.Canceled) || errors.Is(fe.Err, kgo.ErrClientClosed) {
			continue
		}
		if fe.Topic == "" {
			return opError("consume", fe.Err, "")
		}
		if fe.Partition < 0 {
			return opError(topicSubject(fe.Topic), fe.Err, "")
		}
		return opError(partitionSubject(fe.Topic, fe.Partition), fe.Err, "")
	}
	return nil
}

// progress tracks, for a consume that stops at the end, which partitions
// still have records below the end offsets taken at start. Group callbacks
// update it from another goroutine.
type progress struct {
	mu      sync.Mutex
	end     map[int32]int64
	pending map[int32]bool
	started bool   // some partitions have been assigned
	onDone  func() // called when every tracked partition is done
}

func newProgress(end map[int32]int64) *progress {
	return &progress{end: end, pending: map[int32]bool{}}
}

// setOnDone sets what to call once every tracked partition is done.
func (p *progress) setOnDone(fn func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onDone = fn
}

// checkDoneLocked calls onDone if everything has been read.
// Lock should be held.
func (p *progress) checkDoneLocked() {
	if p.started && len(p.pending) == 0 && p.onDone != nil {
		p.onDone()
	}
}

// startAll begins tracking partitions from the given start offsets.
func (p *progress) startAll(start map[int32]int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.started = true
	for part, at := range start {
		if at < p.end[part] {
			p.pending[part] = true
		}
	}
	p.checkDoneLocked()
}

// drop stops tracking parts.
func (p *progress) drop(parts []int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, part := range parts {
		delete(p.pending, part)
	}
	p.checkDoneLocked()
}

// seen notes that offset of part has been read.
func (p *progress) seen(part int32, offset int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if offset+1 >= p.end[part] {
		delete(p.pending, part)
		p.checkDoneLocked()
	}
}

// done reports whether every tracked partition has reached its end.
func (p *progress) done() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.started && len(p.pending) == 0
}

// recordPrinter writes records with the --format template or as JSON lines.
type recordPrinter struct {
	w      *bufio.Writer
	json   bool
	format []formatPart
}

func newRecordPrinter(cmd *cobra.Command, asJSON bool, format string) (*recordPrinter, error) {
	parts, err := compileFormat(format)
	if err != nil {
		return nil, usageErrorf(cmd, "invalid --format: %v", err)
	}
	return &recordPrinter{w: bufio.NewWriterSize(cmd.OutOrStdout(), 64<<10), json: asJSON, format: parts}, nil
}

// flush writes out buffered output.
func (p *recordPrinter) flush() error {
	if err := p.w.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// print writes one record.
func (p *recordPrinter) print(r *kgo.Record) error {
	if p.json {
		return writeRecordJSON(p.w, r)
	}
	for _, part := range p.format {
		writeFormatPart(p.w, part, r)
	}
	return nil
}

// formatPart is a literal or, when verb is set, one record field.
type formatPart struct {
	lit  string
	verb byte
}

// compileFormat parses a --format template.
func compileFormat(s string) ([]formatPart, error) {
	var parts []formatPart
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c != '%' && c != '\\') || i+1 == len(s) {
			lit.WriteByte(c)
			continue
		}
		i++
		if c == '\\' {
			lit.WriteString(unescape(s[i]))
			continue
		}
		switch s[i] {
		case '%':
			lit.WriteByte('%')
		case 'k', 'v', 'p', 'o', 't', 'h', 'T':
			parts = appendLiteral(parts, &lit)
			parts = append(parts, formatPart{verb: s[i]})
		default:
			return nil, fmt.Errorf("unknown verb %%%c", s[i])
		}
	}
	return appendLiteral(parts, &lit), nil
}

// appendLiteral moves pending literal text, if any, into parts.
func appendLiteral(parts []formatPart, lit *strings.Builder) []formatPart {
	if lit.Len() > 0 {
		parts = append(parts, formatPart{lit: lit.String()})
		lit.Reset()
	}
	return parts
}

// unescape returns what a backslash followed by c stands for.
func unescape(c byte) string {
	switch c {
	case 'n':
		return "\n"
	case 't':
		return "\t"
	case 'r':
		return "\r"
	case '\\':
		return "\\"
	}
	return "\\" + string(c)
}

// writeFormatPart writes a literal or a record field.
func writeFormatPart(w *bufio.Writer, part formatPart, r *kgo.Record) {
	switch part.verb {
	case 0:
		w.WriteString(part.lit)
	case 'k':
		w.Write(r.Key)
	case 'v':
		w.Write(r.Value)
	case 'p':
		w.WriteString(strconv.Itoa(int(r.Partition)))
	case 'o':
		w.WriteString(strconv.FormatInt(r.Offset, 10))
	case 't':
		w.WriteString(strconv.FormatInt(r.Timestamp.UnixMilli(), 10))
	case 'T':
		w.WriteString(r.Topic)
	case 'h':
		for i, h := range r.Headers {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(h.Key + "=" + string(h.Value))
		}
	}
}
