package schemafile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/quote"
)

// Severity says whether a problem makes the schema files invalid.
type Severity int

// The severities of a problem.
const (
	// Error makes the schema files invalid: Load and Parse fail.
	Error Severity = iota
	// Warning is reported but does not fail.
	Warning
)

// String names the severity ("error" or "warning").
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Problem is one error or warning about the schema files, at a position.
type Problem struct {
	// Pos is where the problem is. Line and Col are 0 when the problem
	// concerns a whole file or directory (Pos.File) or has no known place.
	Pos      model.Pos
	Severity Severity
	// Message is one lower-case line without position.
	Message string
}

// String renders the problem as "file:line:col: message", with "warning: "
// before the message of a warning.
func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.Pos.File != "" && p.Pos.Line > 0:
		fmt.Fprintf(&b, "%s:%d:%d: ", p.Pos.File, p.Pos.Line, p.Pos.Col)
	case p.Pos.File != "":
		fmt.Fprintf(&b, "%s: ", p.Pos.File)
	}
	if p.Severity == Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is the error that Load and Parse return for invalid schema files.
// It holds every problem found, errors and warnings, sorted by file, line
// and column; at least one of them is an error.
type Problems struct {
	List []Problem
}

// Error renders every problem on its own line, in order.
func (p *Problems) Error() string {
	lines := make([]string, len(p.List))
	for i, pr := range p.List {
		lines[i] = pr.String()
	}
	return strings.Join(lines, "\n")
}

// Errors returns how many problems are errors (not warnings).
func (p *Problems) Errors() int {
	n := 0
	for _, pr := range p.List {
		if pr.Severity == Error {
			n++
		}
	}
	return n
}

// sortProblems orders problems by file, line, column, then message, so that
// the output does not depend on the order of the checks.
func sortProblems(list []Problem) {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		if a.Severity != b.Severity {
			return a.Severity < b.Severity
		}
		return a.Message < b.Message
	})
}

// reporter collects problems.
type reporter struct {
	list []Problem
}

func (r *reporter) errorf(pos model.Pos, format string, args ...any) {
	r.list = append(r.list, Problem{Pos: pos, Severity: Error, Message: fmt.Sprintf(format, quote.Args(args)...)})
}

func (r *reporter) warnf(pos model.Pos, format string, args ...any) {
	r.list = append(r.list, Problem{Pos: pos, Severity: Warning, Message: fmt.Sprintf(format, quote.Args(args)...)})
}

// failed reports whether an error (not a warning) was reported.
func (r *reporter) failed() bool {
	for _, p := range r.list {
		if p.Severity == Error {
			return true
		}
	}
	return false
}
