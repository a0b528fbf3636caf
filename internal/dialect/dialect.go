// Package dialect defines what a database dialect provides to ctxschema and
// a registry that finds a dialect by URL scheme. Dialects read the live state
// and render the planner's changes to SQL; they never decide what changes.
package dialect

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// Querier is what inspection, data checks and catalog updates run on: a
// *sqlx.DB or a *sqlx.Tx.
type Querier = sqlx.ExtContext

// Dialect is one database engine. Implementations live in their own package
// under internal/dialect and pass the conformance suite in dialecttest.
type Dialect interface {
	// Scheme is the URL scheme that selects the dialect ("sqlite").
	Scheme() string
	// Open connects to the database that the URL names, for what access
	// allows. Errors name the URL with its password redacted. With
	// ReadOnly, nothing of the database changes (no file is created, no
	// setting is persisted, no statement writes), and a database that does
	// not exist is a *NotExistError.
	Open(ctx context.Context, rawURL string, access Access) (*sqlx.DB, error)

	// Inspect reads the catalog, the mode and the physical layout in a fixed
	// number of queries, whatever the number of tables. On a database where
	// no schema is recorded yet it returns an empty catalog, the recorded
	// mode (maintenance when none) and New set.
	Inspect(ctx context.Context, q Querier) (*plan.State, error)
	// Expected is the physical layout that the catalog schema s should
	// have, normalised as Inspect normalises what it reads.
	Expected(s *model.Schema) plan.Physical
	// Data answers the planner's data checks with queries on q.
	Data(q Querier) plan.Data
	// Render turns one step of p into SQL: statements for the transaction
	// and statements for after it (online index builds), and whether they
	// lock or rewrite a table with rows. It is pure.
	Render(p *plan.Plan, step plan.Step) (Rendered, error)

	// EnsureCatalog creates the cs_ catalog tables if they do not exist
	// (see internal/catalog, which reads and writes them portably).
	EnsureCatalog(ctx context.Context, q Querier) error

	// Lock takes the database's apply lock, waiting up to opts.Timeout. When
	// another process holds it, Lock calls opts.Waiting (when set) once with
	// the holder before it starts to wait, so that a person is told what
	// the wait is for. It returns a *LockTimeoutError naming the holder when
	// the wait times out, and an error wrapping ctx.Err() when ctx ends
	// first. A crashed holder's lock is released by the database or the OS.
	Lock(ctx context.Context, db *sqlx.DB, rawURL string, opts LockOptions) (Lock, error)
	// Begin starts the apply's transaction, in the mode the dialect needs
	// for DDL (SQLite: BEGIN IMMEDIATE).
	Begin(ctx context.Context, db *sqlx.DB) (*sqlx.Tx, error)
}

// Access says what a command may do to the database it opens.
type Access int

const (
	// ReadOnly is the access of the commands that only read (plan,
	// inspect, history, mode without an argument). It is the zero Access,
	// so that a forgotten one fails to write rather than writes.
	ReadOnly Access = iota
	// ReadWrite is the access of apply and of a mode switch: a SQLite file
	// that does not exist yet is created.
	ReadWrite
	// WriteExisting is ReadWrite on a database that exists: a database that
	// does not is a *NotExistError, not created. Apply opens with it, so
	// that a plan it refuses, or that nobody approves, creates nothing.
	WriteExisting
)

// String names the access as errors do.
func (a Access) String() string {
	if a == ReadOnly {
		return "read-only"
	}
	return "read-write"
}

// NotExistError is returned by Open with ReadOnly or WriteExisting when the
// database does not exist (a SQLite file that was never created): such an
// opening does not create it.
type NotExistError struct {
	// Database names the database, without a password.
	Database string
}

func (e *NotExistError) Error() string {
	return fmt.Sprintf("database %q does not exist; check --db, or create it with ctxschema apply", e.Database)
}

// The optional capabilities below are what a dialect can do beyond the
// contract; apply uses each one it finds.

// ForeignKeyChecker is implemented by dialects that can verify, inside the
// apply's transaction, that every extension record still references a
// profile (SQLite, whose table rebuilds run with enforcement off).
type ForeignKeyChecker interface {
	CheckForeignKeys(ctx context.Context, q Querier) error
}

// DatabaseComparer is implemented by dialects whose URLs can name one
// database in several ways (a SQLite file by a relative or an absolute
// path, through a symbolic link, with other connection parameters).
type DatabaseComparer interface {
	// SameDatabase reports whether URLs a and b name the same database.
	SameDatabase(a, b string) bool
}

// TableLocker is implemented by dialects whose apply transaction lets
// other sessions write to a table until a statement locks it (PostgreSQL).
// Apply locks the tables whose data a destructive change loses before it
// counts that data, so that no value committed between the count and the
// change is lost unseen. Without it, the dialect's Begin must keep writers
// out by itself (SQLite's BEGIN IMMEDIATE takes the database's write lock).
type TableLocker interface {
	// LockTables locks the tables inside tx against every other session,
	// as the changes that drop their columns or the tables themselves
	// would, until the transaction ends.
	LockTables(ctx context.Context, tx *sqlx.Tx, tables []string) error
}

// ErrorExplainer is implemented by dialects whose errors, for some
// failures of an apply's statement, do not say what to do (a lock timeout,
// a full lock table). Apply passes every such error through it.
type ErrorExplainer interface {
	// ExplainError returns err, or an error that unwraps to err and says
	// what happened and which setting or flag changes it. q is free to
	// query: the apply lock's session (SessionLock) once the apply's
	// transaction is rolled back, or the pool when the apply holds no
	// connection of it. p is the plan applied.
	ExplainError(ctx context.Context, q Querier, p *plan.Plan, err error) error
}

// ChangeDetector is implemented by dialects that can tell, from the error
// of a read made without the apply lock (a plan's data checks), that an
// apply changed what was read meanwhile: a table or column dropped since
// the inspection. The plan is then made again, a bounded number of times;
// without it, such an error fails the plan.
type ChangeDetector interface {
	ChangedMeanwhile(err error) bool
}

// ProgressReporter is implemented by dialects that can tell how far a
// running index build has come (PostgreSQL's pg_stat_progress_create_index).
type ProgressReporter interface {
	// Progress returns the phase of the running build ("" when none) and
	// done out of total units of that phase.
	Progress(ctx context.Context, q Querier, index string) (phase string, done, total int64, err error)
}

// IndexCleaner is implemented by dialects whose online index builds can
// leave an invalid index behind when they fail.
type IndexCleaner interface {
	// DropInvalidIndexes drops every invalid ik_ or ux_ index.
	DropInvalidIndexes(ctx context.Context, q Querier) error
}

// QuietOpener is implemented by dialects whose Open with WriteExisting
// writes nothing to the database by itself (PostgreSQL only connects),
// and whose every connection costs a server session. A command that reads
// a database before it writes to it (apply) then opens it once, for
// WriteExisting, and reads ahead on that connection instead of on a
// ReadOnly one of its own. Without it, the command reads on a ReadOnly
// opening, which writes nothing in any dialect (SQLite's Open for writing
// sets the journal mode of an empty file).
type QuietOpener interface {
	// OpensQuietly reports whether Open with WriteExisting writes
	// nothing by itself.
	OpensQuietly() bool
}

// CatalogProber is implemented by dialects that can tell, in one small
// query, whether the cs_ catalog tables exist: commands that only read the
// catalog (the mode, the history) then need no whole Inspect.
type CatalogProber interface {
	CatalogExists(ctx context.Context, q Querier) (bool, error)
}

// Stamper is implemented by dialects that can tell, in one cheap read,
// whether what Inspect reads changed since an inspection: apply then plans
// under its lock from the state the caller read before taking it (the
// plan a person approved), instead of reading the whole catalog again.
// Without it, apply inspects again under the lock.
type Stamper interface {
	// Stamp returns the stamp of the database as q sees it now. Two
	// stamps are equal only when Inspect would read the same state: any
	// change of the schema (tables, columns, indexes, triggers, views) or
	// of the catalog (the recorded schema, the mode) gives another. Inspect
	// records the stamp of what it read in State.Stamp, taken before or
	// together with its reads, so that a change made while it reads gives
	// a stamp that differs from the recorded one.
	Stamp(ctx context.Context, q Querier) (string, error)
	// EmptyStamp is the stamp of a database that holds nothing (no table,
	// no catalog): the state of one that does not exist yet.
	EmptyStamp() string
}

// CatalogWatcher is implemented by dialects whose EnsureCatalog makes every
// change of the declared schema (cs_schema) send a notification, whoever
// makes it (ctxschema or plain SQL), so that a long-running reader can keep
// the schema in memory instead of reading it for every request.
type CatalogWatcher interface {
	// WatchCatalog listens for those notifications on a connection of its
	// own, opened like db's, until ctx ends or that connection fails, and
	// returns why. It calls listening once it listens, then changed for
	// each notification. Changes made before listening are not reported.
	WatchCatalog(ctx context.Context, db *sqlx.DB, listening, changed func()) error
	// CatalogWatched tells whether the changes of the catalog reached
	// through q are notified: its tables exist with the notifying trigger,
	// enabled. A catalog made by an older ctxschema, or none, is not.
	CatalogWatched(ctx context.Context, q Querier) (bool, error)
}

// PlanRenderer is implemented by dialects that render a whole plan at
// once, to share work between steps (SQLite rebuilds a table once for
// several attribute changes in a row). RenderPlan returns one Rendered per
// step of p, in order; a step whose work another step does has no SQL.
type PlanRenderer interface {
	RenderPlan(p *plan.Plan) ([]Rendered, error)
}

// Rendered is the SQL of one step.
type Rendered struct {
	// SQL runs inside the apply's transaction.
	SQL []string
	// After runs once the transaction committed, one statement at a time
	// (PostgreSQL CREATE INDEX CONCURRENTLY).
	After []string
	// Blocking is true when SQL rewrites a table or builds an index while
	// holding a lock that blocks writers.
	Blocking bool
}

// LockOptions tune Dialect.Lock.
type LockOptions struct {
	// Timeout bounds the wait for another holder of the lock.
	Timeout time.Duration
	// Waiting, when set, is called once, on the caller's goroutine, when
	// the lock is held by another process and Lock starts to wait for it.
	// holder names that process as LockTimeoutError.Holder does.
	Waiting func(holder string)
}

// Lock is a held apply lock.
type Lock interface {
	// Release frees the lock. It is safe to call more than once.
	Release() error
}

// SessionLock is a Lock held by one database session (PostgreSQL's
// session-level advisory lock). Apply runs on that session everything it
// does while it holds the lock: its transaction, the online index builds
// after it, their records and the convergence check. Another session
// would cost the server a new backend, and the apply a connection, for
// nothing: the lock's session sits idle while the apply runs.
type SessionLock interface {
	Lock
	// Begin starts the apply's transaction on the lock's session, as the
	// dialect's Begin does on a connection of a pool.
	Begin(ctx context.Context) (*sqlx.Tx, error)
	// Session is the lock's session, for what runs outside the
	// transaction (online index builds). It is valid until Release, and
	// runs one statement at a time.
	Session() Querier
}

// LockTimeoutError is returned by Lock when another process held the apply
// lock for the whole timeout.
type LockTimeoutError struct {
	Holder  string
	Timeout time.Duration
}

func (e *LockTimeoutError) Error() string {
	return fmt.Sprintf("timed out after %s waiting for the apply lock held by %s; retry later or raise --lock-timeout", e.Timeout, e.Holder)
}

// Registry finds dialects by URL scheme.
type Registry struct {
	byScheme map[string]Dialect
}

// NewRegistry returns a registry of the given dialects.
func NewRegistry(ds ...Dialect) *Registry {
	r := &Registry{byScheme: map[string]Dialect{}}
	for _, d := range ds {
		r.byScheme[d.Scheme()] = d
	}
	return r
}

// PathResolver is an optional capability of a dialect whose URLs can name
// a local file by a relative path (sqlite://dev.db): a project file's URLs
// are relative to the project file's folder, not to the working directory.
type PathResolver interface {
	// ResolveRelative returns rawURL with a relative file path joined to
	// base; any other URL is returned as written.
	ResolveRelative(rawURL, base string) string
}

// ResolveRelative returns rawURL with a relative file path resolved
// against base by the dialect of its scheme, when that dialect is a
// PathResolver. Any other URL, one of an unknown scheme included, is
// returned as written: opening it reports what is wrong.
func (r *Registry) ResolveRelative(rawURL, base string) string {
	d, err := r.Lookup(rawURL)
	if err != nil {
		return rawURL
	}
	if pr, ok := d.(PathResolver); ok {
		return pr.ResolveRelative(rawURL, base)
	}
	return rawURL
}

// ErrBadURL is returned by Registry.Lookup for a URL it cannot use.
var ErrBadURL = errors.New("bad database URL")

// Lookup returns the dialect for rawURL's scheme.
func (r *Registry) Lookup(rawURL string) (Dialect, error) {
	scheme, _, ok := strings.Cut(rawURL, "://")
	if !ok || scheme == "" {
		return nil, fmt.Errorf("%w %q: want scheme://…, e.g. sqlite://ctxschema.db or postgres://user@host:5432/db", ErrBadURL, Redact(rawURL))
	}
	if scheme == "postgresql" {
		scheme = "postgres"
	}
	d, ok := r.byScheme[strings.ToLower(scheme)]
	if !ok {
		return nil, fmt.Errorf("%w %q: unknown scheme %q (known: %s)", ErrBadURL, Redact(rawURL), scheme, strings.Join(r.Schemes(), ", "))
	}
	return d, nil
}

// Schemes lists the registered schemes in order.
func (r *Registry) Schemes() []string {
	var out []string
	for s := range r.byScheme {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
