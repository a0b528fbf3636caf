// Package apply plans against a live target and runs plans, on any Backend:
// a SQL database (Target) or a Context Services server through its API. On
// a SQL database it takes the apply lock, checks the server mode under it,
// runs every change together with the catalog and history updates in one
// transaction, builds online indexes after it, and checks that the
// database converged.
package apply

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// Target is an open SQL database and its dialect: the Backend of the SQL
// dialects.
type Target struct {
	Dialect dialect.Dialect
	// DB is the open database. It is nil for a database that does not
	// exist yet (a read-only Open found no SQLite file): Prepare then
	// plans its creation from an empty state, and nothing else accepts it.
	DB *sqlx.DB
	// URL is the database URL as given; it is only passed to the dialect's
	// Lock and never printed unredacted.
	URL string
}

// Prepare reads the backend's live state and plans the changes that make
// it match desired, with their SQL (or API calls) and every data check. It takes no lock and
// changes nothing.
func Prepare(ctx context.Context, b Backend, desired *model.Schema) (*plan.Plan, error) {
	return b.Plan(ctx, desired, false)
}

// PrepareToApply is Prepare for a plan that is applied right away, without
// a person reviewing it first (apply --auto-approve, a saved plan). It
// leaves the duplicate-value checks of new unique indexes to Run, which
// lets each index build check its own values: planning does not read a
// large table once more just to find what the build finds anyway. The plan
// still has the same changes and fingerprint.
func PrepareToApply(ctx context.Context, b Backend, desired *model.Schema) (*plan.Plan, error) {
	return b.Plan(ctx, desired, true)
}

// PrepareInspected is Prepare (or, toApply, PrepareToApply) from st, the
// state of t that the caller inspected (t.Dialect.Inspect): the CLI reads
// the database while it loads the schema files, on the other core.
func PrepareInspected(ctx context.Context, b Backend, st *plan.State, desired *model.Schema, toApply bool) (*plan.Plan, error) {
	if st == nil {
		return nil, fmt.Errorf("apply: no inspected state to plan from")
	}
	return b.PlanFrom(ctx, st, desired, toApply)
}

// prepareAttempts bounds how often prepare plans again when an apply
// changed the database while it counted (dialect.ChangeDetector).
const prepareAttempts = 3

// emptyState is the state of a database of dialect d that does not exist
// yet, stamped as an empty one (dialect.Stamper).
func emptyState(d dialect.Dialect) *plan.State {
	st := plan.NewState()
	if s, ok := d.(dialect.Stamper); ok {
		st.Stamp = s.EmptyStamp()
	}
	return st
}

func prepare(ctx context.Context, t Target, desired *model.Schema, deferUnique bool) (*plan.Plan, error) {
	if t.DB == nil {
		// Every table is new, so there is no data to check.
		p, err := plan.Build(ctx, emptyState(t.Dialect), desired, nil)
		if err != nil {
			return nil, err
		}
		return p, Render(t.Dialect, p)
	}
	st, err := t.Dialect.Inspect(ctx, t.DB)
	if err != nil {
		return nil, err
	}
	return prepareFrom(ctx, t, st, desired, deferUnique)
}

