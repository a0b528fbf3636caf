package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/planfile"
	"github.com/ctxschema/ctxschema/internal/render"
	"github.com/ctxschema/ctxschema/internal/tenant"
	"github.com/ctxschema/ctxschema/plan"
)

// applyOptions are the flags and argument of apply.
type applyOptions struct {
	Dir, DB string
	// DirSet and DBSet say whether --dir and --db (or their environment
	// variables) were given: a saved plan is checked against the schema
	// files only when asked, and applied to its own database unless told
	// another.
	DirSet, DBSet    bool
	PlanFile         string
	AutoApprove      bool
	AllowDestructive bool
	LockTimeout      time.Duration
	Verbose          bool
	Progress         bool
	Target           targetOptions
	NoColor          bool
	// View makes the view that reports the plan, the apply's events and
	// its outcome.
	View func(*env, applyOptions) (applyView, error)
}

// applyFormats are the views of apply: text for people (the plan and the
// summary on stdout, what it is doing on stderr), json for tools (a stream
// of events on stdout, one JSON object per line).
var applyFormats = formats[func(*env, applyOptions) (applyView, error)]{
	{"text", newTextApplyView},
	{"json", newJSONApplyView},
}

func applyCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "apply",
		Usage:     "make the database match the schema files",
		ArgsUsage: "[PLANFILE]",
		Description: "Plans, shows the plan, and applies it in one transaction under the apply lock,\n" +
			"then checks that the database converged. Without --auto-approve it asks for\n" +
			"'yes' on a terminal and refuses without one. `apply PLANFILE` applies a plan\n" +
			"saved by `plan --out` exactly, to the database it was made for (give --db\n" +
			"when its URL had a password; another database is refused), and refuses\n" +
			"(exit 5) when that database changed since, or, with --dir, when the schema\n" +
			"files there no longer say what the plan reaches. While it works, it says on\n" +
			"stderr what it is doing: waiting for the lock, each change with its time.\n" +
			"--format json writes all of it on stdout instead, as one JSON event per\n" +
			"line, for tools.",
		Flags: append([]ucli.Flag{
			dirFlag(), dbFlag(), targetFlags()[0], targetFlags()[1], applyFormats.flag(), verboseFlag("show the SQL of every change (text format)"), noColorFlag(),
			&ucli.BoolFlag{Name: "auto-approve", Usage: "apply without asking for confirmation"},
			&ucli.BoolFlag{Name: "allow-destructive", Usage: "allow changes that lose data (deleting attributes or extensions, narrowing types)"},
			lockTimeoutFlag(),
			&ucli.BoolFlag{Name: "progress", Usage: "show how far online index builds have come even when stderr is not a terminal"},
		}, fanoutFlags()...),
		CustomHelpTemplate: commandHelp(
			exitDoc{0, "success: applied, or nothing to change"},
			exitDoc{1, "error: database or server unreachable, I/O, a failed apply (rolled back; through the API, stopped part way), lock timeout, not approved, interrupted"},
			exitDoc{3, "the database is in production mode"},
			exitDoc{4, "invalid schema files"},
			exitDoc{5, "a destructive change without --allow-destructive, a failing data check, or a stale saved plan"},
		),
		Action: func(c *ucli.Context) error {
			if err := flagsFirst(c, "ctxschema apply [flags] [PLANFILE]"); err != nil {
				return err
			}
			if c.NArg() > 1 {
				return fmt.Errorf("apply takes at most one argument, the plan file; got %d", c.NArg())
			}
			view, err := applyFormats.choose("apply", c.String("format"))
			if err != nil {
				return err
			}
			opts := applyOptions{
				Dir: c.String("dir"), DB: c.String("db"), PlanFile: c.Args().First(),
				DirSet: c.IsSet("dir") && c.String("dir") != "", DBSet: c.IsSet("db") && c.String("db") != "",
				AutoApprove: c.Bool("auto-approve"), AllowDestructive: c.Bool("allow-destructive"),
				LockTimeout: c.Duration("lock-timeout"), Verbose: c.Bool("verbose"),
				Progress: c.Bool("progress") || isTerminal(e.stderr),
				Target:   targetOf(c),
				NoColor:  c.Bool("no-color"),
				View:     view,
			}
			fo, all, err := fanoutOf(e, c)
			if err != nil {
				return err
			}
			// The text view's schema problems also become annotations in
			// a GitHub Actions job; the JSON view reports its own.
			if all {
				// apply's formats, text and json, are the fan-out's too.
				fo.Format = render.Format(strings.ToLower(strings.TrimSpace(c.String("format"))))
				return showProblems(e, applyTenants(c.Context, e, opts, fo), false, inActions())
			}
			return showProblems(e, runApply(c.Context, e, opts), false, inActions())
		},
	}
}

