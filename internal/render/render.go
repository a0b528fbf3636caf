// Package render writes views of plans: text for the terminal, markdown for
// a pull-request comment, a stable JSON document for tools, and the bare SQL.
// The caller chooses a Format once; each view lives in its own file and
// renders the same plan.Plan. Views never decide anything: what is risky,
// refused or counted comes from the plan and the Options.
//
// Every view renders into a buffer and writes it with one Write, so an error
// leaves no half-written output behind. Output is deterministic: the plan's
// order is kept and nothing ranges over a map.
package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/ctxschema/ctxschema/plan"
)

// Format names a view of a plan.
type Format string

// The formats, in the order help texts list them.
const (
	Text     Format = "text"
	JSON     Format = "json"
	Markdown Format = "markdown"
	SQL      Format = "sql"
)

// views is the table Plan chooses a renderer from, in listing order.
var views = []struct {
	format Format
	render func(*bytes.Buffer, *plan.Plan, Options) error
}{
	{Text, writeText},
	{JSON, writeJSON},
	{Markdown, writeMarkdown},
	{SQL, writeSQL},
}

// Formats lists every format in the order help texts list them.
func Formats() []Format {
	out := make([]Format, len(views))
	for i, v := range views {
		out[i] = v.format
	}
	return out
}

// ErrUnknownFormat is returned by Plan for a format that is not one of
// Formats. The CLI chooses formats from its own tables (internal/cli's
// formats), which list the valid ones.
var ErrUnknownFormat = errors.New("unknown format")

func formatList() string {
	names := make([]string, len(views))
	for i, v := range views {
		names[i] = string(v.format)
	}
	return strings.Join(names, ", ")
}

// Options says how to render a plan and what the views need to know beyond
// the plan itself.
type Options struct {
	// Format is the view; "" means Text.
	Format Format
	// Verbose shows each step's SQL under it in the text view.
	Verbose bool
	// Color turns on ANSI colours in the text view. The caller decides:
	// stdout is a terminal and NO_COLOR is not set.
	Color bool
	// Database is the database URL, already redacted; "" for an offline
	// diff.
	Database string
	// Dialect is the dialect's scheme ("sqlite", "postgres"), or "" for an
	// offline diff.
	Dialect string
	// Calls is true when the steps' work is API calls, not SQL (a Context
	// Services server): the SQL view says so and lists them as comments.
	Calls bool
	// Refusal is why apply would refuse or refused the plan (from
	// apply.Refuse or apply.RefusalOf), or nil.
	Refusal *plan.Refusal
	// Title names the view in the markdown heading: "ctxschema plan" when
	// empty, "ctxschema diff" for a diff, "ctxschema drift" for a
	// drift-only plan.
	Title string
	// NoChanges is the line of an empty plan; empty for the default, which
	// speaks of schema files or, offline, of two schemas.
	NoChanges string
}

// Plan writes the view of p that o.Format names. It returns ErrUnknownFormat
// for an unknown format, an error for a malformed plan (nil, or a step
// without a change), or w's write error. On error nothing has been written
// unless w itself failed.
func Plan(w io.Writer, p *plan.Plan, o Options) error {
	if o.Format == "" {
		o.Format = Text
	}
	if p == nil {
		return errors.New("render: no plan to render")
	}
	for i, s := range p.Steps {
		if s.Change == nil {
			return fmt.Errorf("render: step %d of the plan has no change", i+1)
		}
	}
	for _, v := range views {
		if v.format == o.Format {
			var buf bytes.Buffer
			if err := v.render(&buf, p, o); err != nil {
				return err
			}
			_, err := w.Write(buf.Bytes())
			return err
		}
	}
	return fmt.Errorf("%w %q: use one of %s", ErrUnknownFormat, o.Format, formatList())
}

// risk groups steps as the markdown view and the JSON "risk" field do.
type risk string

const (
	riskBlocked     risk = "blocked"
	riskDestructive risk = "destructive"
	riskNarrowing   risk = "narrowing"
	riskSafe        risk = "safe"
)

// riskOf is the worst risk of a step: a failing data check blocks it, a
// change that loses data needs --allow-destructive, a narrowing change
// (offline only) fails on data that does not fit, anything else is safe
// (blocking changes and destructive ones that lose nothing included).
func riskOf(s plan.Step) risk {
	switch {
	case s.HasHazard(plan.DataCheck), s.HasHazard(plan.Inexpressible):
		return riskBlocked
	case s.NeedsAllowDestructive():
		return riskDestructive
	case s.HasHazard(plan.Narrowing):
		return riskNarrowing
	}
	return riskSafe
}

// hazardSymbol marks a hazard line in the text view.
func hazardSymbol(k plan.HazardKind) string {
	switch k {
	case plan.Destructive:
		return "!"
	case plan.DataCheck, plan.Inexpressible:
		return "✗"
	case plan.Blocking:
		return "~"
	case plan.Narrowing:
		return "≠"
	}
	return "?"
}

// hazardLabel names a hazard kind for people.
func hazardLabel(k plan.HazardKind) string {
	if k == plan.DataCheck {
		return "data check"
	}
	if k == plan.Inexpressible {
		return "cannot be made"
	}
	if k == "" {
		return "hazard"
	}
	return string(k)
}

