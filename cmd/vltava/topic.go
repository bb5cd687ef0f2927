package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/admin"
)

// topicOptions are the flags shared by every topic subcommand.
type topicOptions struct {
	client *clientOptions
	output *string
}

// newParentCmd builds a command that only groups subcommands (listed in
// subs for the error message): run bare or with an unknown subcommand, it
// is a usage error.
func newParentCmd(use, short, subs string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf(cmd, "missing subcommand (%s)", subs)
			}
			return usageErrorf(cmd, "unknown subcommand %q", args[0])
		},
	}
}

// newTopicCmd builds `vltava topic`, the topic admin commands.
func newTopicCmd() *cobra.Command {
	cmd := newParentCmd("topic", "Create, list, describe, alter and delete topics", "create, list, describe, alter, delete")
	o := &topicOptions{client: addClientFlags(cmd, true), output: addOutputFlag(cmd, true)}
	cmd.AddCommand(
		newTopicCreateCmd(o),
		newTopicListCmd(o),
		newTopicDescribeCmd(o),
		newTopicAlterCmd(o),
		newTopicDeleteCmd(o),
	)
	return cmd
}

// run validates the shared flags, connects, and calls fn with an admin
// client whose requests are bounded by --timeout.
func (o *topicOptions) run(cmd *cobra.Command, fn func(context.Context, *kadm.Client) error) error {
	return o.runClient(cmd, func(ctx context.Context, _ *kgo.Client, adm *kadm.Client) error { return fn(ctx, adm) })
}

// runClient is run for commands that also send raw requests.
func (o *topicOptions) runClient(cmd *cobra.Command, fn func(context.Context, *kgo.Client, *kadm.Client) error) error {
	if err := checkOutput(cmd, *o.output); err != nil {
		return err
	}
	cl, adm, err := o.client.admin(cmd)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), o.client.timeout)
	defer cancel()
	return fn(ctx, cl, adm)
}

// json reports whether --output json was asked for.
func (o *topicOptions) json() bool { return *o.output == outputJSON }

// parseConfigs turns repeated k=v flags into a config map.
func parseConfigs(cmd *cobra.Command, kvs []string) (map[string]*string, error) {
	m := make(map[string]*string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErrorf(cmd, "invalid --config %q: want key=value", kv)
		}
		m[k] = kadm.StringPtr(v)
	}
	return m, nil
}

// topicID renders a topic id as Kafka does (URL-safe base64, unpadded).
func topicID(id kadm.TopicID) string {
	return base64.RawURLEncoding.EncodeToString(id[:])
}

// createFlags are the flags of `topic create`.
type createFlags struct {
	partitions   int32
	replication  int16
	configs      []string
	ifNotExists  bool
	validateOnly bool
}

// createResult is the JSON form of `topic create`'s outcome.
type createResult struct {
	Topic             string `json:"topic"`
	Status            string `json:"status"` // created, valid or exists
	Partitions        int32  `json:"partitions,omitempty"`
	ReplicationFactor int16  `json:"replication_factor,omitempty"`
}

func newTopicCreateCmd(o *topicOptions) *cobra.Command {
	f := &createFlags{}
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a topic",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			configs, err := parseConfigs(cmd, f.configs)
			if err != nil {
				return err
			}
			return o.run(cmd, func(ctx context.Context, adm *kadm.Client) error {
				res, err := createTopic(ctx, adm, f, configs, args[0])
				if err != nil {
					return err
				}
				return o.printCreate(cmd.OutOrStdout(), res)
			})
		},
	}
	fs := cmd.Flags()
	fs.Int32Var(&f.partitions, "partitions", -1, "number of partitions (-1: the broker's num.partitions)")
	fs.Int16Var(&f.replication, "replication-factor", -1, "replicas per partition (-1: the broker's default.replication.factor)")
	fs.StringArrayVar(&f.configs, "config", nil, "topic config key=value (repeatable)")
	fs.BoolVar(&f.ifNotExists, "if-not-exists", false, "succeed if the topic already exists")
	fs.BoolVar(&f.validateOnly, "validate-only", false, "only check that the topic could be created")
	return cmd
}