func runApply(ctx context.Context, e *env, opts applyOptions) error {
	view, err := opts.View(e, opts)
	if err != nil {
		return err
	}
	return view.outcome(applyPlan(ctx, e, opts, view))
}

// applyPlan plans, shows the plan through view, and applies it.
func applyPlan(ctx context.Context, e *env, opts applyOptions, view applyView) error {
	// Where the change comes from, for the history: git runs on its own
	// while the files load and the plan is made, never under the lock.
	provenance := make(chan [2]string, 1)
	go func() {
		revision, run := apply.Provenance(ctx)
		provenance <- [2]string{revision, run}
	}()
	// Schema files (not a saved plan, which names its own database): the
	// database is read while they load, on a read-only connection, or on
	// the connection the apply runs on when opening it for writing writes
	// nothing (readAheadAccess): each connection to PostgreSQL is a new
	// server backend.
	var ahead *readAhead
	if opts.PlanFile == "" {
		o := opts.Target
		o.URL = opts.DB
		ahead = startReadAhead(ctx, o.access(readAheadAccess(o.URL)))
	}
	desired, saved, err := applyInput(ctx, e, &opts)
	if err != nil {
		if ahead != nil {
			ahead.abandon()
		}
		return err
	}
	opts.Target.URL = opts.DB // a saved plan's own database unless --db
	// A person who confirms on a terminal sees every data check first;
	// otherwise the duplicate checks of new unique indexes are left to the
	// index builds, which refuse duplicates themselves (exit 5 with the
	// same counts): the table is read once, not twice.
	toApply := opts.AutoApprove || saved != nil
	var t apply.Backend
	closeDB, missing := func() {}, false
	defer func() { closeDB() }()
	var p *plan.Plan
	// inspected is the state p is planned from, when known: apply reuses
	// it under the lock when the database says it did not change since.
	var inspected *plan.State
	if ahead != nil && ahead.access != dialect.ReadOnly {
		// The read-ahead opened the database for the apply. One that it
		// could not open or read is opened again below, which says why.
		b, closeB, st, err := ahead.wait()
		ahead = nil
		if err == nil {
			t, closeDB, inspected = b, closeB, st
			if p, err = apply.PrepareInspected(ctx, b, st, desired, toApply); err != nil {
				return err
			}
		}
	}
	if t == nil {
		// A database that does not exist yet is created only once the plan
		// is neither refused nor declined: planned from nothing until then.
		b, closeB, m, err := openExisting(ctx, e, opts.Target.access(dialect.WriteExisting), "the plan creates everything, and apply creates the database once it runs")
		if err != nil {
			if ahead != nil {
				ahead.abandon()
			}
			return err
		}
		t, closeDB, missing = b, closeB, m
	}
	if ahead != nil {
		// A database that does not exist yet, or that the read-only
		// connection could not read, is planned below as without the read.
		if ro, closeRO, st, err := ahead.wait(); err == nil {
			if !missing {
				p, err = apply.PrepareInspected(ctx, ro, st, desired, toApply)
				inspected = st
			}
			closeRO()
			if err != nil {
				return err
			}
		}
	}
	if p == nil {
		prepare := apply.Prepare
		if toApply {
			prepare = apply.PrepareToApply
		}
		if p, err = prepare(ctx, t, desired); err != nil {
			return err
		}
		if missing {
			// What a database that does not exist yet holds: nothing.
			if inspected, err = t.State(ctx); err != nil {
				return err
			}
		}
	}
	e.tell(p)
	ro := renderOptions(t, render.Text, opts.Verbose, colorOn(e.stdout, opts.NoColor))
	var refusal error
	if saved != nil {
		refusal = apply.RefuseSaved(p, saved.expect, opts.AllowDestructive)
		if refusal == nil && !sameChanges(saved.Plan, render.NewDocument(p, ro)) {
			refusal = &apply.StaleError{What: "the list of changes"}
		}
	} else {
		refusal = apply.Refuse(p, opts.AllowDestructive)
	}
	ro.Refusal = refusalOf(refusal)
	if err := view.plan(p, ro); err != nil {
		return err
	}
	if refusal != nil {
		// The view showed the refusal: main prints it no more.
		return &ReportedError{Err: refusal}
	}
	if p.Empty() {
		return view.complete(p)
	}
	if saved == nil && !opts.AutoApprove {
		if err := confirm(ctx, e); err != nil {
			return err
		}
	}
	prov := <-provenance
	revision, run := prov[0], prov[1]
	runOpts := apply.Options{
		Revision: revision, Run: run,
		AllowDestructive: opts.AllowDestructive,
		LockTimeout:      opts.LockTimeout,
		Expect:           &p.Fingerprint,
		Inspected:        inspected,
		Planned:          p,
		AsShown:          saved == nil, // a saved plan runs on its own state alone
		Events:           view.event,
		Progress:         view.showsProgress(),
		Log: func(format string, args ...any) {
			view.flush() // after the events before it
			fmt.Fprintf(e.stderr, format+"\n", args...)
		},
	}
	if missing {
		if t, closeDB, err = openTarget(ctx, opts.Target.access(dialect.ReadWrite)); err != nil {
			return err
		}
	}
	res, err := apply.Run(ctx, t, desired, runOpts)
	if err != nil {
		return view.refused(err)
	}
	e.tell(res.Plan)
	return view.complete(res.Plan)
}

