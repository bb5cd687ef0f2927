package main

// The `vltava broker` commands: the broker half of Kafka's kafka-configs.sh
// (describe and alter dynamic broker configs, for one broker or as the
// cluster-wide default; and a broker's log levels, broker_loggers.go),
// spoken through kadm and kmsg so that they work against any
// Kafka-compatible cluster.

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
)

// newBrokerCmd builds `vltava broker`.
func newBrokerCmd() *cobra.Command {
	cmd := newParentCmd("broker", "Describe and alter broker configs and log levels without a restart",
		"describe-configs, alter-configs, describe-loggers, alter-loggers")
	o := &topicOptions{client: addClientFlags(cmd, true), output: addOutputFlag(cmd, true)}
	cmd.AddCommand(newBrokerDescribeConfigsCmd(o), newBrokerAlterConfigsCmd(o),
		newBrokerDescribeLoggersCmd(o), newBrokerAlterLoggersCmd(o))
	return cmd
}

// brokerTarget is the --broker flag: a broker id, or none for the
// cluster-wide dynamic defaults.
type brokerTarget struct{ id int32 }

func addBrokerFlag(cmd *cobra.Command, t *brokerTarget) {
	cmd.Flags().Int32Var(&t.id, "broker", -1, "a broker id; without it, the cluster-wide defaults that every broker takes")
}

// ids returns the broker ids for kadm: none means the cluster defaults.
func (t *brokerTarget) ids(cmd *cobra.Command) ([]int32, error) {
	if !cmd.Flags().Changed("broker") {
		return nil, nil
	}
	if t.id < 0 {
		return nil, usageErrorf(cmd, "invalid --broker %d: must be a broker id (0 or more)", t.id)
	}
	return []int32{t.id}, nil
}

// check fails, with a clear message, when the target broker is not in the
// cluster (kgo would say "unknown broker" in a shard error).
func (t *brokerTarget) check(ctx context.Context, adm *kadm.Client, ids []int32) error {
	if len(ids) == 0 {
		return nil
	}
	md, err := adm.BrokerMetadata(ctx)
	if err != nil {
		return opError(t.subject(ids), err, "")
	}
	known := md.Brokers.NodeIDs()
	for _, id := range known {
		if id == ids[0] {
			return nil
		}
	}
	return fmt.Errorf("%s: no such broker in the cluster (brokers: %s)", t.subject(ids), joinInt32s(known))
}

// subject names the target in messages.
func (t *brokerTarget) subject(ids []int32) string {
	if len(ids) == 0 {
		return "cluster-wide broker configs"
	}
	return "broker " + strconv.Itoa(int(ids[0]))
}

// describedConfig is one row of `broker describe-configs`.
type describedConfig struct {
	Name      string  `json:"name"`
	Value     *string `json:"value"`
	Source    string  `json:"source"`
	Sensitive bool    `json:"sensitive"`
}

func newBrokerDescribeConfigsCmd(o *topicOptions) *cobra.Command {
	var (
		target brokerTarget
		all    bool
	)
	cmd := &cobra.Command{
		Use:   "describe-configs",
		Short: "Show a broker's configs, or the cluster-wide dynamic ones",
		Long: `Show a broker's configs (--broker ID): those set by a dynamic config, the
static configuration (server.properties), or with --all every config with
its default. Without --broker, show the cluster-wide dynamic configs that
every broker takes unless it has its own.`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ids, err := target.ids(cmd)
			if err != nil {
				return err
			}
			return o.run(cmd, func(ctx context.Context, adm *kadm.Client) error {
				if err := target.check(ctx, adm, ids); err != nil {
					return err
				}
				rows, err := describeBrokerConfigs(ctx, adm, target.subject(ids), ids, all)
				if err != nil {
					return err
				}
				return o.printConfigs(cmd.OutOrStdout(), rows)
			})
		},
	}
	addBrokerFlag(cmd, &target)
	cmd.Flags().BoolVar(&all, "all", false, "with --broker, also list configs at their defaults")
	return cmd
}

