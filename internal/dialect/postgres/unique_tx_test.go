package postgres_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/dialecttest"
	"github.com/ctxschema/ctxschema/internal/dialect/postgres"
	"github.com/ctxschema/ctxschema/plan"
)

// emptyCounts is the PostgreSQL dialect whose row counts find every table
// empty, as a count taken before another session filled the table does:
// the plan then builds a new unique index inside the apply's transaction.
type emptyCounts struct{ *postgres.Dialect }

func (d emptyCounts) Data(q dialect.Querier) plan.Data { return emptyRows{d.Dialect.Data(q)} }

type emptyRows struct{ plan.Data }

func (emptyRows) Rows(context.Context, string) (int64, error) { return 0, nil }

// TestUniqueBuildInTransactionOverDuplicates: a unique index built inside
// the transaction over duplicates that arrived after the table was counted
// fails and aborts the transaction, which can then answer no query; the
// apply still refuses with the data check, its counts and customer ids
// (exit 5), not a raw error (exit 1), and leaves no index.
func TestUniqueBuildInTransactionOverDuplicates(t *testing.T) {
	tg := seeded(t, 100)
	dialecttest.Exec(t, tg.DB, `UPDATE "profile" SET "emailaddress" = 'same@example.com' WHERE "customer_id" IN ('c1', 'c2')`)
	tg.Dialect = emptyCounts{postgres.New()}
	_, err := apply.Run(context.Background(), tg, emailSchema(true), apply.Options{LockTimeout: 10 * time.Second})
	var unsafe *apply.UnsafeError
	if !errors.As(err, &unsafe) || unsafe.Reason != apply.DataCheckFailed || len(unsafe.Steps) != 1 {
		t.Fatalf("apply = %v; want the key refused by its data check", err)
	}
	var ids []string
	for _, h := range unsafe.Steps[0].Hazards {
		if h.Kind == plan.DataCheck {
			ids = append(ids, h.CustomerIDs...)
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"c1", "c2"}) {
		t.Errorf("the refusal names customers %v; want [c1 c2]", ids)
	}
	if got := indexState(t, tg, "ik_idemail"); got != "missing" {
		t.Errorf("after the refusal the index is %s, want none", got)
	}
}
