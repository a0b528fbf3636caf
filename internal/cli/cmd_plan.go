package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/planfile"
	"github.com/ctxschema/ctxschema/internal/render"
	"github.com/ctxschema/ctxschema/internal/schemafile"
	"github.com/ctxschema/ctxschema/internal/tenant"
	"github.com/ctxschema/ctxschema/plan"
)

// planOptions are the flags of plan.
type planOptions struct {
	Dir, DB          string
	Format           render.Format
	Out              string
	DetailedExitcode bool
	Verbose          bool
	Target           targetOptions
	NoColor          bool
	// DriftOnly plans the repairs of drift alone (no schema files read).
	DriftOnly bool
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
			"its risk and the live data it touches. Changes nothing. Exits 5 when a data\n" +
			"check fails (a change that can never succeed, even in production mode), else\n" +
			"3 when the database is in production mode and there are changes; with\n" +
			"--detailed-exitcode, 2 when there are changes. --out saves the plan, bound\n" +
			"to this database, for `ctxschema apply FILE` (see also `ctxschema show`).\n\n" +
			"With --drift-only it reads no schema files and reports only drift: what\n" +
			"the database lost or changed outside ctxschema since the last apply (an\n" +
			"index dropped by hand, a column altered), as the repairs apply would make.\n" +
			"It refuses nothing; with --detailed-exitcode it exits 2 when there is drift.",
		Flags: append([]ucli.Flag{
			dirFlag(), dbFlag(), targetFlags()[0], targetFlags()[1], planFormats().flag(), verboseFlag("show the SQL of every change (text format)"), noColorFlag(),
			&ucli.StringFlag{Name: "out", Usage: "save the plan to `FILE` for `ctxschema apply FILE`"},
			&ucli.BoolFlag{Name: "detailed-exitcode", Usage: "exit 2 when there are changes, 0 when there are none"},
			&ucli.BoolFlag{Name: "drift-only", Usage: "report only drift between the catalog and the database (no schema files read; --dir is ignored)"},
		}, fanoutFlags()...),
		CustomHelpTemplate: commandHelp(
			exitDoc{0, "success: no changes, or changes without --detailed-exitcode"},
			exitDocError,
			exitDoc{2, "--detailed-exitcode: there are changes (with --drift-only: there is drift)"},
			exitDoc{3, "the database is in production mode and there are changes"},
			exitDoc{4, "invalid schema files"},
			exitDoc{5, "a change fails a data check on the data in the database, in any mode"},
		),
		Action: func(c *ucli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			f, err := planFormats().choose("plan", c.String("format"))
			if err != nil {
				return err
			}
			opts := planOptions{
				Dir: c.String("dir"), DB: c.String("db"), Format: f, Out: c.String("out"),
				DetailedExitcode: c.Bool("detailed-exitcode"), Verbose: c.Bool("verbose"),
				Target:  targetOf(c),
				NoColor: c.Bool("no-color"), DriftOnly: c.Bool("drift-only"),
			}
			fo, all, err := fanoutOf(e, c)
			if err != nil {
				return err
			}
			if all {
				err = planTenants(c.Context, e, opts, fo)
			} else {
				err = runPlan(c.Context, e, opts)
			}
			// The loader's and the planner's problems alike: JSON for
			// --format json, annotations in a GitHub Actions job.
			return showProblems(e, err, f == render.JSON, inActions())
		},
	}
}

func runPlan(ctx context.Context, e *env, opts planOptions) error {
	if opts.DriftOnly {
		return runDriftPlan(ctx, e, opts)
	}
	ahead := startReadAhead(ctx, opts.Target.access(dialect.ReadOnly))
	res, err := loadSchemas(ctx, e, opts.Dir)
	if err != nil {
		ahead.abandon()
		return err
	}
	var p *plan.Plan
	t, closeDB, st, err := ahead.wait()
	switch {
	case notExist(err):
		// Planned from an empty state, as openToPlan says.
		if t, closeDB, err = openToPlan(ctx, e, opts.Target); err != nil {
			return err
		}
		defer closeDB()
		p, err = apply.Prepare(ctx, t, res.Schema)
	case err != nil:
		return err
	default:
		defer closeDB()
		p, err = apply.PrepareInspected(ctx, t, st, res.Schema, false)
	}
	if err != nil {
		return err
	}
	e.tell(p)
	ro := renderOptions(t, opts.Format, opts.Verbose, colorOn(e.stdout, opts.NoColor))
	refusal := apply.Refuse(p, false)
	ro.Refusal = refusalOf(refusal)
	if err := render.Plan(e.stdout, p, ro); err != nil {
		return err
	}
	if opts.Out != "" {
		redacted := dialect.Redact(opts.DB) != opts.DB
		if err := savePlan(opts.Out, p, res.Schema, ro, redacted); err != nil {
			return err
		}
		how := "ctxschema apply " + opts.Out
		if redacted {
			how = "ctxschema apply --db URL " + opts.Out + " (the file keeps the database's URL without its password: give it again with --db or CTXSCHEMA_DB)"
		}
		fmt.Fprintf(e.stderr, "Saved the plan to %s, made for %s; apply it with: %s\n", opts.Out, ro.Database, how)
	}
	// plan fails on what no flag of apply allows; data loss is only shown.
	// The view showed the refusal: main prints it no more.
	var unsafe *apply.UnsafeError
	if refusal != nil && !(errors.As(refusal, &unsafe) && unsafe.Reason == apply.NeedsAllowDestructive) {
		return &ReportedError{Err: refusal}
	}
	if opts.DetailedExitcode && !p.Empty() {
		return ErrChanges
	}
	return nil
}

