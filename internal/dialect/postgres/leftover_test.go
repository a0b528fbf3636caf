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
	"github.com/ctxschema/ctxschema/plan"
)

// An apply killed or cancelled during CREATE INDEX CONCURRENTLY leaves the
// index without its key in the catalog: invalid, or valid when the build
// had just finished. The tests below make each leftover the way the
// server does and require the next plan to own it and the next apply to
// converge.

func unmanagedIndex(p *plan.Plan, name string) bool {
	for _, u := range p.Unmanaged {
		if u.Kind == plan.ExtraIndex && u.Name == name {
			return true
		}
	}
	return false
}

func indexOID(t *testing.T, tg apply.Target, name string) int64 {
	t.Helper()
	var oid int64
	if err := tg.DB.Get(&oid, `SELECT oid::bigint FROM pg_class WHERE relname = $1`, name); err != nil {
		t.Fatal(err)
	}
	return oid
}

// TestLeftoverInvalidIndexRebuilt: an interrupted build's invalid index is
// the new key's, dropped and built again.
func TestLeftoverInvalidIndexRebuilt(t *testing.T) {
	tg := seeded(t, 1000)
	ctx := context.Background()
	// A concurrent unique build that fails leaves its index invalid, as
	// one that is cancelled or whose client dies does.
	dialecttest.Exec(t, tg.DB, `INSERT INTO "profile" ("customer_id", "emailaddress") VALUES ('dup', 'user1@example.com')`)
	if _, err := tg.DB.Exec(`CREATE UNIQUE INDEX CONCURRENTLY "ik_idemail" ON "profile" ("emailaddress")`); err == nil {
		t.Fatal("the build over a duplicate succeeded")
	}
	dialecttest.Exec(t, tg.DB, `DELETE FROM "profile" WHERE "customer_id" = 'dup'`)
	if got := indexState(t, tg, "ik_idemail"); got != "invalid" {
		t.Fatalf("the leftover is %s, want invalid", got)
	}

	p, err := apply.Prepare(ctx, tg, emailSchema(true))
	if err != nil {
		t.Fatal(err)
	}
	if unmanagedIndex(p, "ik_idemail") {
		t.Error("the plan lists the leftover of its own key as an unmanaged index")
	}
	if len(p.Steps) != 1 || len(p.Steps[0].After) != 2 {
		t.Fatalf("want the key's step to drop the leftover and build the index, got %v: %q", dialecttest.Lines(p), p.Steps[0].After)
	}
	res, err := apply.Run(ctx, tg, emailSchema(true), apply.Options{LockTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("apply over the leftover: %v", err)
	}
	if res.Deferred != 2 {
		t.Errorf("%d statements after the transaction, want the drop and the build", res.Deferred)
	}
	if got := indexState(t, tg, "ik_idemail"); got != "valid" {
		t.Errorf("after the apply the index is %s", got)
	}
	dialecttest.Verify(t, tg, emailSchema(true))
}

// TestLeftoverValidIndexAdopted: a build that finished but was not
// recorded is adopted as it is, not built again.
func TestLeftoverValidIndexAdopted(t *testing.T) {
	tg := seeded(t, 1000)
	ctx := context.Background()
	dialecttest.Exec(t, tg.DB, `CREATE UNIQUE INDEX CONCURRENTLY "ik_idemail" ON "profile" ("emailaddress")`)
	oid := indexOID(t, tg, "ik_idemail")

	p, err := apply.Prepare(ctx, tg, emailSchema(true))
	if err != nil {
		t.Fatal(err)
	}
	if unmanagedIndex(p, "ik_idemail") {
		t.Error("the plan lists the leftover of its own key as an unmanaged index")
	}
	if len(p.Steps) != 1 || len(p.Steps[0].SQL)+len(p.Steps[0].After) != 0 {
		t.Fatalf("want the key's step to build nothing, got %v: %q %q", dialecttest.Lines(p), p.Steps[0].SQL, p.Steps[0].After)
	}
	res, err := apply.Run(ctx, tg, emailSchema(true), apply.Options{LockTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("apply over the leftover: %v", err)
	}
	if res.Deferred != 0 || indexOID(t, tg, "ik_idemail") != oid {
		t.Error("the finished index was built again instead of adopted")
	}
	dialecttest.Verify(t, tg, emailSchema(true))
}

// TestLeftoverOfOtherDefinitionKept: a valid index under the key's name
// that is not what the key needs is not the key's: it stays unmanaged and
// untouched, and the apply refuses the key as a failing data check.
func TestLeftoverOfOtherDefinitionKept(t *testing.T) {
	tg := seeded(t, 1000)
	ctx := context.Background()
	dialecttest.Exec(t, tg.DB, `CREATE INDEX "ik_idemail" ON "profile" ("emailaddress")`) // not unique
	oid := indexOID(t, tg, "ik_idemail")
	p, err := apply.Prepare(ctx, tg, emailSchema(true))
	if err != nil {
		t.Fatal(err)
	}
	if !unmanagedIndex(p, "ik_idemail") {
		t.Error("an index the key cannot adopt is not listed as unmanaged")
	}
	if len(p.Blocked()) != 1 {
		t.Errorf("the plan has %d failing data checks, want the key's", len(p.Blocked()))
	}
	_, err = apply.Run(ctx, tg, emailSchema(true), apply.Options{LockTimeout: 10 * time.Second})
	var unsafe *apply.UnsafeError
	if !errors.As(err, &unsafe) || unsafe.Reason != apply.DataCheckFailed {
		t.Fatalf("apply = %v, want the key refused as a failing data check", err)
	}
	if indexOID(t, tg, "ik_idemail") != oid {
		t.Error("the apply replaced an index it did not make")
	}
}

// cancelAtRecord is the PostgreSQL dialect with a context that is
// cancelled, as SIGTERM does, at the moment the apply begins the
// transaction that records a finished online build: on the pool, or on
// the lock's session (dialect.SessionLock).
type cancelAtRecord struct {
	*postgres.Dialect
	cancel context.CancelFunc
	mu     sync.Mutex
	begins int
}

func (d *cancelAtRecord) began() {
	d.mu.Lock()
	d.begins++
	if d.begins == 2 { // the first is the apply's transaction
		d.cancel()
	}
	d.mu.Unlock()
}

func (d *cancelAtRecord) Begin(ctx context.Context, db *sqlx.DB) (*sqlx.Tx, error) {
	d.began()
	return d.Dialect.Begin(ctx, db)
}

func (d *cancelAtRecord) Lock(ctx context.Context, db *sqlx.DB, rawURL string, opts dialect.LockOptions) (dialect.Lock, error) {
	l, err := d.Dialect.Lock(ctx, db, rawURL, opts)
	if err != nil {
		return nil, err
	}
	return beginCounted{l.(dialect.SessionLock), d}, nil
}

// beginCounted is a lock whose transactions cancelAtRecord counts.
type beginCounted struct {
	dialect.SessionLock
	d *cancelAtRecord
}

func (l beginCounted) Begin(ctx context.Context) (*sqlx.Tx, error) {
	l.d.began()
	return l.SessionLock.Begin(ctx)
}

// TestOnlineBuildRecordedWhenCancelled: an apply cancelled once the
// online build finished still records it, so nothing is left to redo.
func TestOnlineBuildRecordedWhenCancelled(t *testing.T) {
	tg := seeded(t, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := &cancelAtRecord{Dialect: postgres.New(), cancel: cancel}
	tg.Dialect = d
	_, err := apply.Run(ctx, tg, emailSchema(true), apply.Options{LockTimeout: 10 * time.Second})
	if d.begins < 2 {
		t.Fatalf("the build was never recorded: %v", err)
	}
	if got := indexState(t, tg, "ik_idemail"); got != "valid" {
		t.Fatalf("the index is %s", got)
	}
	tg.Dialect = postgres.New()
	st, err := tg.Dialect.Inspect(context.Background(), tg.DB)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Catalog.Keys) != 1 {
		t.Errorf("the cancelled apply did not record its finished build: catalog keys %+v", st.Catalog.Keys)
	}
	dialecttest.Verify(t, tg, emailSchema(true))
}

// TestOnlineBuildInterrupted: an apply cancelled (SIGINT, SIGTERM) during
// an online build removes the unfinished index and says it was
// interrupted; the next apply builds it.
func TestOnlineBuildInterrupted(t *testing.T) {
	tg := seeded(t, 100000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := apply.Run(ctx, tg, emailSchema(true), apply.Options{LockTimeout: 10 * time.Second})
		errc <- err
	}()
	for {
		var n int
		if err := tg.DB.Get(&n, `SELECT count(*) FROM pg_stat_progress_create_index WHERE datname = current_database()`); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		select {
		case err := <-errc:
			t.Fatalf("the apply ended before its build could be interrupted: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	err := <-errc
	var deferred *apply.DeferredError
	if !errors.As(err, &deferred) || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("apply = %v, want an interrupted online build", err)
	}
	// It says what was done: the transaction committed, no build ran.
	var ie *apply.InterruptedError
	if !errors.As(err, &ie) || !ie.Committed || ie.Built != 0 || ie.Pending != 1 ||
		!strings.Contains(err.Error(), "interrupted after the transaction committed") || !errors.Is(err, context.Canceled) {
		t.Errorf("apply = %v (%+v), want an interruption after the commit, 0 of 1 builds done", err, ie)
	}
	if got := indexState(t, tg, "ik_idemail"); got != "missing" {
		t.Errorf("after the interruption the index is %s, want none", got)
	}
	if _, err := apply.Run(context.Background(), tg, emailSchema(true), apply.Options{LockTimeout: 10 * time.Second}); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	dialecttest.Verify(t, tg, emailSchema(true))
}
