package apply_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
	"github.com/ctxschema/ctxschema/internal/model"
)

// newTarget is an empty SQLite database.
func newTarget(t *testing.T) apply.Target {
	t.Helper()
	url := "sqlite://" + filepath.Join(t.TempDir(), "e.db")
	db, err := sqlite.New().Open(context.Background(), url, dialect.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return apply.Target{Dialect: sqlite.New(), DB: db, URL: url}
}

// TestRunEvents: Run reports each change as it starts and finishes, in
// plan order, then the commit.
func TestRunEvents(t *testing.T) {
	tg := newTarget(t)
	var got []string
	res, err := apply.Run(context.Background(), tg, schema(), apply.Options{Events: func(e apply.Event) {
		s := string(e.Type)
		if e.Step != nil {
			s += " " + e.Step.Change.Object().Name
		}
		if e.Time.IsZero() {
			t.Errorf("%s has no time", s)
		}
		if (e.Type == apply.ChangeDone || e.Type == apply.Committed) && e.Elapsed <= 0 {
			t.Errorf("%s has no elapsed time", s)
		}
		got = append(got, s)
	}})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range res.Plan.Steps {
		n := s.Change.Object().Name
		want = append(want, "change_start "+n, "change_done "+n)
	}
	want = append(want, "commit")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRunInterrupted: a context cancelled in the middle of the transaction
// (Ctrl-C) rolls everything back, and Run says so instead of "context
// canceled".
func TestRunInterrupted(t *testing.T) {
	tg := newTarget(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := 0
	_, err := apply.Run(ctx, tg, schema(), apply.Options{Events: func(e apply.Event) {
		if e.Type == apply.ChangeStart {
			// The second change is interrupted, after the first ran.
			if started++; started == 2 {
				cancel()
			}
		}
	}})
	var ie *apply.InterruptedError
	if !errors.As(err, &ie) || ie.Committed {
		t.Fatalf("Run = %v; want an *InterruptedError before the commit", err)
	}
	if err.Error() != "interrupted; rolled back, nothing changed" || !errors.Is(err, context.Canceled) {
		t.Errorf("error %q (%v); want it to say it rolled back and wrap context.Canceled", err, err)
	}
	// Nothing changed: the whole schema is still to be created.
	p, err := apply.Prepare(context.Background(), tg, schema())
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Summary(); s.Create != len(p.Steps) || s.Create < 2 {
		t.Errorf("after the interrupted apply the plan is %+v; want everything still to create", s)
	}
}

// TestRunInterruptedWhileConverging: interrupted after the commit of a
// plan without online builds, Run says every change is applied and only
// the convergence check did not finish, not that builds were removed. The
// dialect locks tables one by one (a dialect.TableLocker, as PostgreSQL),
// so the check runs after the commit; on SQLite it runs before.
func TestRunInterruptedWhileConverging(t *testing.T) {
	tg := newTarget(t)
	tg.Dialect = tableLocks{tg.Dialect.(*sqlite.Dialect)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := apply.Run(ctx, tg, schema(), apply.Options{Events: func(e apply.Event) {
		if e.Type == apply.Committed {
			cancel()
		}
	}})
	var ie *apply.InterruptedError
	if !errors.As(err, &ie) || !ie.Applied {
		t.Fatalf("Run = %v; want an *InterruptedError with every change applied", err)
	}
	if want := "interrupted after every change was applied, while checking that the database converged; run 'ctxschema plan' to confirm"; err.Error() != want {
		t.Errorf("error %q; want %q", err, want)
	}
	p, err := apply.Prepare(context.Background(), tg, schema())
	if err != nil {
		t.Fatal(err)
	}
	if !p.Empty() {
		t.Errorf("after the apply the plan has %d steps; want none", len(p.Steps))
	}
}

// TestSetModeInterrupted: a mode switch interrupted while it waits for the
// apply lock says that nothing changed.
func TestSetModeInterrupted(t *testing.T) {
	tg := newTarget(t)
	held, err := sqlite.LockFile(context.Background(), strings.TrimPrefix(tg.URL, "sqlite://")+".lock", dialect.LockOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var holder string
	_, err = apply.SetMode(ctx, tg, model.Production, apply.Options{LockTimeout: time.Minute, Events: func(e apply.Event) {
		if e.Type == apply.LockWaiting {
			holder = e.Holder
			cancel()
		}
	}})
	if err == nil || err.Error() != "interrupted; nothing changed" {
		t.Fatalf("SetMode = %v; want %q", err, "interrupted; nothing changed")
	}
	if !strings.Contains(holder, "pid ") {
		t.Errorf("the lock_waiting event names %q, not the holder", holder)
	}
}

// releaseFails is a dialect whose apply lock cannot be released.
type releaseFails struct{ dialect.Dialect }

func (d releaseFails) Lock(ctx context.Context, db *sqlx.DB, rawURL string, opts dialect.LockOptions) (dialect.Lock, error) {
	l, err := d.Dialect.Lock(ctx, db, rawURL, opts)
	if err != nil {
		return nil, err
	}
	return failingLock{l}, nil
}

type failingLock struct{ dialect.Lock }

func (l failingLock) Release() error {
	l.Lock.Release() //nolint:errcheck // the test's own failure is reported instead
	return errors.New("lock file gone")
}

// TestReleaseErrorReported: a lock that cannot be released is reported by
// Run and SetMode, not dropped by a deferred call.
func TestReleaseErrorReported(t *testing.T) {
	tg := newTarget(t)
	tg.Dialect = releaseFails{tg.Dialect}
	if _, err := apply.Run(context.Background(), tg, schema(), apply.Options{}); err == nil || !strings.Contains(err.Error(), "releasing the apply lock: lock file gone") {
		t.Errorf("Run = %v; want the failed release", err)
	}
	if _, err := apply.SetMode(context.Background(), tg, model.Production, apply.Options{}); err == nil || !strings.Contains(err.Error(), "releasing the apply lock: lock file gone") {
		t.Errorf("SetMode = %v; want the failed release", err)
	}
}
