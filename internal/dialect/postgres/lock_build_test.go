package postgres

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/dialect"
)

// TestLockWaitsForRunningBuild: an index build that another session runs
// on the schema's tables (the build of an apply that was killed, which the
// server runs on to its end) holds the apply lock as long as it runs, so
// that the next apply never races it on the same index.
func TestLockWaitsForRunningBuild(t *testing.T) {
	e := newEnv(t)
	e.exec(`CREATE TABLE "profile" ("customer_id" varchar(16) PRIMARY KEY, "email" text)`,
		`INSERT INTO "profile" SELECT 'c' || g, 'u' || g FROM generate_series(1, 1000) g`)
	// A writer's open transaction makes the build wait ("waiting for
	// writers before build") until it ends.
	writer := openWriter(t, e)
	defer writer.Rollback() //nolint:errcheck
	built := make(chan error, 1)
	go func() {
		_, err := e.db.ExecContext(e.ctx, `CREATE INDEX CONCURRENTLY "ik_idemail" ON "profile" ("email")`)
		built <- err
	}()
	for e.count(`SELECT count(*) FROM pg_stat_progress_create_index WHERE datname = current_database()`) == 0 {
		time.Sleep(10 * time.Millisecond)
	}

	_, err := e.d.Lock(e.ctx, e.db, e.url, dialect.LockOptions{Timeout: 300 * time.Millisecond})
	var timeout *dialect.LockTimeoutError
	if !errors.As(err, &timeout) || !strings.Contains(timeout.Holder, `"ik_idemail"`) {
		t.Fatalf("Lock during a running build = %v, want a timeout naming the build", err)
	}
	if err := writer.Commit(); err != nil {
		t.Fatal(err)
	}
	l, err := e.d.Lock(e.ctx, e.db, e.url, dialect.LockOptions{Timeout: time.Minute})
	if err != nil {
		t.Fatalf("Lock once the build can end: %v", err)
	}
	defer l.Release()
	// The build ended on the server before the lock was granted: its index
	// is valid. (Its client may see its statement return a moment later.)
	if n := e.count(`SELECT count(*) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE i.relname = 'ik_idemail' AND x.indisvalid`); n != 1 {
		t.Fatal("the lock was granted while the build still ran")
	}
	if err := <-built; err != nil {
		t.Fatalf("the build failed: %v", err)
	}
}

// TestLockHolderBuilding: the apply runs its online builds on the lock's
// session (dialect.SessionLock), so a build that outlives its apply (the
// server runs it on to its end after a kill) holds the lock until it
// ends. The apply that waits for it names the holder as a build.
func TestLockHolderBuilding(t *testing.T) {
	e := newEnv(t)
	e.exec(`CREATE TABLE "profile" ("customer_id" varchar(16) PRIMARY KEY, "email" text)`,
		`INSERT INTO "profile" SELECT 'c' || g, 'u' || g FROM generate_series(1, 1000) g`)
	l, err := e.d.Lock(e.ctx, e.db, e.url, dialect.LockOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	// The writer ends first, and with it the build, which the release
	// waits for on the same session.
	writer := openWriter(t, e)
	defer writer.Rollback() //nolint:errcheck
	built := make(chan error, 1)
	go func() {
		_, err := l.(dialect.SessionLock).Session().ExecContext(e.ctx, `CREATE INDEX CONCURRENTLY "ik_idemail" ON "profile" ("email")`)
		built <- err
	}()
	for e.count(`SELECT count(*) FROM pg_stat_progress_create_index WHERE datname = current_database()`) == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	_, err = e.d.Lock(e.ctx, e.db, e.url, dialect.LockOptions{Timeout: 300 * time.Millisecond})
	var timeout *dialect.LockTimeoutError
	if !errors.As(err, &timeout) || !strings.Contains(timeout.Holder, "running an online index build") {
		t.Fatalf("Lock during the holder's build = %v, want a timeout naming the build", err)
	}
	if err := writer.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-built; err != nil {
		t.Fatalf("the build failed: %v", err)
	}
}

// openWriter begins a transaction that has inserted a row into profile
// and stays open: a CREATE INDEX CONCURRENTLY on profile waits for it.
func openWriter(t *testing.T, e *env) *sqlx.Tx {
	t.Helper()
	writer, err := e.db.BeginTxx(e.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writer.ExecContext(e.ctx, `INSERT INTO "profile" VALUES ('w', 'w')`); err != nil {
		writer.Rollback() //nolint:errcheck
		t.Fatal(err)
	}
	return writer
}
