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
	"github.com/twmb/franz-go/pkg/kerr"
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
				subject := fmt.Sprintf("broker %d", id)
				req := kmsg.NewPtrDescribeConfigsRequest()
				res := kmsg.NewDescribeConfigsRequestResource()
				res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeBrokerLogger, fmt.Sprint(id)
				req.Resources = append(req.Resources, res)
				resp, err := req.RequestWith(ctx, cl)
				if err != nil {
					return opError(subject, err, "")
				}
				if len(resp.Resources) != 1 {
					return fmt.Errorf("%s: %d resources in the response, want 1", subject, len(resp.Resources))
				}
				r := resp.Resources[0]
				if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
					return opError(subject, err, derefString(r.ErrorMessage))
				}
				rows := []brokerLogger{}
				for _, c := range r.Configs {
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
			res := kmsg.NewIncrementalAlterConfigsRequestResource()
			res.ResourceType = kmsg.ConfigResourceTypeBrokerLogger
			for _, kv := range levels {
				name, level, ok := strings.Cut(kv, "=")
				if !ok || name == "" || level == "" {
					return usageErrorf(cmd, "invalid --level %q: want LOGGER=LEVEL", kv)
				}
				c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
				c.Op, c.Name, c.Value = kmsg.IncrementalAlterConfigOpSet, name, kmsg.StringPtr(strings.ToUpper(level))
				res.Configs = append(res.Configs, c)
			}
			for _, name := range unsets {
				c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
				c.Op, c.Name = kmsg.IncrementalAlterConfigOpDelete, name
				res.Configs = append(res.Configs, c)
			}
			return o.runClient(cmd, func(ctx context.Context, cl *kgo.Client, adm *kadm.Client) error {
				id, err := loggerTarget(ctx, cmd, adm, &target)
				if err != nil {
					return err
				}
				subject := fmt.Sprintf("broker %d", id)
				res.ResourceName = fmt.Sprint(id)
				req := kmsg.NewPtrIncrementalAlterConfigsRequest()
				req.Resources = append(req.Resources, res)
				resp, err := req.RequestWith(ctx, cl)
				if err != nil {
					return opError(subject, err, "")
				}
				if len(resp.Resources) != 1 {
					return fmt.Errorf("%s: %d resources in the response, want 1", subject, len(resp.Resources))
				}
				if r := resp.Resources[0]; r.ErrorCode != 0 {
					return opError(subject, kerr.ErrorForCode(r.ErrorCode), derefString(r.ErrorMessage))
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

// derefString is *s, or "" for nil.
func derefString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