// createTopic issues CreateTopics (or its validate-only form) for one topic.
func createTopic(ctx context.Context, adm *kadm.Client, f *createFlags, configs map[string]*string, name string) (createResult, error) {
	create := adm.CreateTopics
	if f.validateOnly {
		create = adm.ValidateCreateTopics
	}
	resps, err := create(ctx, f.partitions, f.replication, configs, name)
	if err != nil {
		return createResult{}, opError(topicSubject(name), err, "")
	}
	r, ok := resps[name]
	if !ok {
		return createResult{}, fmt.Errorf("%s: broker response did not include the topic", topicSubject(name))
	}
	if r.Err != nil {
		if f.ifNotExists && errors.Is(r.Err, kerr.TopicAlreadyExists) {
			return createResult{Topic: name, Status: "exists"}, nil
		}
		return createResult{}, opError(topicSubject(name), r.Err, r.ErrMessage)
	}
	res := createResult{Topic: name, Status: "created", Partitions: r.NumPartitions, ReplicationFactor: r.ReplicationFactor}
	if f.validateOnly {
		res.Status = "valid"
	}
	if res.Partitions <= 0 {
		res.Partitions = f.partitions
	}
	if res.ReplicationFactor <= 0 {
		res.ReplicationFactor = f.replication
	}
	return res, nil
}

func (o *topicOptions) printCreate(w io.Writer, r createResult) error {
	if o.json() {
		return writeJSON(w, r)
	}
	var err error
	switch r.Status {
	case "exists":
		_, err = fmt.Fprintf(w, "Topic %q already exists.\n", r.Topic)
	case "valid":
		_, err = fmt.Fprintf(w, "Topic %q is valid (%s); not created (validate only).\n", r.Topic, shape(r))
	default:
		_, err = fmt.Fprintf(w, "Created topic %q (%s).\n", r.Topic, shape(r))
	}
	return err
}

// shape describes a created topic's partitions and replication factor.
func shape(r createResult) string {
	p, rf := "broker default", "broker default"
	if r.Partitions > 0 {
		p = strconv.Itoa(int(r.Partitions))
	}
	if r.ReplicationFactor > 0 {
		rf = strconv.Itoa(int(r.ReplicationFactor))
	}
	return fmt.Sprintf("partitions: %s, replication factor: %s", p, rf)
}

// listedTopic is one row of `topic list`.
type listedTopic struct {
	Topic             string `json:"topic"`
	Partitions        int    `json:"partitions"`
	ReplicationFactor int    `json:"replication_factor"`
	Internal          bool   `json:"internal"`
}

func newTopicListCmd(o *topicOptions) *cobra.Command {
	var internal bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List topics",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, func(ctx context.Context, adm *kadm.Client) error {
				tds, err := adm.ListTopicsWithInternal(ctx)
				if err != nil {
					return fmt.Errorf("list topics: %w", err)
				}
				return o.printList(cmd.OutOrStdout(), listRows(tds, internal))
			})
		},
	}
	cmd.Flags().BoolVar(&internal, "internal", false, "include internal topics")
	return cmd
}

// listRows turns metadata into sorted list rows.
func listRows(tds kadm.TopicDetails, internal bool) []listedTopic {
	rows := []listedTopic{}
	for _, td := range tds.Sorted() {
		if td.IsInternal && !internal {
			continue
		}
		rows = append(rows, listedTopic{
			Topic:             td.Topic,
			Partitions:        len(td.Partitions),
			ReplicationFactor: td.Partitions.NumReplicas(),
			Internal:          td.IsInternal,
		})
	}
	return rows
}

func (o *topicOptions) printList(w io.Writer, rows []listedTopic) error {
	if o.json() {
		return writeJSON(w, rows)
	}
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = []string{r.Topic, strconv.Itoa(r.Partitions), strconv.Itoa(r.ReplicationFactor)}
	}
	return writeTable(w, []string{"TOPIC", "PARTITIONS", "REPLICATION-FACTOR"}, cells)
}

// alterFlags are the flags of `topic alter`.
type alterFlags struct {
	partitions    int
	configs       []string
	deleteConfigs []string
}

