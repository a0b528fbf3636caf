package postgres

import "testing"

// TestCatalogWatched: a catalog is watched only once EnsureCatalog gave
// cs_schema its notifying trigger, and only while that trigger is
// enabled; a catalog made by an older ctxschema (the same tables, no
// trigger) is not, so a server keeps asking it on every read.
func TestCatalogWatched(t *testing.T) {
	e := newEnv(t)
	watched := func() bool {
		t.Helper()
		ok, err := e.d.CatalogWatched(e.ctx, e.db)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if watched() {
		t.Fatal("no catalog: watched")
	}
	e.exec(`CREATE TABLE "cs_schema" ("id" integer PRIMARY KEY CHECK ("id" = 1), "definition" text NOT NULL, "updated_at" text)`)
	if watched() {
		t.Fatal("a catalog without the trigger: watched")
	}
	if err := e.d.EnsureCatalog(e.ctx, e.db); err != nil {
		t.Fatal(err)
	}
	if !watched() {
		t.Fatal("after EnsureCatalog: not watched")
	}
	e.exec(`ALTER TABLE "cs_schema" DISABLE TRIGGER "cs_schema_notify"`)
	if watched() {
		t.Fatal("with the trigger disabled: watched")
	}
	e.exec(`ALTER TABLE "cs_schema" ENABLE TRIGGER "cs_schema_notify"`)
	if err := e.d.EnsureCatalog(e.ctx, e.db); err != nil { // again: no second trigger, no error
		t.Fatal(err)
	}
	if !watched() {
		t.Fatal("after a second EnsureCatalog: not watched")
	}
}
