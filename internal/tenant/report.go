package tenant

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
)

// Report writes the views of a fan-out: each tenant's block as it
// finishes, then the summary, as text, JSON or markdown. Every write is of
// whole lines built in a buffer, so that tenants finishing together never
// interleave mid-line.
type Report struct {
	// Command is "plan", "apply" or "mode".
	Command string
}

// Outcome says in a few words what the command did on a tenant: "no
// changes", "changes" (plan), "applied", the mode (mode), "refused
// (production)", "failed", "interrupted" or "not started".
func (rep Report) Outcome(r Result) string {
	if !r.Started {
		return "not started"
	}
	if r.Err != nil {
		if errors.Is(r.Err, context.Canceled) {
			return "interrupted"
		}
		if ref, ok := apply.RefusalOf(r.Err); ok {
			return "refused (" + string(ref.Reason) + ")"
		}
		return "failed"
	}
	switch {
	case rep.Command == "mode":
		line, _, _ := strings.Cut(strings.TrimSpace(string(r.Stdout)), "\n")
		return line
	case r.Changes == 0:
		return "no changes"
	case rep.Command == "apply":
		return "applied"
	}
	return "changes"
}

// Heading is the line that opens a tenant's block.
func (rep Report) Heading(r Result) string {
	return fmt.Sprintf("=== tenant %s: %s: %s in %s", r.Tenant, dialect.Redact(r.Tenant.DB), rep.Outcome(r), seconds(r.Elapsed))
}

// Block writes a tenant's result as it finishes: its heading and what the
// command showed to stdout (when show is set; the JSON and markdown views
// keep it for the end), and what it said to stderr, each line after the
// tenant's id and name.
func (rep Report) Block(stdout, stderr io.Writer, r Result, show bool) error {
	var out bytes.Buffer
	out.WriteString(rep.Heading(r) + "\n")
	if show {
		out.Write(r.Stdout)
		if len(r.Stdout) > 0 && !bytes.HasSuffix(r.Stdout, []byte("\n")) {
			out.WriteByte('\n')
		}
		out.WriteByte('\n')
	}
	var errs bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(r.Stderr))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		fmt.Fprintf(&errs, "[%d %s] %s\n", r.Tenant.ID, r.Tenant.Name, sc.Text())
	}
	if show {
		if _, err := stdout.Write(out.Bytes()); err != nil {
			return err
		}
	} else {
		// The heading still streams, on stderr, as progress.
		errs.Write(out.Bytes())
	}
	if errs.Len() == 0 {
		return nil
	}
	_, err := stderr.Write(errs.Bytes())
	return err
}

// counts are the totals of a fan-out.
type counts struct {
	Tenants     int `json:"tenants"`
	WithChanges int `json:"with_changes"`
	Refused     int `json:"refused"`
	Failed      int `json:"failed"`
	NotStarted  int `json:"not_started"`
}

func countOf(results []Result) counts {
	c := counts{Tenants: len(results)}
	for _, r := range results {
		_, refused := apply.RefusalOf(r.Err)
		switch {
		case !r.Started:
			c.NotStarted++
		case refused:
			c.Refused++
		case r.Err != nil:
			c.Failed++
		}
		if r.Started && r.Changes > 0 {
			c.WithChanges++
		}
	}
	return c
}

func (c counts) String() string {
	return fmt.Sprintf("%d tenants: %d with changes, %d refused, %d failed, %d not started", c.Tenants, c.WithChanges, c.Refused, c.Failed, c.NotStarted)
}

// Summary writes the closing table: tenant id, name, database (password
// redacted), changes, outcome and time, in the tenants file's order.
func (rep Report) Summary(w io.Writer, results []Result) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "Summary of %s over %s.\n\n", rep.Command, countOf(results))
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tNAME\tDATABASE\tCHANGES\tOUTCOME\tTIME")
	for _, r := range results {
		changes, took := "-", "-"
		if r.Started {
			changes, took = fmt.Sprint(r.Changes), seconds(r.Elapsed)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Tenant.ID, r.Tenant.Name, dialect.Redact(r.Tenant.DB), changes, rep.Outcome(r), took)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// FormatVersion is the format_version of the fan-out's JSON document.
const FormatVersion = "1"

// document is the JSON view of a fan-out. Fields are tagged explicitly so
// that renaming a Go field never changes the document.
type document struct {
	FormatVersion string      `json:"format_version"`
	Command       string      `json:"command"`
	Tenants       []tenantDoc `json:"tenants"`
	Summary       counts      `json:"summary"`
}

type tenantDoc struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Database string `json:"database"`
	Outcome  string `json:"outcome"`
	Changes  int    `json:"changes"`
	// Seconds is how long the tenant took; 0 when not started.
	Seconds float64 `json:"seconds"`
	// Error is the tenant's error message, or null.
	Error *string `json:"error"`
	// Plan is the tenant's plan document (plan --format json), or null
	// when there is none (the tenant failed before planning, or was not
	// started).
	Plan json.RawMessage `json:"plan"`
	// Events are the tenant's apply events (apply --format json, one
	// object per line), or left out for plan and mode.
	Events []json.RawMessage `json:"events,omitempty"`
}

