package config

import (
	"errors"
	"maps"
	"sort"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseProperties(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]string
	}{
		{"empty", "", map[string]string{}},
		{"separators", "a=1\nb:2\nc 3\nd\t4\n", map[string]string{"a": "1", "b": "2", "c": "3", "d": "4"}},
		{"spaces around separator", "  key  =  value\nk2 : v2", map[string]string{"key": "value", "k2": "v2"}},
		{"second separator is value", "k = = v\nk2 :=v", map[string]string{"k": "= v", "k2": "=v"}},
		{"key alone", "lonely\nalso=\n", map[string]string{"lonely": "", "also": ""}},
		{"comments and blanks", "# c\n  ! c\n\n \t\f\nk=v # not a comment\n", map[string]string{"k": "v # not a comment"}},
		{"trailing space trimmed", "k=v  \t\n", map[string]string{"k": "v"}},
		{"escaped trailing space kept", "k=v\\ \n", map[string]string{"k": "v "}},
		{"continuation", "k=a,\\\n    b,\\\n\tc\n", map[string]string{"k": "a,b,c"}},
		{"even backslashes end the line", "k=a\\\\\nx=y", map[string]string{"k": `a\`, "x": "y"}},
		{"comment does not continue", "# c \\\nk=v", map[string]string{"k": "v"}},
		{"continued line may look like a comment", "k=a\\\n# b", map[string]string{"k": "a# b"}},
		{"continuation at end of input", "k=a\\", map[string]string{"k": "a"}},
		{"escapes", `k=\t\n\r\f\\\q\=\:`, map[string]string{"k": "\t\n\r\f\\q=:"}},
		{"escaped separators in key", `a\=b\:c\ d=v`, map[string]string{"a=b:c d": "v"}},
		{"unicode escape", `k=caf\u00e9 \u0041`, map[string]string{"k": "café A"}},
		{"surrogate pair", `k=\uD83D\uDE00`, map[string]string{"k": "😀"}},
		{"lone surrogate", `k=\uD83Dx`, map[string]string{"k": "\uFFFDx"}},
		{"utf-8 passes through", "k=žluťoučký kůň", map[string]string{"k": "žluťoučký kůň"}},
		{"crlf and cr", "a=1\r\nb=2\rc=3", map[string]string{"a": "1", "b": "2", "c": "3"}},
		{"last wins", "k=1\nk=2", map[string]string{"k": "2"}},
		{"kafka listeners", "listeners=PLAINTEXT://:9092,CONTROLLER://:9093", map[string]string{"listeners": "PLAINTEXT://:9092,CONTROLLER://:9093"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProperties(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("ParseProperties(%q): %v", tt.in, err)
			}
			if !maps.Equal(got, tt.want) {
				t.Fatalf("ParseProperties(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParsePropertiesErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a=1\nk=\\u12", `line 2: malformed \uXXXX escape`},
		{"a=1\n\nk=\\u12G4", `line 3: malformed \uXXXX escape`},
		{"k=ab\\\n  cd\\u00\n", `line 2: malformed \uXXXX escape`},
		{"a=1\n=value", "line 2: missing key before the value"},
		{"a=1\n  : value", "line 2: missing key before the value"},
	}
	for _, tt := range tests {
		_, err := ParseProperties(strings.NewReader(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseProperties(%q) error = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestParsePropertiesReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := ParseProperties(iotest.ErrReader(boom))
	if !errors.Is(err, boom) || err.Error() != "reading properties: boom" {
		t.Fatalf("error = %v, want wrapped boom", err)
	}
}

// formatProperties writes props so that ParseProperties reads them back:
// every byte that could be special is escaped.
func formatProperties(props map[string]string) string {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(escapeProperty(k))
		b.WriteByte('=')
		b.WriteString(escapeProperty(props[k]))
		b.WriteByte('\n')
	}
	return b.String()
}

func escapeProperty(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '=', ':', '#', '!', ' ', '\t', '\f':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{
		"a=1\nb:2\nc 3", "k=a,\\\n  b", `k=\u00e9\uD83D\uDE00`, "# c\n!c\nk=v  ", "k=\\u12", "=v", "k=a\\",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		props, err := ParseProperties(strings.NewReader(string(data)))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error without a line number: %v", err)
			}
			return
		}
		for k := range props {
			if k == "" {
				t.Fatalf("empty key from %q", data)
			}
		}
		again, err := ParseProperties(strings.NewReader(formatProperties(props)))
		if err != nil {
			t.Fatalf("re-parsing %q: %v", formatProperties(props), err)
		}
		if !maps.Equal(props, again) {
			t.Fatalf("round trip of %q: %q, then %q", data, props, again)
		}
	})
}
