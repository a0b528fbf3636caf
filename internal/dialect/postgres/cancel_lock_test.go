package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/dialecttest"
	"github.com/ctxschema/ctxschema/internal/dialect/postgres"
)

// An apply writes the catalog and drops the invalid index of a failed
// online build only while it holds the apply lock, even when its build
// was cancelled or its session's connection is gone: another apply could
// otherwise run in between. The tests below watch, at each clean-up and
// each transaction, whether the session they run on holds the lock.

// holdsLock says whether the session of q holds the apply lock (the
// two-key advisory lock whose first key is "ctxs").
const holdsLock = `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
  AND pid = pg_backend_pid() AND classid = 1668577395::oid AND objsubid = 2)`

// lockWatch is the PostgreSQL dialect that notes, at each clean-up of a
// failed build and each transaction, whether its session holds the lock.
// With closeAtCleanup, the first clean-up closes its session's
// connection first; with closeAtBegin, so does the transaction of the
// lock's session numbered closeAtBegin (1 is the apply's own).
type lockWatch struct {
	*postgres.Dialect
	closeAtCleanup bool
	closeAtBegin   int
	// afterClose, when set, runs once the session is closed.
	afterClose func()

	mu       sync.Mutex
	cleanups []bool
	begins   []bool
	closed   bool
	// sessions are the server pids of the lock's sessions, as taken.
	sessions []int
}

func (d *lockWatch) note(to *[]bool, held bool) {
	d.mu.Lock()
	*to = append(*to, held)
	d.mu.Unlock()
}

// closeSession ends the connection of q as pgx does when a statement's
// context is done: a statement sent with a cancelled context makes
// database/sql discard the connection.
func closeSession(q dialect.Querier) error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := q.ExecContext(ctx, "SELECT 1")
	return err
}

func (d *lockWatch) DropInvalidIndexes(ctx context.Context, q dialect.Querier) error {
	d.mu.Lock()
	closing := d.closeAtCleanup && !d.closed
	d.closed = d.closed || closing
	d.mu.Unlock()
	if closing {
		if err := closeSession(q); err == nil {
			return errors.New("the session survived a statement with a cancelled context")
		}
		if d.afterClose != nil {
			d.afterClose()
		}
	}
	var held bool
	if err := sqlx.GetContext(ctx, q, &held, holdsLock); err != nil {
		return err // the session's connection is gone
	}
	d.note(&d.cleanups, held)
	return d.Dialect.DropInvalidIndexes(ctx, q)
}

func (d *lockWatch) Begin(ctx context.Context, db *sqlx.DB) (*sqlx.Tx, error) {
	tx, err := d.Dialect.Begin(ctx, db)
	return d.noteBegin(ctx, tx, err)
}

// noteBegin notes whether the session of tx, just begun (unless err),
// holds the apply lock.
func (d *lockWatch) noteBegin(ctx context.Context, tx *sqlx.Tx, err error) (*sqlx.Tx, error) {
	if err != nil {
		return nil, err
	}
	var held bool
	if err := tx.GetContext(ctx, &held, holdsLock); err != nil {
		tx.Rollback()
		return nil, err
	}
	d.note(&d.begins, held)
	return tx, nil
}

func (d *lockWatch) Lock(ctx context.Context, db *sqlx.DB, rawURL string, opts dialect.LockOptions) (dialect.Lock, error) {
	l, err := d.Dialect.Lock(ctx, db, rawURL, opts)
	if err != nil {
		return nil, err
	}
	var pid int
	if err := sqlx.GetContext(ctx, l.(dialect.SessionLock).Session(), &pid, "SELECT pg_backend_pid()"); err != nil {
		l.Release()
		return nil, err
	}
	d.mu.Lock()
	d.sessions = append(d.sessions, pid)
	d.mu.Unlock()
	return watchedLock{l.(dialect.SessionLock), d}, nil
}

// watchedLock is a lock whose transactions lockWatch watches.
type watchedLock struct {
	dialect.SessionLock
	d *lockWatch
}

func (l watchedLock) Begin(ctx context.Context) (*sqlx.Tx, error) {
	d := l.d
	d.mu.Lock()
	closing := len(d.begins)+1 == d.closeAtBegin && !d.closed
	d.closed = d.closed || closing
	d.mu.Unlock()
	if closing {
		if err := closeSession(l.Session()); err == nil {
			return nil, errors.New("the session survived a statement with a cancelled context")
		}
	}
	tx, err := l.SessionLock.Begin(ctx)
	return d.noteBegin(ctx, tx, err)
}

// allHeld fails t unless want calls were noted, each under the lock.
func allHeld(t *testing.T, what string, held []bool, want int) {
	t.Helper()
	if len(held) < want {
		t.Errorf("%d %s reached the server, want %d", len(held), what, want)
	}
	for i, h := range held {
		if !h {
			t.Errorf("%s %d ran on a session that does not hold the apply lock", what, i+1)
		}
	}
}