// describeBrokerConfigs describes the target's configs, defaults left out
// unless all.
func describeBrokerConfigs(ctx context.Context, adm *kadm.Client, subject string, ids []int32, all bool) ([]describedConfig, error) {
	rcs, err := adm.DescribeBrokerConfigs(ctx, ids...)
	if err != nil {
		return nil, opError(subject, err, "")
	}
	if len(rcs) != 1 {
		return nil, fmt.Errorf("%s: %d resources in the response, want 1", subject, len(rcs))
	}
	if rcs[0].Err != nil {
		return nil, opError(subject, rcs[0].Err, rcs[0].ErrMessage)
	}
	rows := []describedConfig{}
	for _, c := range rcs[0].Configs {
		if !all && isDefaultConfig(c) {
			continue
		}
		v := c.Value
		if c.Sensitive {
			v = nil
		}
		rows = append(rows, describedConfig{Name: c.Key, Value: v, Source: c.Source.String(), Sensitive: c.Sensitive})
	}
	return rows, nil
}

// printConfigs prints described configs as a table or JSON.
func (o *topicOptions) printConfigs(w io.Writer, rows []describedConfig) error {
	if o.json() {
		return writeJSON(w, rows)
	}
	cells := make([][]string, len(rows))
	for i, r := range rows {
		v := "null"
		switch {
		case r.Sensitive:
			v = "<sensitive>"
		case r.Value != nil:
			v = *r.Value
		}
		cells[i] = []string{r.Name, v, r.Source}
	}
	return writeTable(w, []string{"NAME", "VALUE", "SOURCE"}, cells)
}

func newBrokerAlterConfigsCmd(o *topicOptions) *cobra.Command {
	var (
		target brokerTarget
		f      alterFlags
	)
	cmd := &cobra.Command{
		Use:   "alter-configs (--config KEY=VALUE | --delete-config KEY)...",
		Short: "Change broker configs at run time, for one broker or cluster-wide",
		Long: `Change dynamic broker configs: for one broker (--broker ID) or, without
--broker, the cluster-wide defaults. They take effect at once and persist
across restarts; a broker's own configs beat the cluster-wide ones, which
beat server.properties. Topic defaults such as log.retention.ms,
log.segment.bytes, message.max.bytes or compression.type apply to every topic
without its own override.`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ids, err := target.ids(cmd)
			if err != nil {
				return err
			}
			if len(f.configs) == 0 && len(f.deleteConfigs) == 0 {
				return usageErrorf(cmd, "nothing to alter: give --config or --delete-config")
			}
			alters, err := f.alterConfigs(cmd)
			if err != nil {
				return err
			}
			return o.run(cmd, func(ctx context.Context, adm *kadm.Client) error {
				if err := target.check(ctx, adm, ids); err != nil {
					return err
				}
				subject := target.subject(ids)
				resps, err := adm.AlterBrokerConfigs(ctx, alters, ids...)
				if err != nil {
					return opError(subject, err, "")
				}
				if len(resps) != 1 {
					return opError(subject, fmt.Errorf("%d resources in the response, want 1", len(resps)), "")
				}
				if r := resps[0]; r.Err != nil {
					return opError(subject, r.Err, r.ErrMessage)
				}
				w := cmd.OutOrStdout()
				if o.json() {
					return writeJSON(w, map[string]string{"resource": subject, "status": "altered"})
				}
				_, err = fmt.Fprintf(w, "Altered %s.\n", subject)
				return err
			})
		},
	}
	addBrokerFlag(cmd, &target)
	cmd.Flags().StringArrayVar(&f.configs, "config", nil, "set a broker config key=value (repeatable)")
	cmd.Flags().StringArrayVar(&f.deleteConfigs, "delete-config", nil, "remove a dynamic broker config, back to server.properties or the default (repeatable)")
	return cmd
}
