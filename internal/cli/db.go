package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

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

// openTarget connects to the database at rawURL. The returned close
// function releases the connection.
func openTarget(ctx context.Context, rawURL string) (apply.Target, func(), error) {
	d, err := registry().Lookup(rawURL)
	if err != nil {
		return apply.Target{}, nil, err
	}
	db, err := d.Open(ctx, rawURL)
	if err != nil {
		return apply.Target{}, nil, err
	}
	return apply.Target{Dialect: d, DB: db, URL: rawURL}, func() { db.Close() }, nil
}

// isTerminal reports whether f is a terminal (a character device).
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	fi, err := file.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// colorOn reports whether output to w may be coloured: only on a terminal
// that can show colours, never with noColor (the --no-color flag), and
// never with NO_COLOR set to anything but "" (no-color.org).
func colorOn(w io.Writer, noColor bool) bool {
	return !noColor && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" && isTerminal(w)
}

// refusalView is how a plan view shows the refusal err (from
// apply.Refuse), or nil when err is nil.
func refusalView(err error) *render.Refusal {
	var mode *apply.ModeError
	var unsafe *apply.UnsafeError
	switch {
	case errors.As(err, &mode):
		return &render.Refusal{Reason: render.RefusedProduction,
			Message: "the database is in production mode, which refuses every schema change; switch it with `ctxschema mode maintenance` first"}
	case errors.As(err, &unsafe) && unsafe.Reason == apply.DataCheckFailed:
		return &render.Refusal{Reason: render.RefusedDataCheck,
			Message: fmt.Sprintf("%s on the data in the database; fix the data or the schema files and plan again", changes(len(unsafe.Steps), "cannot succeed", "cannot succeed"))}
	case errors.As(err, &unsafe):
		return &render.Refusal{Reason: render.RefusedDestructive,
			Message: changes(len(unsafe.Steps), "loses data", "lose data"), Flag: unsafe.Flag()}
	}
	return nil
}

// changes phrases "1 change loses data" / "2 changes lose data".
func changes(n int, one, many string) string {
	if n == 1 {
		return "1 change " + one
	}
	return fmt.Sprintf("%d changes %s", n, many)
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
