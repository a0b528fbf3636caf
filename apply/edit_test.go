package apply_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
	"github.com/ctxschema/ctxschema/internal/model"
)

// TestEditUnderTheLock: Options.Edit gets the catalog as it is once the
// lock is held (here: changed by another apply since the caller looked),
// its result is applied, its error comes back as it is, and the history
// names Options.Actor.
func TestEditUnderTheLock(t *testing.T) {
	ctx := context.Background()
	tg := target(t, sqlite.New())
	stale := schema() // what the caller saw
	// Another apply adds a key meanwhile.
	other := schema()
	other.Keys = []model.Key{{Name: "idNumber", Source: "Phone", Attributes: []string{"Number"}}}
	if _, err := apply.Run(ctx, tg, other, apply.Options{}); err != nil {
		t.Fatal(err)
	}
	add := func(cur *model.Schema) (*model.Schema, error) {
		cur.Keys = append(cur.Keys, model.Key{Name: "idMail", Source: "profile", Attributes: []string{"Email"}})
		return cur, nil
	}
	if _, err := apply.Run(ctx, tg, stale, apply.Options{Edit: add, Actor: "tester", LockTimeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	got, _, err := apply.Declared(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.Key("idNumber"); !ok {
		t.Errorf("the other apply's key was undone: %+v", got.Keys)
	}
	if _, ok := got.Key("idMail"); !ok {
		t.Errorf("the edit's key is missing: %+v", got.Keys)
	}
	hist, err := catalog.History(ctx, tg.DB)
	if err != nil {
		t.Fatal(err)
	}
	if last := hist[len(hist)-1]; last.Actor != "tester" {
		t.Errorf("history actor %q, want tester", last.Actor)
	}

	refuse := errors.New("no such key")
	if _, err := apply.Run(ctx, tg, stale, apply.Options{Edit: func(*model.Schema) (*model.Schema, error) { return nil, refuse }}); err != refuse {
		t.Errorf("Run with a failing edit: %v, want its error", err)
	}
	if _, err := apply.SetMode(ctx, tg, model.Production, apply.Options{LockTimeout: time.Second, Actor: "tester"}); err != nil {
		t.Fatal(err)
	}
	hist, _ = catalog.History(ctx, tg.DB)
	if last := hist[len(hist)-1]; last.Kind != "mode" || last.Actor != "tester" {
		t.Errorf("mode switch recorded as %s by %q, want mode by tester", last.Kind, last.Actor)
	}
}
