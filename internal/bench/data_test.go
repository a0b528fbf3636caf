package bench

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/bench/gen"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
	"github.com/ctxschema/ctxschema/internal/model"
)

// BenchmarkAddUniqueKey adds a unique identification key over the e-mail
// column of a profile table of rowsSize() rows (apply.Run with the key
// added), and then removes it again, untimed. Its floor runs the same
// CREATE UNIQUE INDEX directly on the same table.
func BenchmarkAddUniqueKey(b *testing.B) {
	forBackends(b, func(b *testing.B, be backend) {
		ctx := context.Background()
		t, base := filled(b, be)
		with := base.Clone()
		with.Keys = append(with.Keys, gen.UniqueEmailKey())
		with.Sort()
		// The statements the apply runs for the key, as the dialect
		// renders them.
		p, err := apply.Prepare(ctx, t, with)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Steps) != 1 {
			b.Fatalf("adding the key plans %d steps, want 1", len(p.Steps))
		}
		in, after := p.Steps[0].SQL, p.Steps[0].After
		drop := `DROP INDEX "` + gen.UniqueEmailKey().Index() + `"`
		paired(b, func(b *testing.B) time.Duration {
			d := timed(b, func() error {
				_, err := apply.Run(ctx, t, with, apply.Options{})
				return err
			})
			if _, err := apply.Run(ctx, t, base, apply.Options{}); err != nil {
				b.Fatalf("removing the key again: %v", err)
			}
			return d
		}, func(b *testing.B) time.Duration {
			d := timed(b, func() error {
				if err := execAll(ctx, t.DB.DB, in); err != nil {
					return err
				}
				for _, q := range after {
					if _, err := t.DB.ExecContext(ctx, q); err != nil {
						return err
					}
				}
				return nil
			})
			if _, err := t.DB.ExecContext(ctx, drop); err != nil {
				b.Fatal(err)
			}
			return d
		})
	})
}

// BenchmarkDuplicates runs the data check that guards a new unique key
// (the dialect's Data().Duplicates) over the e-mail column of the filled
// profile table. Its floor is the plain GROUP BY … HAVING count(*) > 1.
func BenchmarkDuplicates(b *testing.B) {
	forBackends(b, func(b *testing.B, be backend) {
		ctx := context.Background()
		t, _ := filled(b, be)
		col := model.Attribute{Name: gen.EmailAttribute}.Column()
		floor := `SELECT "` + col + `", count(*) FROM "` + model.ProfileTable + `" WHERE "` + col +
			`" IS NOT NULL GROUP BY "` + col + `" HAVING count(*) > 1`
		data := t.Dialect.Data(t.DB)
		paired(b, func(b *testing.B) time.Duration {
			return timed(b, func() error {
				f, err := data.Duplicates(ctx, model.ProfileTable, []string{col}, false)
				if err == nil && f.Groups != 0 {
					b.Fatalf("found %d duplicate groups in unique data", f.Groups)
				}
				return err
			})
		}, func(b *testing.B) time.Duration {
			return timed(b, func() error { return readAll(ctx, t.DB.DB, floor) })
		})
	})
}

// deleteRecordsPerCustomer is how many records each customer holds in the
// extension of BenchmarkDeleteCustomer.
const deleteRecordsPerCustomer = 5

// deleteSchema is a profile and one multi-valued extension without unique
// items: the table whose customer_id only the layout's cx_ index covers.
func deleteSchema() *model.Schema {
	return &model.Schema{
		Profile: []model.Attribute{{Name: "Name", Type: model.String, Length: 64}},
		Extensions: []model.Extension{{Name: "Notes", Type: model.MultiValued, Attributes: []model.Attribute{
			{Name: "Kind", Type: model.Integer}, {Name: "Text", Type: model.String, Length: 64},
		}}},
	}
}

