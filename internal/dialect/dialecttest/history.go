package dialecttest

import (
	"context"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/model"
)

// RunHistoryUpgrade checks that a database whose cs_history predates the
// columns of catalog.HistoryColumns keeps working: its history reads (the
// new fields empty, the database untouched), and the next write adds the
// columns and records the revision the caller gives.
func RunHistoryUpgrade(t *testing.T, h Harness) {
	ctx := context.Background()
	tg := h.Open(t)
	if err := h.Dialect.EnsureCatalog(ctx, tg.DB); err != nil {
		t.Fatal(err)
	}
	// The first layout of cs_history: without the later columns.
	for _, c := range catalog.HistoryColumns {
		Exec(t, tg.DB, `ALTER TABLE "`+catalog.HistoryTable+`" DROP COLUMN "`+c+`"`)
	}
	Exec(t, tg.DB, `INSERT INTO "`+catalog.HistoryTable+`" ("at", "kind", "actor", "summary", "detail") VALUES ('2024-01-02T03:04:05Z', 'apply', 'old@host (pid 1)', '1 to create, 0 to update, 0 to delete', '+ profile attribute A')`)

	entries, err := apply.History(ctx, tg)
	if err != nil {
		t.Fatalf("reading an old history: %v", err)
	}
	if len(entries) != 1 || entries[0].Actor != "old@host (pid 1)" || entries[0].Detail != "+ profile attribute A" ||
		!entries[0].At.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) || entries[0].Revision != "" || entries[0].Run != "" {
		t.Fatalf("old history read as %+v", entries)
	}

	const sha = "0123456789abcdef0123456789abcdef01234567"
	if _, err := apply.SetMode(ctx, tg, model.Production, apply.Options{LockTimeout: time.Minute, Revision: sha, Run: "7"}); err != nil {
		t.Fatalf("switching the mode of an old database: %v", err)
	}
	entries, err = apply.History(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Revision != "" || entries[1].Kind != "mode" || entries[1].Revision != sha || entries[1].Run != "7" {
		t.Fatalf("history after the upgrade: %+v", entries)
	}
}
