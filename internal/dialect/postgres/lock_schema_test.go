package postgres

import (
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/internal/dialect"
)

// TestLockIgnoresBuildsOfOtherSchemas: applies to different schemas of
// one database do not wait for each other (see lockKey, README "one apply
// at a time per database and schema"), so an online build running on a
// table of another schema (another apply's, or anyone's) does not hold
// this schema's apply lock. (Found by the hostile tester, session 4: an
// active CREATE INDEX CONCURRENTLY of any schema of the database did.)
func TestLockIgnoresBuildsOfOtherSchemas(t *testing.T) {
	e := newEnv(t)
	e.exec(`CREATE SCHEMA "other"`,
		`CREATE TABLE "other"."profile" ("customer_id" varchar(16) PRIMARY KEY, "email" text)`,
		`INSERT INTO "other"."profile" SELECT 'c' || g, 'u' || g FROM generate_series(1, 1000) g`)
	// A writer's open transaction keeps the other schema's build waiting.
	writer, err := e.db.BeginTxx(e.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Rollback() //nolint:errcheck
	if _, err := writer.ExecContext(e.ctx, `INSERT INTO "other"."profile" VALUES ('w', 'w')`); err != nil {
		t.Fatal(err)
	}
	built := make(chan error, 1)
	go func() {
		_, err := e.db.ExecContext(e.ctx, `CREATE INDEX CONCURRENTLY "ik_idemail" ON "other"."profile" ("email")`)
		built <- err
	}()
	for e.count(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query ILIKE 'create index concurrently%'`) == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	// This env's schema is public: nothing builds there.
	l, err := e.d.Lock(e.ctx, e.db, e.url, dialect.LockOptions{Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Errorf("Lock on schema public while a build runs on schema other = %v, want the lock", err)
	} else {
		l.Release() //nolint:errcheck
	}
	if err := writer.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-built; err != nil {
		t.Fatalf("the other schema's build failed: %v", err)
	}
}
