package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// Backend is where a schema lives and is changed: a SQL database reached
// through its dialect (Target), or a Context Services server reached
// through its metadata API (internal/httptarget). Run, Prepare, the mode
// and the history work on any Backend, so nothing above this interface
// branches on the kind of target.
//
// Errors name the target with its secrets redacted (Describe().Database)
// and never hold a password or a token.
type Backend interface {
	// Describe names the backend for views and messages.
	Describe() Description
	// State reads the live schema and the server mode, in a number of
	// reads that does not grow with the schema, taking no lock.
	State(ctx context.Context) (*plan.State, error)
	// Mode reads the server mode alone, taking no lock.
	Mode(ctx context.Context) (model.Mode, error)
	// Plan reads the live state and plans desired against it, taking no
	// lock and changing nothing. Each step carries the work the backend
	// runs for it (Step.SQL: SQL statements, or API calls). forApply is
	// true for a plan applied without a person reviewing it first (see
	// PrepareToApply); a backend may then leave checks to Execute.
	Plan(ctx context.Context, desired *model.Schema, forApply bool) (*plan.Plan, error)
	// PlanFrom is Plan from st, the state State returned: the CLI reads it
	// while it loads the schema files.
	PlanFrom(ctx context.Context, st *plan.State, desired *model.Schema, forApply bool) (*plan.Plan, error)
	// Begin starts an apply: it takes the backend's apply lock where
	// there is one, waiting up to opts.LockTimeout (a *LockTimeoutError
	// from the dialect when it times out). The caller must Close the
	// session.
	Begin(ctx context.Context, opts Options) (Session, error)
	// SetMode switches the server mode and returns the previous one. It
	// waits, up to opts.LockTimeout, for a running apply where the backend
	// has a lock, or for a server that is busy.
	SetMode(ctx context.Context, m model.Mode, opts Options) (model.Mode, error)
}

// Session is one apply on a Backend, between Begin and Close.
type Session interface {
	// State reads the live state inside the session (under the lock,
	// where there is one).
	State(ctx context.Context) (*plan.State, error)
	// Plan plans desired against st, which State returned: the plan
	// Execute runs.
	Plan(ctx context.Context, st *plan.State, desired *model.Schema) (*plan.Plan, error)
	// Execute runs the steps of p, which Plan made, in order, and returns
	// how many ran after the transaction (online index builds), where
	// the backend has one. On failure it says what was done: a
	// *StepError when nothing changed, a *PartialError when some steps
	// ran, a *DeferredError for a failed online build.
	Execute(ctx context.Context, p *plan.Plan, opts Options) (deferred int, err error)
	// Close ends the session: it rolls back what Execute did not commit
	// and releases the lock, and reports what failed in doing so. It is
	// safe to call more than once.
	Close() error
}

// Historian is implemented by backends that keep a history of applies and
// mode switches. Without it, History returns ErrNoHistory.
type Historian interface {
	// History lists the entries, oldest first; none when nothing was
	// recorded yet.
	History(ctx context.Context) ([]catalog.Entry, error)
}

// ErrNoHistory is returned by History for a backend that keeps no history.
var ErrNoHistory = errors.New("no history to read")

// Description names a backend for views and messages.
type Description struct {
	// Database is the target's URL with its password redacted.
	Database string
	// Kind is "sqlite", "postgres" or "http": the dialect views name.
	Kind string
	// Calls is true when the steps' work is API calls, not SQL: the SQL
	// view then says so and lists the calls.
	Calls bool
}

// History lists the backend's history, oldest first, or ErrNoHistory.
func History(ctx context.Context, b Backend) ([]catalog.Entry, error) {
	h, ok := b.(Historian)
	if !ok {
		d := b.Describe()
		return nil, fmt.Errorf("%w: %s (target kind %s) records no applies or mode switches, and the Context Services API has no history; only a database that ctxschema manages has one", ErrNoHistory, d.Database, d.Kind)
	}
	return h.History(ctx)
}

// ReadMode returns the server mode of the backend.
func ReadMode(ctx context.Context, b Backend) (model.Mode, error) {
	return b.Mode(ctx)
}

// SetMode switches the server mode of the backend (see Backend.SetMode)
// and returns the previous one.
func SetMode(ctx context.Context, b Backend, m model.Mode, opts Options) (model.Mode, error) {
	return b.SetMode(ctx, m, opts)
}
