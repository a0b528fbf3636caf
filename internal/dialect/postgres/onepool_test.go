package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/dialecttest"
	"github.com/ctxschema/ctxschema/internal/dialect/postgres"
	"github.com/ctxschema/ctxschema/internal/model"
)

// An apply runs on the apply lock's session, a connection taken out of the
// pool: with a pool of one connection (serve --tenant-connections 1), a
// query of the apply on the pool would wait for that connection forever.
// Each test here bounds its apply with a deadline, so that such a wait
// fails the test instead of hanging it.

// onePool opens a second pool on tg's database, holding at most one
// connection, and returns tg on it.
func onePool(t *testing.T, tg apply.Target) apply.Target {
	t.Helper()
	db, err := tg.Dialect.Open(context.Background(), tg.URL, dialect.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	tg.DB = db
	return tg
}

// boundedRun is apply.Run that fails t when it has not returned within
// 30 seconds (an apply that waits for a connection it holds itself).
func boundedRun(t *testing.T, tg apply.Target, desired *model.Schema, opts apply.Options) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := apply.Run(ctx, tg, desired, opts)
	if ctx.Err() != nil {
		t.Fatalf("the apply did not return within 30s (it waited for a connection it holds): %v", err)
	}
	return err
}

// TestOneConnectionUniqueRefusal: a unique key over duplicate values is
// refused by its data check with a pool of one connection as with any
// pool, whether its index is built inside the transaction (the table
// counted empty) or online after it.
func TestOneConnectionUniqueRefusal(t *testing.T) {
	for _, c := range []struct {
		name string
		d    dialect.Dialect
	}{{"in transaction", emptyCounts{postgres.New()}}, {"online", postgres.New()}} {
		t.Run(c.name, func(t *testing.T) {
			tg := seeded(t, 100)
			dialecttest.Exec(t, tg.DB, `UPDATE "profile" SET "emailaddress" = 'same@example.com' WHERE "customer_id" IN ('c1', 'c2')`)
			one := onePool(t, tg)
			one.Dialect = c.d
			err := boundedRun(t, one, emailSchema(true), apply.Options{LockTimeout: 10 * time.Second})
			var unsafe *apply.UnsafeError
			if !errors.As(err, &unsafe) || unsafe.Reason != apply.DataCheckFailed {
				t.Fatalf("apply = %v; want the key refused by its data check", err)
			}
			if got := indexState(t, tg, "ik_idemail"); got != "missing" {
				t.Errorf("after the refusal the index is %s, want none", got)
			}
		})
	}
}

// TestOneConnectionLockTimeoutExplained: with a pool of one connection, a
// statement of the apply that waits longer than lock_timeout for a table
// another session uses returns the explained lock timeout, as with any
// pool (TestLockTimeoutSaysWhatToDo): in the transaction, for a unique
// index built in it, and for the catalog's write.
func TestOneConnectionLockTimeoutExplained(t *testing.T) {
	ctx := context.Background()
	tg, base := lockTimeoutTarget(t)
	other := tg.DB
	one := onePool(t, tg)
	add := &model.Schema{Profile: append(base.Clone().Profile, model.Attribute{Name: "B", Type: model.Integer})}
	key := base.Clone()
	key.Keys = []model.Key{{Name: "idA", Source: "profile", Attributes: []string{"A"}, Unique: true}}
	for _, c := range []struct {
		name, hold string
		schema     *model.Schema
	}{
		{"add", `SELECT count(*) FROM "profile"`, add},
		// A row not committed: the table counts empty, and its unique
		// index is built in the transaction, which waits for the writer.
		{"unique key", `INSERT INTO "profile" ("customer_id", "a") VALUES ('c1', 'x')`, key},
		{"catalog", `SELECT * FROM "cs_schema" FOR UPDATE`, &model.Schema{Profile: base.Profile, Extensions: []model.Extension{{Name: "Fax", Type: model.Classifier}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			holder, err := other.BeginTxx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer holder.Rollback() //nolint:errcheck
			if _, err := holder.ExecContext(ctx, c.hold); err != nil {
				t.Fatal(err)
			}
			err = boundedRun(t, one, c.schema, apply.Options{LockTimeout: time.Second})
			var pg *pgconn.PgError
			if !errors.As(err, &pg) || pg.Code != "55P03" {
				t.Fatalf("apply = %v, want the lock timeout", err)
			}
			for _, want := range []string{"another session holds a lock on the table", "lock_timeout of the database URL (200ms)", "?lock_timeout=60s"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error does not say %q: %v", want, err)
				}
			}
		})
	}
}

// TestOneConnectionLockWait: with a pool of one connection, an apply that
// waits for the apply lock longer than its timeout returns the
// LockTimeoutError naming the holder.
func TestOneConnectionLockWait(t *testing.T) {
	tg := harness().Open(t)
	ctx := context.Background()
	held, err := tg.Dialect.Lock(ctx, tg.DB, tg.URL, dialect.LockOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release() //nolint:errcheck
	one := onePool(t, tg)
	err = boundedRun(t, one, emailSchema(false), apply.Options{LockTimeout: 500 * time.Millisecond})
	var timeout *dialect.LockTimeoutError
	if !errors.As(err, &timeout) {
		t.Fatalf("apply = %v, want a lock timeout", err)
	}
	if !strings.Contains(timeout.Holder, "server pid ") {
		t.Errorf("the holder is not named: %v", err)
	}
}

// TestOneConnectionBuildProgress: with a pool of one connection, an online
// build whose progress is asked for finishes: the progress, read on the
// pool while the build runs on the lock's session, waits for a connection
// and gives up when the build ends.
func TestOneConnectionBuildProgress(t *testing.T) {
	tg := seeded(t, 5000)
	one := onePool(t, tg)
	builds := 0
	err := boundedRun(t, one, emailSchema(true), apply.Options{
		LockTimeout:   10 * time.Second,
		Progress:      true,
		ProgressEvery: time.Millisecond,
		Events: func(e apply.Event) {
			if e.Type == apply.BuildDone {
				builds++
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if builds != 1 || indexState(t, tg, "ik_idemail") != "valid" {
		t.Errorf("%d builds reported, index %s; want one build, valid", builds, indexState(t, tg, "ik_idemail"))
	}
}
