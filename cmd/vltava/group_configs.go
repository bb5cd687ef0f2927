package main

// `vltava group describe-configs` and `alter-configs`: a consumer group's
// own configs (consumer.session.timeout.ms, consumer.heartbeat.interval.ms),
// Kafka 4's GROUP config resource, as kafka-configs.sh --entity-type groups
// sets them. They persist, and apply from each member's next heartbeat.

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func newGroupDescribeConfigsCmd(o *groupOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "describe-configs GROUP",
		Short: "Show a consumer group's configs (session timeout, heartbeat interval)",
		Long: `Show a consumer group's configs: its own (GROUP_CONFIG) or, where it has
none, the broker's (DEFAULT_CONFIG). The group need not exist yet.`,
		Args: exactArgs("GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.runClient(cmd, func(ctx context.Context, cl *kgo.Client, _ *kadm.Client) error {
				configs, err := describeResource(ctx, cl, kmsg.ConfigResourceTypeGroupConfig, args[0], groupSubject(args[0]))
				if err != nil {
					return err
				}
				rows := []describedConfig{}
				for _, c := range configs {
					rows = append(rows, describedConfig{Name: c.Name, Value: c.Value, Source: c.Source.String(), Sensitive: c.IsSensitive})
				}
				return o.printConfigs(cmd.OutOrStdout(), rows)
			})
		},
	}
}

func newGroupAlterConfigsCmd(o *groupOptions) *cobra.Command {
	var f alterFlags
	cmd := &cobra.Command{
		Use:   "alter-configs GROUP (--config KEY=VALUE | --delete-config KEY)...",
		Short: "Change a consumer group's session timeout or heartbeat interval",
		Long: `Change a consumer group's own configs: consumer.session.timeout.ms and
consumer.heartbeat.interval.ms (within the broker's group.consumer.min/max
bounds). They persist, and apply to each member from its next heartbeat;
--delete-config returns one to the broker's value.`,
		Args: exactArgs("GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(f.configs) == 0 && len(f.deleteConfigs) == 0 {
				return usageErrorf(cmd, "nothing to alter: give --config or --delete-config")
			}
			alters, err := f.alterConfigs(cmd)
			if err != nil {
				return err
			}
			return o.runClient(cmd, func(ctx context.Context, cl *kgo.Client, _ *kadm.Client) error {
				ops := make([]kmsg.IncrementalAlterConfigsRequestResourceConfig, len(alters))
				for i, a := range alters {
					ops[i] = configOp(kmsg.IncrementalAlterConfigOp(a.Op), a.Name, a.Value)
				}
				if err := alterResource(ctx, cl, kmsg.ConfigResourceTypeGroupConfig, args[0], groupSubject(args[0]), ops); err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				if o.json() {
					return writeJSON(w, map[string]string{"group": args[0], "status": "altered"})
				}
				_, err = fmt.Fprintf(w, "Altered the configs of group %q.\n", args[0])
				return err
			})
		},
	}
	cmd.Flags().StringArrayVar(&f.configs, "config", nil, "set a group config key=value (repeatable)")
	cmd.Flags().StringArrayVar(&f.deleteConfigs, "delete-config", nil, "remove a group config, back to the broker's value (repeatable)")
	return cmd
}
