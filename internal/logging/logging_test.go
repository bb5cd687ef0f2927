package logging

import (
	"bytes"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

// newTest returns Levels over a buffer that takes every level.
func newTest(root slog.Level) (*Levels, *bytes.Buffer) {
	var buf bytes.Buffer
	h := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: LevelTrace,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}})
	return New(h, root), &buf
}

func TestInheritanceAndFiltering(t *testing.T) {
	v, buf := newTest(slog.LevelInfo)
	srv, lg := v.Logger("vltava.server"), v.Logger("vltava.log")
	logAll := func() {
		srv.Debug("s-debug")
		srv.Info("s-info")
		lg.Debug("l-debug")
		lg.Warn("l-warn")
		srv.With("k", 1).Debug("s-with")
	}
	lines := func() string {
		defer buf.Reset()
		var msgs []string
		for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			if l != "" {
				msgs = append(msgs, l)
			}
		}
		return strings.Join(msgs, "|")
	}

	logAll()
	if got, want := lines(), `level=INFO msg=s-info logger=vltava.server|level=WARN msg=l-warn logger=vltava.log`; got != want {
		t.Fatalf("at INFO:\n got %s\nwant %s", got, want)
	}
	describe := func(want ...string) {
		t.Helper()
		var got []string
		for _, l := range v.Describe() {
			got = append(got, l.Name+"="+l.Level)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("describe: got %v, want %v", got, want)
		}
	}
	describe("root=INFO", "vltava=INFO", "vltava.log=INFO", "vltava.server=INFO")

	// A parent's level reaches children without their own.
	if err := v.Alter([]Op{{Name: "vltava", Level: "DEBUG"}, {Name: "vltava.log", Level: "ERROR"}}); err != nil {
		t.Fatal(err)
	}
	describe("root=INFO", "vltava=DEBUG", "vltava.log=ERROR", "vltava.server=DEBUG")
	logAll()
	if got, want := lines(), `level=DEBUG msg=s-debug logger=vltava.server|level=INFO msg=s-info logger=vltava.server|level=DEBUG msg=s-with logger=vltava.server k=1`; got != want {
		t.Fatalf("after alter:\n got %s\nwant %s", got, want)
	}

	// Delete returns a logger to its ancestor's level; the root changes
	// every logger without a level of its own.
	if err := v.Alter([]Op{{Name: "vltava", Delete: true}, {Name: "root", Level: "TRACE"}}); err != nil {
		t.Fatal(err)
	}
	describe("root=TRACE", "vltava=TRACE", "vltava.log=ERROR", "vltava.server=TRACE")
	if err := v.Alter([]Op{{Name: "vltava.log", Delete: true}, {Name: "root", Level: "FATAL"}}); err != nil {
		t.Fatal(err)
	}
	logAll()
	if got := lines(); got != "" {
		t.Fatalf("at FATAL, logged %s", got)
	}
	describe("root=FATAL", "vltava=FATAL", "vltava.log=FATAL", "vltava.server=FATAL")
}

func TestRefusals(t *testing.T) {
	v, _ := newTest(slog.LevelInfo)
	v.Logger("vltava.server")
	for _, tc := range []struct {
		ops  []Op
		kind error
		msg  string
	}{
		{[]Op{{Name: "nosuch", Level: "INFO"}}, ErrUnknownLogger, "Logger nosuch does not exist!"},
		{[]Op{{Name: "nosuch", Delete: true}}, ErrUnknownLogger, "Logger nosuch does not exist!"},
		{[]Op{{Name: "vltava.server", Level: "debug"}}, ErrBadLevel,
			"Cannot set the log level of vltava.server to debug as it is not a supported log level. Valid log levels are DEBUG, ERROR, FATAL, INFO, TRACE, WARN"},
		{[]Op{{Name: "root", Level: ""}}, ErrBadLevel,
			"Cannot set the log level of root to  as it is not a supported log level. Valid log levels are DEBUG, ERROR, FATAL, INFO, TRACE, WARN"},
		{[]Op{{Name: "root", Delete: true}}, ErrRootDelete, "Removing the log level of the root logger is not allowed"},
		// All or nothing: the valid first op is not applied.
		{[]Op{{Name: "vltava.server", Level: "DEBUG"}, {Name: "x", Level: "DEBUG"}}, ErrUnknownLogger, "Logger x does not exist!"},
	} {
		err := v.Alter(tc.ops)
		if !errors.Is(err, tc.kind) || err.Error() != tc.msg {
			t.Errorf("%+v: got %v, want %v: %s", tc.ops, err, tc.kind, tc.msg)
		}
	}
	if got := v.Describe(); got[2] != (Level{"vltava.server", "INFO"}) {
		t.Fatalf("a refused change was applied: %v", got)
	}
}

func TestLevelNames(t *testing.T) {
	for _, tc := range []struct {
		l    slog.Level
		name string
	}{{LevelTrace - 1, "TRACE"}, {LevelTrace, "TRACE"}, {slog.LevelDebug, "DEBUG"}, {slog.LevelDebug + 1, "DEBUG"},
		{slog.LevelInfo, "INFO"}, {slog.LevelWarn, "WARN"}, {slog.LevelError, "ERROR"}, {LevelFatal, "FATAL"}, {LevelFatal + 9, "FATAL"}} {
		if got := LevelName(tc.l); got != tc.name {
			t.Errorf("LevelName(%d) = %s, want %s", tc.l, got, tc.name)
		}
	}
	for _, n := range []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"} {
		l, ok := ParseLevel(n)
		if !ok || LevelName(l) != n {
			t.Errorf("ParseLevel(%s) = %d, %v", n, l, ok)
		}
	}
	if _, ok := ParseLevel("OFF"); ok {
		t.Error("OFF parsed; Kafka does not accept it")
	}
}

// FromLogger starts the root at the lowest level the handler takes.
func TestFromLogger(t *testing.T) {
	var buf bytes.Buffer
	v := FromLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if got := v.Describe(); !reflect.DeepEqual(got, []Level{{"root", "WARN"}}) {
		t.Fatalf("describe: %v", got)
	}
}
