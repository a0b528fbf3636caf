package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/ctxschema/ctxschema/internal/render"
	"github.com/ctxschema/ctxschema/internal/schemafile"
	"github.com/ctxschema/ctxschema/internal/tenant"
	"github.com/ctxschema/ctxschema/plan"
)

// tenantFlags are the flags of every command that takes --db, but those
// the command has already (has: its flags' names; the target flags give
// --tenant): the tenants file and the tenant whose database to use.
func tenantFlags(has map[string]bool) []ucli.Flag {
	var out []ucli.Flag
	if !has["tenants"] {
		out = append(out, &ucli.StringFlag{Name: "tenants", EnvVars: []string{"CTXSCHEMA_TENANTS"}, Usage: "tenants `FILE`: each tenant's id, name and database URL (see --tenant, --all-tenants)"})
	}
	if !has["tenant"] {
		out = append(out, tenantFlag())
	}
	return out
}

// tenantFlag is --tenant: a tenant of the tenants file, whose database
// (and id) the command uses instead of --db; without a tenants file, the
// X-Genesys-TenantId sent to an http(s) target.
func tenantFlag() ucli.Flag {
	return &ucli.StringFlag{Name: "tenant", EnvVars: []string{"CTXSCHEMA_TENANT"},
		Usage: "the tenant with this `ID or NAME` in the tenants file: its database instead of --db; for an http(s) --db without a tenants file, the X-Genesys-TenantId sent"}
}

// tenantTarget is o aimed at tenant t: its database, and its id for a
// Context Services server.
func tenantTarget(o targetOptions, t tenant.Tenant) targetOptions {
	o.URL, o.Tenant = t.DB, strconv.FormatInt(t.ID, 10)
	return o
}

// fanoutFlags are the flags of plan, apply and mode that run them on every
// tenant.
func fanoutFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.BoolFlag{Name: "all-tenants", Usage: "run on every tenant of the tenants file, the schema files loaded once; a summary table closes"},
		&ucli.IntFlag{Name: "parallel", Value: 4, Usage: "with --all-tenants, how many tenants run at a time"},
		&ucli.BoolFlag{Name: "continue-on-error", Usage: "with --all-tenants, go on with the other tenants after one fails or is refused (by default no new tenant starts)"},
	}
}

// takesDB reports whether a command whose flags are named has takes --db.
func takesDB(has map[string]bool) bool { return has["db"] }

// selectTenant runs next (the project environment), then, with --tenant,
// sets --db to that tenant's database from the tenants file. A --db the
// user gave (flag or CTXSCHEMA_DB) conflicts with --tenant and
// --all-tenants; one set by the project environment gives way.
func selectTenant(e *env, next ucli.BeforeFunc) ucli.BeforeFunc {
	return func(c *ucli.Context) error {
		userDB := c.IsSet("db") && c.String("db") != ""
		if err := next(c); err != nil {
			return err
		}
		sel, all := c.String("tenant"), c.Bool("all-tenants")
		if sel == "" && !all {
			return nil
		}
		which := "--tenant"
		if all {
			which = "--all-tenants"
		}
		switch {
		case sel != "" && all:
			return errors.New("--tenant and --all-tenants exclude each other: give one tenant, or every tenant")
		case c.String("tenants") == "" && !all && serverURL(c.String("db")):
			// Without a tenants file, --tenant is the X-Genesys-TenantId
			// that a Context Services server (the HTTP target) is sent.
			return nil
		case c.String("tenants") == "":
			return fmt.Errorf("%s needs a tenants file: give --tenants FILE (or CTXSCHEMA_TENANTS, or tenants: in the --env environment)", which)
		case userDB:
			return fmt.Errorf("%s takes each database from the tenants file, and --db (or CTXSCHEMA_DB) names another: drop one of them", which)
		case all:
			return nil
		}
		f, err := readTenants(c.Context, e, c.String("tenants"))
		if err != nil {
			return err
		}
		t, err := f.Select(sel)
		if err != nil {
			return err
		}
		// The tenant's id goes with its database: a Context Services
		// server is sent it as X-Genesys-TenantId.
		return errors.Join(c.Set("db", t.DB), c.Set("tenant", strconv.FormatInt(t.ID, 10)))
	}
}

