package sqlite_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
	"github.com/ctxschema/ctxschema/internal/model"
)

// TestApplyTransactionKeepsWritersOut states why the destructive check is
// safe on SQLite: the apply's transaction takes the database's write lock
// when it begins (BEGIN IMMEDIATE), before it counts what a change loses,
// so no other connection can commit a value between the count and the
// change. (PostgreSQL locks the tables instead; see apply.lockLosses.)
// A deferred BEGIN would let the write below in.
func TestApplyTransactionKeepsWritersOut(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "writers.db")
	d := sqlite.New()
	db, err := d.Open(ctx, "sqlite://"+path, dialect.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tg := apply.Target{Dialect: d, DB: db, URL: "sqlite://" + path}
	schema := &model.Schema{Profile: []model.Attribute{{Name: "Nickname", Type: model.String, Length: 32}}}
	if _, err := apply.Run(ctx, tg, schema, apply.Options{LockTimeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO "profile" ("customer_id") VALUES ('c1')`); err != nil {
		t.Fatal(err)
	}

	tx, err := d.Begin(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck
	var values int
	if err := tx.Get(&values, `SELECT count("nickname") FROM "profile"`); err != nil {
		t.Fatal(err)
	}

	writer, err := sqlx.Open("sqlite3", "file:"+path+"?_busy_timeout=200")
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	_, err = writer.Exec(`UPDATE "profile" SET "nickname" = 'Jo' WHERE "customer_id" = 'c1'`)
	if err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("another connection wrote while the apply's transaction was open (err %v): a count made in it would not hold until the change", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := writer.Exec(`UPDATE "profile" SET "nickname" = 'Jo' WHERE "customer_id" = 'c1'`); err != nil {
		t.Fatalf("the write failed once the apply's transaction ended: %v", err)
	}
}
