package render

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"

	"github.com/ctxschema/ctxschema/plan"
)

// markdownGroups are the sections of the markdown view, in order.
var markdownGroups = []struct {
	risk  risk
	title string
}{
	{riskBlocked, "Blocked (data checks fail)"},
	{riskDestructive, "Needs --allow-destructive"},
	{riskNarrowing, "Narrowing (fails on data that does not fit; plan checks it)"},
	{riskSafe, "Safe"},
}

// writeMarkdown renders the markdown view for a pull-request comment or a
// GitHub job summary: a heading with the counts, one table per risk group
// (blocked, destructive, safe; empty groups left out), the unmanaged
// objects, the SQL in a collapsed block, and the refusal as a quote.
func writeMarkdown(buf *bytes.Buffer, p *plan.Plan, o Options) error {
	if p.Empty() {
		fmt.Fprintf(buf, "%s\n", noChanges(o))
	} else {
		s := p.Summary()
		title := o.Title
		if title == "" {
			title = "ctxschema plan"
		}
		fmt.Fprintf(buf, "## %s: %d to create, %d to update, %d to delete\n", title, s.Create, s.Update, s.Delete)
		if where := markdownWhere(p, o); where != "" {
			fmt.Fprintf(buf, "\n%s\n", where)
		}
		for _, g := range markdownGroups {
			var steps []plan.Step
			for _, s := range p.Steps {
				if riskOf(s) == g.risk {
					steps = append(steps, s)
				}
			}
			if len(steps) == 0 {
				continue
			}
			fmt.Fprintf(buf, "\n### %s: %s\n\n", g.title, plural(int64(len(steps)), "change", "changes"))
			buf.WriteString("| Action | Object | Details | Hazards |\n")
			buf.WriteString("| --- | --- | --- | --- |\n")
			for _, s := range steps {
				a, obj := s.Change.Action(), s.Change.Object()
				hz := make([]string, len(s.Hazards))
				for i, h := range s.Hazards {
					hz[i] = escapeMarkdown(hazardSymbol(h.Kind)+" "+hazardText(h), true)
				}
				fmt.Fprintf(buf, "| %s %s | %s %s | %s | %s |\n",
					cellCode(a.Symbol()), a.String(),
					escapeMarkdown(string(obj.Kind), true), cellCode(obj.Name),
					escapeMarkdown(s.Change.Describe(), true),
					strings.Join(hz, "<br>"))
			}
		}
	}

	if len(p.Unmanaged) > 0 {
		fmt.Fprintf(buf, "\n### Unmanaged (never touched): %s\n\n", plural(int64(len(p.Unmanaged)), "object", "objects"))
		for _, d := range p.Unmanaged {
			if d.Kind == plan.UnmanagedTable {
				fmt.Fprintf(buf, "- table %s\n", codeSpan(d.Table))
			} else {
				fmt.Fprintf(buf, "- %s\n", escapeMarkdown(d.String(), false))
			}
		}
	}

	var sql, refusal bytes.Buffer
	n := writeMarkdownSQL(&sql, p, o)
	writeMarkdownRefusal(&refusal, o.Refusal, false)
	if n > 0 && buf.Len()+sql.Len()+refusal.Len() > markdownSQLBudget {
		sql.Reset()
		fmt.Fprintf(&sql, "\nThe SQL (%s) is left out to keep this under the size of a comment: see `ctxschema plan --format sql`.\n",
			plural(int64(n), "statement", "statements"))
	}
	buf.Write(sql.Bytes())
	buf.Write(refusal.Bytes())
	return nil
}

// markdownSQLBudget is the size above which the markdown view leaves the
// SQL out: a GitHub comment holds at most 65,536 characters.
const markdownSQLBudget = 60000