// applyTenants is apply --all-tenants: the schema files loaded once, then
// runApply on every tenant's database, each with every guarantee of a
// single apply (lock, transaction, refusals, convergence).
func applyTenants(ctx context.Context, e *env, opts applyOptions, fo fanout) error {
	if opts.PlanFile != "" {
		return fmt.Errorf("a saved plan belongs to one database; apply %s with --tenant ID, or drop it to apply the schema files to every tenant", opts.PlanFile)
	}
	if !opts.AutoApprove {
		return errors.New("apply --all-tenants does not ask for each tenant: review the plans with 'ctxschema plan --all-tenants', then rerun with --auto-approve")
	}
	res, err := loadSchemas(ctx, e, opts.Dir)
	if err != nil {
		return err
	}
	return runFanout(ctx, e, "apply", fo, func(ctx context.Context, t tenant.Tenant, stdout, stderr io.Writer) (int, error) {
		changes := 0
		o := opts
		o.DB, o.Target = t.DB, tenantTarget(o.Target, t)
		err := runApply(ctx, tenantEnv(e, res, stdout, stderr, &changes), o)
		Report(stderr, err) // into the tenant's own stderr, as main would
		return changes, err
	})
}

// savedPlan is a plan file to apply, and the fingerprint that apply
// expects of the plan it makes again.
type savedPlan struct {
	*planfile.File
	// expect is the file's fingerprint, with the hash of the schema files
	// in --dir for the schema it reaches when --dir was given: files that
	// say something else make the plan stale, refused in the order of
	// apply.Refuse.
	expect plan.Fingerprint
}