// JSON writes one document with a result per tenant, in the file's order.
// A tenant's plan is the JSON the command wrote for it.
func (rep Report) JSON(w io.Writer, results []Result) error {
	d := document{FormatVersion: FormatVersion, Command: rep.Command, Tenants: []tenantDoc{}, Summary: countOf(results)}
	for _, r := range results {
		td := tenantDoc{
			ID: r.Tenant.ID, Name: r.Tenant.Name, Database: dialect.Redact(r.Tenant.DB),
			Outcome: rep.Outcome(r), Changes: r.Changes, Seconds: r.Elapsed.Round(time.Millisecond).Seconds(),
			Plan: json.RawMessage("null"),
		}
		if r.Err != nil {
			msg := r.Err.Error()
			td.Error = &msg
		}
		td.Plan, td.Events = documents(r.Stdout)
		d.Tenants = append(d.Tenants, td)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// documents reads what a tenant's command wrote in JSON: one document (a
// plan), or one per line (apply's events).
func documents(out []byte) (doc json.RawMessage, lines []json.RawMessage) {
	out = bytes.TrimSpace(out)
	if len(out) == 0 {
		return json.RawMessage("null"), nil
	}
	if json.Valid(out) {
		return json.RawMessage(out), nil
	}
	for _, l := range bytes.Split(out, []byte("\n")) {
		if l = bytes.TrimSpace(l); len(l) > 0 && json.Valid(l) {
			lines = append(lines, json.RawMessage(l))
		}
	}
	return json.RawMessage("null"), lines
}

// Markdown writes one pull-request comment: a heading with the counts, the
// summary table, and a section per tenant that has changes or an error,
// holding the tenant's own markdown plan with its headings two levels
// down. The comment stays under the size GitHub allows: when the whole
// table does not fit, it lists only the tenants with changes, an error or
// not started; sections that do not fit are left out, and it says which.
func (rep Report) Markdown(w io.Writer, results []Result) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "## ctxschema %s over %s\n\n", rep.Command, countOf(results))
	row := func(r Result) string {
		changes := "-"
		if r.Started {
			changes = fmt.Sprint(r.Changes)
		}
		return fmt.Sprintf("| %d | %s | %s | %s | %s |\n", r.Tenant.ID, cell(r.Tenant.Name), cell(dialect.Redact(r.Tenant.DB)), changes, rep.Outcome(r))
	}
	notable := func(r Result) bool { return !r.Started || r.Changes > 0 || r.Err != nil }
	var table, short strings.Builder
	quiet := 0
	for _, r := range results {
		table.WriteString(row(r))
		if notable(r) {
			short.WriteString(row(r))
		} else {
			quiet++
		}
	}
	buf.WriteString("| Tenant | Name | Database | Changes | Outcome |\n| --- | --- | --- | --- | --- |\n")
	if buf.Len()+table.Len() <= markdownBudget/2 {
		buf.WriteString(table.String())
	} else {
		buf.WriteString(short.String())
		fmt.Fprintf(&buf, "\n%d tenants without changes are not listed.\n", quiet)
	}
	var left []string
	for _, r := range results {
		if !r.Started || (r.Changes == 0 && r.Err == nil) {
			continue
		}
		var sec bytes.Buffer
		fmt.Fprintf(&sec, "\n### Tenant %d (%s)\n\n", r.Tenant.ID, cell(r.Tenant.Name))
		if md := bytes.TrimSpace(r.Stdout); len(md) > 0 {
			sec.Write(demote(md, 2))
			sec.WriteByte('\n')
		}
		if r.Err != nil {
			if _, refused := apply.RefusalOf(r.Err); !refused || len(r.Stdout) == 0 {
				fmt.Fprintf(&sec, "\n> %s: %s\n", rep.Outcome(r), cell(oneLine(r.Err.Error())))
			}
		}
		if len(left) > 0 || buf.Len()+sec.Len() > markdownBudget {
			left = append(left, fmt.Sprint(r.Tenant.ID))
			continue
		}
		buf.Write(sec.Bytes())
	}
	if len(left) > 0 {
		fmt.Fprintf(&buf, "\nThe plans of %d more tenants (%s) are left out to keep this under the size of a comment: see `ctxschema plan --tenant ID --format markdown`.\n",
			len(left), strings.Join(left, ", "))
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// markdownBudget is the size the markdown comment stays under: a GitHub
// comment holds at most 65,536 characters.
const markdownBudget = 60000

// demote moves every markdown heading of md down by levels, leaving
// fenced code blocks alone.
func demote(md []byte, levels int) []byte {
	var out bytes.Buffer
	fenced := false
	for _, line := range strings.Split(string(md), "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
		}
		if !fenced && strings.HasPrefix(line, "#") {
			line = strings.Repeat("#", levels) + line
		}
		out.WriteString(line + "\n")
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n"))
}

// cell makes s safe in a markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// seconds writes d as seconds with one decimal ("1.2s").
func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }
