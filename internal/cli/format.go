package cli

import (
	"fmt"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/ctxschema/ctxschema/internal/render"
)

// outputFormat is one value of a command's --format flag and the view it
// selects, of the command's own type V.
type outputFormat[V any] struct {
	name string
	view V
}

// formats is a command's table of output formats, in the order help lists
// them; the first is the default. It is the one place where --format turns
// into a view, for every command that has the flag: flag builds the flag
// (whose values completion offers), choose reads it.
type formats[V any] []outputFormat[V]

// names lists the format names in order.
func (fs formats[V]) names() []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.name
	}
	return out
}

// flag is the --format flag of a command with these formats.
func (fs formats[V]) flag() ucli.Flag {
	return &choiceFlag{
		StringFlag: &ucli.StringFlag{Name: "format", Value: fs[0].name, Usage: "output format: " + orList(fs.names())},
		choices:    fs.names(),
	}
}

// choose returns the view that name selects (case-insensitive, surrounding
// spaces ignored), or an error naming command and listing the formats.
func (fs formats[V]) choose(command, name string) (V, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, f := range fs {
		if f.name == n {
			return f.view, nil
		}
	}
	var zero V
	return zero, fmt.Errorf("unknown format %s for %s; use %s", quoteArg(name), command, orList(fs.names()))
}

// planFormats are the views of a plan: every format of package render.
func planFormats() formats[render.Format] {
	var fs formats[render.Format]
	for _, f := range render.Formats() {
		fs = append(fs, outputFormat[render.Format]{string(f), f})
	}
	return fs
}

// orList lists names as "text, json or markdown".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// choiceFlag is a string flag that takes one of a fixed set of values,
// which shell completion offers.
type choiceFlag struct {
	*ucli.StringFlag
	choices []string
}

// Choices lists the values the flag takes.
func (f *choiceFlag) Choices() []string { return f.choices }