func prepareFrom(ctx context.Context, t Target, st *plan.State, desired *model.Schema, deferUnique bool) (*plan.Plan, error) {
	var p *plan.Plan
	for attempt := 1; ; attempt++ {
		var data plan.Data = t.Dialect.Data(t.DB)
		// In production mode the plan is refused, and the refusal must say
		// whether a change can never succeed (see Refuse): run every check.
		if deferUnique && st.Mode != model.Production {
			data = deferDuplicates{data}
		}
		var err error
		p, err = plan.Build(ctx, st, desired, data)
		if err == nil {
			break
		}
		// Without the apply lock, an apply may drop a table or a column
		// between the inspection and a count of it ("relation does not
		// exist"): plan again on what the database is now.
		c, ok := t.Dialect.(dialect.ChangeDetector)
		if attempt == prepareAttempts || !ok || !c.ChangedMeanwhile(err) {
			return nil, err
		}
		if st, err = t.Dialect.Inspect(ctx, t.DB); err != nil {
			return nil, err
		}
	}
	if err := Render(t.Dialect, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Render fills each step's SQL from the dialect and adds a blocking hazard
// where the dialect rewrites or locks a table that holds rows.
func Render(d dialect.Dialect, p *plan.Plan) error {
	rs := make([]dialect.Rendered, len(p.Steps))
	if pr, ok := d.(dialect.PlanRenderer); ok {
		var err error
		if rs, err = pr.RenderPlan(p); err != nil {
			return err
		}
	} else {
		for i := range p.Steps {
			r, err := d.Render(p, p.Steps[i])
			if err != nil {
				o := p.Steps[i].Change.Object()
				return fmt.Errorf("rendering %s %q: %w", o.Kind, o.Name, err)
			}
			rs[i] = r
		}
	}
	leftovers(d, p, rs)
	for i, r := range rs {
		p.Steps[i].SQL, p.Steps[i].After = r.SQL, r.After
		if r.Blocking {
			p.Steps[i].Hazards = append(p.Steps[i].Hazards, blocking(p, p.Steps[i]))
		}
	}
	return nil
}

// leftovers settles the steps whose index already exists (plan.Step's
// Existing): left by an online build that was killed or cancelled, or made
// by hand. A valid index that is exactly what the step builds is adopted:
// the step builds nothing and records its key. An invalid one is dropped
// and built again, which the dialect renders. Either way it is the step's
// index, no longer an unmanaged object. A valid index that differs stays
// unmanaged, and the step is a failing data check (plan.NameTaken): its
// build could never run, and ctxschema never drops an index it cannot tell
// it made.
func leftovers(d dialect.Dialect, p *plan.Plan, rs []dialect.Rendered) {
	var want plan.Physical
	for i, s := range p.Steps {
		ix := s.Existing
		if ix == nil {
			continue
		}
		if want.Tables == nil {
			want = d.Expected(p.Desired)
		}
		table := plan.TableOf(s.Change)
		switch {
		case !ix.Valid:
		case ix.Definition == expectedIndex(want, table, ix.Name):
			rs[i] = dialect.Rendered{}
		default:
			p.Steps[i].Hazards = append(p.Steps[i].Hazards, plan.NameTaken(fmt.Sprintf(
				"index %s already exists on table %s with another definition, and ctxschema did not create it; rename or drop it", ix.Name, table)))
			continue
		}
		var kept []plan.Drift
		for _, u := range p.Unmanaged {
			if !(u.Kind == plan.ExtraIndex && u.Table == table && u.Name == ix.Name) {
				kept = append(kept, u)
			}
		}
		p.Unmanaged = kept
	}
}

// expectedIndex is the definition of index on table in want, or "".
func expectedIndex(want plan.Physical, table, index string) string {
	t, _ := want.Table(table)
	for _, ix := range t.Indexes {
		if ix.Name == index {
			return ix.Definition
		}
	}
	return ""
}

func blocking(p *plan.Plan, s plan.Step) plan.Hazard {
	table := plan.TableOf(s.Change)
	h := plan.Hazard{Kind: plan.Blocking, Rows: -1, Values: -1, Groups: -1, Customers: -1,
		Message: fmt.Sprintf("locks table %s while it is rewritten or indexed", table)}
	if n, ok := p.Rows[table]; ok {
		h.Rows = n
	}
	return h
}

// Options tune Run.
type Options struct {
	// AllowDestructive lets changes that lose data run.
	AllowDestructive bool
	// LockTimeout bounds the wait for another apply's lock.
	LockTimeout time.Duration
	// Expect, when set, is the fingerprint of the plan the user approved or
	// saved: Run refuses with a *StaleError when the plan it makes under
	// the lock has another.
	Expect *plan.Fingerprint
	// Events, when set, receives what Run is doing as it does it: waiting
	// for the lock, each change as it starts and finishes, the commit, and
	// the online index builds with their progress. It is never called
	// concurrently, and Run waits for it to return.
	Events func(Event)
	// Progress asks for the progress of online index builds: BuildProgress
	// events, every ProgressEvery while a build runs, read on a second
	// connection (the pool), as the build holds the apply's. Without it,
	// or without Events, no progress is read.
	Progress bool
	// ProgressEvery is how often the progress of an online index build is
	// reported; default one second.
	ProgressEvery time.Duration
	// Log receives a line for each action a backend without a transaction
	// takes (each API call and its outcome); nil for none.
	Log func(format string, args ...any)
	// Edit, when set, derives the desired schema from the catalog that Run
	// reads under the lock, and Run ignores its desired argument. A change
	// to one object (an API call adding or deleting a key) is then made to
	// the schema as it is once no other apply can run, so that two such
	// changes never undo each other. Its error is returned as it is.
	Edit func(catalog *model.Schema) (*model.Schema, error)
	// Actor names who applies, in the history; default Actor().
	Actor string
	// Inspected is the state the caller read before Run and Planned the
	// plan it made from it (PrepareInspected), which Expect fingerprints.
	// A backend that can tell in one cheap read under the lock that its
	// state did not change since (dialect.Stamper) plans from Inspected
	// instead of reading it again, and runs Planned itself when that plan
	// asked the database nothing (plan.Plan.Asked): made again from the
	// same state and schema, it would come out the same. Run checks that
	// Planned's fingerprint is that of Inspected and desired; either may
	// be nil.
	Inspected *plan.State
	Planned   *plan.Plan
	// AsShown says that Planned is the plan the user approved as it was
	// shown (apply with the schema files, not apply FILE). Run then also
	// runs a plan made under the lock from tables or indexes that changed
	// since, but not the catalog, the mode or the desired schema, when it
	// is that plan: the same changes, hazards, SQL and unmanaged objects
	// (an online build's index that the server finished meanwhile is
	// adopted rather than built). Without it, Expect alone decides: a
	// saved plan is applied only to the state it was made from.
	AsShown bool
	// Revision and Run say where the change comes from, in the history:
	// the source revision and the CI run, "" when unknown. The caller
	// computes them (Provenance, for the command line) before the apply,
	// never under its locks; the API server passes none, since its own
	// checkout says nothing of a request.
	Revision, Run string
}

// Logf sends a line to o.Log, if set.
func (o Options) Logf(format string, args ...any) {
	if o.Log != nil {
		o.Log(format, args...)
	}
}

// actor is the history's name for whoever runs with o.
func (o Options) actor() string {
	if o.Actor != "" {
		return o.Actor
	}
	return Actor()
}

// Result is what Run did.
type Result struct {
	Plan *plan.Plan
	// Deferred counts the online index builds that ran after the
	// transaction.
	Deferred int
}

// Run applies the changes that make the backend match desired, in named
// phases: refuse in production mode before touching anything, begin
// (the lock, where there is one), plan under it, refuse, execute,
// converge. It refuses as Refuse does, in the same order: changes that
// fail a data check or that the backend cannot express (*UnsafeError),
// production mode (*ModeError, before touching anything and again under
// the lock), a plan whose fingerprint is not opts.Expect and that is not
// the plan shown (*StaleError, see Options.AsShown),
// changes that lose data without opts.AllowDestructive (*UnsafeError). It
// reports a backend that did not converge (*NotConvergedError), and, when
// ctx is cancelled, says what was done (*InterruptedError, or the
// backend's *PartialError).
func Run(ctx context.Context, b Backend, desired *model.Schema, opts Options) (res *Result, err error) {
	executed := false
	defer func() {
		var ie InterruptedError
		if executed {
			// Every change is applied: only the convergence check was
			// interrupted.
			ie = InterruptedError{Began: true, Committed: true, Applied: true}
		}
		interrupted(ctx, &err, ie)
	}()
	// Refuse before touching anything: not even the lock or the catalog.
	if mode, err := b.Mode(ctx); err != nil {
		return nil, err
	} else if mode == model.Production {
		return nil, refuseProduction(ctx, b, desired, opts)
	}
	s, err := b.Begin(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := s.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	st, err := s.State(ctx)
	if err != nil {
		return nil, err
	}
	if opts.Edit != nil {
		if desired, err = opts.Edit(st.Catalog.Clone()); err != nil {
			return nil, err
		}
	}
	p, err := s.Plan(ctx, st, desired)
	if err != nil {
		return nil, err
	}
	// The mode again, under the lock: a switch since the first look is
	// caught here, with the other refusals in their order.
	if err := refuse(p, opts.AllowDestructive, opts.moved(p)); err != nil {
		return nil, err
	}
	if p.Mode == model.Production {
		return nil, &ModeError{}
	}
	res = &Result{Plan: p}
	if p.Empty() {
		return res, nil
	}
	n, err := s.Execute(ctx, p, opts)
	res.Deferred = n
	if err != nil {
		return res, err
	}
	executed = true
	if c, ok := s.(convergedSession); ok {
		if c.convergedBefore() {
			return res, nil
		}
		st, err := c.stateAfter(ctx)
		if err != nil {
			return res, fmt.Errorf("re-inspecting after apply: %w", err)
		}
		return res, convergedFrom(ctx, st, desired)
	}
	return res, Converged(ctx, b, desired)
}

// convergedSession is implemented by sessions that may check, inside
// their transaction and before its commit, that the database converged
// (see sqlSession.converge): a failure then rolls the apply back. Without
// it, Run checks after Execute on the backend; with it, when
// convergedBefore is false, on the state the session reads after Execute.
type convergedSession interface {
	// convergedBefore reports whether Execute checked.
	convergedBefore() bool
	// stateAfter reads the live state after Execute, under the lock.
	stateAfter(ctx context.Context) (*plan.State, error)
}

// Describe implements Backend.
func (t Target) Describe() Description {
	return Description{Database: dialect.Redact(t.URL), Kind: t.Dialect.Scheme()}
}

// State implements Backend with the dialect's Inspect; a Target without
// a DB (a SQLite file not created yet) holds nothing.
func (t Target) State(ctx context.Context) (*plan.State, error) {
	if t.DB == nil {
		return emptyState(t.Dialect), nil
	}
	return t.Dialect.Inspect(ctx, t.DB)
}

// Plan implements Backend (see Prepare and PrepareToApply).
func (t Target) Plan(ctx context.Context, desired *model.Schema, forApply bool) (*plan.Plan, error) {
	return prepare(ctx, t, desired, forApply)
}

// PlanFrom implements Backend.
func (t Target) PlanFrom(ctx context.Context, st *plan.State, desired *model.Schema, forApply bool) (*plan.Plan, error) {
	if t.DB == nil {
		return prepare(ctx, t, desired, forApply)
	}
	return prepareFrom(ctx, t, st, desired, forApply)
}

// Begin implements Backend: it takes the dialect's apply lock (reporting a
// wait for it as a LockWaiting event), begins the apply's transaction and
// creates the catalog tables in it when missing. With a
// dialect.SessionLock, the whole apply runs on the lock's session.
func (t Target) Begin(ctx context.Context, opts Options) (_ Session, err error) {
	d := t.Dialect
	defer func() {
		// Every failure below has released the lock, and with it the
		// apply's connections: the pool is free to query.
		if err != nil {
			err = explainError(ctx, t.Dialect, t.DB, nil, err)
		}
	}()
	lock, err := d.Lock(ctx, t.DB, t.URL, opts.lockOptions())
	if err != nil {
		return nil, err
	}
	s := &sqlSession{t: t, lock: lock, on: sessionOf(t, lock), txStart: time.Now(), opts: opts}
	if s.tx, err = beginUnder(ctx, t, lock); err != nil {
		release(lock, &err)
		return nil, fmt.Errorf("starting the apply transaction: %w", err)
	}
	// Before EnsureCatalog, which changes the stamp of a database that
	// has no catalog yet.
	if err := s.unchanged(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	if err := d.EnsureCatalog(ctx, s.tx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// sessionOf is where the statements of an apply that holds lock run
// outside its transaction (online builds, their clean-up, the
// convergence check): the lock's session (dialect.SessionLock), or else
// the pool.
func sessionOf(t Target, lock dialect.Lock) dialect.Querier {
	if l, ok := lock.(dialect.SessionLock); ok {
		return l.Session()
	}
	return t.DB
}

// beginUnder starts a transaction of t while lock is held: on the lock's
// session (dialect.SessionLock), or else on the pool.
//
// On the lock's session, the transaction outlives ctx: its statements
// still run on ctx, and a cancelled one fails on the server, but the
// transaction ends only by its Commit or Rollback (sqlSession.Close rolls
// it back before the lock's release). Begun on ctx, it would end when ctx
// is done (Ctrl-C) without a ROLLBACK reaching the server: database/sql
// and pgx roll back on the done context, which sends nothing, and the
// unlock would then run in the aborted transaction and fail.
func beginUnder(ctx context.Context, t Target, lock dialect.Lock) (*sqlx.Tx, error) {
	if l, ok := lock.(dialect.SessionLock); ok {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return l.Begin(context.WithoutCancel(ctx))
	}
	return t.Dialect.Begin(ctx, t.DB)
}

// sqlSession is an apply on a SQL database: the lock, the transaction, and
// what Plan saw inside it.
type sqlSession struct {
	t    Target
	lock dialect.Lock
	// on is where statements run outside the transaction (sessionOf).
	on      dialect.Querier
	tx      *sqlx.Tx
	txStart time.Time
	st      *plan.State
	data    plan.Data
	opts    Options
	// reuse is opts.Inspected when its stamp is the database's under the
	// lock: nothing changed since the caller read it.
	reuse *plan.State
	// desired is the schema Plan planned to; converged is true once
	// Execute checked, before the commit, that the database holds it.
	desired   *model.Schema
	converged bool
}

// convergedBefore implements convergedSession.
func (s *sqlSession) convergedBefore() bool { return s.converged }

// stateAfter implements convergedSession: the state read on the session,
// outside the committed transaction.
func (s *sqlSession) stateAfter(ctx context.Context) (*plan.State, error) {
	return s.t.Dialect.Inspect(ctx, s.on)
}

// converge is the convergence check (Converged) inside the transaction,
// before the commit, when nothing of p runs after it and the dialect keeps
// writers out of the whole database for the whole transaction anyway (it
// is no dialect.TableLocker: SQLite's BEGIN IMMEDIATE): the check then
// holds off no one who was not held off already, it reads what the commit
// would make durable, and a database that did not converge is rolled
// back, as it was. Otherwise it does nothing, and Run checks after the
// commit (and after the online builds), holding no lock on the tables.
func (s *sqlSession) converge(ctx context.Context, p *plan.Plan) error {
	if _, perTable := s.t.Dialect.(dialect.TableLocker); perTable || hasAfter(p) || s.desired == nil {
		return nil
	}
	if err := convergedOn(ctx, s.t.Dialect, s.tx, s.desired); err != nil {
		var nc *NotConvergedError
		if errors.As(err, &nc) {
			nc.RolledBack = true
		}
		return err
	}
	s.converged = true
	return nil
}

// unchanged sets s.reuse when the caller's state (Options.Inspected) is
// still the database's: its stamp is the one the dialect reads now,
// inside the transaction, which holds the database's write lock.
func (s *sqlSession) unchanged(ctx context.Context) error {
	in := s.opts.Inspected
	st, ok := s.t.Dialect.(dialect.Stamper)
	if in == nil || in.Stamp == "" || !ok {
		return nil
	}
	stamp, err := st.Stamp(ctx, s.tx)
	if err != nil {
		return err
	}
	if stamp == in.Stamp {
		s.reuse = in
	}
	return nil
}

// Close implements Session: a rollback (a no-op after the commit) and the
// lock's release, with their errors.
func (s *sqlSession) Close() error {
	var err error
	rollback(s.tx, &err)
	release(s.lock, &err)
	return err
}

// State implements Session: the state inspected inside the transaction,
// or the caller's (Options.Inspected) when its stamp says that nothing
// changed since it was read.
func (s *sqlSession) State(ctx context.Context) (_ *plan.State, err error) {
	if s.reuse != nil {
		s.st = s.reuse
		return s.st, nil
	}
	defer s.explain(ctx, nil, &err, InterruptedError{Began: true})
	st, err := s.t.Dialect.Inspect(ctx, s.tx)
	if err != nil {
		return nil, err
	}
	s.st = st
	return st, nil
}

// explain lets the dialect explain *err (see explainFailed) and says what
// an interruption left done (ie).
func (s *sqlSession) explain(ctx context.Context, p *plan.Plan, err *error, ie InterruptedError) {
	if *err != nil {
		*err = s.explainFailed(ctx, p, *err)
	}
	interrupted(ctx, err, ie)
}

// explainFailed is explainError for a failure that ends the apply: on the
// session (s.on), after rolling the transaction back (a no-op after the
// commit). A failed statement aborted the transaction, where no query
// runs; and the pool may have no connection to spare while the apply
// holds its own (serve --tenant-connections 1): a query there would wait
// for it forever.
func (s *sqlSession) explainFailed(ctx context.Context, p *plan.Plan, err error) error {
	if _, ok := s.t.Dialect.(dialect.ErrorExplainer); !ok {
		return err
	}
	s.tx.Rollback() //nolint:errcheck // the apply ends with err; Close rolls back anyway
	return explainError(ctx, s.t.Dialect, s.on, p, err)
}

// Plan implements Session, with the data checks run inside the
// transaction.
func (s *sqlSession) Plan(ctx context.Context, st *plan.State, desired *model.Schema) (_ *plan.Plan, err error) {
	d := s.t.Dialect
	s.desired = desired
	defer s.explain(ctx, nil, &err, InterruptedError{Began: true})
	// In production mode the apply refuses: it changes nothing, so it
	// locks nothing.
	if st.Mode != model.Production {
		if err := lockLosses(ctx, d, s.tx, st, desired); err != nil {
			return nil, err
		}
	}
	s.data = d.Data(s.tx)
	// From the state the caller planned from, unchanged, a plan that asked
	// the database nothing comes out the same: it is the caller's.
	if p := s.opts.Planned; p != nil && st == s.reuse && !p.Asked &&
		p.Fingerprint == plan.FingerprintOf(st, desired) {
		return p, nil
	}
	// Under the lock, duplicate checks are not run up front: a unique index
	// built inside the transaction refuses duplicates by itself, so the
	// check only runs to explain a failed build, or before the commit for
	// builds that run after it (see uniqueChecks). This spares a scan and
	// sort of the table as large as the build itself.
	p, err := plan.Build(ctx, st, desired, deferDuplicates{s.data})
	if err != nil {
		return nil, err
	}
	if err := Render(d, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Execute implements Session: every statement of p in the transaction,
// each change reported as events, the catalog and the history, the
// commit, then the online index builds.
func (s *sqlSession) Execute(ctx context.Context, p *plan.Plan, opts Options) (n int, err error) {
	d, tx, data := s.t.Dialect, s.tx, s.data
	committed := false
	defer func() {
		ie := InterruptedError{Began: true, Committed: committed}
		if committed {
			ie.Built, ie.Pending = n, countAfter(p)
		}
		s.explain(ctx, p, &err, ie)
	}()
	// A plan made only of online builds changes nothing in the transaction:
	// each build then enforces its own uniqueness, and its failure leaves
	// the database as it was, so no check needs to run first.
	online := onlyOnline(p)
	for i := range p.Steps {
		step := p.Steps[i]
		// A step made only of an online build is reported when it runs,
		// after the commit.
		inTx := len(step.SQL) > 0 || len(step.After) == 0
		start := time.Now()
		if inTx {
			opts.emit(Event{Type: ChangeStart, Time: start, Step: &p.Steps[i]})
		}
		for _, stmt := range step.SQL {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				if refusal := explainUnique(ctx, data, step); refusal != nil {
					return 0, refusal
				}
				// PostgreSQL aborted the transaction at the failure, so it
				// cannot answer the check: roll it back, and ask the
				// database, which sees the rows other sessions committed
				// since the table was counted. Ask on the session, free
				// once the transaction ends: the pool may have no other
				// connection (see explainFailed).
				if len(plan.UniqueChecksOf(step.Change)) > 0 && tx.Rollback() == nil {
					if refusal := explainUnique(ctx, d.Data(s.on), step); refusal != nil {
						return 0, refusal
					}
				}
				return 0, &StepError{Step: step, Statement: stmt, Err: s.explainFailed(ctx, p, err)}
			}
		}
		if inTx {
			opts.emit(Event{Type: ChangeDone, Step: &p.Steps[i], Elapsed: time.Since(start)})
		}
		if len(step.After) == 0 {
			continue
		}
		// Otherwise a duplicate found by the online build, after the
		// commit, could no longer undo the other changes: check now.
		if !online {
			if refusal, err := checkUnique(ctx, data, step); err != nil {
				return 0, err
			} else if refusal != nil {
				return 0, refusal
			}
		}
	}
	if s.st.New {
		if err := catalog.SetMode(ctx, tx, model.Maintenance); err != nil {
			return 0, err
		}
	}
	if err := catalog.Write(ctx, tx, beforeOnline(p, nil)); err != nil {
		return 0, err
	}
	if !online {
		if err := catalog.Append(ctx, tx, historyOf(p, opts)); err != nil {
			return 0, err
		}
	}
	if c, ok := d.(dialect.ForeignKeyChecker); ok {
		if err := c.CheckForeignKeys(ctx, tx); err != nil {
			return 0, fmt.Errorf("apply rolled back, nothing changed: %w", err)
		}
	}
	if err := s.converge(ctx, p); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("committing the apply: %w", err)
	}
	committed = true
	opts.emit(Event{Type: Committed, Elapsed: time.Since(s.txStart)})
	if !hasAfter(p) {
		return 0, nil
	}
	return s.runDeferred(ctx, p, online, opts)
}

// explainError lets dialect d say what a failed statement of the apply
// waited for or ran out of, and what to change (dialect.ErrorExplainer),
// querying q, which must be free. p is nil before the apply planned.
func explainError(ctx context.Context, d dialect.Dialect, q dialect.Querier, p *plan.Plan, err error) error {
	if x, ok := d.(dialect.ErrorExplainer); ok {
		return x.ExplainError(ctx, q, p, err)
	}
	return err
}

// lockLosses locks, inside the apply's transaction, the tables whose data
// the plan's destructive changes lose, before any of it is counted:
// otherwise a value committed by another session between the count and
// the change (a column counted all NULL, an extension counted empty) would
// be lost without --allow-destructive. The tables come from the plan made
// without a database, which reads nothing. The lock is the one the change
// itself takes; dialects without a TableLocker keep writers out from the
// start of the transaction.
func lockLosses(ctx context.Context, d dialect.Dialect, tx *sqlx.Tx, st *plan.State, desired *model.Schema) error {
	l, ok := d.(dialect.TableLocker)
	if !ok {
		return nil
	}
	probe, err := plan.Build(ctx, st, desired, nil)
	if err != nil {
		return err
	}
	if tables := probe.LossTables(); len(tables) > 0 {
		return l.LockTables(ctx, tx, tables)
	}
	return nil
}

// Refuse says why apply must refuse p, or nil when it may run. It is the
// one place that decides, for apply and for the refusal a plan shows. When
// several refusals hold, it returns the one a user must fix first (the
// README's exit codes; 4, invalid schema files, comes before any plan):
//
//  1. a change the target cannot make, then a failing data check
//     (*UnsafeError, exit 5): the change can never succeed, whatever the
//     mode, so a pull request's plan catches it even against a database in
//     production mode;
//  2. production mode (*ModeError, exit 3), for a plan with changes;
//  3. a stale plan (*StaleError, exit 5; see RefuseSaved);
//  4. changes that lose data without allowDestructive (*UnsafeError, exit
//     5). They can succeed, with the flag; but production mode refuses
//     them even then, so switching the mode comes first.
func Refuse(p *plan.Plan, allowDestructive bool) error {
	return refuse(p, allowDestructive, "")
}

// RefuseSaved is Refuse for a plan that was saved or approved with the
// fingerprint saved, where p is the plan made again now: it is stale when
// the fingerprints differ, even when p has no changes.
func RefuseSaved(p *plan.Plan, saved plan.Fingerprint, allowDestructive bool) error {
	return refuse(p, allowDestructive, saved.Diff(p.Fingerprint))
}

// refuse is Refuse with moved naming what changed since the plan was saved
// or approved ("" when nothing did, or no plan was).
func refuse(p *plan.Plan, allowDestructive bool, moved string) error {
	if u := p.Inexpressible(); len(u) > 0 {
		return &UnsafeError{Reason: Inexpressible, Steps: u}
	}
	if b := p.Blocked(); len(b) > 0 {
		return &UnsafeError{Reason: DataCheckFailed, Steps: b}
	}
	if p.Mode == model.Production && !p.Empty() {
		return &ModeError{}
	}
	if moved != "" {
		return &StaleError{What: moved}
	}
	if d := p.Destructive(); len(d) > 0 && !allowDestructive {
		return &UnsafeError{Reason: NeedsAllowDestructive, Steps: d}
	}
	return nil
}

// refuseProduction is Run's refusal of a database in production mode,
// before it takes the lock: the plan is made with every data check, so
// that a change that can never succeed is refused as such (see Refuse).
func refuseProduction(ctx context.Context, b Backend, desired *model.Schema, opts Options) error {
	if opts.Edit != nil {
		// The edit of the schema as it is now: what the plan under the
		// lock would apply.
		st, err := b.State(ctx)
		if err != nil {
			return err
		}
		if desired, err = opts.Edit(st.Catalog.Clone()); err != nil {
			return err
		}
	}
	p, err := Prepare(ctx, b, desired)
	if err != nil {
		return err
	}
	if err := refuse(p, opts.AllowDestructive, opts.moved(p)); err != nil {
		return err
	}
	return &ModeError{}
}

// Converged reads the state again, plans, and reports a
// *NotConvergedError unless the plan is empty.
func Converged(ctx context.Context, b Backend, desired *model.Schema) error {
	st, err := b.State(ctx)
	if err != nil {
		return fmt.Errorf("re-inspecting after apply: %w", err)
	}
	return convergedFrom(ctx, st, desired)
}

// convergedOn is Converged on what q, inside the apply's transaction,
// sees of the database.
func convergedOn(ctx context.Context, d dialect.Dialect, q dialect.Querier, desired *model.Schema) error {
	st, err := d.Inspect(ctx, q)
	if err != nil {
		return fmt.Errorf("re-inspecting after the changes, before the commit: %w", err)
	}
	return convergedFrom(ctx, st, desired)
}

// convergedFrom reports a *NotConvergedError unless the plan from st to
// desired is empty.
func convergedFrom(ctx context.Context, st *plan.State, desired *model.Schema) error {
	p, err := plan.Build(ctx, st, desired, nil)
	if err != nil {
		return err
	}
	if !p.Empty() {
		return &NotConvergedError{Plan: p}
	}
	return nil
}

func historyOf(p *plan.Plan, opts Options) catalog.Entry {
	s := p.Summary()
	var detail []string
	for _, st := range p.Steps {
		o := st.Change.Object()
		detail = append(detail, fmt.Sprintf("%s %s %s", st.Change.Action().Symbol(), o.Kind, o.Name))
	}
	e := catalog.Entry{
		Kind:    "apply",
		Actor:   opts.actor(),
		Summary: fmt.Sprintf("%d to create, %d to update, %d to delete", s.Create, s.Update, s.Delete),
		Detail:  strings.Join(detail, "\n"),
	}
	e.Revision, e.Run = opts.Revision, opts.Run
	return e
}

// Actor names the process for the history: user@host (pid N).
func Actor() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s@%s (pid %d)", name, host, os.Getpid())
}