func newTopicAlterCmd(o *topicOptions) *cobra.Command {
	f := &alterFlags{}
	cmd := &cobra.Command{
		Use:   "alter NAME",
		Short: "Add partitions to a topic or change its configs",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			alters, err := f.alterConfigs(cmd)
			if err != nil {
				return err
			}
			return o.run(cmd, func(ctx context.Context, adm *kadm.Client) error {
				if err := alterTopic(ctx, adm, args[0], f.partitions, alters); err != nil {
					return err
				}
				return o.printStatus(cmd.OutOrStdout(), args[0], "altered", "Altered topic %q.\n")
			})
		},
	}
	fs := cmd.Flags()
	fs.IntVar(&f.partitions, "partitions", 0, "new total number of partitions (can only grow)")
	fs.StringArrayVar(&f.configs, "config", nil, "set topic config key=value (repeatable)")
	fs.StringArrayVar(&f.deleteConfigs, "delete-config", nil, "remove a topic config override, back to its default (repeatable)")
	return cmd
}

// alterConfigs validates the flags and turns them into incremental alters.
func (f *alterFlags) alterConfigs(cmd *cobra.Command) ([]kadm.AlterConfig, error) {
	if f.partitions < 0 {
		return nil, usageErrorf(cmd, "invalid --partitions %d: must be positive", f.partitions)
	}
	if f.partitions == 0 && len(f.configs) == 0 && len(f.deleteConfigs) == 0 {
		return nil, usageErrorf(cmd, "nothing to alter: give --partitions, --config or --delete-config")
	}
	sets, err := parseConfigs(cmd, f.configs)
	if err != nil {
		return nil, err
	}
	var alters []kadm.AlterConfig
	for _, k := range sortedKeys(sets) {
		alters = append(alters, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: sets[k]})
	}
	for _, k := range f.deleteConfigs {
		alters = append(alters, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
	}
	return alters, nil
}

// alterTopic grows the partition count (CreatePartitions) and then applies
// config changes (IncrementalAlterConfigs).
func alterTopic(ctx context.Context, adm *kadm.Client, name string, partitions int, alters []kadm.AlterConfig) error {
	subject := topicSubject(name)
	if partitions > 0 {
		resps, err := adm.UpdatePartitions(ctx, partitions, name)
		if err != nil {
			return opError(subject, err, "")
		}
		if r := resps[name]; r.Err != nil {
			return opError(subject, r.Err, r.ErrMessage)
		}
	}
	if len(alters) == 0 {
		return nil
	}
	resps, err := adm.AlterTopicConfigs(ctx, alters, name)
	if err != nil {
		return opError(subject, err, "")
	}
	r, err := resps.On(name, nil)
	if err == nil {
		err = r.Err
	}
	if err != nil {
		return opError(subject, err, r.ErrMessage)
	}
	return nil
}

// statusResult is the JSON form of a per-topic outcome.
type statusResult struct {
	Topic  string `json:"topic"`
	Status string `json:"status"`
}

// printStatus prints one topic's outcome: the formatted line for tables or
// a status object for JSON.
func (o *topicOptions) printStatus(w io.Writer, topic, status, line string) error {
	if o.json() {
		return writeJSON(w, statusResult{Topic: topic, Status: status})
	}
	_, err := fmt.Fprintf(w, line, topic)
	return err
}

