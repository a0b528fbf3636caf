package sqlite_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect/dialecttest"
	"github.com/ctxschema/ctxschema/internal/model"
)

// TestRenderPlanRebuildsOnce: three attribute changes on the profile that
// each need a rebuild copy the table once, in the last of them, and keep
// every row and converted value.
func TestRenderPlanRebuildsOnce(t *testing.T) {
	tg := harness("merge.db").Open(t)
	ctx := context.Background()
	opts := apply.Options{LockTimeout: 10 * time.Second}
	from := dialecttest.Base()
	if _, err := apply.Run(ctx, tg, from, opts); err != nil {
		t.Fatal(err)
	}
	dialecttest.Exec(t, tg.DB,
		`INSERT INTO "profile" ("customer_id", "firstname", "lastname", "emailaddress", "score") VALUES ('c1', 'Ann', 'Lee', 'a@x', 2.0), ('c2', 'Bob', NULL, 'b@x', 3.0)`)
	to := dialecttest.Base()
	to.Profile[0].Length = 128         // FirstName
	to.Profile[1].Mandatory = false    // LastName (already optional: no change)
	to.Profile[2].Default = nil        // EmailAddress default dropped
	to.Profile[4].Type = model.Integer // Score double -> integer
	p, err := apply.Prepare(ctx, tg, to)
	if err != nil {
		t.Fatal(err)
	}
	rebuilds := 0
	for i, s := range p.Steps {
		n := strings.Count(strings.Join(s.SQL, "\n"), `CREATE TABLE "profile__ctxschema_new"`)
		rebuilds += n
		if i < len(p.Steps)-1 && len(s.SQL) > 0 {
			t.Errorf("step %d (%v) has SQL; the last step of the run rebuilds for all", i, s.Change.Object())
		}
	}
	if len(p.Steps) != 3 || rebuilds != 1 {
		t.Fatalf("%d steps, %d rebuilds; want 3 steps and 1 rebuild: %v", len(p.Steps), rebuilds, dialecttest.Lines(p))
	}
	if _, err := apply.Run(ctx, tg, to, opts); err != nil {
		t.Fatal(err)
	}
	dialecttest.Verify(t, tg, to)
	var got []string
	if err := tg.DB.Select(&got, `SELECT "customer_id" || ':' || "firstname" || ':' || "score" FROM "profile" ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "c1:Ann:2,c2:Bob:3" {
		t.Errorf("rows after the rebuild: %v", got)
	}
}
