package render

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ctxschema/ctxschema/internal/quote"
	"github.com/ctxschema/ctxschema/plan"
)

// ANSI colours of the text view.
const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiBlue    = "\x1b[34m"
	ansiMagenta = "\x1b[35m"
	ansiCyan    = "\x1b[36m"
)

// actionColor is the colour of an action's symbol.
func actionColor(a plan.Action) string {
	switch a {
	case plan.Create:
		return ansiGreen
	case plan.Delete:
		return ansiRed
	case plan.Update:
		return ansiYellow
	case plan.Replace:
		return ansiMagenta
	case plan.Rename:
		return ansiCyan
	case plan.Repair:
		return ansiBlue
	}
	return ""
}

// hazardColor is the colour of a hazard line: data checks red, data loss
// yellow, blocking plain.
func hazardColor(h plan.Hazard) string {
	switch {
	case h.Kind == plan.DataCheck, h.Kind == plan.Inexpressible:
		return ansiRed
	case h.Kind == plan.Destructive && !h.LosesNothing():
		return ansiYellow
	}
	return ""
}

// textWriter writes lines, colouring them only when asked.
type textWriter struct {
	buf   *bytes.Buffer
	color bool
}

// paint wraps s in colour c when colours are on.
func (t textWriter) paint(c, s string) string {
	if !t.color || c == "" || s == "" {
		return s
	}
	return c + s + ansiReset
}

// line writes one line without trailing spaces.
func (t textWriter) line(s string) {
	t.buf.WriteString(strings.TrimRight(s, " "))
	t.buf.WriteByte('\n')
}

// textRow is one step's line, cleaned for a terminal.
type textRow struct {
	action                plan.Action
	symbol, kind, name, d string
}

// writeText renders the text view: one aligned line per step, its hazards
// (and with Verbose its SQL) under it, the unmanaged objects, the summary,
// then the refusal. See testdata/*.txt for examples.
func writeText(buf *bytes.Buffer, p *plan.Plan, o Options) error {
	t := textWriter{buf: buf, color: o.Color}

	rows := make([]textRow, len(p.Steps))
	var wSym, wKind, wName int
	for i, s := range p.Steps {
		a, obj := s.Change.Action(), s.Change.Object()
		r := textRow{a, a.Symbol(), clean(string(obj.Kind)), clean(obj.Name), clean(s.Change.Describe())}
		rows[i] = r
		wSym = max(wSym, width(r.symbol))
		wKind = max(wKind, width(r.kind))
		wName = max(wName, width(r.name))
	}
	indent := strings.Repeat(" ", wSym+1)
	showSQL := func(s plan.Step) bool { return o.Verbose && len(s.SQL)+len(s.After) > 0 }

	for i, s := range p.Steps {
		r := rows[i]
		if i > 0 && (showSQL(s) || showSQL(p.Steps[i-1])) {
			t.line("")
		}
		t.line(t.paint(actionColor(r.action), r.symbol) + pad(r.symbol, wSym) + " " +
			r.kind + pad(r.kind, wKind) + "  " +
			r.name + pad(r.name, wName) + "  " + r.d)
		for _, h := range s.Hazards {
			t.line(indent + t.paint(hazardColor(h), hazardSymbol(h.Kind)+" "+clean(hazardText(h))))
		}
		if o.Verbose {
			sqlIndent := indent + "  "
			for _, q := range s.SQL {
				t.block(sqlIndent, work(o, q))
			}
			if len(s.After) > 0 {
				t.line(sqlIndent + afterComment)
				for _, q := range s.After {
					t.block(sqlIndent, work(o, q))
				}
			}
		}
	}

	if len(p.Unmanaged) > 0 {
		if len(p.Steps) > 0 {
			t.line("")
		}
		for _, d := range p.Unmanaged {
			t.line("unmanaged (never touched): " + clean(unmanagedText(d)))
		}
	}

	if len(p.Steps) > 0 || len(p.Unmanaged) > 0 {
		t.line("")
	}
	if p.Empty() {
		t.line(noChanges(o))
	} else {
		s := p.Summary()
		t.line(t.paint(ansiBold, fmt.Sprintf("Plan: %d to create, %d to update, %d to delete.", s.Create, s.Update, s.Delete)))
	}

	if r := o.Refusal; r != nil {
		t.line("")
		t.refusal(r, false)
	}
	return nil
}

// refusal writes the refusal block: the heading and message, the refused
// changes (with their refused hazards' counts when hazards is set, for a
// refusal shown without its plan), and the flag that allows them.
func (t textWriter) refusal(r *plan.Refusal, hazards bool) {
	t.line(t.paint(ansiBold+ansiRed, refusalHeading(r)+":") + " " + clean(r.Message()))
	for _, s := range r.Steps {
		obj := s.Change.Object()
		t.line("  " + s.Change.Action().Symbol() + " " + clean(string(obj.Kind)) + " " + clean(obj.Name))
		if hazards {
			for _, h := range r.Hazards(s) {
				t.line("    " + t.paint(hazardColor(h), hazardSymbol(h.Kind)+" "+clean(hazardText(h))))
			}
		}
	}
	if way := refusalWayOut(r, r.Flag()); way != "" {
		t.line(way)
	}
}

// noChanges is the line of an empty plan.
func noChanges(o Options) string {
	if o.NoChanges != "" {
		return o.NoChanges
	}
	if o.Database == "" && o.Dialect == "" {
		return "No changes. The two schemas match."
	}
	return "No changes. The database matches the schema files."
}

// block writes a multi-line text, each line indented and cleaned (a
// declared default can put any character into a SQL literal); empty lines
// stay empty.
func (t textWriter) block(indent, s string) {
	for _, l := range strings.Split(cleanSQL(s), "\n") {
		l = strings.TrimRight(l, " \t\r")
		if strings.TrimSpace(l) == "" {
			t.line("")
			continue
		}
		t.line(indent + clean(l))
	}
}

// pad returns the spaces that widen s to w columns.
func pad(s string, w int) string {
	if n := w - width(s); n > 0 {
		return strings.Repeat(" ", n)
	}
	return ""
}

// width is the number of terminal columns of s, counting one per rune.
func width(s string) int { return utf8.RuneCountInString(s) }

// cleanSQL makes a statement safe for a terminal and a CI log while it
// stays the same SQL: the dialects write no control character in a literal
// (PostgreSQL E'\n', SQLite char(10)), so only SQL read from a live
// database (an unmanaged column or trigger carried over by a rebuild) can
// hold one. Inside a quoted literal or identifier every control character
// is shown as a Go escape, so that a line break there cannot start a line of
// its own (a GitHub Actions "::warning" command); outside, only the line
// breaks and tabs that lay the statement out are kept.
func cleanSQL(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	var quote rune // the quote of the literal or identifier s is in, or 0
	for _, r := range s {
		switch {
		case quote == 0 && (r == '\'' || r == '"'):
			quote = r
		case quote != 0 && r == quote:
			quote = 0 // a doubled quote closes and reopens: the same state
		case unicode.IsControl(r) && (quote != 0 || r != '\n' && r != '\t'):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// clean makes s safe for one terminal line: control characters (newlines,
// tabs, escapes) are written as Go escapes, so that data read from a
// database cannot break the layout or drive the terminal (quote.Line).
func clean(s string) string { return quote.Line(s) }
