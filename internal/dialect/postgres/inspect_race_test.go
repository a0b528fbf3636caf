package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestInspectDuringDDL: Inspect reads the catalog while another session
// creates and drops tables, columns with defaults and indexes, as an apply
// does while a plan runs. It must never fail: the catalog functions it
// calls (format_type, pg_get_expr, pg_get_indexdef) look objects up as
// they are now, not in the query's snapshot, and fail with "cache lookup
// failed" on an object dropped since; Inspect reads in one snapshot and
// retries that error.
func TestInspectDuringDDL(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			name := fmt.Sprintf("ext_t%d", i%4)
			for _, s := range []string{
				`CREATE TABLE IF NOT EXISTS "` + name + `" ("customer_id" varchar(16) PRIMARY KEY, "a" integer DEFAULT 1, "b" varchar(20) DEFAULT 'x')`,
				`CREATE INDEX IF NOT EXISTS "ik_` + name + `" ON "` + name + `" ("a", "b")`,
				`ALTER TABLE "` + name + `" DROP COLUMN IF EXISTS "a"`,
				`DROP TABLE IF EXISTS "` + name + `"`,
			} {
				if _, err := e.db.ExecContext(ctx, s); err != nil && ctx.Err() == nil {
					t.Errorf("%s: %v", s, err)
					return
				}
			}
		}
	}()
	defer func() { cancel(); wg.Wait() }()
	deadline := time.Now().Add(3 * time.Second)
	n := 0
	for ; time.Now().Before(deadline); n++ {
		if _, err := e.d.Inspect(e.ctx, e.db); err != nil {
			if strings.Contains(err.Error(), "cache lookup failed") || strings.Contains(err.Error(), "could not open relation") {
				t.Fatalf("inspect %d failed while tables change: %v", n, err)
			}
			t.Fatal(err)
		}
	}
	t.Logf("%d inspections while tables changed", n)
}