func newTopicDeleteCmd(o *topicOptions) *cobra.Command {
	var ifExists bool
	cmd := &cobra.Command{
		Use:   "delete NAME...",
		Short: "Delete topics",
		Args:  minArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(ctx context.Context, adm *kadm.Client) error {
				results, err := deleteTopics(ctx, adm, args, ifExists)
				if perr := o.printDelete(cmd.OutOrStdout(), results); perr != nil {
					return perr
				}
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&ifExists, "if-exists", false, "succeed for topics that do not exist")
	return cmd
}

// deleteTopics deletes names, returning the outcome of each topic that was
// deleted or skipped, and the errors of the others.
func deleteTopics(ctx context.Context, adm *kadm.Client, names []string, ifExists bool) ([]statusResult, error) {
	resps, err := adm.DeleteTopics(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("delete topics: %w", err)
	}
	var results []statusResult
	var errs []error
	for _, name := range names {
		r, ok := resps[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s: broker response did not include the topic", topicSubject(name)))
		case r.Err == nil:
			results = append(results, statusResult{Topic: name, Status: "deleted"})
		case ifExists && errors.Is(r.Err, kerr.UnknownTopicOrPartition):
			results = append(results, statusResult{Topic: name, Status: "not_found"})
		default:
			errs = append(errs, opError(topicSubject(name), r.Err, r.ErrMessage))
		}
	}
	return results, firstOf(errs)
}

func (o *topicOptions) printDelete(w io.Writer, results []statusResult) error {
	if o.json() {
		if results == nil {
			results = []statusResult{}
		}
		return writeJSON(w, results)
	}
	for _, r := range results {
		line := "Deleted topic %q.\n"
		if r.Status == "not_found" {
			line = "Topic %q does not exist; nothing to delete.\n"
		}
		if _, err := fmt.Fprintf(w, line, r.Topic); err != nil {
			return err
		}
	}
	return nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// isDefaultConfig reports whether a described config carries its default
// value, so describe can leave it out.
func isDefaultConfig(c kadm.Config) bool {
	return c.Source == kmsg.ConfigSourceDefaultConfig || c.Source == kmsg.ConfigSourceUnknown
}

// describedTopic is the outcome of `topic describe` for one topic.
type describedTopic struct {
	Topic             string               `json:"topic"`
	ID                string               `json:"id"`
	Internal          bool                 `json:"internal"`
	ReplicationFactor int                  `json:"replication_factor"`
	Configs           map[string]string    `json:"configs"`
	Partitions        []describedPartition `json:"partitions"`
}

// describedPartition is one partition's row in `topic describe`.
type describedPartition struct {
	Partition      int32   `json:"partition"`
	Leader         int32   `json:"leader"`
	LeaderEpoch    int32   `json:"leader_epoch"`
	Replicas       []int32 `json:"replicas"`
	ISR            []int32 `json:"isr"`
	LogStartOffset int64   `json:"log_start_offset"`
	LogEndOffset   int64   `json:"log_end_offset"`
	// Cleaner is the cleaner's status (--verbose), when the admin
	// listener reported the partition.
	Cleaner *cleanerStatus `json:"cleaner,omitempty"`
}

// cleanerStatus is a partition's cleaner status as `topic describe
// --verbose --output json` prints it; its fields are admin.CleanerJSON's.
type cleanerStatus struct {
	Compacted        bool       `json:"compacted"`
	DirtyRatio       float64    `json:"dirty_ratio"`
	DirtyBytes       int64      `json:"dirty_bytes"`
	CleanBytes       int64      `json:"clean_bytes"`
	FirstDirtyOffset int64      `json:"first_dirty_offset"`
	LastCleanTime    *time.Time `json:"last_clean_time"`
	Cleaning         bool       `json:"cleaning"`
	Error            *string    `json:"error"`
}

// adminURLEnv names the environment variable that overrides the default
// --admin-url.
const adminURLEnv = "VLTAVA_ADMIN_URL"

// describeFlags are the flags of `topic describe`.
type describeFlags struct {
	verbose  bool
	adminURL string
}

func newTopicDescribeCmd(o *topicOptions) *cobra.Command {
	f := &describeFlags{}
	cmd := &cobra.Command{
		Use:   "describe NAME...",
		Short: "Show topics' partitions, replicas, offsets and non-default configs",
		Long: `Show topics' partitions, replicas, offsets and non-default configs.

With --verbose, each partition also shows the log cleaner's dirty ratio and
last clean time, read from a Vltava broker's admin listener (--admin-url).
Other brokers (Apache Kafka) have none: describe then prints the usual
output and says on stderr why the cleaner status is missing.`,
		Args: minArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			base, err := f.adminBase(cmd)
			if err != nil {
				return err
			}
			return o.run(cmd, func(ctx context.Context, adm *kadm.Client) error {
				topics, err := describeTopics(ctx, adm, args)
				if err != nil {
					return err
				}
				verbose := f.verbose
				if verbose {
					if err := addCleanerStatus(ctx, base, args, topics); err != nil {
						verbose = false
						fmt.Fprintf(cmd.ErrOrStderr(), "vltava: cleaner status unavailable from %s: %v (set --admin-url or %s to a Vltava broker's admin listener)\n",
							base, err, adminURLEnv)
					}
				}
				return o.printDescribe(cmd.OutOrStdout(), topics, verbose)
			})
		},
	}
	def := os.Getenv(adminURLEnv)
	if def == "" {
		def = "http://localhost:9644"
	}
	cmd.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "also show each partition's log cleaner status (dirty ratio, last clean time)")
	cmd.Flags().StringVar(&f.adminURL, "admin-url", def, "a Vltava broker's admin listener, for --verbose (env "+adminURLEnv+")")
	return cmd
}

