package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/pgtest"
	"github.com/ctxschema/ctxschema/plan"
)

// benchSchema is the shape PERFORMANCE.md measures: a 31-column profile
// (30 attributes and customer_id) and n multi-valued extensions of 12
// columns (10 attributes, record_id and customer_id), half of them with a
// composite unique item, and n/2 further keys.
func benchSchema(n int) *model.Schema {
	s := &model.Schema{}
	for i := 0; i < 30; i++ {
		s.Profile = append(s.Profile, str(fmt.Sprintf("P%02d", i), 64))
	}
	for i := 0; i < n; i++ {
		e := model.Extension{Name: fmt.Sprintf("E%04d", i), Type: model.MultiValued}
		for j := 0; j < 10; j++ {
			a := str(fmt.Sprintf("A%02d", j), 32)
			if j%3 == 1 {
				a = withDefault(typed(fmt.Sprintf("A%02d", j), model.Integer), "0")
			}
			e.Attributes = append(e.Attributes, a)
		}
		if i%2 == 0 {
			e.Unique = [][]string{{"A00", "A01"}}
		} else {
			s.Keys = append(s.Keys, model.Key{Name: "k" + e.Name, Source: e.Name, Attributes: []string{"A02"}})
		}
		s.Extensions = append(s.Extensions, e)
	}
	s.Sort()
	return s
}

// benchDB creates s in a new database once for the benchmark.
func benchDB(b *testing.B, s *model.Schema) (*Dialect, *sqlx.DB) {
	b.Helper()
	ctx := context.Background()
	d := New()
	db, err := d.Open(ctx, pgtest.NewDatabase(b), dialect.ReadWrite)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := bootstrapDB(ctx, d, db, s); err != nil {
		b.Fatal(err)
	}
	return d, db
}

func bootstrapDB(ctx context.Context, d *Dialect, db *sqlx.DB, s *model.Schema) error {
	p := bootstrapPlan(s)
	tx, err := d.Begin(ctx, db)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck
	for _, st := range p.Steps {
		r, err := d.Render(p, st)
		if err != nil {
			return err
		}
		for _, q := range r.SQL {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
	}
	if err := d.EnsureCatalog(ctx, tx); err != nil {
		return err
	}
	if err := catalog.Write(ctx, tx, s); err != nil {
		return err
	}
	return tx.Commit()
}

// BenchmarkInspect500 measures a no-change inspection of 500 extensions.
func BenchmarkInspect500(b *testing.B) {
	s := benchSchema(500)
	d, db := benchDB(b, s)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		st, err := d.Inspect(ctx, db)
		if err != nil {
			b.Fatal(err)
		}
		if len(st.Physical.Tables) != 501 {
			b.Fatalf("%d tables", len(st.Physical.Tables))
		}
	}
}

// BenchmarkBootstrap500 measures the first apply's SQL for 500 extensions
// on an empty database (rendering included).
func BenchmarkBootstrap500(b *testing.B) {
	s := benchSchema(500)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		d := New()
		db, err := d.Open(ctx, pgtest.NewDatabase(b), dialect.ReadWrite)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := bootstrapDB(ctx, d, db, s); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
}

// BenchmarkRender500 measures rendering the first apply of 500 extensions.
func BenchmarkRender500(b *testing.B) {
	s := benchSchema(500)
	p := bootstrapPlan(s)
	d := New()
	for b.Loop() {
		for _, st := range p.Steps {
			if _, err := d.Render(p, st); err != nil {
				b.Fatal(err)
			}
		}
	}
}

var _ plan.Data = data{}
