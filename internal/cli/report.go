package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/quote"
)

// Report prints a command's error once on stderr, as main does and as a
// fan-out over tenants does for each tenant: schema problems as their
// file:line:col lines, anything else as "ctxschema: <message>". Changes
// found with --detailed-exitcode and errors the command already reported
// print nothing.
func Report(stderr io.Writer, err error) {
	var reported *ReportedError
	if err == nil || errors.Is(err, ErrChanges) || errors.As(err, &reported) {
		return
	}
	var problems *model.Problems
	if errors.As(err, &problems) {
		for _, p := range problems.List {
			if p.Pos.File == "" {
				fmt.Fprintln(stderr, "ctxschema: "+oneLine(p.String()))
			} else {
				fmt.Fprintln(stderr, oneLine(p.String()))
			}
		}
		return
	}
	fmt.Fprintln(stderr, "ctxschema: "+oneLine(err.Error()))
}

// oneLine makes a message one line that cannot drive a terminal or a CI
// log: the line breaks some drivers put in their errors join the lines
// with "; " (or a space after a colon), and any other control character,
// from a file name or a database, is written as an escape (quote.Line).
func oneLine(msg string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.ReplaceAll(msg, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		if b.Len() > 0 {
			if strings.HasSuffix(b.String(), ":") {
				b.WriteString(" ")
			} else {
				b.WriteString("; ")
			}
		}
		b.WriteString(l)
	}
	msg = quote.Line(b.String())
	if len(msg) > MaxMessage {
		// A safety net for text no one quoted with quote.Value, such as a
		// value a database echoes in its error.
		cut := MaxMessage
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = fmt.Sprintf("%s… (%d bytes)", msg[:cut], len(msg))
	}
	return msg
}

// MaxMessage bounds the line Report prints for one error.
const MaxMessage = 4 << 10
