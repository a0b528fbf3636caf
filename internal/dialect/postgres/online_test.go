package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect/dialecttest"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

func emailSchema(withKey bool) *model.Schema {
	s := &model.Schema{Profile: []model.Attribute{{Name: "EmailAddress", Type: model.String, Length: 64}}}
	if withKey {
		s.Keys = []model.Key{{Name: "idEmail", Source: "profile", Attributes: []string{"EmailAddress"}, Unique: true}}
	}
	return s
}

// seeded applies the schema without the key and fills the profile.
func seeded(t *testing.T, rows int) apply.Target {
	t.Helper()
	tg := harness().Open(t)
	ctx := context.Background()
	if _, err := apply.Run(ctx, tg, emailSchema(false), apply.Options{LockTimeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	dialecttest.Exec(t, tg.DB, fmt.Sprintf(`INSERT INTO "profile" ("customer_id", "emailaddress")
		SELECT 'c' || g, 'user' || g || '@example.com' FROM generate_series(1, %d) g`, rows))
	return tg
}

func indexState(t *testing.T, tg apply.Target, name string) string {
	t.Helper()
	var valid []bool
	if err := tg.DB.Select(&valid, `SELECT x.indisvalid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE i.relname = $1`, name); err != nil {
		t.Fatal(err)
	}
	switch {
	case len(valid) == 0:
		return "missing"
	case valid[0]:
		return "valid"
	}
	return "invalid"
}

func TestOnlineKeyBuild(t *testing.T) {
	tg := seeded(t, 5000)
	ctx := context.Background()
	p, err := apply.Prepare(ctx, tg, emailSchema(true))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 1 || len(p.Steps[0].After) != 1 || !strings.Contains(p.Steps[0].After[0], "CONCURRENTLY") {
		t.Fatalf("want one online build after the transaction, got %+v", p.Steps)
	}
	res, err := apply.Run(ctx, tg, emailSchema(true), apply.Options{LockTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Deferred != 1 {
		t.Errorf("%d deferred builds, want 1", res.Deferred)
	}
	if got := indexState(t, tg, "ik_idemail"); got != "valid" {
		t.Errorf("index is %s", got)
	}
	dialecttest.Verify(t, tg, emailSchema(true))
}

// TestOnlineKeyBuildFails makes duplicates arrive during the online build:
// a writer holds an uncommitted duplicate, the build waits for it, the
// writer commits, the build fails. The invalid index must be gone, the key
// must not be in the catalog, nothing must be in the history, and once the
// data is fixed a rerun converges.
func TestOnlineKeyBuildFails(t *testing.T) {
	tg := seeded(t, 2000)
	ctx := context.Background()

	writer, err := tg.DB.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Rollback() //nolint:errcheck
	if _, err := writer.ExecContext(ctx, `INSERT INTO "profile" ("customer_id", "emailaddress") VALUES ('dup', 'user1@example.com')`); err != nil {
		t.Fatal(err)
	}

	var (
		mu       sync.Mutex
		progress []string
	)
	errc := make(chan error, 1)
	go func() {
		_, err := apply.Run(ctx, tg, emailSchema(true), apply.Options{
			LockTimeout:   10 * time.Second,
			Progress:      true,
			ProgressEvery: 20 * time.Millisecond,
			Events: func(e apply.Event) {
				if e.Type != apply.BuildProgress {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				progress = append(progress, e.Phase)
			},
		})
		errc <- err
	}()
	// Wait until the build waits for the writer, then let the duplicate in.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		if err := tg.DB.Get(&n, `SELECT count(*) FROM pg_stat_progress_create_index WHERE datname = current_database() AND phase LIKE 'waiting%'`); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			// Long enough for a few progress reports.
			time.Sleep(200 * time.Millisecond)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the online build never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := writer.Commit(); err != nil {
		t.Fatal(err)
	}
	// The apply held only the online build, so the build's own uniqueness
	// check was the data check: its failure is the refused data check.
	err = <-errc
	var unsafe *apply.UnsafeError
	if !errors.As(err, &unsafe) || unsafe.Reason != apply.DataCheckFailed {
		t.Fatalf("apply = %v, want a refused data check", err)
	}
	if h := unsafe.Steps[0].Hazards; len(h) == 0 || h[len(h)-1].Customers != 2 {
		t.Errorf("the refusal does not count the 2 customers sharing a value: %+v", h)
	}
	if got := indexState(t, tg, "ik_idemail"); got != "missing" {
		t.Errorf("after the failed build the index is %s, want no index left behind", got)
	}
	mu.Lock()
	if !strings.Contains(strings.Join(progress, "\n"), "waiting") {
		t.Errorf("no progress reported while the build waited:\n%s", strings.Join(progress, "\n"))
	}
	mu.Unlock()

	st, err := tg.Dialect.Inspect(ctx, tg.DB)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Catalog.Keys) != 0 {
		t.Errorf("the key entered the catalog although its index failed: %+v", st.Catalog.Keys)
	}
	var applies int
	if err := tg.DB.Get(&applies, `SELECT count(*) FROM cs_history WHERE kind = 'apply'`); err != nil {
		t.Fatal(err)
	}
	if applies != 1 {
		t.Errorf("%d applies in the history, want only the first one", applies)
	}
	p, err := apply.Prepare(ctx, tg, emailSchema(true))
	if err != nil {
		t.Fatal(err)
	}
	if b := p.Blocked(); len(b) != 1 || b[0].Hazards[0].Customers != 2 {
		t.Fatalf("the next plan should block the key over the duplicate: %v", dialecttest.Lines(p))
	}
	dialecttest.Exec(t, tg.DB, `DELETE FROM "profile" WHERE "customer_id" = 'dup'`)
	if _, err := apply.Run(ctx, tg, emailSchema(true), apply.Options{LockTimeout: 10 * time.Second}); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	dialecttest.Verify(t, tg, emailSchema(true))
}

// TestInvalidIndexLeftoverRebuilt: an ik_ index left invalid by a crash is
// drift that apply rebuilds.
func TestInvalidIndexLeftoverRebuilt(t *testing.T) {
	tg := seeded(t, 100)
	ctx := context.Background()
	if _, err := apply.Run(ctx, tg, emailSchema(true), apply.Options{LockTimeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	// What an interrupted CREATE INDEX CONCURRENTLY leaves behind.
	dialecttest.Exec(t, tg.DB, `UPDATE pg_index SET indisvalid = false WHERE indexrelid = '"ik_idemail"'::regclass`)
	p, err := apply.Prepare(ctx, tg, emailSchema(true))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 1 {
		t.Fatalf("want one repair, got %v", dialecttest.Lines(p))
	}
	r, ok := p.Steps[0].Change.(plan.RepairTable)
	if !ok || r.Drift[0].Kind != plan.InvalidIndex {
		t.Fatalf("want an invalid-index repair, got %#v", p.Steps[0].Change)
	}
	if _, err := apply.Run(ctx, tg, emailSchema(true), apply.Options{LockTimeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if got := indexState(t, tg, "ik_idemail"); got != "valid" {
		t.Errorf("after the repair the index is %s", got)
	}
	dialecttest.Verify(t, tg, emailSchema(true))
}
