package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/tenant"
)

func modeCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "mode",
		Usage:     "show or switch the server mode (production refuses every schema change)",
		ArgsUsage: "[production|maintenance]",
		Description: "Without an argument, prints the database's server mode, reading it read-only\n" +
			"(a SQLite file that does not exist is an error, never created). With one,\n" +
			"switches it and records the switch in the history. A switch waits for a\n" +
			"running apply to finish (it takes the same lock). A new database is in\n" +
			"maintenance.",
		Flags:              append(append([]ucli.Flag{dbFlag(), lockTimeoutFlag()}, targetFlags()...), fanoutFlags()...),
		CustomHelpTemplate: commandHelp(exitDocOK, exitDocError),
		BashComplete: completeCommand(func(pos int) []string {
			if pos == 0 {
				return []string{string(model.Production), string(model.Maintenance)}
			}
			return nil
		}),
		Action: func(c *ucli.Context) error {
			if err := flagsFirst(c, "ctxschema mode [flags] [production|maintenance]"); err != nil {
				return err
			}
			if c.NArg() > 1 {
				return fmt.Errorf("mode takes at most one argument, production or maintenance; got %d", c.NArg())
			}
			fo, all, err := fanoutOf(e, c)
			if err != nil {
				return err
			}
			if all {
				if arg := c.Args().First(); arg != "" && !model.Mode(arg).Valid() {
					return fmt.Errorf("unknown mode %q: use production or maintenance", arg)
				}
				return runFanout(c.Context, e, "mode", fo, func(ctx context.Context, t tenant.Tenant, stdout, stderr io.Writer) (int, error) {
					err := runMode(ctx, &env{stdin: e.stdin, stdout: stdout, stderr: stderr}, tenantTarget(targetOf(c), t), c.Args().First(), c.Duration("lock-timeout"))
					Report(stderr, err) // into the tenant's own stderr, as main would
					return 0, err
				})
			}
			return runMode(c.Context, e, targetOf(c), c.Args().First(), c.Duration("lock-timeout"))
		},
	}
}

func runMode(ctx context.Context, e *env, db targetOptions, arg string, lockTimeout time.Duration) error {
	want := model.Mode(arg)
	if arg != "" && !want.Valid() {
		return fmt.Errorf("unknown mode %s: use production or maintenance", quoteArg(arg))
	}
	access := dialect.ReadWrite
	if arg == "" {
		access = dialect.ReadOnly
	}
	t, closeDB, err := openTarget(ctx, db.access(access))
	if err != nil {
		return err
	}
	defer closeDB()
	if arg == "" {
		m, err := apply.ReadMode(ctx, t)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, m)
		return nil
	}
	revision, run := apply.Provenance(ctx)
	old, err := apply.SetMode(ctx, t, want, apply.Options{
		Revision: revision, Run: run,
		LockTimeout: lockTimeout,
		Events: func(ev apply.Event) {
			fmt.Fprintln(e.stderr, eventMessage(ev, lockTimeout))
		},
	})
	if err != nil {
		return err
	}
	if old == want {
		fmt.Fprintf(e.stdout, "%s (unchanged)\n", want)
	} else {
		fmt.Fprintf(e.stdout, "%s (was %s)\n", want, old)
	}
	return nil
}
