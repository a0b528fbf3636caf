package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/input"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/planfile"
	"github.com/ctxschema/ctxschema/internal/render"
	"github.com/ctxschema/ctxschema/internal/schemafile"
	"github.com/ctxschema/ctxschema/plan"
)

// applyOptions are the flags and argument of apply.
type applyOptions struct {
	Dir, DB          string
	PlanFile         string
	AutoApprove      bool
	AllowDestructive bool
	LockTimeout      time.Duration
	Verbose          bool
	Progress         bool
}

func applyCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "apply",
		Usage:     "make the database match the schema files",
		ArgsUsage: "[PLANFILE]",
		Description: "Plans, shows the plan, and applies it in one transaction under the apply lock,\n" +
			"then checks that the database converged. Without --auto-approve it asks for\n" +
			"'yes' on a terminal and refuses without one. `apply PLANFILE` applies a plan\n" +
			"saved by `plan --out` exactly, and refuses (exit 5) when the database or the\n" +
			"schema files changed since.",
		Flags: []ucli.Flag{
			dirFlag(), dbFlag(), verboseFlag(),
			&ucli.BoolFlag{Name: "auto-approve", Usage: "apply without asking for confirmation"},
			&ucli.BoolFlag{Name: "allow-destructive", Usage: "allow changes that lose data (deleting attributes or extensions, narrowing types)"},
			lockTimeoutFlag(),
			&ucli.BoolFlag{Name: "progress", Usage: "show the progress of online index builds even when stderr is not a terminal"},
		},
		Action: func(c *ucli.Context) error {
			if err := flagsFirst(c, "ctxschema apply [flags] [PLANFILE]"); err != nil {
				return err
			}
			if c.NArg() > 1 {
				return fmt.Errorf("apply takes at most one argument, the plan file; got %d", c.NArg())
			}
			return runApply(c.Context, e, applyOptions{
				Dir: c.String("dir"), DB: c.String("db"), PlanFile: c.Args().First(),
				AutoApprove: c.Bool("auto-approve"), AllowDestructive: c.Bool("allow-destructive"),
				LockTimeout: c.Duration("lock-timeout"), Verbose: c.Bool("verbose"),
				Progress: c.Bool("progress") || isTerminal(e.stderr),
			})
		},
	}
}

func runApply(ctx context.Context, e *env, opts applyOptions) error {
	desired, saved, err := applyInput(ctx, e, opts)
	if err != nil {
		return err
	}
	t, closeDB, err := openTarget(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer closeDB()
	// A person who confirms on a terminal sees every data check first;
	// otherwise the duplicate checks of new unique indexes are left to the
	// index builds, which refuse duplicates themselves (exit 5 with the
	// same counts): the table is read once, not twice.
	prepare := apply.Prepare
	if opts.AutoApprove || saved != nil {
		prepare = apply.PrepareToApply
	}
	p, err := prepare(ctx, t, desired)
	if err != nil {
		return err
	}
	ro := renderOptions(t, render.Text, opts.Verbose, e.stdout)
	if saved != nil {
		if what := saved.Fingerprint.Diff(p.Fingerprint); what != "" {
			return &apply.StaleError{What: what}
		}
		if !sameChanges(saved.Plan, render.NewDocument(p, ro)) {
			return &apply.StaleError{What: "the list of changes"}
		}
	}
	refusal := apply.Refuse(p, opts.AllowDestructive)
	ro.Refusal = refusalView(refusal)
	if err := render.Plan(e.stdout, p, ro); err != nil {
		return err
	}
	if refusal != nil || p.Empty() {
		return refusal
	}
	if saved == nil && !opts.AutoApprove {
		if err := confirm(e); err != nil {
			return err
		}
	}
	runOpts := apply.Options{
		AllowDestructive: opts.AllowDestructive,
		LockTimeout:      opts.LockTimeout,
		Expect:           &p.Fingerprint,
	}
	if opts.Progress {
		runOpts.Progress = func(format string, args ...any) { fmt.Fprintf(e.stderr, format+"\n", args...) }
	}
	res, err := apply.Run(ctx, t, desired, runOpts)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, summaryLine(res.Plan))
	return nil
}

// applyInput returns the desired schema: from the schema files, or from a
// saved plan after checking that the schema files did not change since.
func applyInput(ctx context.Context, e *env, opts applyOptions) (*model.Schema, *planfile.File, error) {
	if opts.PlanFile == "" {
		res, err := loadSchemas(e, opts.Dir)
		if err != nil {
			return nil, nil, err
		}
		return res.Schema, nil, nil
	}
	b, err := input.ReadFile(ctx, opts.PlanFile, planfile.MaxSize)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the plan file: %w", err)
	}
	saved, desired, err := planfile.Read(bytes.NewReader(b))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", opts.PlanFile, err)
	}
	// The schema files, when present, must still say what the plan reaches.
	if _, err := os.Stat(opts.Dir); err == nil {
		res, err := schemafile.Load(opts.Dir)
		if err != nil {
			return nil, nil, err
		}
		if plan.SchemaHash(res.Schema) != saved.Fingerprint.Desired {
			return nil, nil, &apply.StaleError{What: "the schema files in " + opts.Dir}
		}
	}
	return desired, saved, nil
}

func lockTimeoutFlag() *ucli.DurationFlag {
	return &ucli.DurationFlag{Name: "lock-timeout", Value: 30 * time.Second, Usage: "how long to wait for another apply's lock"}
}

// errNotApproved is returned when the user did not confirm an apply.
var errNotApproved = errors.New("apply cancelled: the answer was not 'yes'; nothing changed")

// confirm asks for "yes" on the terminal; without one it refuses.
func confirm(e *env) error {
	if !isTerminal(e.stdin) {
		return errors.New("refusing to apply without confirmation: stdin is not a terminal; review the plan and rerun with --auto-approve (or apply a saved plan file)")
	}
	fmt.Fprint(e.stderr, "\nDo you want to apply these changes? Only 'yes' will be accepted: ")
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return errNotApproved
	}
	if strings.TrimSpace(line) != "yes" {
		return errNotApproved
	}
	return nil
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
