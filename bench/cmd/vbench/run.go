package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// phaseGrace is how long past its deadline a phase may take to drain (flush
// the producer, stop the consumer) before it is cancelled.
const phaseGrace = 2 * time.Minute

// run builds every broker kind, then runs each session on every broker in
// turn (one broker process at a time), cfg.runs times over. Alternating the
// brokers session by session lets both see the same background load; the
// order within a session turns around every other run (runOrder), because
// the broker that goes second inherits the memory the first one freed.
func run(ctx context.Context, cfg *config, progress io.Writer) (*report, error) {
	tmp, err := os.MkdirTemp("", "vbench-")
	if err != nil {
		return nil, fmt.Errorf("creating temp dir: %w", err)
	}
	if cfg.keep {
		fmt.Fprintln(progress, "vbench: keeping", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	rep := newReport(cfg)
	kinds, buildErrs := buildKinds(ctx, cfg, tmp, progress)
	for r := range cfg.runs {
		if cfg.runs > 1 {
			fmt.Fprintf(progress, "vbench: run %d of %d\n", r+1, cfg.runs)
		}
		for _, s := range sessions(cfg) {
			for _, i := range runOrder(len(cfg.brokers), r) {
				name := cfg.brokers[i]
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				label := rep.Brokers[i]
				if err := buildErrs[name]; err != nil {
					failSession(rep, cfg, label, s, err)
					continue
				}
				runSession(ctx, cfg, kinds[name], label, s, tmp, rep, progress)
			}
		}
	}
	rep.finish()
	return rep, nil
}

// runOrder is the order in which run r (from 0) runs the sessions of n
// brokers: as given in even runs, reversed in odd ones.
//
// On this VM the order decides more than the brokers do in some
// scenarios. Memory freed in the last few seconds is still backed by the
// host and is reused first; older free memory has been handed back, and
// the first write to each of its pages costs a host fault (about 10 µs per
// 4 KiB, see bench/README.md). A session that writes 1 GiB into the page
// cache right after a session that freed little runs into those faults;
// the second broker's, right after the first freed its 1 GiB, does not.
// With Vltava always first, produce-1KiB-acks1 measured Vltava at 985-1,100
// MB/s and kfake at 1,060-1,100; with kfake first, kfake at 880-1,040 and
// Vltava at 1,430-1,500. With an even -runs each broker goes first equally
// often.
func runOrder(n, r int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if r%2 == 1 {
		slices.Reverse(order)
	}
	return order
}

// buildKinds builds each broker kind once, returning the kinds that built
// and the errors of those that did not.
func buildKinds(ctx context.Context, cfg *config, tmp string, progress io.Writer) (map[string]*kind, map[string]error) {
	kinds, errs := map[string]*kind{}, map[string]error{}
	for _, name := range cfg.brokers {
		if kinds[name] != nil || errs[name] != nil {
			continue
		}
		k, err := kindByName(name, cfg.bins[name])
		if err == nil {
			fmt.Fprintf(progress, "vbench: building %s\n", k.pkg)
			err = k.build(ctx, cfg.root, tmp)
		}
		if err != nil {
			fmt.Fprintf(progress, "vbench: %s unavailable: %v\n", name, err)
			errs[name] = err
			continue
		}
		kinds[name] = k
	}
	return kinds, errs
}

// selectedPhases is the part of s that -only lets run.
func selectedPhases(cfg *config, s session) []phase {
	var out []phase
	for _, p := range s.phases {
		if cfg.selected(p.name) {
			out = append(out, p)
		}
	}
	return out
}

// failSession records err as the outcome of every selected phase of s.
func failSession(rep *report, cfg *config, label string, s session, err error) {
	for _, p := range selectedPhases(cfg, s) {
		rep.add(s.name, p, phaseResult{Broker: label, Phase: p.name, Error: err.Error()})
	}
}

// runSession starts a broker for s, runs its selected phases and stops it.
func runSession(ctx context.Context, cfg *config, k *kind, label string, s session, tmp string, rep *report, progress io.Writer) {
	phases := selectedPhases(cfg, s)
	if len(phases) == 0 {
		return
	}
	dir, err := os.MkdirTemp(tmp, label+"-"+s.name+"-")
	if err != nil {
		failSession(rep, cfg, label, s, err)
		return
	}
	if !cfg.keep {
		defer os.RemoveAll(dir)
	}
	fmt.Fprintf(progress, "vbench: [%s] starting broker for %q scenarios in %s\n", label, s.name, dir)
	b, startup, err := startBroker(ctx, k, dir, s.set)
	if err != nil {
		failSession(rep, cfg, label, s, err)
		return
	}
	defer b.kill()
	e := &env{cfg: cfg, b: b, startup: startup, topics: map[string]int64{}}
	for _, p := range phases {
		r := runPhase(ctx, e, label, p)
		rep.add(s.name, p, r)
		fmt.Fprintf(progress, "vbench: [%s] %s\n", label, r.summary())
	}
	if _, err := b.stop(time.Minute); err != nil {
		rep.Errors = append(rep.Errors, fmt.Sprintf("%s, %s scenarios: stopping broker: %v", label, s.name, err))
	}
}

// startBroker starts a broker in dir and waits until Metadata answers.
func startBroker(ctx context.Context, k *kind, dir string, set settings) (*broker, time.Duration, error) {
	b, err := newBroker(k, dir, set)
	if err != nil {
		return nil, 0, err
	}
	t0 := time.Now()
	if err := b.start(); err != nil {
		return nil, 0, err
	}
	if err := waitReady(ctx, b, "", 0, time.Minute); err != nil {
		b.kill()
		return nil, 0, err
	}
	return b, time.Since(t0), nil
}

// runPhase runs p with its deadline, cancelling it if the broker dies
// (except across the restart phase's deliberate stop).
func runPhase(ctx context.Context, e *env, label string, p phase) phaseResult {
	r := phaseResult{Broker: label, Phase: p.name}
	if err := e.b.exitedErr(); err != nil {
		r.Error = err.Error()
		return r
	}
	quiesce()
	t0 := time.Now()
	e.deadline = t0.Add(e.cfg.phaseTimeout)
	pctx, cancel := context.WithDeadline(ctx, e.deadline.Add(phaseGrace))
	defer cancel()
	if p.name != "restart" {
		go cancelOnExit(pctx, cancel, e.b.exited)
	}
	e.ctx, e.notes = pctx, nil
	metrics, err := p.run(e)
	r.Took = time.Since(t0).Seconds()
	r.Metrics, r.Notes = metrics, e.notes
	if err != nil {
		if dead := e.b.exitedErr(); dead != nil {
			err = fmt.Errorf("%w (%v)", err, dead)
		}
		r.Error = err.Error()
	}
	return r
}

// quiesce gives every phase the same starting point: dirty pages that
// earlier phases left are written back (so that their writeback does not
// throttle this phase), and this process's garbage is collected.
func quiesce() {
	syscall.Sync()
	runtime.GC()
}

// cancelOnExit cancels a phase whose broker process has exited.
func cancelOnExit(ctx context.Context, cancel context.CancelFunc, exited <-chan struct{}) {
	select {
	case <-exited:
		cancel()
	case <-ctx.Done():
	}
}

// summary is the one-line progress report of a phase.
func (r phaseResult) summary() string {
	if r.Error != "" {
		return fmt.Sprintf("%s: ERROR %s", r.Phase, firstLine(r.Error))
	}
	parts := make([]string, 0, len(r.Metrics))
	for _, m := range r.Metrics {
		parts = append(parts, fmt.Sprintf("%s %s %s", m.Name, formatValue(m.Value, m.Unit), m.Unit))
	}
	return fmt.Sprintf("%s (%.1fs): %s", r.Phase, r.Took, strings.Join(parts, ", "))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
