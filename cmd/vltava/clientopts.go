package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// bootstrapEnv names the environment variable that overrides the default
// bootstrap server list.
const bootstrapEnv = "VLTAVA_BOOTSTRAP_SERVER"

// defaultTimeout bounds how long a client command waits for the cluster.
const defaultTimeout = 10 * time.Second

// clientOptions holds the flags every client command shares.
type clientOptions struct {
	bootstrap string        // comma-separated host:port list
	timeout   time.Duration // reachability check and admin request deadline
}

// addClientFlags registers -b/--bootstrap-server and --timeout on cmd. When
// persistent is set the flags are inherited by cmd's subcommands.
func addClientFlags(cmd *cobra.Command, persistent bool) *clientOptions {
	o := &clientOptions{}
	fs := cmd.Flags()
	if persistent {
		fs = cmd.PersistentFlags()
	}
	def := os.Getenv(bootstrapEnv)
	if def == "" {
		def = "localhost:9092"
	}
	fs.StringVarP(&o.bootstrap, "bootstrap-server", "b", def,
		"broker addresses HOST:PORT[,...] (env "+bootstrapEnv+")")
	fs.DurationVar(&o.timeout, "timeout", defaultTimeout,
		"how long to wait for the cluster before giving up")
	return o
}

// seeds splits the bootstrap list into addresses, rejecting empty entries.
func (o *clientOptions) seeds(cmd *cobra.Command) ([]string, error) {
	var out []string
	for _, s := range strings.Split(o.bootstrap, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, usageErrorf(cmd, "invalid --bootstrap-server %q: empty address", o.bootstrap)
		}
		out = append(out, s)
	}
	if o.timeout <= 0 {
		return nil, usageErrorf(cmd, "invalid --timeout %s: must be positive", o.timeout)
	}
	return out, nil
}

// connect builds a kgo client with opts and checks that a broker answers
// within the timeout, so an unreachable cluster fails fast with one line.
func (o *clientOptions) connect(cmd *cobra.Command, opts ...kgo.Opt) (*kgo.Client, error) {
	seeds, err := o.seeds(cmd)
	if err != nil {
		return nil, err
	}
	base := []kgo.Opt{
		kgo.SeedBrokers(seeds...),
		kgo.DialTimeout(o.timeout),
		kgo.RetryTimeout(o.timeout),
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("client setup: %w", err)
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		cl.Close()
		if ctx.Err() != nil && cmd.Context().Err() == nil {
			err = fmt.Errorf("no answer within %s", o.timeout)
		}
		return nil, fmt.Errorf("cannot reach broker at %s: %w", o.bootstrap, err)
	}
	return cl, nil
}

// admin connects and wraps the client for admin requests; the caller closes
// the returned kgo client.
func (o *clientOptions) admin(cmd *cobra.Command) (*kgo.Client, *kadm.Client, error) {
	cl, err := o.connect(cmd)
	if err != nil {
		return nil, nil, err
	}
	adm := kadm.NewClient(cl)
	adm.SetTimeoutMillis(int32(o.timeout / time.Millisecond))
	return cl, adm, nil
}

// usageErrorf reports a usage error (exit status 2) on one line.
func usageErrorf(cmd *cobra.Command, format string, args ...any) error {
	path := cmd.CommandPath()
	return exitError{code: 2, err: fmt.Errorf("%s: %s (see '%s --help')", path, fmt.Sprintf(format, args...), path)}
}

// exactArgs requires exactly the named positional arguments.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return usageErrorf(cmd, "missing %s argument", names[len(args)])
		case len(args) > len(names):
			return usageErrorf(cmd, "unexpected argument %q", args[len(names)])
		}
		return nil
	}
}

// minArgs requires at least one positional argument called name.
func minArgs(name string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usageErrorf(cmd, "missing %s argument", name)
		}
		return nil
	}
}

// kafkaError is a Kafka error code returned for subject (a topic, a record),
// printed with its Kafka name and the broker's message.
type kafkaError struct {
	subject string
	err     *kerr.Error
	msg     string
}

func (e *kafkaError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.subject, e.err.Message, e.msg)
}

func (e *kafkaError) Unwrap() error { return e.err }

// opError describes err as having happened to subject. A Kafka error is
// named by its code name and carries msg, or the code's description when the
// broker sent no message.
func opError(subject string, err error, msg string) error {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		if msg == "" {
			msg = ke.Description
		}
		return &kafkaError{subject: subject, err: ke, msg: oneLine(msg)}
	}
	if msg != "" {
		return fmt.Errorf("%s: %w: %s", subject, err, oneLine(msg))
	}
	return fmt.Errorf("%s: %w", subject, err)
}

// oneLine folds a multi-line message so every error prints on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// firstOf returns the first error of errs, noting how many more there were.
func firstOf(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return fmt.Errorf("%w (and %d more errors)", errs[0], len(errs)-1)
}

// topicSubject names a topic in messages.
func topicSubject(topic string) string { return fmt.Sprintf("topic %q", topic) }
