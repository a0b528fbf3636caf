package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/planfile"
	"github.com/ctxschema/ctxschema/internal/render"
	"github.com/ctxschema/ctxschema/plan"
)

// planOptions are the flags of plan.
type planOptions struct {
	Dir, DB          string
	Format           render.Format
	Out              string
	DetailedExitcode bool
	Verbose          bool
	NoColor          bool
}

func verboseFlag(usage string) *ucli.BoolFlag {
	return &ucli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: usage}
}

// noColorFlag is the --no-color flag of the commands that colour their
// text output; NO_COLOR (set and not empty) and TERM=dumb do the same.
func noColorFlag() *ucli.BoolFlag {
	return &ucli.BoolFlag{Name: "no-color", Usage: "never colour the output (also: NO_COLOR set and not empty, or TERM=dumb)"}
}

func planCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:  "plan",
		Usage: "show what apply would change in the database",
		Description: "Compares the schema files with the live database and prints every change,\n" +
			"its risk and the live data it touches. Changes nothing. Exits 3 when the\n" +
			"database is in production mode and there are changes, 5 when a data check\n" +
			"fails; with --detailed-exitcode, 2 when there are changes.",
		Flags: []ucli.Flag{
			dirFlag(), dbFlag(), planFormats().flag(), verboseFlag("show the SQL of every change (text format)"), noColorFlag(),
			&ucli.StringFlag{Name: "out", Usage: "save the plan to `FILE` for `ctxschema apply FILE`"},
			&ucli.BoolFlag{Name: "detailed-exitcode", Usage: "exit 2 when there are changes, 0 when there are none"},
		},
		CustomHelpTemplate: commandHelp(
			exitDoc{0, "success: no changes, or changes without --detailed-exitcode"},
			exitDocError,
			exitDoc{2, "--detailed-exitcode: there are changes"},
			exitDoc{3, "the database is in production mode and there are changes"},
			exitDoc{4, "invalid schema files"},
			exitDoc{5, "a change fails a data check on the data in the database"},
		),
		Action: func(c *ucli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			f, err := planFormats().choose("plan", c.String("format"))
			if err != nil {
				return err
			}
			return runPlan(c.Context, e, planOptions{
				Dir: c.String("dir"), DB: c.String("db"), Format: f, Out: c.String("out"),
				DetailedExitcode: c.Bool("detailed-exitcode"), Verbose: c.Bool("verbose"),
				NoColor: c.Bool("no-color"),
			})
		},
	}
}

func runPlan(ctx context.Context, e *env, opts planOptions) error {
	res, err := loadSchemas(e, opts.Dir)
	if err != nil {
		return err
	}
	t, closeDB, err := openTarget(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer closeDB()
	p, err := apply.Prepare(ctx, t, res.Schema)
	if err != nil {
		return err
	}
	ro := renderOptions(t, opts.Format, opts.Verbose, colorOn(e.stdout, opts.NoColor))
	refusal := apply.Refuse(p, false)
	ro.Refusal = refusalView(refusal)
	if err := render.Plan(e.stdout, p, ro); err != nil {
		return err
	}
	if opts.Out != "" {
		if err := savePlan(opts.Out, p, res.Schema, ro); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "Saved the plan to %s; apply it with: ctxschema apply %s\n", opts.Out, opts.Out)
	}
	// plan fails on what no flag of apply allows; data loss is only shown.
	var unsafe *apply.UnsafeError
	if refusal != nil && !(errors.As(refusal, &unsafe) && unsafe.Reason == apply.NeedsAllowDestructive) {
		// The view showed it.
		return &ReportedError{Err: refusal}
	}
	if opts.DetailedExitcode && !p.Empty() {
		return ErrChanges
	}
	return nil
}

// savePlan writes the plan file atomically: a crash never leaves half a
// plan under the name.
func savePlan(path string, p *plan.Plan, desired *model.Schema, ro render.Options) error {
	ro.Format = render.JSON
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ctxschema-plan-*")
	if err != nil {
		return fmt.Errorf("saving the plan: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := planfile.Write(tmp, p, desired, render.NewDocument(p, ro), time.Now()); err != nil {
		tmp.Close()
		return fmt.Errorf("saving the plan to %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving the plan to %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("saving the plan to %s: %w", path, err)
	}
	return nil
}
