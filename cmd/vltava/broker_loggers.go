package main

// `vltava broker describe-loggers` and `alter-loggers`: a broker's log
// levels, read and changed at run time through the BROKER_LOGGER config
// resource (what kafka-configs.sh --entity-type broker-loggers does).
// Changes are not persisted: a restarted broker starts from its
// --log-level, as Kafka's does from its log4j file.

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// loggerTarget picks the broker: --broker, or the only broker there is.
func loggerTarget(ctx context.Context, cmd *cobra.Command, adm *kadm.Client, t *brokerTarget) (int32, error) {
	ids, err := t.ids(cmd)
	if err != nil {
		return 0, err
	}
	if len(ids) == 1 {
		return ids[0], t.check(ctx, adm, ids)
	}
	md, err := adm.BrokerMetadata(ctx)
	if err != nil {
		return 0, opError("broker loggers", err, "")
	}
	known := md.Brokers.NodeIDs()
	if len(known) != 1 {
		return 0, usageErrorf(cmd, "give --broker: the cluster has brokers %s", joinInt32s(known))
	}
	return known[0], nil
}

// brokerLogger is one row of `broker describe-loggers`.
type brokerLogger struct {
	Name  string `json:"name"`
	Level string `json:"level"`
}

func newBrokerDescribeLoggersCmd(o *topicOptions) *cobra.Command {
	var target brokerTarget
	cmd := &cobra.Command{
		Use:   "describe-loggers",
		Short: "Show a broker's loggers and the level each logs at",
		Long: `Show a broker's loggers (root, vltava, vltava.server, vltava.log, ...) and
the level each logs at: its own, or else its nearest ancestor's.`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.runClient(cmd, func(ctx context.Context, cl *kgo.Client, adm *kadm.Client) error {
				id, err := loggerTarget(ctx, cmd, adm, &target)
				if err != nil {
					return err
				}
				configs, err := describeResource(ctx, cl, kmsg.ConfigResourceTypeBrokerLogger, fmt.Sprint(id), fmt.Sprintf("broker %d", id))
				if err != nil {
					return err
				}
				rows := []brokerLogger{}
				for _, c := range configs {
					rows = append(rows, brokerLogger{c.Name, derefString(c.Value)})
				}
				w := cmd.OutOrStdout()
				if o.json() {
					return writeJSON(w, rows)
				}
				cells := make([][]string, len(rows))
				for i, r := range rows {
					cells[i] = []string{r.Name, r.Level}
				}
				return writeTable(w, []string{"LOGGER", "LEVEL"}, cells)
			})
		},
	}
	cmd.Flags().Int32Var(&target.id, "broker", -1, "a broker id (needed when the cluster has more than one)")
	return cmd
}

func newBrokerAlterLoggersCmd(o *topicOptions) *cobra.Command {
	var (
		target brokerTarget
		levels []string
		unsets []string
	)
	cmd := &cobra.Command{
		Use:   "alter-loggers (--level LOGGER=LEVEL | --unset LOGGER)...",
		Short: "Change a broker's log levels at run time",
		Long: `Change a broker's log levels at once, without a restart: --level sets a
logger's level (trace, debug, info, warn, error, fatal), which its
descendants without their own level take too; --unset makes a logger take
its ancestor's level again. Changes last until the broker restarts.`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(levels) == 0 && len(unsets) == 0 {
				return usageErrorf(cmd, "nothing to alter: give --level or --unset")
			}
			var ops []kmsg.IncrementalAlterConfigsRequestResourceConfig
			for _, kv := range levels {
				name, level, ok := strings.Cut(kv, "=")
				if !ok || name == "" || level == "" {
					return usageErrorf(cmd, "invalid --level %q: want LOGGER=LEVEL", kv)
				}
				ops = append(ops, configOp(kmsg.IncrementalAlterConfigOpSet, name, kmsg.StringPtr(strings.ToUpper(level))))
			}
			for _, name := range unsets {
				ops = append(ops, configOp(kmsg.IncrementalAlterConfigOpDelete, name, nil))
			}
			return o.runClient(cmd, func(ctx context.Context, cl *kgo.Client, adm *kadm.Client) error {
				id, err := loggerTarget(ctx, cmd, adm, &target)
				if err != nil {
					return err
				}
				subject := fmt.Sprintf("broker %d", id)
				if err := alterResource(ctx, cl, kmsg.ConfigResourceTypeBrokerLogger, fmt.Sprint(id), subject, ops); err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				if o.json() {
					return writeJSON(w, map[string]string{"resource": subject + " loggers", "status": "altered"})
				}
				_, err = fmt.Fprintf(w, "Altered the loggers of %s.\n", subject)
				return err
			})
		},
	}
	cmd.Flags().Int32Var(&target.id, "broker", -1, "a broker id (needed when the cluster has more than one)")
	cmd.Flags().StringArrayVar(&levels, "level", nil, "set a logger's level: LOGGER=LEVEL (repeatable)")
	cmd.Flags().StringArrayVar(&unsets, "unset", nil, "remove a logger's own level, so that it takes its ancestor's (repeatable)")
	return cmd
}
