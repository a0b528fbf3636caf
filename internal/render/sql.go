package render

import (
	"bytes"
	"strings"

	"github.com/ctxschema/ctxschema/plan"
)

// writeSQL renders the SQL view: a header comment naming the dialect, the
// refusal as a comment if any, then every statement in order, each ending
// with ";", and the statements that run after the transaction last under a
// comment. Everything else is a comment, so the output can be fed to the
// database's shell as it is.
func writeSQL(buf *bytes.Buffer, p *plan.Plan, o Options) error {
	dialect := o.Dialect
	if dialect == "" {
		dialect = "none (offline diff)"
	}
	if o.Calls {
		return writeCalls(buf, p, o)
	}
	comment(buf, "ctxschema plan, dialect "+dialect)
	if r := o.Refusal; r != nil {
		s := refusalHeading(r) + ": " + r.Message()
		if r.Flag() != "" {
			s += " (allowed by " + r.Flag() + ")"
		}
		comment(buf, s)
	}
	if p.Empty() {
		comment(buf, "no changes")
		return nil
	}
	n := 0
	for _, s := range p.Steps {
		for _, q := range s.SQL {
			buf.WriteString(statement(cleanSQL(q)) + "\n")
			n++
		}
	}
	after := false
	for _, s := range p.Steps {
		for _, q := range s.After {
			if !after {
				buf.WriteString(afterComment + "\n")
				after = true
			}
			buf.WriteString(statement(cleanSQL(q)) + "\n")
			n++
		}
	}
	if n == 0 {
		comment(buf, "no SQL: the plan was not rendered for a database")
	}
	return nil
}

// comment writes s as SQL line comments, one per line of s, without
// control characters.
func comment(buf *bytes.Buffer, s string) {
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		buf.WriteString(strings.TrimRight("-- "+clean(strings.ReplaceAll(l, "\r", " ")), " ") + "\n")
	}
}

// writeCalls is the SQL view of a plan for a target that runs API calls,
// not SQL (a Context Services server): it says so, and lists the calls in
// order, every line a comment, so that nothing runs if it is fed to a
// database's shell.
func writeCalls(buf *bytes.Buffer, p *plan.Plan, o Options) error {
	comment(buf, "ctxschema plan for "+o.Database+": this target runs Context Services API calls, not SQL; there is no SQL to show")
	if r := o.Refusal; r != nil {
		s := refusalHeading(r) + ": " + r.Message()
		if r.Flag() != "" {
			s += " (allowed by " + r.Flag() + ")"
		}
		comment(buf, s)
	}
	if p.Empty() {
		comment(buf, "no changes")
		return nil
	}
	comment(buf, "the calls apply makes, in order:")
	for _, s := range p.Steps {
		for _, c := range s.SQL {
			comment(buf, "  "+c)
		}
	}
	return nil
}
