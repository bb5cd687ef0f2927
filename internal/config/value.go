package config

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// trim removes leading and trailing characters up to ' ', as Java's
// String.trim does and as Kafka does before parsing any value.
func trim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

// parseValue parses v as Kafka's ConfigDef parses a value of type t. The
// result is bool, int16, int32, int64, float64, string or []string.
func parseValue(t Type, v string) (any, error) {
	s := trim(v)
	switch t {
	case Boolean:
		return parseBool(s)
	case Short:
		return parseInteger[int16](s, 16)
	case Int:
		return parseInteger[int32](s, 32)
	case Long:
		return parseInteger[int64](s, 64)
	case Double:
		return parseDouble(s)
	case List:
		return parseList(s), nil
	case String, Password:
		return s, nil
	}
	return nil, fmt.Errorf("unknown type %d", t)
}

func parseBool(s string) (bool, error) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, nil
	case strings.EqualFold(s, "false"):
		return false, nil
	}
	return false, errors.New("expected true or false")
}

func parseInteger[T int16 | int32 | int64](s string, bits int) (T, error) {
	n, err := strconv.ParseInt(s, 10, bits)
	if err == nil {
		return T(n), nil
	}
	if errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("out of range for a %d-bit integer", bits)
	}
	return 0, errors.New("not an integer")
}

func parseDouble(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || strings.ContainsAny(s, "xX_") {
		return 0, errors.New("not a number")
	}
	return f, nil
}

// parseList splits a trimmed list value; "" is the empty list and, as in
// Kafka, "a,,b" keeps its empty element (validators reject it where it
// matters).
func parseList(s string) []string {
	if s == "" {
		return []string{}
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = trim(p)
	}
	return parts
}

// formatValue renders a parsed value as Kafka's ConfigDef.convertToString.
func formatValue(x any) string {
	switch v := x.(type) {
	case bool:
		return strconv.FormatBool(v)
	case int16:
		return strconv.FormatInt(int64(v), 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return formatDouble(v)
	case string:
		return v
	case []string:
		return strings.Join(v, ",")
	}
	return ""
}

// formatDouble renders f as Java's Double.toString: plain notation with at
// least one decimal in [1e-3, 1e7), else "d.dddE±n" (0.5, 1.0, 1.0E-5,
// 1.7976931348623157E308).
func formatDouble(f float64) string {
	if abs := math.Abs(f); abs == 0 || (abs >= 1e-3 && abs < 1e7) {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	mant, exp, _ := strings.Cut(strconv.FormatFloat(f, 'e', -1, 64), "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// asInt64 widens any parsed integer.
func asInt64(x any) (int64, bool) {
	switch v := x.(type) {
	case int16:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	}
	return 0, false
}

// atLeast checks a parsed integer or double against a minimum.
func atLeast(min float64) func(any) error {
	return func(x any) error {
		if n, ok := asInt64(x); ok && float64(n) >= min {
			return nil
		}
		if f, ok := x.(float64); ok && f >= min {
			return nil
		}
		return fmt.Errorf("must be at least %s", formatNumber(min))
	}
}

// between checks a parsed integer or double against [min, max].
func between(min, max float64) func(any) error {
	return func(x any) error {
		f, ok := x.(float64)
		if n, isInt := asInt64(x); isInt {
			f, ok = float64(n), true
		}
		switch {
		case !ok || f < min:
			return fmt.Errorf("must be at least %s", formatNumber(min))
		case f > max:
			return fmt.Errorf("must be no more than %s", formatNumber(max))
		}
		return nil
	}
}

// formatNumber renders a bound: integral bounds without a decimal point.
func formatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return formatDouble(f)
}

// oneOf checks a parsed string against a case-sensitive set.
func oneOf(allowed ...string) func(any) error {
	return func(x any) error {
		if s, ok := x.(string); ok && slices.Contains(allowed, s) {
			return nil
		}
		return fmt.Errorf("must be one of: %s", strings.Join(allowed, ", "))
	}
}

// listOf checks that every element of a parsed list is in a set.
func listOf(allowed ...string) func(any) error {
	return func(x any) error {
		for _, s := range x.([]string) {
			if !slices.Contains(allowed, s) {
				return fmt.Errorf("must be a list of: %s", strings.Join(allowed, ", "))
			}
		}
		return nil
	}
}

// nonEmptyUnique checks that a parsed list is non-empty, without empty or
// duplicate elements.
func nonEmptyUnique(x any) error {
	list := x.([]string)
	if len(list) == 0 {
		return errors.New("must not be empty")
	}
	for i, s := range list {
		if s == "" {
			return errors.New("must not contain empty elements")
		}
		if slices.Contains(list[:i], s) {
			return fmt.Errorf("must not contain %q twice", s)
		}
	}
	return nil
}

// each checks every element of a parsed list with f.
func each(f func(string) error) func(any) error {
	return func(x any) error {
		for _, s := range x.([]string) {
			if err := f(s); err != nil {
				return err
			}
		}
		return nil
	}
}

// gzipLevel accepts Kafka's gzip levels: -1 (the codec's default) or 1..9.
func gzipLevel(x any) error {
	if n := x.(int32); n == -1 || (n >= 1 && n <= 9) {
		return nil
	}
	return errors.New("must be between 1 and 9, or -1")
}

// bufferSize checks a socket buffer size: -1 (the kernel's default) or
// positive, as Kafka's socket server takes it (0 makes its setsockopt fail).
func bufferSize(x any) error {
	if n, ok := asInt64(x); ok && (n == -1 || n > 0) {
		return nil
	}
	return errors.New("must be -1 (the kernel's default) or positive")
}
