package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/postgres"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/pgtest"
	"github.com/ctxschema/ctxschema/plan"
)

// TestLockTimeoutSaysWhatToDo: an apply that waits longer than the URL's
// lock_timeout for a table another session uses says what it waited for
// and which URL parameter waits longer, for a change made in the
// transaction and for the lock taken before counting what a change loses.
func TestLockTimeoutSaysWhatToDo(t *testing.T) {
	ctx := context.Background()
	tg, base := lockTimeoutTarget(t)
	db := tg.DB
	add := &model.Schema{Profile: append(base.Clone().Profile, model.Attribute{Name: "B", Type: model.Integer})}
	for _, tc := range []struct {
		name, hold string
		schema     *model.Schema
	}{
		{"add", `SELECT count(*) FROM "profile"`, add},
		{"delete", `SELECT count(*) FROM "profile"`, &model.Schema{}},
		{"catalog", `SELECT * FROM "cs_schema" FOR UPDATE`, &model.Schema{Profile: base.Profile, Extensions: []model.Extension{{Name: "Fax", Type: model.Classifier}}}},
	} {
		name := tc.name
		reader, err := db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reader.ExecContext(ctx, tc.hold); err != nil {
			t.Fatal(err)
		}
		_, err = apply.Run(ctx, tg, tc.schema, apply.Options{LockTimeout: time.Second, AllowDestructive: true})
		reader.Rollback() //nolint:errcheck
		var pg *pgconn.PgError
		if !errors.As(err, &pg) || pg.Code != "55P03" {
			t.Fatalf("%s: apply = %v, want the lock timeout", name, err)
		}
		for _, want := range []string{"another session holds a lock on the table", "lock_timeout of the database URL (200ms)", "?lock_timeout=60s", "SQLSTATE 55P03"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: the error does not say %q: %v", name, want, err)
			}
		}
	}
}

// TestOutOfSharedMemorySaysWhatToDo: "out of shared memory" while the
// apply's one transaction creates many tables names max_locks_per_transaction
// and a value that holds them. (Filling the lock table of a server that
// other tests share would fail them too: the error is made here, the
// settings are read from the server.)
func TestOutOfSharedMemorySaysWhatToDo(t *testing.T) {
	tg := harness().Open(t)
	ctx := context.Background()
	p := &plan.Plan{}
	for i := 0; i < 2000; i++ {
		e := model.Extension{Name: fmt.Sprintf("E%d", i), Type: model.SingleValued}
		p.Steps = append(p.Steps, plan.Step{Change: plan.CreateExtension{Extension: e, Table: model.Table{Name: e.Table(), Extension: &e}}, SQL: []string{"CREATE TABLE ..."}})
	}
	server := &pgconn.PgError{Severity: "ERROR", Code: "53200", Message: "out of shared memory", Hint: "You might need to increase max_locks_per_transaction."}
	err := postgres.New().ExplainError(ctx, tg.DB, p, server)
	if !errors.Is(err, server) {
		t.Fatalf("the explained error does not unwrap to the server's: %v", err)
	}
	var perTx, backends int64
	if err := tg.DB.QueryRowx(`SELECT current_setting('max_locks_per_transaction')::bigint, current_setting('max_connections')::bigint + current_setting('max_prepared_transactions')::bigint`).Scan(&perTx, &backends); err != nil {
		t.Fatal(err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "max_locks_per_transaction") || !strings.Contains(msg, "postgresql.conf") {
		t.Fatalf("the error does not name the setting: %s", msg)
	}
	var want int64
	if _, err := fmt.Sscan(msg[strings.Index(msg, "to at least ")+len("to at least "):], &want); err != nil {
		t.Fatalf("the error names no value: %s", msg)
	}
	if tables := int64(len(p.Steps)); want*backends < 10*tables || want <= perTx {
		t.Errorf("max_locks_per_transaction %d × %d backends does not hold the %d tables' locks: %s", want, backends, tables, msg)
	}
}

// lockTimeoutTarget opens a new database whose URL sets lock_timeout to
// 200ms, and applies to it a profile of one attribute, A; the database is
// closed at the end of the test.
func lockTimeoutTarget(t *testing.T) (apply.Target, *model.Schema) {
	t.Helper()
	url := pgtest.NewDatabase(t) + "&lock_timeout=200ms"
	d := postgres.New()
	db, err := d.Open(context.Background(), url, dialect.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tg := apply.Target{Dialect: d, DB: db, URL: url}
	base := &model.Schema{Profile: []model.Attribute{{Name: "A", Type: model.String, Length: 10}}}
	if _, err := apply.Run(context.Background(), tg, base, apply.Options{LockTimeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	return tg, base
}