// serverURL reports whether rawURL names a Context Services server (an
// http or https URL) rather than a database.
func serverURL(rawURL string) bool {
	scheme, _, ok := strings.Cut(rawURL, "://")
	return ok && (strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https"))
}

// readTenants reads and validates the tenants file at path, named in
// messages relative to the working directory. Every tenant's database URL
// joins the secrets that e's writers scrub: a message that would quote one
// shows it without its password.
func readTenants(ctx context.Context, e *env, path string) (*tenant.File, error) {
	display := path
	cwd, err1 := os.Getwd()
	abs, err2 := filepath.Abs(path)
	if err1 == nil && err2 == nil {
		display = displayPath(cwd, abs)
	}
	f, err := tenant.Read(ctx, path, display)
	if err != nil {
		return nil, err
	}
	// A relative file path in a URL (sqlite://acme.db) is relative to the
	// tenants file's folder; the URL's dialect knows its form.
	r := registry()
	for i := range f.Tenants {
		f.Tenants[i].DB = r.ResolveRelative(f.Tenants[i].DB, f.Dir)
		e.protect(f.Tenants[i].DB)
	}
	return f, nil
}

// fanout is what the fan-out flags ask for.
type fanout struct {
	// File is the tenants file, read and validated before anything runs.
	File            *tenant.File
	Parallel        int
	ContinueOnError bool
	// Format is the view: text streams each tenant's output, JSON and
	// markdown write one document at the end.
	Format render.Format
	// DetailedExitcode exits 2 when a tenant has changes (plan).
	DetailedExitcode bool
}

// fanoutOf reads the fan-out flags and, with --all-tenants, the tenants
// file; ok is false without --all-tenants.
func fanoutOf(e *env, c *ucli.Context) (fanout, bool, error) {
	if !c.Bool("all-tenants") {
		for _, f := range []string{"parallel", "continue-on-error"} {
			if c.IsSet(f) {
				return fanout{}, false, fmt.Errorf("--%s works with --all-tenants only; add --all-tenants or drop it", f)
			}
		}
		return fanout{}, false, nil
	}
	if c.Int("parallel") < 1 {
		return fanout{}, false, fmt.Errorf("--parallel %d: give how many tenants run at a time, 1 or more", c.Int("parallel"))
	}
	f, err := readTenants(c.Context, e, c.String("tenants"))
	if err != nil {
		return fanout{}, false, err
	}
	return fanout{File: f, Parallel: c.Int("parallel"), ContinueOnError: c.Bool("continue-on-error"), Format: render.Text}, true, nil
}

// runFanout runs work on every tenant of the tenants file: each tenant's
// block streams as it finishes, then the summary (text), or one JSON or
// markdown document. The error is a *tenant.Error when a tenant failed, was
// refused or was not started; main maps its most serious error to the
// exit code.
func runFanout(ctx context.Context, e *env, command string, fo fanout, work tenant.Work) error {
	rep := tenant.Report{Command: command}
	show := fo.Format == render.Text
	var werr error
	results := tenant.Run(ctx, fo.File.Tenants, work, tenant.Options{
		Parallel: fo.Parallel, ContinueOnError: fo.ContinueOnError,
		Done: func(r tenant.Result) {
			if err := rep.Block(e.stdout, e.stderr, r, show); err != nil && werr == nil {
				werr = err
			}
		},
	})
	if werr != nil {
		return werr
	}
	var err error
	switch fo.Format {
	case render.JSON:
		err = rep.JSON(e.stdout, results)
	case render.Markdown:
		err = rep.Markdown(e.stdout, results)
	default:
		err = rep.Summary(e.stdout, results)
	}
	if err != nil {
		return err
	}
	if err := tenant.Check(ctx, results); err != nil {
		return err
	}
	if fo.DetailedExitcode {
		for _, r := range results {
			if r.Changes > 0 {
				return ErrChanges
			}
		}
	}
	return nil
}

// tenantEnv is the env of one tenant's run in a fan-out: its own output
// buffers, the schema files loaded once, and a count of its plan's changes.
func tenantEnv(e *env, res *schemafile.Result, stdout, stderr io.Writer, changes *int) *env {
	return &env{
		stdin: e.stdin, stdout: stdout, stderr: stderr, schema: res,
		planned: func(p *plan.Plan) { *changes = len(p.Steps) },
	}
}

// tell passes p to e.planned, when set.
func (e *env) tell(p *plan.Plan) {
	if e.planned != nil {
		e.planned(p)
	}
}