// adminBase checks --admin-url when --verbose is set and returns it
// without a trailing slash; "host:port" means http://host:port.
func (f *describeFlags) adminBase(cmd *cobra.Command) (string, error) {
	if !f.verbose {
		return "", nil
	}
	s := strings.TrimRight(f.adminURL, "/")
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return "", usageErrorf(cmd, "invalid --admin-url %q: want http://HOST:PORT", f.adminURL)
	}
	return s, nil
}

// maxAdminResponse bounds the admin listener's answer read by describe.
const maxAdminResponse = 64 << 20

// addCleanerStatus asks the admin listener at base for the partitions of
// names and attaches each one's cleaner status.
func addCleanerStatus(ctx context.Context, base string, names []string, topics []describedTopic) error {
	parts, err := fetchPartitions(ctx, base, names)
	if err != nil {
		return err
	}
	type key struct {
		topic     string
		partition int32
	}
	byKey := make(map[key]*cleanerStatus, len(parts))
	for _, p := range parts {
		c := cleanerStatus(p.Cleaner)
		byKey[key{p.Topic, p.Partition}] = &c
	}
	for i := range topics {
		t := &topics[i]
		for j := range t.Partitions {
			t.Partitions[j].Cleaner = byKey[key{t.Topic, t.Partitions[j].Partition}]
		}
	}
	return nil
}

// fetchPartitions GETs base/v1/partitions for topics.
func fetchPartitions(ctx context.Context, base string, topics []string) ([]admin.PartitionJSON, error) {
	q := url.Values{"topic": topics}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/partitions?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is already in the message
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /v1/partitions: HTTP %s", resp.Status)
	}
	var out []admin.PartitionJSON
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAdminResponse)).Decode(&out); err != nil {
		return nil, fmt.Errorf("GET /v1/partitions: bad response: %w", err)
	}
	return out, nil
}

// describeTopics gathers metadata, log start/end offsets (ListOffsets) and
// configs for names, failing on the first topic that cannot be described.
func describeTopics(ctx context.Context, adm *kadm.Client, names []string) ([]describedTopic, error) {
	tds, err := adm.ListTopicsWithInternal(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("describe topics: %w", err)
	}
	topics := make([]describedTopic, 0, len(names))
	for _, name := range names {
		td := tds[name]
		if td.Err != nil {
			return nil, opError(topicSubject(name), td.Err, "")
		}
		topics = append(topics, newDescribedTopic(td))
	}
	if err := addOffsets(ctx, adm, names, topics); err != nil {
		return nil, err
	}
	if err := addConfigs(ctx, adm, names, topics); err != nil {
		return nil, err
	}
	return topics, nil
}

// newDescribedTopic copies a topic's metadata; offsets and configs come later.
func newDescribedTopic(td kadm.TopicDetail) describedTopic {
	t := describedTopic{
		Topic:             td.Topic,
		ID:                topicID(td.ID),
		Internal:          td.IsInternal,
		ReplicationFactor: td.Partitions.NumReplicas(),
		Configs:           map[string]string{},
		Partitions:        []describedPartition{},
	}
	for _, p := range td.Partitions.Sorted() {
		t.Partitions = append(t.Partitions, describedPartition{
			Partition:      p.Partition,
			Leader:         p.Leader,
			LeaderEpoch:    p.LeaderEpoch,
			Replicas:       nonNil(p.Replicas),
			ISR:            nonNil(p.ISR),
			LogStartOffset: -1,
			LogEndOffset:   -1,
		})
	}
	return t
}

