// Package logging gives each part of the broker a named logger whose level
// can be changed while the broker runs: the BROKER_LOGGER config resource
// of Kafka's DescribeConfigs and IncrementalAlterConfigs, which
// kafka-configs.sh --entity-type broker-loggers drives.
//
// Names are dotted ("vltava.server"); "root" is the top. A logger without
// a level of its own takes its nearest ancestor's, as in log4j, so setting
// "vltava" changes every vltava.* logger that has none. Levels are Kafka's
// names (TRACE, DEBUG, INFO, WARN, ERROR, FATAL) mapped onto slog levels;
// like Kafka's, they are not persisted, and a restart starts from the
// broker's --log-level.
//
// A Levels owns the levels; each logger checks its effective level through
// an atomic slog.LevelVar, so a disabled log call costs one load.
package logging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// Root is the name of the top logger, which always has a level.
const Root = "root"

// Kafka's log levels as slog levels. slog has no TRACE or FATAL; they sit
// one step (4) beyond DEBUG and ERROR.
const (
	LevelTrace = slog.LevelDebug - 4
	LevelFatal = slog.LevelError + 4
)

// levelNames are the names Kafka accepts, in slog order.
var levelNames = []struct {
	name  string
	level slog.Level
}{
	{"TRACE", LevelTrace}, {"DEBUG", slog.LevelDebug}, {"INFO", slog.LevelInfo},
	{"WARN", slog.LevelWarn}, {"ERROR", slog.LevelError}, {"FATAL", LevelFatal},
}

// validLevels is the list Kafka's error message gives, sorted by name.
const validLevels = "DEBUG, ERROR, FATAL, INFO, TRACE, WARN"

// ParseLevel returns the slog level of a Kafka level name (upper case, as
// Kafka requires).
func ParseLevel(name string) (slog.Level, bool) {
	for _, l := range levelNames {
		if l.name == name {
			return l.level, true
		}
	}
	return 0, false
}

// LevelName is the Kafka name of a slog level: the named level at or
// below it.
func LevelName(l slog.Level) string {
	name := levelNames[0].name
	for _, n := range levelNames {
		if n.level <= l {
			name = n.name
		}
	}
	return name
}

// Kinds of the errors of Check, which are *Error. Kafka answers
// ErrUnknownLogger and ErrBadLevel with INVALID_CONFIG, ErrRootDelete
// with INVALID_REQUEST.
var (
	ErrUnknownLogger = errors.New("unknown logger")
	ErrBadLevel      = errors.New("unsupported log level")
	ErrRootDelete    = errors.New("the root logger's level cannot be removed")
)

// Error is a refused change: one of the kinds above and Kafka's message.
type Error struct {
	Kind    error
	Message string
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Kind }

// Op is one change: Set a logger's level, or (Delete) remove its own level
// so that it takes its ancestor's.
type Op struct {
	Name   string
	Delete bool
	Level  string // a Kafka level name, for Set
}

// Levels holds the level of every named logger.
type Levels struct {
	out slog.Handler

	mu      sync.Mutex
	root    slog.Level
	loggers map[string]*logger // by name, root excluded
}

// logger is one named logger's state.
type logger struct {
	own *slog.Level   // its own level, nil to inherit
	eff slog.LevelVar // the level in effect, read on every log call
	out *slog.Logger  // what Logger returns
}

// New returns Levels writing through out at root level root. out itself
// should let every level through (or as low as any logger may go): the
// named loggers do the filtering.
func New(out slog.Handler, root slog.Level) *Levels {
	return &Levels{out: out, root: root, loggers: map[string]*logger{}}
}

// FromLogger returns Levels writing through l's handler, with the root at
// the lowest level that handler lets through; levels can be raised at run
// time, but not lowered past what the handler drops.
func FromLogger(l *slog.Logger) *Levels {
	h := l.Handler()
	root := LevelFatal
	for _, n := range levelNames {
		if h.Enabled(context.Background(), n.level) {
			root = n.level
			break
		}
	}
	return New(h, root)
}

// Logger returns the logger called name (and registers it and its dotted
// ancestors, which then exist for Describe and Alter). Its records carry
// logger=name.
func (v *Levels) Logger(name string) *slog.Logger {
	v.mu.Lock()
	defer v.mu.Unlock()
	for p := name; p != ""; p = parent(p) {
		if v.loggers[p] == nil {
			v.loggers[p] = &logger{}
		}
	}
	lg := v.loggers[name]
	if lg.out == nil {
		lg.out = slog.New(&handler{out: v.out.WithAttrs([]slog.Attr{slog.String("logger", name)}), level: &lg.eff})
	}
	v.update()
	return lg.out
}

// parent is the dotted parent of name, or "" at the top.
func parent(name string) string {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return ""
	}
	return name[:i]
}

// update recomputes every logger's level in effect. v.mu is held.
func (v *Levels) update() {
	for name, lg := range v.loggers {
		l := v.root
		for p := name; p != ""; p = parent(p) {
			if a := v.loggers[p]; a != nil && a.own != nil {
				l = *a.own
				break
			}
		}
		lg.eff.Set(l)
	}
}

// Level is one logger and the Kafka name of its level in effect.
type Level struct {
	Name  string
	Level string
}

// Describe lists the root and every registered logger, sorted by name,
// root first, with the level each is logging at.
func (v *Levels) Describe() []Level {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := []Level{{Root, LevelName(v.root)}}
	names := make([]string, 0, len(v.loggers))
	for n := range v.loggers {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		out = append(out, Level{n, LevelName(v.loggers[n].eff.Level())})
	}
	return out
}

// Check validates ops without applying them; a refusal is an *Error.
func (v *Levels) Check(ops []Op) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.check(ops)
}

func (v *Levels) check(ops []Op) error {
	for _, op := range ops {
		if op.Name != Root && v.loggers[op.Name] == nil {
			return &Error{ErrUnknownLogger, "Logger " + op.Name + " does not exist!"}
		}
		if op.Delete {
			if op.Name == Root {
				return &Error{ErrRootDelete, "Removing the log level of the " + Root + " logger is not allowed"}
			}
			continue
		}
		if _, ok := ParseLevel(op.Level); !ok {
			return &Error{ErrBadLevel, fmt.Sprintf("Cannot set the log level of %s to %s as it is not a supported log level. Valid log levels are %s",
				op.Name, op.Level, validLevels)}
		}
	}
	return nil
}

// Alter checks ops and, if all are valid, applies them all.
func (v *Levels) Alter(ops []Op) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.check(ops); err != nil {
		return err
	}
	for _, op := range ops {
		if op.Delete {
			v.loggers[op.Name].own = nil
			continue
		}
		l, _ := ParseLevel(op.Level)
		if op.Name == Root {
			v.root = l
		} else {
			v.loggers[op.Name].own = &l
		}
	}
	v.update()
	return nil
}

// handler filters records below its logger's level in effect.
type handler struct {
	out   slog.Handler
	level *slog.LevelVar
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level.Level() && h.out.Enabled(ctx, l)
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error { return h.out.Handle(ctx, r) }

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &handler{out: h.out.WithAttrs(as), level: h.level}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{out: h.out.WithGroup(name), level: h.level}
}
