package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/bench/gen"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/schemafile"
	"github.com/ctxschema/ctxschema/plan"
)

// BenchmarkLoad loads and validates the schema files of the generated
// schema (schemafile.Load): N = 1000, one file per extension.
func BenchmarkLoad(b *testing.B) {
	n := loadSize()
	b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
		dir := cached(b, fmt.Sprintf("files/N=%d", n), func() (string, error) {
			dir := filepath.Join(tmpDir, fmt.Sprintf("files_%d", n))
			return dir, gen.WriteFiles(schemaFor(n), dir)
		})
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			res, err := schemafile.Load(context.Background(), dir)
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Schema.Extensions) != n {
				b.Fatalf("loaded %d extensions, want %d", len(res.Schema.Extensions), n)
			}
		}
	})
}

// BenchmarkPlanNoChange plans the applied schema against itself
// (apply.Prepare: inspect, diff, render) on a live database. Its floor
// replays the queries Prepare sends, reading every row raw.
func BenchmarkPlanNoChange(b *testing.B) {
	forBackends(b, func(b *testing.B, be backend) {
		for _, n := range sizes() {
			b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
				benchPlan(b, applied(b, be, n), schemaFor(n), 0)
			})
		}
	})
}

// BenchmarkBuildNoChange is plan.Build alone, the diff of a no-op plan:
// the applied schema against itself, from a state inspected once (the
// part of BenchmarkPlanNoChange that is neither the database nor the
// dialect's reading of it).
func BenchmarkBuildNoChange(b *testing.B) {
	forBackends(b, func(b *testing.B, be backend) {
		for _, n := range sizes() {
			b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
				ctx := context.Background()
				t := applied(b, be, n)
				st, err := t.Dialect.Inspect(ctx, t.DB)
				if err != nil {
					b.Fatal(err)
				}
				desired := schemaFor(n)
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					p, err := plan.Build(ctx, st, desired, t.Dialect.Data(t.DB))
					if err != nil {
						b.Fatal(err)
					}
					if len(p.Steps) != 0 {
						b.Fatalf("plan has %d steps, want none", len(p.Steps))
					}
				}
			})
		}
	})
}

// BenchmarkPlanChanged plans a schema with 1% of its extensions changed
// (each gains an attribute) against the applied one.
func BenchmarkPlanChanged(b *testing.B) {
	forBackends(b, func(b *testing.B, be backend) {
		for _, n := range sizes() {
			b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
				desired, changed := gen.Changed(schemaFor(n))
				benchPlan(b, applied(b, be, n), desired, changed)
			})
		}
	})
}

func benchPlan(b *testing.B, t apply.Target, desired *model.Schema, wantSteps int) {
	ctx := context.Background()
	// Record the queries of one plan, made as Prepare makes it.
	queries, err := PlanQueries(ctx, t, desired)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(queries)), "queries")
	paired(b, func(b *testing.B) time.Duration {
		var p *plan.Plan
		d := timed(b, func() (err error) {
			p, err = apply.Prepare(ctx, t, desired)
			return err
		})
		if len(p.Steps) != wantSteps {
			b.Fatalf("plan has %d steps, want %d", len(p.Steps), wantSteps)
		}
		return d
	}, func(b *testing.B) time.Duration {
		return timed(b, func() error { return replay(ctx, t.DB.DB, queries) })
	})
}

// BenchmarkApplyEmpty applies the whole generated schema to an empty
// database (apply.Run: lock, transaction, catalog, history, convergence
// check). Its floor runs the same statements in one transaction.
func BenchmarkApplyEmpty(b *testing.B) {
	forBackends(b, func(b *testing.B, be backend) {
		for _, n := range sizes() {
			b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
				benchApplyEmpty(b, be, n)
			})
		}
	})
}

func benchApplyEmpty(b *testing.B, be backend, n int) {
	ctx := context.Background()
	s := schemaFor(n)
	seq := 0
	fresh := func(b *testing.B) apply.Target {
		seq++
		t, err := be.open(fmt.Sprintf("empty_%d_%d_%d", n, os.Getpid(), seq))
		if err != nil {
			b.Fatal(err)
		}
		return t
	}
	type sqlSet struct{ in, after []string }
	stmts := cached(b, fmt.Sprintf("%s/create-sql/N=%d", be.name, n), func() (sqlSet, error) {
		t := fresh(b)
		defer be.drop(t)
		res, err := apply.Run(ctx, t, s, apply.Options{})
		if err != nil {
			return sqlSet{}, err
		}
		in, after := planSQL(res)
		return sqlSet{in, after}, nil
	})
	paired(b, func(b *testing.B) time.Duration {
		t := fresh(b)
		defer be.drop(t)
		return timed(b, func() error {
			_, err := apply.Run(ctx, t, s, apply.Options{})
			return err
		})
	}, func(b *testing.B) time.Duration {
		t := fresh(b)
		defer be.drop(t)
		return timed(b, func() error {
			if err := execAll(ctx, t.DB.DB, stmts.in); err != nil {
				return err
			}
			for _, q := range stmts.after {
				if _, err := t.DB.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
	})
}
