package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/render"
	"github.com/ctxschema/ctxschema/internal/schemafile"
	"github.com/ctxschema/ctxschema/plan"
)

// diffOptions are the arguments and flags of diff.
type diffOptions struct {
	// From and To are the schema directories compared: the change takes
	// From to To.
	From, To string
	Format   render.Format
	Detailed bool
	NoColor  bool
}

// diffFormats are the formats diff renders: a diff runs without a database,
// so it has no SQL.
func diffFormats() formats[render.Format] {
	var fs formats[render.Format]
	for _, f := range planFormats() {
		if f.view != render.SQL {
			fs = append(fs, f)
		}
	}
	return fs
}

func diffCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "diff",
		Usage:     "compare two schema directories offline, for code review",
		ArgsUsage: "A B",
		Description: "Loads the schema files of directories A (before) and B (after) and shows\n" +
			"the changes that would take a database from A to B, as plan shows them,\n" +
			"without a database: nothing is measured and no SQL is rendered. A change\n" +
			"that loses data is marked destructive; one that fails on data that does\n" +
			"not fit (a shorter length, a new mandatory attribute or unique key) is\n" +
			"marked narrowing: plan checks it on the live data. Compare\n" +
			"two git revisions by checking one out with git worktree add.",
		Flags: []ucli.Flag{
			diffFormats().flag(),
			&ucli.BoolFlag{
				Name:  "detailed-exitcode",
				Usage: "exit with code 2 when there are changes (0 when there are none)",
			},
			noColorFlag(),
		},
		CustomHelpTemplate: commandHelp(
			exitDoc{0, "success: no changes, or changes without --detailed-exitcode"},
			exitDoc{1, "error: I/O, usage"},
			exitDoc{2, "--detailed-exitcode: there are changes"},
			exitDoc{4, "invalid schema files in A or B"},
		),
		Action: func(c *ucli.Context) error {
			opts, err := parseDiffOptions(c)
			if err != nil {
				return err
			}
			return runDiff(c.Context, e, opts)
		},
	}
}

// parseDiffOptions reads and checks diff's arguments and flags.
func parseDiffOptions(c *ucli.Context) (diffOptions, error) {
	for _, a := range c.Args().Slice() {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			// urfave/cli stops reading flags at the first argument.
			return diffOptions{}, fmt.Errorf("flag %s comes after the directories; put flags first: ctxschema diff [flags] A B", quoteArg(a))
		}
	}
	if n := c.Args().Len(); n != 2 {
		return diffOptions{}, fmt.Errorf("diff takes two schema directories, A (before) and B (after), got %s; run 'ctxschema diff --help' for usage", plural(n, "argument"))
	}
	f, err := diffFormats().choose("diff", c.String("format"))
	if err != nil {
		if sql, _ := planFormats().choose("diff", c.String("format")); sql == render.SQL {
			return diffOptions{}, fmt.Errorf("diff has no SQL to show: it compares schema files without a database; use --format %s, or run 'ctxschema plan --format sql' against a database", orList(diffFormats().names()))
		}
		return diffOptions{}, err
	}
	return diffOptions{From: c.Args().Get(0), To: c.Args().Get(1), Format: f, Detailed: c.Bool("detailed-exitcode"), NoColor: c.Bool("no-color")}, nil
}

// runDiff loads both directories, plans the change from A to B as if A
// were applied to a database in maintenance mode, with no data and no
// drift, and renders it.
func runDiff(ctx context.Context, e *env, opts diffOptions) error {
	from, to, err := loadPair(e, opts.From, opts.To)
	if err != nil {
		return err
	}
	st := &plan.State{Catalog: from.Schema, Mode: model.Maintenance}
	p, err := plan.Build(ctx, st, to.Schema, nil)
	if err != nil {
		return err
	}
	// A diff has no database, so no mode: the views leave it out.
	p.Mode = ""
	ro := render.Options{Format: opts.Format, Color: opts.Format == render.Text && colorOn(e.stdout, opts.NoColor), Title: "ctxschema diff"}
	if err := render.Plan(e.stdout, p, ro); err != nil {
		return err
	}
	if opts.Detailed && !p.Empty() {
		return ErrChanges
	}
	return nil
}

// loadPair loads two schema directories. When both are invalid, the
// problems of both are reported together.
func loadPair(e *env, a, b string) (*schemafile.Result, *schemafile.Result, error) {
	load := func(dir string) (*schemafile.Result, error) {
		// The loader's own message for a missing directory speaks of --dir,
		// which diff does not have.
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, &model.Problems{List: []model.Problem{{Severity: model.SeverityError,
				Message: fmt.Sprintf("%s is not a directory of schema files; diff compares two of them: ctxschema diff A B", quoteArg(dir))}}}
		}
		return loadSchemas(e, dir)
	}
	ra, errA := load(a)
	rb, errB := load(b)
	var pa, pb *model.Problems
	switch {
	case errors.As(errA, &pa) && errors.As(errB, &pb):
		return nil, nil, &model.Problems{List: append(append([]model.Problem(nil), pa.List...), pb.List...)}
	case errA != nil:
		return nil, nil, errA
	case errB != nil:
		return nil, nil, errB
	}
	return ra, rb, nil
}
