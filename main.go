// Command ctxschema is schema-as-code for Genesys Context Services customer
// profiles: YAML files declare the profile schema, the extensions and the
// identification keys; plan diffs them against a live database and apply
// makes the database match. See README.md.
package main

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/cli"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/project"
	"github.com/ctxschema/ctxschema/internal/tenant"
)

func main() { os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr)) }

// run runs the command line args and returns the process exit code. It is
// the whole program but for os.Exit, so that tests run it in-process. A
// command that does work ends its context at SIGINT or SIGTERM (see
// cli.NewAppFor), one that only prints (version) is not worth the handler.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Every byte written goes through the redactor: no password given on
	// the command line or in CTXSCHEMA_DB is printed, whatever quotes it.
	stdout, stderr, flush := cli.Redacting(args, stdout, stderr)
	defer flush()
	err := cli.NewAppFor(args, stdin, stdout, stderr).RunContext(context.Background(), args)
	report(stderr, err)
	return exitCode(err)
}

// The exit codes of SPEC section 4 (listed in --help and the README).
const (
	exitOK      = 0 // success
	exitError   = 1 // I/O, database, failed apply, lock timeout, usage
	exitChanges = 2 // plan --detailed-exitcode: there are changes
	exitRefused = 3 // the database is in production mode
	exitInvalid = 4 // invalid schema files
	exitUnsafe  = 5 // destructive without --allow-destructive, data check, stale plan
)

// exitCode maps the error of a command to the exit code. It is the only
// place that does. A command returns one refusal, already the one to fix
// first (apply.Refuse orders them: 4 before any plan, then a failing data
// check 5, production mode 3, a stale plan 5, data loss 5).
func exitCode(err error) int {
	var (
		problems *model.Problems
		project  *project.InvalidError
		mode     *apply.ModeError
		unsafe   *apply.UnsafeError
		stale    *apply.StaleError
		fanout   *tenant.Error
		unknown  *tenant.UnknownError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &fanout):
		return mostSerious(fanout.Errs())
	case errors.Is(err, cli.ErrChanges):
		return exitChanges
	case errors.As(err, &mode):
		return exitRefused
	case errors.As(err, &project):
		// Its problems are reported as schema problems are, but an
		// invalid project file is not an invalid schema.
		return exitError
	case errors.As(err, &problems), errors.As(err, &unknown):
		return exitInvalid
	case errors.As(err, &unsafe), errors.As(err, &stale):
		return exitUnsafe
	default:
		return exitError
	}
}

// seriousness orders the exit codes of a fan-out over tenants (API.md
// section 5): an error over an invalid input over an unsafe refusal over
// production mode over changes over success.
var seriousness = []int{exitOK, exitChanges, exitRefused, exitUnsafe, exitInvalid, exitError}

// mostSerious is the exit code of the most serious of errs, the errors of
// the tenants of a fan-out.
func mostSerious(errs []error) int {
	rank := func(code int) int {
		for i, c := range seriousness {
			if c == code {
				return i
			}
		}
		return len(seriousness)
	}
	worst := exitOK
	for _, err := range errs {
		if code := exitCode(err); rank(code) > rank(worst) {
			worst = code
		}
	}
	return worst
}

// report prints a command's error once on stderr (see cli.Report).
func report(stderr io.Writer, err error) { cli.Report(stderr, err) }
