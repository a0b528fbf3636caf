package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect/dialecttest"
	"github.com/ctxschema/ctxschema/internal/model"
)

// TestPlanDuringApplies: plans made while applies delete and create an
// extension and an attribute again and again must not fail: a count of a
// table or column that an apply dropped since the inspection makes the
// plan start again on what the database is now.
func TestPlanDuringApplies(t *testing.T) {
	tg := harness().Open(t)
	ctx, cancel := context.WithCancel(context.Background())
	with := raceSchema(true)
	without := raceSchema(false)
	if _, err := apply.Run(ctx, tg, with, apply.Options{LockTimeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	dialecttest.Exec(t, tg.DB, `INSERT INTO "profile" ("customer_id", "emailaddress") SELECT 'c' || g, 'u' || g FROM generate_series(1, 2000) g`)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			s := with
			if i%2 == 0 {
				s = without
			}
			if _, err := apply.Run(ctx, tg, s, apply.Options{LockTimeout: 10 * time.Second, AllowDestructive: true}); err != nil && ctx.Err() == nil {
				t.Errorf("apply: %v", err)
				return
			}
		}
	}()
	defer func() { cancel(); wg.Wait() }()
	deadline := time.Now().Add(3 * time.Second)
	n := 0
	for ; time.Now().Before(deadline); n++ {
		if _, err := apply.Prepare(context.Background(), tg, []*model.Schema{with, without}[n%2]); err != nil {
			t.Fatalf("plan %d during applies: %v", n, err)
		}
	}
	t.Logf("%d plans while applies ran", n)
}
