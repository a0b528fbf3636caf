package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/quote"
	ucli "github.com/urfave/cli/v2"
)

func historyCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:  "history",
		Usage: "list past applies and mode switches",
		Flags: []ucli.Flag{dbFlag(),
			&ucli.StringFlag{Name: "format", Value: "text", Usage: "output format: text or json"},
			verboseFlag(),
		},
		Action: func(c *ucli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runHistory(c.Context, e, c.String("db"), c.String("format"), c.Bool("verbose"))
		},
	}
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

func runHistory(ctx context.Context, e *env, db, format string, verbose bool) error {
	if format != "text" && format != "json" {
		return fmt.Errorf("unknown format %s: use text or json", quoteArg(format))
	}
	t, closeDB, err := openTarget(ctx, db, dialect.ReadOnly)
	if err != nil {
		return err
	}
	defer closeDB()
	entries, err := apply.History(ctx, t)
	if err != nil {
		return err
	}
	if format == "json" {
		out := []historyEntry{}
		for _, h := range entries {
			out = append(out, historyEntry{h.ID, h.At.UTC().Format(time.RFC3339), h.Kind, h.Actor, h.Summary, h.Detail, h.Revision, h.Run})
		}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s\n", quote.JSON(b))
		return err
	}
	if len(entries) == 0 {
		fmt.Fprintln(e.stdout, "No history yet.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
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