// planTenants is plan --all-tenants: the schema files loaded once, then
// runPlan on every tenant's database.
func planTenants(ctx context.Context, e *env, opts planOptions, fo fanout) error {
	if opts.Out != "" {
		return errors.New("--out saves the plan of one database; with --all-tenants, save each tenant's plan with --tenant ID --out FILE")
	}
	if opts.Format == render.SQL {
		return errors.New("--format sql shows one database's SQL; with --all-tenants use text, json or markdown, or --tenant ID --format sql")
	}
	var res *schemafile.Result
	if !opts.DriftOnly {
		var err error
		if res, err = loadSchemas(ctx, e, opts.Dir); err != nil {
			return err
		}
	}
	fo.Format, fo.DetailedExitcode = opts.Format, opts.DetailedExitcode
	return runFanout(ctx, e, "plan", fo, func(ctx context.Context, t tenant.Tenant, stdout, stderr io.Writer) (int, error) {
		changes := 0
		o := opts
		o.DB, o.Target, o.DetailedExitcode = t.DB, tenantTarget(o.Target, t), false
		err := runPlan(ctx, tenantEnv(e, res, stdout, stderr, &changes), o)
		Report(stderr, err) // into the tenant's own stderr, as main would
		return changes, err
	})
}

// runDriftPlan is plan --drift-only: the repairs of drift, planned from
// the catalog's own schema. It reports and refuses nothing: a nightly job
// tells drift (exit 2 with --detailed-exitcode) from unapplied changes of
// the schema files (plain plan), in any mode.
func runDriftPlan(ctx context.Context, e *env, opts planOptions) error {
	if opts.Out != "" {
		return fmt.Errorf("--out cannot save a --drift-only plan; run 'ctxschema apply' to repair drift, or save a plan without --drift-only")
	}
	t, closeDB, _, err := openExisting(ctx, e, opts.Target.access(dialect.ReadOnly), "it has no drift")
	if err != nil {
		return err
	}
	defer closeDB()
	p, err := apply.PrepareDrift(ctx, t)
	if err != nil {
		return err
	}
	e.tell(p)
	ro := renderOptions(t, opts.Format, opts.Verbose, colorOn(e.stdout, opts.NoColor))
	ro.Title = "ctxschema drift"
	ro.NoChanges = "No drift. The database matches its catalog."
	if err := render.Plan(e.stdout, p, ro); err != nil {
		return err
	}
	if opts.DetailedExitcode && !p.Empty() {
		return ErrChanges
	}
	return nil
}

// savePlan writes the plan file atomically: a crash never leaves half a
// plan under the name.
func savePlan(path string, p *plan.Plan, desired *model.Schema, ro render.Options, redacted bool) error {
	ro.Format = render.JSON
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ctxschema-plan-*")
	if err != nil {
		return fmt.Errorf("saving the plan: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := planfile.Write(tmp, p, desired, render.NewDocument(p, ro), redacted, time.Now()); err != nil {
		tmp.Close()
		return fmt.Errorf("saving the plan to %s: %w", path, err)
	}
	// On disk before the rename: a crash never leaves an empty plan file
	// under the name.
	if err := tmp.Sync(); err != nil {
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

// openToPlan opens the target o names read-only for a plan. A SQLite
// file that does not exist is planned from an empty state and left
// uncreated: the returned Target has no DB, which apply's Target reads as
// a database with nothing in it.
func openToPlan(ctx context.Context, e *env, o targetOptions) (apply.Backend, func(), error) {
	t, closeDB, _, err := openExisting(ctx, e, o.access(dialect.ReadOnly), "the plan creates everything; apply creates the database")
	return t, closeDB, err
}

// openExisting opens the target o names with o.Access (ReadOnly or
// WriteExisting), or, when it is a database that does not exist, says so
// on stderr with what happens next (then) and returns a Target without
// DB, and missing true.
func openExisting(ctx context.Context, e *env, o targetOptions, then string) (apply.Backend, func(), bool, error) {
	t, closeDB, err := openTarget(ctx, o)
	var notExist *dialect.NotExistError
	if !errors.As(err, &notExist) {
		return t, closeDB, false, err
	}
	d, err := registry().Lookup(o.URL)
	if err != nil {
		return nil, nil, false, err
	}
	fmt.Fprintf(e.stderr, "Database %q does not exist yet: %s.\n", notExist.Database, then)
	return apply.Target{Dialect: d, URL: o.URL}, func() {}, true, nil
}
