// Command kfakepeer runs franz-go's kfake as a single-broker Kafka cluster on
// a fixed loopback port with its data directory on disk, until it receives
// SIGINT or SIGTERM. It exists only as the peer that vbench measures Vltava
// against; nothing outside bench/ may import kfake.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kfakepeer:", err)
		os.Exit(1)
	}
}

// kvFlags collects repeated key=value flags.
type kvFlags map[string]string

func (kv kvFlags) String() string { return fmt.Sprint(map[string]string(kv)) }

func (kv kvFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not key=value", s)
	}
	kv[k] = v
	return nil
}

func run(args []string) error {
	fs := flag.NewFlagSet("kfakepeer", flag.ContinueOnError)
	port := fs.Int("port", 9092, "loopback port to listen on")
	dir := fs.String("dir", "", "data directory (required: the peer always persists to disk)")
	sync := fs.Bool("sync", false, "fsync every produced batch (kfake.SyncWrites)")
	configs := kvFlags{}
	fs.Var(configs, "config", "broker config key=value (repeatable), e.g. log.segment.bytes=1048576")
	seeds := kvFlags{}
	fs.Var(seeds, "seed", "topic=partitions to create at start (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("-dir is required")
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(*port),
		kfake.DataDir(*dir),
		kfake.BrokerConfigs(configs),
	}
	if *sync {
		opts = append(opts, kfake.SyncWrites())
	}
	for topic, n := range seeds {
		parts, err := strconv.Atoi(n)
		if err != nil || parts < 1 {
			return fmt.Errorf("-seed %s=%s: bad partition count", topic, n)
		}
		opts = append(opts, kfake.SeedTopics(int32(parts), topic))
	}
	return serve(opts)
}

// serve runs the cluster until a termination signal, then closes it so that
// kfake writes its state to the data directory.
func serve(opts []kfake.Opt) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return fmt.Errorf("starting kfake: %w", err)
	}
	<-ctx.Done()
	c.Close()
	return nil
}
