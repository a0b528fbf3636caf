package quote

import (
	"fmt"
	"strings"
	"testing"
)

func TestValue(t *testing.T) {
	for in, want := range map[string]string{
		"":                            `""`,
		"Jane":                        `"Jane"`,
		"a\n::warning \x1b[1m\u009b":  `"a\n::warning \x1b[1m\u009b"`,
		strings.Repeat("é", 80):       `"` + strings.Repeat("é", 80) + `"`,
		strings.Repeat("é", 81):       `"` + strings.Repeat("é", 80) + `…" (81 characters)`,
		strings.Repeat("a", 50000000): `"` + strings.Repeat("a", 80) + `…" (50,000,000 characters)`,
	} {
		if got := Value(in); got != want {
			t.Errorf("Value(%.20q…) = %.120s, want %.120s", in, got, want)
		}
	}
}

func TestArgs(t *testing.T) {
	long := strings.Repeat("x", 100)
	got := fmt.Sprintf("default %q of %s: %v, %d", Args([]any{long, "a\nb", long, 7})...)
	want := `default "` + strings.Repeat("x", 80) + `…" (100 characters) of a\nb: ` + long + `, 7`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestLine(t *testing.T) {
	if got := Line("ok\tgo\r\n::error::x\x07"); got != `ok\tgo\r\n::error::x\a` {
		t.Errorf("Line = %s", got)
	}
}

func TestLines(t *testing.T) {
	got := strings.Join(Lines("+ a\r\n  ::error::x\n::warning\x1b"), "|")
	if want := `+ a|  \x3a:error::x|\x3a:warning\x1b`; got != want {
		t.Errorf("Lines = %s, want %s", got, want)
	}
}

func TestJSON(t *testing.T) {
	in := []byte("{\"a\": \"x\u007f\u009b\u00e9\"}")
	if got, want := string(JSON(in)), `{"a": "x\u007f\u009bé"}`; got != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
}