// addOffsets fills in each partition's log start and end offsets.
func addOffsets(ctx context.Context, adm *kadm.Client, names []string, topics []describedTopic) error {
	starts, err := adm.ListStartOffsets(ctx, names...)
	if err != nil {
		return fmt.Errorf("list start offsets: %w", err)
	}
	ends, err := adm.ListEndOffsets(ctx, names...)
	if err != nil {
		return fmt.Errorf("list end offsets: %w", err)
	}
	for i := range topics {
		t := &topics[i]
		for j := range t.Partitions {
			p := &t.Partitions[j]
			s, _ := starts.Lookup(t.Topic, p.Partition)
			e, _ := ends.Lookup(t.Topic, p.Partition)
			if err := errors.Join(s.Err, e.Err); err != nil {
				return opError(fmt.Sprintf("topic %q partition %d", t.Topic, p.Partition), err, "")
			}
			p.LogStartOffset, p.LogEndOffset = s.Offset, e.Offset
		}
	}
	return nil
}

// addConfigs fills in each topic's configs that are not at their defaults.
func addConfigs(ctx context.Context, adm *kadm.Client, names []string, topics []describedTopic) error {
	rcs, err := adm.DescribeTopicConfigs(ctx, names...)
	if err != nil {
		return fmt.Errorf("describe configs: %w", err)
	}
	for i := range topics {
		t := &topics[i]
		rc, err := rcs.On(t.Topic, nil)
		if err == nil {
			err = rc.Err
		}
		if err != nil {
			return opError(topicSubject(t.Topic), err, rc.ErrMessage)
		}
		for _, c := range rc.Configs {
			if isDefaultConfig(c) {
				continue
			}
			v := c.MaybeValue()
			if c.Sensitive {
				v = "<sensitive>"
			}
			t.Configs[c.Key] = v
		}
	}
	return nil
}

// printDescribe prints topics; verbose adds the cleaner columns.
func (o *topicOptions) printDescribe(w io.Writer, topics []describedTopic, verbose bool) error {
	if o.json() {
		return writeJSON(w, topics)
	}
	for i, t := range topics {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := printDescribedTopic(w, t, verbose); err != nil {
			return err
		}
	}
	return nil
}

// printDescribedTopic writes one topic's header lines and partition table.
func printDescribedTopic(w io.Writer, t describedTopic, verbose bool) error {
	configs := make([]string, 0, len(t.Configs))
	for _, k := range sortedKeys(t.Configs) {
		configs = append(configs, k+"="+t.Configs[k])
	}
	cfg := "(none)"
	if len(configs) > 0 {
		cfg = strings.Join(configs, ", ")
	}
	fmt.Fprintf(w, "Topic: %s\nID: %s\nPartitions: %d\nReplication factor: %d\nConfigs: %s\n",
		t.Topic, t.ID, len(t.Partitions), t.ReplicationFactor, cfg)
	rows := make([][]string, len(t.Partitions))
	for i, p := range t.Partitions {
		rows[i] = []string{
			strconv.Itoa(int(p.Partition)), strconv.Itoa(int(p.Leader)), strconv.Itoa(int(p.LeaderEpoch)),
			joinInt32s(p.Replicas), joinInt32s(p.ISR),
			strconv.FormatInt(p.LogStartOffset, 10), strconv.FormatInt(p.LogEndOffset, 10),
		}
		if verbose {
			rows[i] = append(rows[i], cleanerCells(p.Cleaner)...)
		}
	}
	header := []string{"PARTITION", "LEADER", "EPOCH", "REPLICAS", "ISR", "LOG-START", "LOG-END"}
	if verbose {
		header = append(header, "DIRTY-RATIO", "LAST-CLEAN")
	}
	return writeTable(w, header, rows)
}

// cleanerCells are the DIRTY-RATIO and LAST-CLEAN cells of a partition:
// "-" when it is not compacted or not reported, "never" before its first
// clean, the time in UTC (RFC 3339) after.
func cleanerCells(c *cleanerStatus) []string {
	if c == nil || !c.Compacted {
		return []string{"-", "-"}
	}
	last := "never"
	if c.LastCleanTime != nil {
		last = c.LastCleanTime.UTC().Format(time.RFC3339)
	}
	return []string{strconv.FormatFloat(c.DirtyRatio, 'f', 2, 64), last}
}
