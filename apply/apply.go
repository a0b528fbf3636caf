// Package apply plans against a live database and runs plans: it takes the
// apply lock, checks the server mode under it, runs every change together
// with the catalog and history updates in one transaction, builds online
// indexes after it, and checks that the database converged.
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

// Target is an open database and its dialect.
type Target struct {
	Dialect dialect.Dialect
	DB      *sqlx.DB
	// URL is the database URL as given; it is only passed to the dialect's
	// Lock and never printed unredacted.
	URL string
}

// Prepare inspects the database and plans the changes that make it match
// desired, with their SQL. It takes no lock and changes nothing.
func Prepare(ctx context.Context, t Target, desired *model.Schema) (*plan.Plan, error) {
	st, err := t.Dialect.Inspect(ctx, t.DB)
	if err != nil {
		return nil, err
	}
	return buildAndRender(ctx, t.Dialect, t.DB, st, desired)
}

func buildAndRender(ctx context.Context, d dialect.Dialect, q dialect.Querier, st *plan.State, desired *model.Schema) (*plan.Plan, error) {
	p, err := plan.Build(ctx, st, desired, d.Data(q))
	if err != nil {
		return nil, err
	}
	if err := Render(d, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Render fills each step's SQL from the dialect and adds a blocking hazard
// where the dialect rewrites or locks a table that holds rows.
func Render(d dialect.Dialect, p *plan.Plan) error {
	for i := range p.Steps {
		r, err := d.Render(p, p.Steps[i])
		if err != nil {
			o := p.Steps[i].Change.Object()
			return fmt.Errorf("rendering %s %q: %w", o.Kind, o.Name, err)
		}
		p.Steps[i].SQL, p.Steps[i].After = r.SQL, r.After
		if r.Blocking {
			p.Steps[i].Hazards = append(p.Steps[i].Hazards, blocking(p, p.Steps[i]))
		}
	}
	return nil
}

func blocking(p *plan.Plan, s plan.Step) plan.Hazard {
	table := tableOf(s.Change)
	h := plan.Hazard{Kind: plan.Blocking, Rows: -1, Values: -1, Groups: -1, Customers: -1,
		Message: fmt.Sprintf("locks table %s while it is rewritten or indexed", table)}
	if n, ok := p.Rows[table]; ok {
		h.Rows = n
	}
	return h
}

// tableOf names the physical table a change works on, as the plan ends.
func tableOf(c plan.Change) string {
	switch c := c.(type) {
	case plan.CreateExtension:
		return c.Table.Name
	case plan.DeleteExtension:
		return c.Table.Name
	case plan.RenameExtension:
		return c.After.Name
	case plan.UpdateExtension:
		return c.After.Name
	case plan.AddAttribute:
		return c.After.Name
	case plan.DeleteAttribute:
		return c.After.Name
	case plan.UpdateAttribute:
		return c.After.Name
	case plan.RenameAttribute:
		return c.After.Name
	case plan.AddUnique:
		return c.Table.Name
	case plan.DeleteUnique:
		return c.Table.Name
	case plan.CreateKey:
		return model.KeyTable(c.Key)
	case plan.DeleteKey:
		return model.KeyTable(c.Key)
	case plan.ReplaceKey:
		return model.KeyTable(c.To)
	case plan.UpdateKey:
		return model.KeyTable(c.To)
	case plan.RepairTable:
		return c.Table.Name
	}
	return model.ProfileTable
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
	// Progress receives progress lines (online index builds); nil for none.
	Progress func(format string, args ...any)
	// ProgressEvery is how often progress is reported; default one second.
	ProgressEvery time.Duration
}

// Result is what Run did.
type Result struct {
	Plan *plan.Plan
	// Deferred counts the online index builds that ran after the
	// transaction.
	Deferred int
}

// Run applies the changes that make the database match desired. It refuses
// in production mode (*ModeError), refuses changes that fail a data check or
// lose data without opts.AllowDestructive (*UnsafeError), and reports a
// database that did not converge (*NotConvergedError).
func Run(ctx context.Context, t Target, desired *model.Schema, opts Options) (*Result, error) {
	d := t.Dialect
	// Refuse before touching anything: not even the lock or the catalog.
	if mode, err := readMode(ctx, d, t.DB); err != nil {
		return nil, err
	} else if mode == model.Production {
		return nil, &ModeError{}
	}
	lock, err := d.Lock(ctx, t.DB, t.URL, opts.LockTimeout)
	if err != nil {
		return nil, err
	}
	defer lock.Release()

	tx, err := d.Begin(ctx, t.DB)
	if err != nil {
		return nil, fmt.Errorf("starting the apply transaction: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := d.EnsureCatalog(ctx, tx); err != nil {
		return nil, err
	}
	st, err := d.Inspect(ctx, tx)
	if err != nil {
		return nil, err
	}
	// The mode again, under the lock: a switch since the first look is
	// caught here.
	if st.Mode == model.Production {
		return nil, &ModeError{}
	}
	// Under the lock, duplicate checks are not run up front: a unique index
	// built inside the transaction refuses duplicates by itself, so the
	// check only runs to explain a failed build, or before the commit for
	// builds that run after it (see uniqueChecks). This spares a scan and
	// sort of the table as large as the build itself.
	data := d.Data(tx)
	p, err := plan.Build(ctx, st, desired, deferDuplicates{data})
	if err != nil {
		return nil, err
	}
	if err := Render(d, p); err != nil {
		return nil, err
	}
	if opts.Expect != nil {
		if what := opts.Expect.Diff(p.Fingerprint); what != "" {
			return nil, &StaleError{What: what}
		}
	}
	if err := Check(p, opts.AllowDestructive); err != nil {
		return nil, err
	}
	res := &Result{Plan: p}
	if p.Empty() {
		return res, nil
	}
	// A plan made only of online builds changes nothing in the transaction:
	// each build then enforces its own uniqueness, and its failure leaves
	// the database as it was, so no check needs to run first.
	online := onlyOnline(p)
	for _, s := range p.Steps {
		for _, stmt := range s.SQL {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				if refusal := explainUnique(ctx, data, s); refusal != nil {
					return nil, refusal
				}
				return nil, &StepError{Step: s, Statement: stmt, Err: err}
			}
		}
		if len(s.After) == 0 {
			continue
		}
		// Otherwise a duplicate found by the online build, after the
		// commit, could no longer undo the other changes: check now.
		if !online {
			if refusal, err := checkUnique(ctx, data, s); err != nil {
				return nil, err
			} else if refusal != nil {
				return nil, refusal
			}
		}
	}
	if st.New {
		if err := catalog.SetMode(ctx, tx, model.Maintenance); err != nil {
			return nil, err
		}
	}
	if err := catalog.Write(ctx, tx, beforeOnline(p, nil)); err != nil {
		return nil, err
	}
	if !online {
		if err := catalog.Append(ctx, tx, historyOf(p)); err != nil {
			return nil, err
		}
	}
	if c, ok := d.(ForeignKeyChecker); ok {
		if err := c.CheckForeignKeys(ctx, tx); err != nil {
			return nil, fmt.Errorf("apply rolled back, nothing changed: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("committing the apply: %w", err)
	}
	if hasAfter(p) {
		n, err := runDeferred(ctx, t, p, online, opts)
		res.Deferred = n
		if err != nil {
			return res, err
		}
	}
	return res, Converged(ctx, t, desired)
}

// onlyOnline reports whether every step of p runs after the transaction.
func onlyOnline(p *plan.Plan) bool {
	for _, s := range p.Steps {
		if len(s.SQL) > 0 || len(s.After) == 0 {
			return false
		}
	}
	return true
}

func hasAfter(p *plan.Plan) bool {
	for _, s := range p.Steps {
		if len(s.After) > 0 {
			return true
		}
	}
	return false
}

// deferDuplicates answers the planner's duplicate checks with "none", so
// that Run can leave them to the database (see Run).
type deferDuplicates struct{ plan.Data }

func (deferDuplicates) Duplicates(context.Context, string, []string, bool) (plan.Finding, error) {
	return plan.Finding{}, nil
}

// checkUnique runs the duplicate check of a step that builds a unique
// index, and returns the refusal when values repeat.
func checkUnique(ctx context.Context, data plan.Data, s plan.Step) (*UnsafeError, error) {
	u, ok := plan.UniqueCheckOf(s.Change)
	if !ok {
		return nil, nil
	}
	h, err := u.Run(ctx, data)
	if err != nil || h == nil {
		return nil, err
	}
	s.Hazards = append(append([]plan.Hazard(nil), s.Hazards...), *h)
	return &UnsafeError{Reason: DataCheckFailed, Steps: []plan.Step{s}}, nil
}

// explainUnique turns the failure of a unique index build inside the
// transaction into the data-check refusal it is, when the data shows
// duplicates; nil otherwise.
func explainUnique(ctx context.Context, data plan.Data, s plan.Step) error {
	refusal, err := checkUnique(ctx, data, s)
	if err != nil || refusal == nil {
		return nil
	}
	return refusal
}

// Check refuses a plan that cannot or may not be applied: data checks that
// fail, and changes that lose data without allowDestructive.
func Check(p *plan.Plan, allowDestructive bool) error {
	if b := p.Blocked(); len(b) > 0 {
		return &UnsafeError{Reason: DataCheckFailed, Steps: b}
	}
	if d := p.Destructive(); len(d) > 0 && !allowDestructive {
		return &UnsafeError{Reason: NeedsAllowDestructive, Steps: d}
	}
	return nil
}

// Converged plans again and reports a *NotConvergedError unless the plan is
// empty.
func Converged(ctx context.Context, t Target, desired *model.Schema) error {
	st, err := t.Dialect.Inspect(ctx, t.DB)
	if err != nil {
		return fmt.Errorf("re-inspecting after apply: %w", err)
	}
	p, err := plan.Build(ctx, st, desired, nil)
	if err != nil {
		return err
	}
	if !p.Empty() {
		return &NotConvergedError{Plan: p}
	}
	return nil
}

// runDeferred runs the online index builds of p one at a time, reporting
// their progress when asked, and records each finished build in the catalog
// at once, so that a later failure never forgets an index already built. It
// returns how many statements ran. A failed build leaves no invalid index
// behind when the dialect can clean up; a unique build that failed over
// duplicates is reported as the refused data check it is. The history entry
// of an apply made only of online builds is written with the last record.
func runDeferred(ctx context.Context, t Target, p *plan.Plan, online bool, opts Options) (int, error) {
	n := 0
	built := map[int]bool{}
	last := -1
	for i, s := range p.Steps {
		if len(s.After) > 0 {
			last = i
		}
	}
	for i, s := range p.Steps {
		if len(s.After) == 0 {
			continue
		}
		for _, stmt := range s.After {
			if opts.Progress != nil {
				opts.Progress("building: %s", stmt)
			}
			stop := watchProgress(ctx, t, opts)
			_, err := t.DB.ExecContext(ctx, stmt)
			stop()
			if err != nil {
				return n, failedBuild(ctx, t, s, stmt, err)
			}
			n++
		}
		built[i] = true
		if err := record(ctx, t, beforeOnline(p, built), p, online && i == last); err != nil {
			return n, err
		}
	}
	return n, nil
}

// failedBuild cleans up after a failed online build and says why it failed.
func failedBuild(ctx context.Context, t Target, s plan.Step, stmt string, err error) error {
	ctx = context.WithoutCancel(ctx)
	if c, ok := t.Dialect.(IndexCleaner); ok {
		if cerr := c.DropInvalidIndexes(ctx, t.DB); cerr != nil {
			return &DeferredError{Statement: stmt, Err: errors.Join(err, fmt.Errorf("cleaning up the failed build: %w", cerr))}
		}
	}
	if refusal := explainUnique(ctx, t.Dialect.Data(t.DB), s); refusal != nil {
		return refusal
	}
	return &DeferredError{Statement: stmt, Err: err}
}

// record writes the catalog, and the history entry of p when asked, in one
// transaction.
func record(ctx context.Context, t Target, s *model.Schema, p *plan.Plan, history bool) error {
	tx, err := t.Dialect.Begin(ctx, t.DB)
	if err != nil {
		return fmt.Errorf("recording the online builds: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := catalog.Write(ctx, tx, s); err != nil {
		return err
	}
	if history {
		if err := catalog.Append(ctx, tx, historyOf(p)); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("recording the online builds: %w", err)
	}
	return nil
}

// watchProgress reports, every opts.ProgressEvery, how far the running index
// build has come, until the returned stop is called.
func watchProgress(ctx context.Context, t Target, opts Options) (stop func()) {
	r, ok := t.Dialect.(ProgressReporter)
	if opts.Progress == nil || !ok {
		return func() {}
	}
	every := opts.ProgressEvery
	if every <= 0 {
		every = time.Second
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(every)
		defer tick.Stop()
		last := ""
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			phase, n, total, err := r.Progress(ctx, t.DB, "")
			if err != nil || phase == "" {
				continue
			}
			line := fmt.Sprintf("  %s: %d of %d", phase, n, total)
			if total > 0 && !strings.HasPrefix(phase, "waiting") {
				line = fmt.Sprintf("  %s: %d%%", phase, n*100/total)
			}
			if line != last {
				opts.Progress("%s", line)
				last = line
			}
		}
	}()
	return func() { close(done); <-finished }
}

// ProgressReporter is implemented by dialects that can tell how far a
// running index build has come (PostgreSQL's pg_stat_progress_create_index).
type ProgressReporter interface {
	// Progress returns the phase of the running build ("" when none) and
	// done out of total units of that phase.
	Progress(ctx context.Context, q dialect.Querier, index string) (phase string, done, total int64, err error)
}

// IndexCleaner is implemented by dialects whose online index builds can
// leave an invalid index behind when they fail.
type IndexCleaner interface {
	// DropInvalidIndexes drops every invalid ik_ or ux_ index.
	DropInvalidIndexes(ctx context.Context, q dialect.Querier) error
}

// ForeignKeyChecker is implemented by dialects that can verify, inside the
// apply's transaction, that every extension record still references a
// profile (SQLite, whose table rebuilds run with enforcement off).
type ForeignKeyChecker interface {
	CheckForeignKeys(ctx context.Context, q dialect.Querier) error
}

// beforeOnline is what the catalog records while online builds are under
// way: the desired schema without the keys and unique items whose index is
// not built yet (steps with After statements not in built), so that a
// failed build leaves no catalog entry behind.
func beforeOnline(p *plan.Plan, built map[int]bool) *model.Schema {
	out := p.Desired.Clone()
	for i, s := range p.Steps {
		if len(s.After) == 0 || built[i] {
			continue
		}
		switch c := s.Change.(type) {
		case plan.CreateKey:
			out.Keys = dropKey(out.Keys, c.Key.Name)
		case plan.ReplaceKey:
			out.Keys = dropKey(out.Keys, c.To.Name)
		case plan.AddUnique:
			for i := range out.Extensions {
				if strings.EqualFold(out.Extensions[i].Name, c.Extension) {
					out.Extensions[i].Unique = dropItem(out.Extensions[i].Unique, c.Item)
				}
			}
		}
	}
	return out
}

func dropKey(keys []model.Key, name string) []model.Key {
	var out []model.Key
	for _, k := range keys {
		if !strings.EqualFold(k.Name, name) {
			out = append(out, k)
		}
	}
	return out
}

func dropItem(items [][]string, item []string) [][]string {
	var out [][]string
	for _, it := range items {
		if !model.SameItem(it, item) {
			out = append(out, it)
		}
	}
	return out
}

func readMode(ctx context.Context, d dialect.Dialect, db *sqlx.DB) (model.Mode, error) {
	st, err := d.Inspect(ctx, db)
	if err != nil {
		return "", err
	}
	return st.Mode, nil
}

func historyOf(p *plan.Plan) catalog.Entry {
	s := p.Summary()
	var detail []string
	for _, st := range p.Steps {
		o := st.Change.Object()
		detail = append(detail, fmt.Sprintf("%s %s %s", st.Change.Action().Symbol(), o.Kind, o.Name))
	}
	return catalog.Entry{
		Kind:    "apply",
		Actor:   Actor(),
		Summary: fmt.Sprintf("%d to create, %d to update, %d to delete", s.Create, s.Update, s.Delete),
		Detail:  strings.Join(detail, "\n"),
	}
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

// SetMode switches the server mode and records the switch in the history,
// in one transaction. It takes the apply lock (waiting up to lockTimeout),
// so that a switch to production never lands in the middle of an apply
// that already checked the mode. It returns the previous mode.
func SetMode(ctx context.Context, t Target, m model.Mode, lockTimeout time.Duration) (model.Mode, error) {
	d := t.Dialect
	lock, err := d.Lock(ctx, t.DB, t.URL, lockTimeout)
	if err != nil {
		return "", err
	}
	defer lock.Release()
	tx, err := d.Begin(ctx, t.DB)
	if err != nil {
		return "", fmt.Errorf("starting the mode switch: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := d.EnsureCatalog(ctx, tx); err != nil {
		return "", err
	}
	_, old, err := catalog.Read(ctx, tx)
	if err != nil {
		return "", err
	}
	if old == m {
		return old, nil
	}
	if err := catalog.SetMode(ctx, tx, m); err != nil {
		return "", err
	}
	e := catalog.Entry{Kind: "mode", Actor: Actor(), Summary: fmt.Sprintf("%s -> %s", old, m)}
	if err := catalog.Append(ctx, tx, e); err != nil {
		return "", err
	}
	return old, tx.Commit()
}
