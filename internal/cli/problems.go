package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/quote"
	"github.com/ctxschema/ctxschema/internal/render"
)

// problemsDoc is the JSON output of validate --format json.
type problemsDoc struct {
	// FormatVersion is render.FormatVersion.
	FormatVersion string `json:"format_version"`
	// Problems are every problem found, warnings included; never null.
	Problems []problemDoc `json:"problems"`
}

// problemDoc is one problem in the JSON output of validate and of apply's
// error event. Its fields are tagged explicitly so that renaming a Go field
// never changes the output. Line and column are 0, and file is "", when
// unknown.
type problemDoc struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// problemDocs is the JSON form of problems; never nil.
func problemDocs(problems []model.Problem) []problemDoc {
	docs := make([]problemDoc, len(problems))
	for i, p := range problems {
		docs[i] = problemDoc{File: p.Pos.File, Line: p.Pos.Line, Column: p.Pos.Col, Severity: p.Severity.String(), Message: p.Message}
	}
	return docs
}

// writeProblemsJSON writes problems as an indented JSON document (see
// problemsDoc) with one Write.
func writeProblemsJSON(w io.Writer, problems []model.Problem) error {
	return writeJSON(w, problemsDoc{FormatVersion: render.FormatVersion, Problems: problemDocs(problems)})
}

// writeJSON writes v as indented JSON (two spaces) with a trailing newline,
// with one Write. HTML characters are not escaped.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(quote.JSON(buf.Bytes()))
	return err
}

// showProblems gives the schema-input problems of err (the loader's or the
// planner's, one *model.Problems) the views a command's caller asked for:
// with asJSON the problems document on stdout, and nothing more on stderr
// (a *ReportedError); with annotate (in a GitHub Actions job) their
// annotations on stdout as well as the text main prints on stderr. Any
// other error, or one a view already reported, is returned as it is.
func showProblems(e *env, err error, asJSON, annotate bool) error {
	var problems *model.Problems
	var reported *ReportedError
	if !errors.As(err, &problems) || errors.As(err, &reported) {
		return err
	}
	if asJSON {
		if werr := writeProblemsJSON(e.stdout, problems.List); werr != nil {
			return werr
		}
		return &ReportedError{Err: err}
	}
	if annotate {
		if werr := writeAnnotations(e.stdout, problems.List); werr != nil {
			return werr
		}
	}
	return err
}

// inActions reports whether the command runs in a GitHub Actions job,
// where problems are also written as annotations on the files.
func inActions() bool { return os.Getenv("GITHUB_ACTIONS") == "true" }

// writeAnnotations writes problems as GitHub Actions workflow commands
// (::error file=…,line=…,col=…::message), which the runner shows as
// annotations on the files of a pull request.
func writeAnnotations(w io.Writer, problems []model.Problem) error {
	var buf bytes.Buffer
	for _, p := range problems {
		buf.WriteString(annotation(p) + "\n")
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// annotation is the workflow command of one problem. Properties that are
// unknown are left out. Line breaks are escaped as the runner expects
// (%0A); any other control character, which the runner would print raw
// into the log, as a Go escape (quote.Line).
func annotation(p model.Problem) string {
	var props []string
	if p.Pos.File != "" {
		props = append(props, "file="+quote.Line(escapeProperty(p.Pos.File)))
		if p.Pos.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", p.Pos.Line))
			if p.Pos.Col > 0 {
				props = append(props, fmt.Sprintf("col=%d", p.Pos.Col))
			}
		}
	}
	cmd := "::" + p.Severity.String()
	if len(props) > 0 {
		cmd += " " + strings.Join(props, ",")
	}
	return cmd + "::" + quote.Line(escapeData(p.Message))
}

// escapeData escapes the message of a workflow command as the runner
// expects (actions/toolkit's escapeData): %, carriage return and newline.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a property value of a workflow command (toolkit's
// escapeProperty): as escapeData, and also the separators : and ,.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