// waitForBuild waits until an index build runs in the database, or the
// apply ends.
func waitForBuild(t *testing.T, tg apply.Target, errc <-chan error) {
	t.Helper()
	for {
		var n int
		if err := tg.DB.Get(&n, `SELECT count(*) FROM pg_stat_progress_create_index WHERE datname = current_database()`); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		select {
		case err := <-errc:
			t.Fatalf("the apply ended before its build could be interrupted: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// TestCancelledBuildCleanedUpUnderLock: an apply cancelled during an
// online build keeps its session, and with it the apply lock, while it
// drops the build's invalid index.
func TestCancelledBuildCleanedUpUnderLock(t *testing.T) {
	tg := seeded(t, 100000)
	d := &lockWatch{Dialect: postgres.New()}
	tg.Dialect = d
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := apply.Run(ctx, tg, emailSchema(true), apply.Options{LockTimeout: 10 * time.Second})
		errc <- err
	}()
	waitForBuild(t, tg, errc)
	cancel()
	err := <-errc
	var ie *apply.InterruptedError
	if !errors.As(err, &ie) || !ie.Committed || ie.Built != 0 || !errors.Is(err, context.Canceled) {
		t.Fatalf("apply = %v, want an interruption of the online build", err)
	}
	allHeld(t, "clean-ups", d.cleanups, 1)
	if len(d.cleanups) != 1 || len(d.sessions) != 1 {
		t.Errorf("%d clean-ups on %d sessions, want 1 on the apply's session, which the cancel left open", len(d.cleanups), len(d.sessions))
	}
	if got := indexState(t, tg, "ik_idemail"); got != "missing" {
		t.Errorf("after the interruption the index is %s, want none", got)
	}
}

// TestCleanupRelocksWhenSessionGone: when the session's connection is
// gone at the clean-up of a failed build, the clean-up takes the lock
// again on a new connection before it drops anything.
func TestCleanupRelocksWhenSessionGone(t *testing.T) {
	tg := seeded(t, 1000)
	dialecttest.Exec(t, tg.DB, `INSERT INTO "profile" ("customer_id", "emailaddress") VALUES ('dup', 'user1@example.com')`)
	d := &lockWatch{Dialect: postgres.New(), closeAtCleanup: true}
	tg.Dialect = d
	_, err := apply.Run(context.Background(), tg, emailSchema(true), apply.Options{LockTimeout: 10 * time.Second})
	var unsafe *apply.UnsafeError
	if !errors.As(err, &unsafe) || unsafe.Reason != apply.DataCheckFailed {
		t.Fatalf("apply = %v, want the key refused over its duplicate", err)
	}
	allHeld(t, "clean-ups", d.cleanups, 1)
	if got := indexState(t, tg, "ik_idemail"); got != "missing" {
		t.Errorf("after the failed build the index is %s, want none", got)
	}
	allHeld(t, "transactions", d.begins, 1)
}

// TestRecordRelocksWhenSessionGone: when the session's connection is
// gone at the record of a finished build, the record takes the lock
// again on a new connection before it writes the catalog.
func TestRecordRelocksWhenSessionGone(t *testing.T) {
	tg := seeded(t, 1000)
	d := &lockWatch{Dialect: postgres.New(), closeAtBegin: 2}
	tg.Dialect = d
	if _, err := apply.Run(context.Background(), tg, emailSchema(true), apply.Options{LockTimeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	allHeld(t, "transactions", d.begins, 2)
	tg.Dialect = postgres.New()
	dialecttest.Verify(t, tg, emailSchema(true))
}

// TestCleanupWithoutLockFails: when the session's connection is gone at
// the clean-up of a failed build and another apply took the lock in the
// meantime, the clean-up drops nothing and says what it left.
func TestCleanupWithoutLockFails(t *testing.T) {
	tg := seeded(t, 1000)
	dialecttest.Exec(t, tg.DB, `INSERT INTO "profile" ("customer_id", "emailaddress") VALUES ('dup', 'user1@example.com')`)
	other := postgres.New()
	var held dialect.Lock
	d := &lockWatch{Dialect: postgres.New(), closeAtCleanup: true, afterClose: func() {
		l, err := other.Lock(context.Background(), tg.DB, tg.URL, dialect.LockOptions{Timeout: 10 * time.Second})
		if err != nil {
			t.Error(err)
			return
		}
		held = l
	}}
	tg.Dialect = d
	_, err := apply.Run(context.Background(), tg, emailSchema(true), apply.Options{LockTimeout: 100 * time.Millisecond})
	if held == nil {
		t.Fatalf("the other apply could not take the lock: %v", err)
	}
	defer held.Release()
	var timeout *dialect.LockTimeoutError
	var deferred *apply.DeferredError
	if !errors.As(err, &deferred) || !errors.As(err, &timeout) || !strings.Contains(err.Error(), "invalid index may be left") {
		t.Fatalf("apply = %v, want a failed clean-up that names the invalid index it leaves", err)
	}
	if len(d.cleanups) != 0 {
		t.Errorf("%d clean-ups ran while another apply held the lock", len(d.cleanups))
	}
	if got := indexState(t, tg, "ik_idemail"); got != "invalid" {
		t.Errorf("the index is %s, want the invalid build left as it was", got)
	}
}