// BenchmarkDeleteCustomer deletes one customer (ON DELETE CASCADE removes
// its records) from a profile whose multi-valued extension without unique
// items holds rowsSize() records, five per customer: ours on the layout as
// apply makes it, with the index over customer_id (cx_notes); its "floor"
// on the same data without that index, as the layout was before. Each
// delete runs in a transaction that is rolled back, so the data stays. A
// ratio well under 1 is the gain.
func BenchmarkDeleteCustomer(b *testing.B) {
	forBackends(b, func(b *testing.B, be backend) {
		ctx := context.Background()
		with := deleteFilled(b, be, true)
		without := deleteFilled(b, be, false)
		customers := rowsSize() / deleteRecordsPerCustomer
		i := 0
		del := func(db *sql.DB) func(b *testing.B) time.Duration {
			return func(b *testing.B) time.Duration {
				id := fmt.Sprintf("c%d", (i*7919)%customers)
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				defer tx.Rollback() //nolint:errcheck // the point
				d := timed(b, func() error {
					_, err := tx.ExecContext(ctx, `DELETE FROM "profile" WHERE "customer_id" = `+param(be, 1), id)
					return err
				})
				var left int
				if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM "ext_notes" WHERE "customer_id" = `+param(be, 1), id).Scan(&left); err != nil {
					b.Fatal(err)
				}
				if left != 0 {
					b.Fatalf("deleting customer %s left %d of its records", id, left)
				}
				return d
			}
		}
		paired(b, func(b *testing.B) time.Duration {
			i++
			return del(with)(b)
		}, del(without))
	})
}

// param is the n-th query parameter as the backend writes it.
func param(be backend, n int) string {
	if be.name == "postgres" {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

// deleteFilled is a database with deleteSchema applied and filled, with
// or without its cx_ index, opened with foreign keys enforced (the
// dialect's own SQLite connection turns them off for table rebuilds; an
// application deleting customers has them on).
func deleteFilled(b *testing.B, be backend, index bool) *sql.DB {
	return cached(b, fmt.Sprintf("%s/delete/index=%v", be.name, index), func() (*sql.DB, error) {
		t, err := be.open(fmt.Sprintf("delete_%d_%v", rowsSize(), index))
		if err != nil {
			return nil, err
		}
		atExit(func() { be.drop(t) })
		ctx := context.Background()
		s := deleteSchema()
		if _, err := apply.Run(ctx, t, s, apply.Options{}); err != nil {
			return nil, err
		}
		cx, ok := s.Tables()[1].CustomerIndex()
		if !ok {
			return nil, fmt.Errorf("the layout gives %s no index over customer_id", s.Tables()[1].Name)
		}
		records := rowsSize()
		series := func(n int) string { // the rows i = 0 … n-1
			if be.name == "postgres" {
				return fmt.Sprintf("generate_series(0, %d) AS c(i)", n-1)
			}
			return fmt.Sprintf("(WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < %d) SELECT i FROM c) AS c", n)
		}
		stmts := []string{
			`INSERT INTO "profile" ("customer_id", "name") SELECT 'c' || i, 'name ' || i FROM ` + series(records/deleteRecordsPerCustomer),
			fmt.Sprintf(`INSERT INTO "ext_notes" ("customer_id", "kind", "text") SELECT 'c' || (i / %d), i %% %d, 'note ' || i FROM `, deleteRecordsPerCustomer, deleteRecordsPerCustomer) + series(records),
		}
		if !index {
			stmts = append(stmts, `DROP INDEX "`+cx+`"`)
		}
		if err := execAll(ctx, t.DB.DB, append(stmts, "ANALYZE")); err != nil {
			return nil, err
		}
		if be.name != "sqlite" {
			return t.DB.DB, nil
		}
		loc, err := sqlite.ParseURL(t.URL)
		if err != nil {
			return nil, err
		}
		db, err := sql.Open(sqlite.DriverName, "file:"+loc.Path+"?_foreign_keys=1")
		if err == nil {
			atExit(func() { db.Close() })
		}
		return db, err
	})
}
