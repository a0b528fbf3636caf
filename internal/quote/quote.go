// Package quote writes text that comes from users or databases into
// messages and views: Value quotes one value, escaped and bounded; Line
// makes text one line that cannot drive a terminal or a CI log. Every
// message that quotes such a value goes through Value (the loader's and
// the planner's problems through Args), so that a 50 MB default is never
// echoed whole and no value prints a control character.
package quote

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxValue is how many characters of a value a message quotes.
const MaxValue = 80

// Value quotes s as %q does (control characters and invalid UTF-8
// escaped); a value longer than MaxValue characters is cut, with an
// ellipsis and its length: "aaaa…" (50,000,000 characters).
func Value(s string) string {
	head, n, cut := bound(s)
	if !cut {
		return strconv.Quote(s)
	}
	return strconv.Quote(head+"…") + " (" + thousands(n) + " characters)"
}

// Text is s bounded as Value bounds it, unquoted and escaped as Line
// escapes it: for a value a message names without quotes.
func Text(s string) string {
	head, n, cut := bound(s)
	if !cut {
		return Line(s)
	}
	return Line(head) + "… (" + thousands(n) + " characters)"
}

// bound returns the first MaxValue characters of s, the number of
// characters of s and whether that is more.
func bound(s string) (head string, n int, cut bool) {
	if len(s) <= MaxValue { // bytes ≥ characters
		return s, utf8.RuneCountInString(s), false
	}
	i := 0
	for k := 0; k < MaxValue && i < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	if i == len(s) {
		return s, MaxValue, false
	}
	return s[:i], utf8.RuneCountInString(s), true
}

// Line makes s safe for one line of a terminal or a CI log: every control
// character (line breaks, tabs, escapes, C1 codes) is written as a Go
// escape, so that text from a file or a database can neither start a line
// of its own (a GitHub Actions "::error" command) nor drive the terminal.
func Line(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Lines splits multi-line text from outside (a history row) into lines
// made safe by Line; a line that would begin with "::", a GitHub Actions
// workflow command wherever it is indented, has its first colon escaped.
func Lines(s string) []string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		l = Line(l)
		if t := strings.TrimLeft(l, " "); strings.HasPrefix(t, "::") {
			l = l[:len(l)-len(t)] + `\x3a` + t[1:]
		}
		lines[i] = l
	}
	return lines
}

// JSON escapes the control characters encoding/json leaves raw in a
// document it wrote — DEL and the C1 codes U+0080 to U+009F, which some
// terminals obey — as \u escapes; the document means the same. They can
// occur only inside strings, since JSON's own syntax is ASCII.
func JSON(b []byte) []byte {
	if !bytes.ContainsFunc(b, func(r rune) bool { return r == 0x7f || r >= 0x80 && r <= 0x9f }) {
		return b
	}
	var out bytes.Buffer
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == 0x7f || r >= 0x80 && r <= 0x9f {
			fmt.Fprintf(&out, `\u%04x`, r)
		} else {
			out.Write(b[:size])
		}
		b = b[size:]
	}
	return out.Bytes()
}

// Args returns args for a printf-style message with every string made a
// value that prints through Value for %q and through Line for %s and %v
// (which also write lists and positions the message builds, so they are not
// cut).
// Functions that build messages from user input (the loader's and the
// planner's problems) pass their arguments through it.
func Args(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok {
			a = arg(s)
		}
		out[i] = a
	}
	return out
}

// arg is a string argument of a message.
type arg string

// Format implements fmt.Formatter.
func (a arg) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		io.WriteString(f, Value(string(a))) //nolint:errcheck // fmt's state
		return
	}
	io.WriteString(f, Line(string(a))) //nolint:errcheck // fmt's state
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
