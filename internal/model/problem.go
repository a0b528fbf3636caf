package model

import (
	"fmt"
	"sort"
	"strings"
)

// Severity says whether a problem makes the schema input invalid.
type Severity int

// The severities of a problem.
const (
	// SeverityError makes the input invalid: loading or planning fails.
	SeverityError Severity = iota
	// SeverityWarning is reported but does not fail.
	SeverityWarning
)

// String names the severity ("error" or "warning").
func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Problem is one error or warning about the schema input, at a position:
// the schema files (internal/schemafile), what only the live database
// reveals of them (plan), a project or tenants file. It is the one type
// for schema-input problems, so that every view (text, JSON, GitHub
// annotations, the API's problems) renders them alike.
type Problem struct {
	// Pos is where the problem is. Line and Col are 0 when the problem
	// concerns a whole file or directory (Pos.File) or has no known place.
	Pos      Pos
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
	if p.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is the error of invalid schema input (the 400 rule, exit 4):
// what schemafile.Load and plan.Build return.
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
		if pr.Severity == SeverityError {
			n++
		}
	}
	return n
}

// SortProblems orders problems by file, line, column, then message, so that
// the output does not depend on the order of the checks.
func SortProblems(list []Problem) {
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
