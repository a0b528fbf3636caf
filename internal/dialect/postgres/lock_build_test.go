package postgres

import (
	"errors"
	"strings"
	"testing"
	"time"

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
	writer, err := e.db.BeginTxx(e.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Rollback() //nolint:errcheck
	if _, err := writer.ExecContext(e.ctx, `INSERT INTO "profile" VALUES ('w', 'w')`); err != nil {
		t.Fatal(err)
	}
	built := make(chan error, 1)
	go func() {
		_, err := e.db.ExecContext(e.ctx, `CREATE INDEX CONCURRENTLY "ik_idemail" ON "profile" ("email")`)
		built <- err
	}()
	for e.count(`SELECT count(*) FROM pg_stat_progress_create_index WHERE datname = current_database()`) == 0 {
		time.Sleep(10 * time.Millisecond)
	}

	_, err = e.d.Lock(e.ctx, e.db, e.url, dialect.LockOptions{Timeout: 300 * time.Millisecond})
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
	select {
	case err := <-built:
		if err != nil {
			t.Fatalf("the build failed: %v", err)
		}
	default:
		t.Fatal("the lock was granted while the build still ran")
	}
}
