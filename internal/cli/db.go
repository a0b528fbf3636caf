package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/postgres"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
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

// openTarget connects to the database at rawURL for access: read-only for
// the commands that only read, which then change nothing, not even create
// a missing SQLite file (that is a *dialect.NotExistError). The returned
// close function releases the connection.
func openTarget(ctx context.Context, rawURL string, access dialect.Access) (apply.Target, func(), error) {
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
	if !ok {
		return err
	}
	if werr := render.Refusal(e.stderr, r, render.Options{Format: render.Text, Color: colorOn(e.stderr, noColor)}); werr != nil {
		return err
	}
	return &ReportedError{Err: err}
}

// renderOptions are the view options for a plan of target t; color is
// whether the text view may colour its output (see colorOn).
func renderOptions(t apply.Target, format render.Format, verbose, color bool) render.Options {
	return render.Options{
		Format:   format,
		Verbose:  verbose,
		Color:    format == render.Text && color,
		Database: dialect.Redact(t.URL),
		Dialect:  t.Dialect.Scheme(),
	}
}

// summaryLine says what an apply did, for stdout.
func summaryLine(p *plan.Plan) string {
	s := p.Summary()
	return fmt.Sprintf("Apply complete! %d created, %d updated, %d deleted.", s.Create, s.Update, s.Delete)
}
