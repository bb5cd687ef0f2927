package main

import "github.com/spf13/cobra"

// subcommands lists the constructors of vltava's top-level commands. Each
// command lives in its own file.
var subcommands = []func() *cobra.Command{
	newServerCmd,
	newTopicCmd,
	newProduceCmd,
	newConsumeCmd,
	newGroupCmd,
	newBrokerCmd,
}