// writeMarkdownRefusal writes refusal r as a quote, with the changes it is
// about (and their refused hazards when hazards is set) and the flag that
// allows them.
func writeMarkdownRefusal(buf *bytes.Buffer, r *plan.Refusal, hazards bool) {
	if r == nil {
		return
	}
	fmt.Fprintf(buf, "\n> **%s:** %s\n", refusalHeading(r), escapeMarkdown(r.Message(), false))
	if len(r.Steps) > 0 {
		buf.WriteString(">\n")
		for _, s := range r.Steps {
			obj := s.Change.Object()
			fmt.Fprintf(buf, "> - %s %s %s\n", codeSpan(s.Change.Action().Symbol()), escapeMarkdown(string(obj.Kind), false), codeSpan(obj.Name))
			if hazards {
				for _, h := range r.Hazards(s) {
					fmt.Fprintf(buf, ">   - %s\n", escapeMarkdown(hazardSymbol(h.Kind)+" "+hazardText(h), false))
				}
			}
		}
	}
	if way := refusalWayOut(r, codeSpan(r.Flag())); way != "" {
		fmt.Fprintf(buf, ">\n> %s\n", way)
	}
}

// markdownWhere names the database, dialect and mode, or "" for an offline
// diff.
func markdownWhere(p *plan.Plan, o Options) string {
	var facts []string
	if o.Dialect != "" {
		facts = append(facts, escapeMarkdown(o.Dialect, false))
	}
	if m := modeText(p); m != "" {
		facts = append(facts, escapeMarkdown(m, false))
	}
	s := ""
	if o.Database != "" {
		s = "Database " + codeSpan(o.Database)
	}
	if len(facts) > 0 {
		if s != "" {
			s += " "
		}
		s += "(" + strings.Join(facts, ", ") + ")"
	}
	if s == "" {
		return ""
	}
	return s + "."
}

// writeMarkdownSQL writes every step's SQL in one collapsed block, each
// step introduced by a comment naming it, the statements that run after the
// transaction last. Nothing is written when no step has SQL. It returns
// the number of statements.
func writeMarkdownSQL(buf *bytes.Buffer, p *plan.Plan, o Options) int {
	var body strings.Builder
	n := 0
	for _, s := range p.Steps {
		if len(s.SQL) == 0 {
			continue
		}
		if n > 0 {
			body.WriteString("\n")
		}
		obj := s.Change.Object()
		fmt.Fprintf(&body, "-- %s %s %s\n", s.Change.Action().Symbol(), oneLine(string(obj.Kind)), oneLine(obj.Name))
		for _, q := range s.SQL {
			body.WriteString(work(o, cleanSQL(q)) + "\n")
			n++
		}
	}
	after := 0
	for _, s := range p.Steps {
		for _, q := range s.After {
			if after == 0 {
				if n > 0 {
					body.WriteString("\n")
				}
				body.WriteString(afterComment + "\n")
			}
			body.WriteString(statement(cleanSQL(q)) + "\n")
			after++
		}
	}
	if n+after == 0 {
		return 0
	}
	fence := strings.Repeat("`", max(3, longestRun(body.String(), '`')+1))
	what, lang, one, many := "SQL", "sql", "statement", "statements"
	if o.Calls {
		what, lang, one, many = "API calls", "text", "call", "calls"
	}
	fmt.Fprintf(buf, "\n<details>\n<summary>%s (%s)</summary>\n\n%s%s\n%s%s\n\n</details>\n",
		what, plural(int64(n+after), one, many), fence, lang, body.String(), fence)
	return n + after
}

// escapeMarkdown makes s literal text in GitHub-flavoured markdown: the
// characters that start emphasis, code, links, HTML, strikethrough, math or
// table cells are backslash-escaped. Line breaks become <br> when br is set
// (inside a table cell) and spaces otherwise.
func escapeMarkdown(s string, br bool) string {
	var b strings.Builder
	for _, r := range strings.ReplaceAll(s, "\r\n", "\n") {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '|', '~', '&', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n', '\r':
			if br {
				b.WriteString("<br>")
			} else {
				b.WriteByte(' ')
			}
		default:
			if unicode.IsControl(r) {
				b.WriteString(clean(string(r)))
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// codeSpan writes s as inline code on one line: the fence is longer than
// any run of backticks in s.
func codeSpan(s string) string {
	s = oneLine(s)
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// cellCode writes s as inline code inside a table cell, where a pipe would
// end the cell: GFM reads \| inside a code span in a table as a pipe.
func cellCode(s string) string {
	return codeSpan(strings.ReplaceAll(s, "|", `\|`))
}

// oneLine replaces line breaks with spaces and escapes any other control
// character.
func oneLine(s string) string {
	return clean(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s))
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c rune) int {
	best, run := 0, 0
	for _, r := range s {
		if r == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}
