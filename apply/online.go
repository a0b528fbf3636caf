package apply

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// Online index builds: the indexes a dialect builds after the transaction
// (PostgreSQL's CREATE INDEX CONCURRENTLY on tables with rows), their
// duplicate checks, progress, clean-up after a failure, and the catalog
// records that follow each build.

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
	return countAfter(p) > 0
}

// countAfter counts the statements of p that run after the transaction.
func countAfter(p *plan.Plan) int {
	n := 0
	for _, s := range p.Steps {
		n += len(s.After)
	}
	return n
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
	var found []plan.Hazard
	for _, u := range plan.UniqueChecksOf(s.Change) {
		h, err := u.Run(ctx, data)
		if err != nil {
			return nil, err
		}
		if h != nil {
			found = append(found, *h)
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	s.Hazards = append(append([]plan.Hazard(nil), s.Hazards...), found...)
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

// runDeferred runs the online index builds of p one at a time, reporting
// their progress when asked, and records each finished build in the catalog
// at once, so that a later failure never forgets an index already built. It
// returns how many statements ran. A failed build leaves no invalid index
// behind when the dialect can clean up; a unique build that failed over
// duplicates is reported as the refused data check it is. The history entry
// of an apply made only of online builds is written with the last record.
// The builds and their records run on the session (s.on), under the lock.
func (s *sqlSession) runDeferred(ctx context.Context, p *plan.Plan, online bool, opts Options) (int, error) {
	t := s.t
	n := 0
	built := map[int]bool{}
	last := -1
	for i, step := range p.Steps {
		if len(step.After) > 0 {
			last = i
		}
	}
	for i, step := range p.Steps {
		if len(step.After) == 0 {
			continue
		}
		for _, stmt := range step.After {
			// A statement sent on a done context would close the
			// session, and free the lock with it.
			if err := ctx.Err(); err != nil {
				return n, &DeferredError{Statement: stmt, Err: err}
			}
			start := time.Now()
			opts.emit(Event{Type: BuildStart, Time: start, Step: &p.Steps[i], Statement: stmt})
			stop := watchProgress(ctx, t, &p.Steps[i], opts)
			_, err := s.on.ExecContext(ctx, stmt)
			stop()
			if err != nil {
				return n, s.failedBuild(ctx, step, stmt, err)
			}
			n++
			opts.emit(Event{Type: BuildDone, Step: &p.Steps[i], Statement: stmt, Elapsed: time.Since(start)})
		}
		built[i] = true
		// The index is built: record it even when the apply is being
		// cancelled (SIGINT, SIGTERM), or the next plan would not know
		// the index is its key's. The step is short: one small
		// transaction on the catalog.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		err := s.record(rctx, beforeOnline(p, built), p, online && i == last, opts)
		cancel()
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// recordTimeout bounds the recording of a finished online build, which
// runs even when the apply is cancelled.
const recordTimeout = 30 * time.Second

// failedBuild cleans up after a failed online build and says why it
// failed. A build that was cancelled (Ctrl-C) was cancelled by the
// server, on the session, which stays open: the clean-up runs on it,
// under the lock. When the session's connection is gone all the same,
// the clean-up takes the lock again first (relock).
func (s *sqlSession) failedBuild(ctx context.Context, step plan.Step, stmt string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("%w: %w", cerr, err) // the server cancelled it at our request
	}
	ctx = context.WithoutCancel(ctx)
	d := s.t.Dialect
	if c, ok := d.(dialect.IndexCleaner); ok {
		cerr := c.DropInvalidIndexes(ctx, s.on)
		if connGone(cerr) {
			if cerr = s.relock(ctx); cerr == nil {
				cerr = c.DropInvalidIndexes(ctx, s.on)
			}
		}
		if cerr != nil {
			return &DeferredError{Statement: stmt, Err: fmt.Errorf("%w; %w", err, &leftoverError{
				Err:  fmt.Errorf("cleaning up the failed build: %w", cerr),
				Left: "its invalid index may be left, which the next apply drops and builds again",
			})}
		}
	}
	if refusal := explainUnique(ctx, d.Data(s.on), step); refusal != nil {
		return refusal
	}
	return &DeferredError{Statement: stmt, Err: err}
}

// connGone reports whether err says that a connection taken out of its
// pool (the lock's session) is closed.
func connGone(err error) bool {
	return errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn)
}

// relock takes the apply lock again, on a new connection, when the lock's
// session is gone (connGone): the server freed the lock as the session
// ended, and the catalog and the indexes are only written under it, lest
// another apply runs in between. It waits for the lock as Begin does, at
// most opts.LockTimeout.
func (s *sqlSession) relock(ctx context.Context) error {
	s.lock.Release() //nolint:errcheck // its session is gone, and the lock with it
	l, err := s.t.Dialect.Lock(ctx, s.t.DB, s.t.URL, s.opts.lockOptions())
	if err != nil {
		s.lock, s.on = released{}, s.t.DB
		return fmt.Errorf("the apply lock's session was closed, and taking the lock again failed: %w", err)
	}
	s.lock, s.on = l, sessionOf(s.t, l)
	return nil
}

// released is the lock of an apply that lost it and could not take it
// again (relock).
type released struct{}

func (released) Release() error { return nil }

// leftoverError is a failure after the commit that leaves something for
// the next apply to reconcile (Left).
type leftoverError struct {
	Err  error
	Left string
}

func (e *leftoverError) Error() string { return fmt.Sprintf("%v; %s", e.Err, e.Left) }
func (e *leftoverError) Unwrap() error { return e.Err }

// record writes the catalog, and the history entry of p (as opts names
// it) when asked, in one transaction, on the session, under the lock: on
// a new session, the lock taken again (relock), when the session's
// connection is gone.
func (s *sqlSession) record(ctx context.Context, sc *model.Schema, p *plan.Plan, history bool, opts Options) (err error) {
	defer func() {
		if err != nil {
			err = &leftoverError{Err: fmt.Errorf("recording the online builds: %w", err),
				Left: "the built index is not in the catalog: the next apply adopts it"}
		}
	}()
	tx, err := beginUnder(ctx, s.t, s.lock)
	if connGone(err) {
		if err = s.relock(ctx); err == nil {
			tx, err = beginUnder(ctx, s.t, s.lock)
		}
	}
	if err != nil {
		return err
	}
	defer rollback(tx, &err)
	if err := catalog.Write(ctx, tx, sc); err != nil {
		return err
	}
	if history {
		if err := catalog.Append(ctx, tx, historyOf(p, opts)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// watchProgress reports, every opts.ProgressEvery, how far the running index
// build of step has come, until the returned stop is called; it reads
// nothing unless opts asks for the progress (Options.Progress). The events
// come from a goroutine of their own while the build's statement runs; stop
// waits for it, so that no two events are ever reported at once. The
// progress is read on the pool, as the build holds the session: stop
// cancels a read that still waits for a connection, which a pool of one
// (serve --tenant-connections 1) never gives while the apply holds it.
func watchProgress(ctx context.Context, t Target, step *plan.Step, opts Options) (stop func()) {
	r, ok := t.Dialect.(dialect.ProgressReporter)
	if opts.Events == nil || !opts.Progress || !ok {
		return func() {}
	}
	every := opts.ProgressEvery
	if every <= 0 {
		every = time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(every)
		defer tick.Stop()
		var last Event
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
			e := Event{Type: BuildProgress, Step: step, Phase: phase, Done: n, Total: total}
			if e.Phase != last.Phase || e.Done != last.Done || e.Total != last.Total {
				opts.emit(e)
				last = e
			}
		}
	}()
	return func() { close(done); cancel(); <-finished }
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
			out.Keys = model.RemoveKey(out.Keys, c.Key.Name)
		case plan.ReplaceKey:
			out.Keys = model.RemoveKey(out.Keys, c.To.Name)
		case plan.AddUnique:
			for i := range out.Extensions {
				if strings.EqualFold(out.Extensions[i].Name, c.Extension) {
					out.Extensions[i].Unique = model.RemoveItem(out.Extensions[i].Unique, c.Item)
				}
			}
		}
	}
	return out
}
