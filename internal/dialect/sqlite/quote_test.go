package sqlite

import (
	"strings"
	"testing"
)

// A string with control characters is written without them, and reads back
// (as SQLite reports the default, or from the old raw form) as the same
// canonical default.
func TestQuoteStringControlCharacters(t *testing.T) {
	for in, want := range map[string]string{
		"plain 'q'":      `'plain ''q'''`,
		"a\nb":           `('a' || char(10) || 'b')`,
		"\n::x\x1b[1m":   `(char(10) || '::x' || char(27) || '[1m')`,
		"end\a\u009b":    `('end' || char(7, 155))`,
		"\t":             `(char(9))`,
		"é\r\n'ü":        `('é' || char(13, 10) || '''ü')`,
		"":               `''`,
		"no control: ü™": `'no control: ü™'`,
	} {
		got := quoteString(in)
		if got != want {
			t.Errorf("quoteString(%q) = %s, want %s", in, got, want)
		}
		if norm := normDefault(got); norm != got {
			t.Errorf("normDefault(%s) = %s, want it unchanged", got, norm)
		}
		// A default written raw by an older version reads the same.
		if raw := "'" + strings.ReplaceAll(in, "'", "''") + "'"; normDefault(raw) != got {
			t.Errorf("normDefault(%q) = %s, want %s", raw, normDefault(raw), got)
		}
	}
	for _, notString := range []string{`'a' || b`, `char(10) || 1`, `'a' ||`, `char(x)`} {
		if _, ok := concatenatedString(tokenize(notString)); ok {
			t.Errorf("concatenatedString(%s) took it for a string", notString)
		}
	}
}
