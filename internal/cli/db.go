package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"golang.org/x/term"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/postgres"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
	"github.com/ctxschema/ctxschema/internal/httptarget"
	"github.com/ctxschema/ctxschema/internal/render"
	"github.com/ctxschema/ctxschema/plan"
)

// ErrChanges is returned by plan and diff with --detailed-exitcode when
// there are changes; main maps it to exit code 2 and prints nothing.
var ErrChanges = errors.New("there are changes")

// registry lists the dialects ctxschema speaks, by URL scheme.
func registry() *dialect.Registry {
	return dialect.NewRegistry(sqlite.New(), postgres.New())
}

// targetOptions name the target of a command: --db, and for a Context
// Services server --tenant and --api-timeout; and how a database is
// opened.
type targetOptions struct {
	URL     string
	Tenant  string
	Timeout time.Duration
	// Access is read-only for the commands that only read, which then
	// change nothing, not even create a missing SQLite file (that is a
	// *dialect.NotExistError).
	Access dialect.Access
}

// access is o opened for a.
func (o targetOptions) access(a dialect.Access) targetOptions {
	o.Access = a
	return o
}

// targetFlags are the flags of targetOptions but --db.
func targetFlags() []ucli.Flag {
	return []ucli.Flag{
		tenantFlag(),
		&ucli.DurationFlag{Name: "api-timeout", Value: 30 * time.Second, Usage: "how long each API call may take (http and https targets)"},
	}
}

func targetOf(c *ucli.Context) targetOptions {
	return targetOptions{URL: c.String("db"), Tenant: c.String("tenant"), Timeout: c.Duration("api-timeout")}
}

// apiTokenEnv holds the bearer token of a Context Services server; it is
// read from the environment only, so that it never shows in a process list.
const apiTokenEnv = "CTXSCHEMA_API_TOKEN"

// backends open a target by URL scheme: a Context Services server through
// its API, or a SQL database through its dialect (the default).
var backends = map[string]func(ctx context.Context, o targetOptions) (apply.Backend, func(), error){
	"http":  openServer,
	"https": openServer,
}

// openTarget opens the target o.URL names. The returned close function
// releases it.
func openTarget(ctx context.Context, o targetOptions) (apply.Backend, func(), error) {
	scheme, _, _ := strings.Cut(o.URL, "://")
	if open, ok := backends[strings.ToLower(scheme)]; ok {
		return open(ctx, o)
	}
	return openDatabase(ctx, o)
}

// openDatabase connects to the SQL database at o.URL, for o.Access: the
// backend of every URL that names a dialect.
func openDatabase(ctx context.Context, o targetOptions) (apply.Backend, func(), error) {
	t, closeDB, err := openSQL(ctx, o.URL, o.Access)
	if err != nil {
		return nil, nil, err
	}
	return t, closeDB, nil
}

// openServer opens a Context Services server (internal/httptarget).
func openServer(_ context.Context, o targetOptions) (apply.Backend, func(), error) {
	b, err := httptarget.Open(o.URL, httptarget.Options{Token: os.Getenv(apiTokenEnv), Tenant: o.Tenant, Timeout: o.Timeout})
	if err != nil {
		return nil, nil, err
	}
	return b, func() {}, nil
}

// openSQL connects to the SQL database at rawURL, for access: for the
// commands that need a database, not any target (serve).
func openSQL(ctx context.Context, rawURL string, access dialect.Access) (apply.Target, func(), error) {
	d, err := registry().Lookup(rawURL)
	if err != nil {
		return apply.Target{}, nil, err
	}
	db, err := d.Open(ctx, rawURL, access)
	if err != nil {
		return apply.Target{}, nil, err
	}
	return apply.Target{Dialect: d, DB: db, URL: rawURL}, func() { db.Close() }, nil
}

// isTerminal reports whether f is a terminal. A character device is not
// enough: /dev/null is one too, and "apply </dev/null" must be told that
// nobody can answer, not be asked.
func isTerminal(f any) bool {
	if w, ok := f.(interface{ Unwrap() io.Writer }); ok { // see Redacting
		f = w.Unwrap()
	}
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	return term.IsTerminal(int(file.Fd()))
}

// colorOn reports whether output to w may be coloured: only on a terminal
// that can show colours, never with noColor (the --no-color flag), and
// never with NO_COLOR set to anything but "" (no-color.org).
func colorOn(w io.Writer, noColor bool) bool {
	return !noColor && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" && isTerminal(w)
}

// refusalOf is the refusal that err (from apply.Refuse) stands for, for
// the views, or nil when err is none.
func refusalOf(err error) *plan.Refusal {
	if r, ok := apply.RefusalOf(err); ok {
		return &r
	}
	return nil
}

// refused reports a refusal found once the plan was shown (apply.Run
// refusing under its lock, or an index build finding duplicates): the
// refusal is written once, on stderr, with the counts and customer ids of
// its data checks, and main prints nothing more. Other errors are returned
// as they are.
func refused(e *env, err error, noColor bool) error {
	r, ok := apply.RefusalOf(err)
	// A refusal in the middle of an apply without a transaction (a 403
	// through the API) is reported with what was done and not.
	var partial *apply.PartialError
	if !ok || errors.As(err, &partial) {
		return err
	}
	if werr := render.Refusal(e.stderr, r, render.Options{Format: render.Text, Color: colorOn(e.stderr, noColor)}); werr != nil {
		return err
	}
	return &ReportedError{Err: err}
}

// renderOptions are the view options for a plan of target t; color is
// whether the text view may colour its output (see colorOn).
func renderOptions(t apply.Backend, format render.Format, verbose, color bool) render.Options {
	d := t.Describe()
	return render.Options{
		Format:   format,
		Verbose:  verbose,
		Color:    format == render.Text && color,
		Database: d.Database,
		Dialect:  d.Kind,
		Calls:    d.Calls,
	}
}

// summaryLine says what an apply did, for stdout.
func summaryLine(p *plan.Plan) string {
	s := p.Summary()
	return fmt.Sprintf("Apply complete! %d created, %d updated, %d deleted.", s.Create, s.Update, s.Delete)
}
