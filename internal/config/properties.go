package config

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ParseProperties reads a Java .properties stream, as Kafka reads its
// server.properties, and returns its keys and values. The last of two equal
// keys wins.
//
// The format, as java.util.Properties.load defines it:
//   - Lines end with \n, \r or \r\n. Leading spaces, tabs and form feeds are
//     skipped; a line whose first other character is # or ! is a comment.
//   - A line that ends with an odd number of backslashes continues on the
//     next line (without its leading white space). A comment does not continue.
//   - The key ends at the first unescaped '=', ':' or white space; white
//     space and one '=' or ':' around the separator are skipped.
//   - Escapes in keys and values: \t \n \r \f, \uXXXX (UTF-16, surrogate pairs
//     joined), and \c for any other c is c itself.
//
// Two differences from Java, both harmless for Kafka's configs (Kafka trims
// every value it parses): unescaped trailing white space of a value is
// trimmed, and the stream is read as UTF-8 rather than ISO-8859-1. A line with
// a separator but no key, or a malformed \u escape, is an error naming the
// line number.
func ParseProperties(r io.Reader) (map[string]string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading properties: %w", err)
	}
	props := make(map[string]string)
	lr := lineReader{src: string(data)}
	for {
		ll, ok := lr.next()
		if !ok {
			return props, nil
		}
		key, value, err := ll.keyValue()
		if err != nil {
			return nil, err
		}
		props[key] = value
	}
}

// isSpace reports whether c is white space to the properties format.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

// lineReader splits a properties text into natural lines, then logical lines.
type lineReader struct {
	src  string
	pos  int
	line int // number of the last natural line returned, 1-based
}

// natural returns the next natural line without its terminator.
func (r *lineReader) natural() (string, int, bool) {
	if r.pos >= len(r.src) {
		return "", 0, false
	}
	rest := r.src[r.pos:]
	end := strings.IndexAny(rest, "\r\n")
	r.line++
	if end < 0 {
		r.pos = len(r.src)
		return rest, r.line, true
	}
	r.pos += end + 1
	if rest[end] == '\r' && end+1 < len(rest) && rest[end+1] == '\n' {
		r.pos++
	}
	return rest[:end], r.line, true
}

// logicalLine is one key/value line, possibly joined from several natural
// lines; starts and lines map byte offsets back to natural line numbers.
type logicalLine struct {
	text   string
	starts []int
	lines  []int
}

// lineOf returns the natural line number of byte offset off of l.text.
func (l *logicalLine) lineOf(off int) int {
	i := sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > off })
	if i == 0 {
		return l.lines[0]
	}
	return l.lines[i-1]
}

// next returns the next logical line, skipping blank lines and comments.
func (r *lineReader) next() (logicalLine, bool) {
	for {
		s, n, ok := r.natural()
		if !ok {
			return logicalLine{}, false
		}
		s = trimLeftSpace(s)
		if s == "" || s[0] == '#' || s[0] == '!' {
			continue
		}
		return r.join(s, n), true
	}
}

// join appends continuation lines to the natural line s, numbered n.
func (r *lineReader) join(s string, n int) logicalLine {
	var ll logicalLine
	var b strings.Builder
	for {
		cont := trailingBackslashes(s)%2 == 1
		if cont {
			s = s[:len(s)-1]
		}
		ll.starts = append(ll.starts, b.Len())
		ll.lines = append(ll.lines, n)
		b.WriteString(s)
		if !cont {
			break
		}
		var ok bool
		if s, n, ok = r.natural(); !ok {
			break
		}
		s = trimLeftSpace(s)
	}
	ll.text = b.String()
	return ll
}

func trimLeftSpace(s string) string {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return s[i:]
}

func trailingBackslashes(s string) int {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n
}

// keyValue splits the logical line into its unescaped key and value.
func (l *logicalLine) keyValue() (string, string, error) {
	s := l.text
	keyEnd, valStart, hasSep := len(s), len(s), false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			i++ // the escaped character is part of the key
			continue
		}
		if c == '=' || c == ':' {
			keyEnd, valStart, hasSep = i, i+1, true
			break
		}
		if isSpace(c) {
			keyEnd, valStart = i, i+1
			break
		}
	}
	for valStart < len(s) {
		c := s[valStart]
		if !isSpace(c) && (hasSep || (c != '=' && c != ':')) {
			break
		}
		hasSep = hasSep || !isSpace(c)
		valStart++
	}
	if keyEnd == 0 {
		return "", "", fmt.Errorf("line %d: missing key before the value", l.lines[0])
	}
	key, err := l.unescape(0, keyEnd)
	if err != nil {
		return "", "", err
	}
	value, err := l.unescape(valStart, len(s))
	return key, value, err
}

// unescape decodes l.text[from:to], dropping unescaped trailing white space.
func (l *logicalLine) unescape(from, to int) (string, error) {
	s := l.text
	var b strings.Builder
	keep := 0 // length of b up to its last escaped or non-space byte
	for i := from; i < to; {
		c := s[i]
		i++
		if c != '\\' {
			b.WriteByte(c)
			if !isSpace(c) {
				keep = b.Len()
			}
			continue
		}
		if i >= to {
			break // a lone backslash left at the end of the input
		}
		c = s[i]
		i++
		switch c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			r, next, err := l.decodeU(i, to)
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
			i = next
		default:
			b.WriteByte(c)
		}
		keep = b.Len()
	}
	return b.String()[:keep], nil
}

// decodeU decodes the four hex digits of a \u escape at s[i:], joining a
// UTF-16 surrogate pair written as two escapes. It returns the rune and the
// offset after the escape(s).
func (l *logicalLine) decodeU(i, to int) (rune, int, error) {
	u, ok := hex4(l.text, i, to)
	if !ok {
		return 0, 0, fmt.Errorf("line %d: malformed \\uXXXX escape", l.lineOf(i))
	}
	i += 4
	r := rune(u)
	if !utf16.IsSurrogate(r) {
		return r, i, nil
	}
	if i+6 <= to && l.text[i] == '\\' && l.text[i+1] == 'u' {
		if lo, ok := hex4(l.text, i+2, to); ok {
			if pair := utf16.DecodeRune(r, rune(lo)); pair != utf8.RuneError {
				return pair, i + 6, nil
			}
		}
	}
	return utf8.RuneError, i, nil
}

// hex4 parses four hex digits at s[i:to].
func hex4(s string, i, to int) (uint16, bool) {
	if i+4 > to {
		return 0, false
	}
	var v uint16
	for _, c := range []byte(s[i : i+4]) {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint16(d)
	}
	return v, true
}
