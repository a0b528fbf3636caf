package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect/dialecttest"
	"github.com/ctxschema/ctxschema/internal/model"
)

func raceSchema(withLosses bool) *model.Schema {
	s := &model.Schema{Profile: []model.Attribute{{Name: "EmailAddress", Type: model.String, Length: 64}}}
	if withLosses {
		s.Profile = append(s.Profile, model.Attribute{Name: "Nickname", Type: model.String, Length: 32})
		s.Extensions = []model.Extension{{Name: "Fax", Type: model.SingleValued, Attributes: []model.Attribute{{Name: "Number", Type: model.String, Length: 20}}}}
	}
	return s
}

// TestDestructiveCheckSeesConcurrentWrites: another session writes, while
// the apply plans, a value into an all-NULL column the apply drops and a
// record into an empty extension it deletes, and commits once the apply
// waits for it. The apply must count those values under the lock its
// drops take, and refuse: planned on the data before the writes, it would
// drop them without --allow-destructive.
func TestDestructiveCheckSeesConcurrentWrites(t *testing.T) {
	for _, tc := range []struct{ name, write string }{
		{"column", `UPDATE "profile" SET "nickname" = 'Jo' WHERE "customer_id" = 'c1'`},
		{"extension", `INSERT INTO "ext_fax" ("customer_id", "number") VALUES ('c1', '555')`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := harness().Open(t)
			ctx := context.Background()
			if _, err := apply.Run(ctx, tg, raceSchema(true), apply.Options{LockTimeout: 10 * time.Second}); err != nil {
				t.Fatal(err)
			}
			dialecttest.Exec(t, tg.DB, `INSERT INTO "profile" ("customer_id", "emailaddress") SELECT 'c' || g, 'u' || g FROM generate_series(1, 1000) g`)

			writer, err := tg.DB.BeginTxx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer writer.Rollback() //nolint:errcheck
			if _, err := writer.ExecContext(ctx, tc.write); err != nil {
				t.Fatal(err)
			}
			errc := make(chan error, 1)
			go func() {
				_, err := apply.Run(ctx, tg, raceSchema(false), apply.Options{LockTimeout: 10 * time.Second})
				errc <- err
			}()
			// Commit once the apply waits for the writer's lock: before its
			// count (it locks first) or before its drop (it counted first).
			deadline := time.Now().Add(20 * time.Second)
			for {
				var waiting int
				if err := tg.DB.Get(&waiting, `SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
					WHERE NOT l.granted AND c.relname IN ('profile', 'ext_fax')`); err != nil {
					t.Fatal(err)
				}
				if waiting > 0 {
					break
				}
				select {
				case err := <-errc:
					t.Fatalf("the apply ended without waiting for the writer: %v", err)
				default:
				}
				if time.Now().After(deadline) {
					t.Fatal("the apply never waited for the writer")
				}
				time.Sleep(5 * time.Millisecond)
			}
			if err := writer.Commit(); err != nil {
				t.Fatal(err)
			}
			err = <-errc
			var unsafe *apply.UnsafeError
			if !errors.As(err, &unsafe) || unsafe.Reason != apply.NeedsAllowDestructive {
				t.Fatalf("apply = %v, want the refusal of a change that loses the value just committed", err)
			}
			dialecttest.Verify(t, tg, raceSchema(true))
			var n int
			if err := tg.DB.Get(&n, `SELECT (SELECT count("nickname") FROM "profile") + (SELECT count(*) FROM "ext_fax")`); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("%d values after the refusal, want the 1 committed", n)
			}
		})
	}
}