// hazardText is a hazard for people, without its symbol:
// "destructive: drops table ext_fax (1,204 rows, 3,310 non-null values)".
func hazardText(h plan.Hazard) string {
	s := hazardLabel(h.Kind) + ":"
	msg := strings.TrimSpace(h.Message)
	counts := hazardCounts(h)
	switch {
	case msg != "" && counts != "":
		s += " " + msg + " (" + counts + ")"
	case msg != "":
		s += " " + msg
	case counts != "":
		s += " " + counts
	}
	return s
}

// hazardCounts phrases the measured counts of a hazard. Destructive hazards
// show rows and non-null values whenever they were measured (a 0 matters:
// it is why the change needs no flag); other hazards show only the counts
// that apply (above 0) and up to five customer ids.
func hazardCounts(h plan.Hazard) string {
	var parts []string
	if h.Kind == plan.Narrowing {
		return "not measured"
	}
	if h.Kind == plan.Destructive {
		if h.Rows < 0 && h.Values < 0 {
			return "not measured"
		}
		if h.Rows >= 0 {
			parts = append(parts, plural(h.Rows, "row", "rows"))
		}
		if h.Values >= 0 {
			parts = append(parts, plural(h.Values, "non-null value", "non-null values"))
		}
		s := strings.Join(parts, ", ")
		if h.LosesNothing() {
			s = "loses nothing: " + s
		}
		return s
	}
	if h.Groups > 0 {
		parts = append(parts, plural(h.Groups, "duplicate group", "duplicate groups"))
	}
	if h.Rows > 0 {
		parts = append(parts, plural(h.Rows, "row", "rows"))
	}
	if h.Values > 0 {
		parts = append(parts, plural(h.Values, "value", "values"))
	}
	if h.Customers > 0 {
		c := plural(h.Customers, "customer", "customers")
		if n := len(parts); n > 0 {
			parts[n-1] += " over " + c
		} else {
			parts = append(parts, c)
		}
	}
	s := strings.Join(parts, ", ")
	if ids := customerIDs(h); ids != "" {
		if s != "" {
			s += ", "
		}
		s += "e.g. " + ids
	}
	return s
}

// customerIDs lists a hazard's sample customer ids, with "…" when more
// customers are affected than listed. An id that is not plain printable
// text, or holds a comma or space, is quoted so that the list stays
// readable and no control character reaches a terminal.
func customerIDs(h plan.Hazard) string {
	if len(h.CustomerIDs) == 0 {
		return ""
	}
	ids := make([]string, len(h.CustomerIDs))
	for i, id := range h.CustomerIDs {
		if id == "" || strings.IndexFunc(id, func(r rune) bool {
			return !unicode.IsPrint(r) || r == ',' || r == ' ' || r == '"'
		}) >= 0 {
			id = strconv.Quote(id)
		}
		ids[i] = id
	}
	s := strings.Join(ids, ", ")
	if h.Customers > int64(len(h.CustomerIDs)) {
		s += ", …"
	}
	return s
}

// plural writes n with thousands separators and the noun that fits it.
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}

// thousands writes n with a comma between groups of three digits: 1,204.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// statement ends one SQL statement with exactly one ";" and no trailing
// space, whether or not the dialect wrote one.
func statement(s string) string {
	return strings.TrimRight(s, " \t\r\n;") + ";"
}

// work is one item of a step's work as the views write it: a SQL
// statement ending with ";", or an API call as it is.
func work(o Options, q string) string {
	if o.Calls {
		return q
	}
	return statement(q)
}

// afterComment introduces the statements that run after the transaction.
const afterComment = "-- after the transaction commits (online index builds):"

// unmanagedText describes an object ctxschema does not manage: "table foo".
func unmanagedText(d plan.Drift) string {
	if d.Kind == plan.UnmanagedTable {
		return "table " + d.Table
	}
	return d.String()
}

// refusalHeading names the refusal for people: "Refused (stale plan)".
func refusalHeading(r *plan.Refusal) string {
	if r.Reason == "" {
		return "Refused"
	}
	return "Refused (" + strings.ReplaceAll(string(r.Reason), "-", " ") + ")"
}

// refusalWayOut says how to allow the refused changes, with flag as the
// view writes r.Flag(), or "" when no flag does.
func refusalWayOut(r *plan.Refusal, flag string) string {
	if r.Flag() == "" {
		return ""
	}
	return "To allow it, apply with " + flag + "."
}

// modeText names the plan's mode for people, or "" when unknown.
func modeText(p *plan.Plan) string {
	if p.Mode == "" {
		return ""
	}
	return string(p.Mode) + " mode"
}

// Refusal writes refusal r on its own, without its plan, in format
// o.Format: what apply says when it refuses once the plan was shown (a
// duplicate found by a unique index build, a switch to production mode
// under the lock). Unlike a plan's refusal block, each refused change
// lists its refused hazards with their counts and customer ids.
func Refusal(w io.Writer, r plan.Refusal, o Options) error {
	var buf bytes.Buffer
	switch o.Format {
	case Text, "":
		textWriter{buf: &buf, color: o.Color}.refusal(&r, true)
	case Markdown:
		writeMarkdownRefusal(&buf, &r, true)
	case JSON:
		doc := NewRefusalDoc(r)
		if err := encodeJSON(&buf, struct {
			FormatVersion string      `json:"format_version"`
			Refusal       *RefusalDoc `json:"refusal"`
		}{FormatVersion, &doc}); err != nil {
			return err
		}
	case SQL:
		s := refusalHeading(&r) + ": " + r.Message()
		comment(&buf, s)
	default:
		return fmt.Errorf("%w %q: use one of %s", ErrUnknownFormat, o.Format, formatList())
	}
	_, err := w.Write(buf.Bytes())
	return err
}
