package bench

import (
	"context"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/bench/gen"
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
