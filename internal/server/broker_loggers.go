package server

// The BROKER_LOGGER config resource (type 8) of DescribeConfigs and
// IncrementalAlterConfigs: the broker's named loggers and their levels,
// changed at run time and not persisted, as in Kafka. The resource name is
// this node's id. Legacy AlterConfigs does not take it (INVALID_REQUEST),
// as in Kafka.

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vltava/vltava/internal/logging"
)

// describeLoggers lists every logger with its level in effect, or sets the
// resource's error.
func (s *Server) describeLoggers(name string, code *int16, msg **string) []ConfigEntry {
	switch numeric, self := s.nodeID(name); {
	case name == "":
		setErr(code, msg, kerr.InvalidRequest, "Broker id must not be empty")
		return nil
	case !numeric:
		setErr(code, msg, kerr.InvalidRequest, "Broker id must be an integer, but it is: "+name)
		return nil
	case !self:
		setErr(code, msg, kerr.InvalidRequest, fmt.Sprintf("Unexpected broker id, expected %d but received %s", s.o.NodeID, name))
		return nil
	}
	var out []ConfigEntry
	for _, l := range s.o.Loggers.Describe() {
		out = append(out, ConfigEntry{Name: l.Name, Value: l.Level, Source: int8(kmsg.ConfigSourceDynamicBrokerLoggerConfig)})
	}
	return out
}

// alterLoggers applies IncrementalAlterConfigs operations to the loggers:
// SET a level or DELETE a logger's own level; all are checked, in order,
// before any is applied.
func (s *Server) alterLoggers(name string, cfgs []kmsg.IncrementalAlterConfigsRequestResourceConfig, validateOnly bool, code *int16, msg **string) {
	// Kafka's RuntimeLoggerManager words these differently again.
	switch numeric, self := s.nodeID(name); {
	case !numeric:
		setErr(code, msg, kerr.InvalidRequest, "Node id must be an integer, but it is: "+name)
		return
	case !self:
		setErr(code, msg, kerr.InvalidRequest, fmt.Sprintf("Unexpected node id. Expected %d, but received %s", s.o.NodeID, name))
		return
	}
	ops := make([]logging.Op, 0, len(cfgs))
	for _, c := range cfgs {
		var op logging.Op
		switch c.Op {
		case kmsg.IncrementalAlterConfigOpSet:
			if c.Value == nil {
				setErr(code, msg, kerr.InvalidRequest, "Null value not supported for : "+c.Name)
				return
			}
			op = logging.Op{Name: c.Name, Level: *c.Value}
		case kmsg.IncrementalAlterConfigOpDelete:
			op = logging.Op{Name: c.Name, Delete: true}
		case kmsg.IncrementalAlterConfigOpAppend, kmsg.IncrementalAlterConfigOpSubtract:
			setErr(code, msg, kerr.InvalidRequest, c.Op.String()+" operation is not allowed for the BROKER_LOGGER resource")
			return
		default:
			setErr(code, msg, kerr.InvalidRequest, fmt.Sprintf("Unknown operation type %d is not allowed for the BROKER_LOGGER resource", c.Op))
			return
		}
		if err := s.o.Loggers.Check([]logging.Op{op}); err != nil {
			setLoggerErr(code, msg, err)
			return
		}
		ops = append(ops, op)
	}
	if validateOnly {
		return
	}
	if err := s.o.Loggers.Alter(ops); err != nil {
		setLoggerErr(code, msg, err)
		return
	}
	for _, op := range ops {
		if op.Delete {
			s.log.Warn("unset the log level of a logger", "target", op.Name)
		} else {
			s.log.Warn("updated the log level of a logger", "target", op.Name, "level", op.Level)
		}
	}
}

// setLoggerErr maps a logging error to Kafka's code and message.
func setLoggerErr(code *int16, msg **string, err error) {
	ec := kerr.InvalidRequest
	if errors.Is(err, logging.ErrUnknownLogger) || errors.Is(err, logging.ErrBadLevel) {
		ec = kerr.InvalidConfig
	}
	setErr(code, msg, ec, err.Error())
}
