package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/quote"
	"github.com/ctxschema/ctxschema/internal/render"
)

// historyFormats are the views of the history: a table for people, a JSON
// document for tools.
var historyFormats = formats[func(io.Writer, []catalog.Entry, bool) error]{
	{"text", writeHistoryText},
	{"json", writeHistoryJSON},
}

func historyCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:  "history",
		Usage: "list past applies and mode switches",
		Flags: []ucli.Flag{dbFlag(), targetFlags()[0], targetFlags()[1],
			historyFormats.flag(),
			verboseFlag("list the changes of each apply under it (text format; json always has them)"),
		},
		CustomHelpTemplate: commandHelp(exitDocOK, exitDocError),
		Action: func(c *ucli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			view, err := historyFormats.choose("history", c.String("format"))
			if err != nil {
				return err
			}
			return runHistory(c.Context, e, targetOf(c), view, c.Bool("verbose"))
		},
	}
}

// historyDoc is the JSON output of history.
type historyDoc struct {
	// FormatVersion is render.FormatVersion.
	FormatVersion string `json:"format_version"`
	// Entries are the applies and mode switches, oldest first; never null.
	Entries []historyEntry `json:"entries"`
}

// historyEntry is the JSON form of a history row.
type historyEntry struct {
	ID      int64  `json:"id"`
	At      string `json:"at"`
	Kind    string `json:"kind"`
	Actor   string `json:"actor"`
	Summary string `json:"summary"`
	Detail  string `json:"detail"`
	// Revision is the git commit the entry was made from, Run the CI run
	// (a URL on GitHub Actions); "" when unknown.
	Revision string `json:"revision"`
	Run      string `json:"run"`
}

func runHistory(ctx context.Context, e *env, db targetOptions, view func(io.Writer, []catalog.Entry, bool) error, verbose bool) error {
	t, closeDB, err := openTarget(ctx, db.access(dialect.ReadOnly))
	if err != nil {
		return err
	}
	defer closeDB()
	entries, err := apply.History(ctx, t)
	if err != nil {
		return err
	}
	return view(e.stdout, entries, verbose)
}

// writeHistoryJSON writes the history as a historyDoc.
func writeHistoryJSON(w io.Writer, entries []catalog.Entry, _ bool) error {
	doc := historyDoc{FormatVersion: render.FormatVersion, Entries: []historyEntry{}}
	for _, h := range entries {
		doc.Entries = append(doc.Entries, historyEntry{h.ID, h.At.UTC().Format(time.RFC3339), h.Kind, h.Actor, h.Summary, h.Detail, h.Revision, h.Run})
	}
	return writeJSON(w, doc)
}

// writeHistoryText writes the history as a table, with the changes of each
// apply under it when verbose.
func writeHistoryText(w io.Writer, entries []catalog.Entry, verbose bool) error {
	if len(entries) == 0 {
		_, err := fmt.Fprintln(w, "No history yet.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tAT\tKIND\tACTOR\tREVISION\tSUMMARY")
	for _, h := range entries {
		// The history is a table anyone with write access can edit: no
		// field may break the layout or drive the terminal.
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", h.ID, h.At.UTC().Format(time.RFC3339), quote.Line(h.Kind), quote.Line(h.Actor), quote.Line(shortRevision(h.Revision)), quote.Line(h.Summary))
		if h.Run != "" {
			fmt.Fprintf(tw, "\t\t\t\t\t  run %s\n", quote.Line(h.Run))
		}
		if verbose && h.Detail != "" {
			for _, line := range quote.Lines(h.Detail) {
				fmt.Fprintf(tw, "\t\t\t\t\t  %s\n", line)
			}
		}
	}
	return tw.Flush()
}

// shortRevision abbreviates a git commit to 12 characters, as git does for
// people; "-" when unknown.
func shortRevision(rev string) string {
	switch {
	case rev == "":
		return "-"
	case len(rev) > 12:
		return rev[:12]
	}
	return rev
}