// applyInput returns the desired schema: from the schema files, or from a
// saved plan. For a saved plan it sets opts.DB to the plan's database
// unless another was given, which must then be the same, and reads the
// schema files only when --dir was given: whether ./schemas happens to
// exist changes nothing.
func applyInput(ctx context.Context, e *env, opts *applyOptions) (*model.Schema, *savedPlan, error) {
	if opts.PlanFile == "" {
		res, err := loadSchemas(ctx, e, opts.Dir)
		if err != nil {
			return nil, nil, err
		}
		return res.Schema, nil, nil
	}
	f, desired, err := readPlanFile(ctx, opts.PlanFile)
	if err != nil {
		return nil, nil, err
	}
	db, err := savedDatabase(opts.PlanFile, f, opts.DB, opts.DBSet)
	if err != nil {
		return nil, nil, err
	}
	opts.DB = db
	saved := &savedPlan{File: f, expect: f.Fingerprint}
	if opts.DirSet {
		res, err := loadSchemas(ctx, e, opts.Dir)
		if err != nil {
			return nil, nil, err
		}
		saved.expect.Desired = plan.SchemaHash(res.Schema)
	}
	return desired, saved, nil
}

// savedDatabase is the URL to apply the plan saved in file to: the given
// one when set, which must be the database the plan was made for, or else
// the plan's own, unless its password was redacted.
func savedDatabase(file string, saved *planfile.File, given string, set bool) (string, error) {
	if !set {
		if saved.DatabaseRedacted {
			return "", fmt.Errorf("%s was made for %s, and the plan file does not keep its password: give the database's URL with --db or CTXSCHEMA_DB", file, saved.Database)
		}
		return saved.Database, nil
	}
	if got := dialect.Redact(given); got != saved.Database && !sameDatabase(saved.Database, given) {
		return "", fmt.Errorf("%s was made for %s, not %s: apply it to the database it was made for (drop --db and CTXSCHEMA_DB, or give that URL), or plan again for this one", file, saved.Database, got)
	}
	return given, nil
}

// sameDatabase reports whether the URL a plan was saved for and the given
// one name the same database in different words (sqlite://x.db and
// sqlite://./x.db), as their dialect tells.
func sameDatabase(saved, given string) bool {
	r := registry()
	d, err := r.Lookup(given)
	if err != nil {
		return false
	}
	if s, err := r.Lookup(saved); err != nil || s.Scheme() != d.Scheme() {
		return false
	}
	c, ok := d.(dialect.DatabaseComparer)
	return ok && c.SameDatabase(saved, given)
}

func lockTimeoutFlag() *ucli.DurationFlag {
	return &ucli.DurationFlag{Name: "lock-timeout", Value: 30 * time.Second, Usage: "how long to wait for another apply's lock"}
}

// errNotApproved is returned when the user did not confirm an apply.
var errNotApproved = errors.New("apply cancelled: the answer was not 'yes'; nothing changed")

// confirm asks for "yes" on the terminal; without one it refuses. It
// returns as soon as ctx is cancelled (Ctrl-C at the prompt), without
// waiting for the answer.
func confirm(ctx context.Context, e *env) error {
	if !isTerminal(e.stdin) {
		return errors.New("refusing to apply without confirmation: stdin is not a terminal; review the plan and rerun with --auto-approve (or apply a saved plan file)")
	}
	fmt.Fprint(e.stderr, "\nDo you want to apply these changes? Only 'yes' will be accepted: ")
	// A read from a terminal cannot be cancelled: it runs on a goroutine
	// that is left behind, blocked, when ctx ends first; the process exits
	// soon after.
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(e.stdin).ReadString('\n')
		answer <- line
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(e.stderr)
		return fmt.Errorf("apply cancelled at the prompt; nothing changed: %w", ctx.Err())
	case line := <-answer:
		if strings.TrimSpace(line) != "yes" {
			return errNotApproved
		}
		return nil
	}
}

// sameChanges reports whether two plan documents hold the same changes, in
// the same order, with the same SQL.
func sameChanges(a, b render.Document) bool {
	if len(a.Changes) != len(b.Changes) {
		return false
	}
	for i := range a.Changes {
		x, y := a.Changes[i], b.Changes[i]
		if x.Action != y.Action || x.Object != y.Object || strings.Join(x.SQL, ";") != strings.Join(y.SQL, ";") || strings.Join(x.After, ";") != strings.Join(y.After, ";") {
			return false
		}
	}
	return true
}
