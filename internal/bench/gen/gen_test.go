package gen_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/bench/gen"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/schemafile"
)

// TestFilesLoad checks that the written files pass schemafile.Load without
// warnings and declare exactly the generated schema, with the promised
// shape, for every benchmark size.
func TestFilesLoad(t *testing.T) {
	for _, n := range []int{10, 100, 1000} {
		if n == 1000 && testing.Short() {
			continue
		}
		s := gen.Schema(n, gen.DefaultSeed)
		dir := t.TempDir()
		if err := gen.WriteFiles(s, dir); err != nil {
			t.Fatal(err)
		}
		res, err := schemafile.Load(dir)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if len(res.Warnings) > 0 {
			t.Errorf("n=%d: warnings: %v", n, res.Warnings)
		}
		if diff := cmp.Diff(s.Stripped(), res.Schema.Stripped()); diff != "" {
			t.Fatalf("n=%d: loaded schema differs (-generated +loaded):\n%s", n, diff)
		}
		checkShape(t, n, s)
	}
}

func checkShape(t *testing.T, n int, s *model.Schema) {
	t.Helper()
	if len(s.Extensions) != n || len(s.Keys) != n/2 || len(s.Profile) != 20 {
		t.Fatalf("n=%d: %d extensions, %d keys, %d profile attributes", n, len(s.Extensions), len(s.Keys), len(s.Profile))
	}
	multi, types, profileKeys, extKeys, unique := 0, map[model.Type]bool{}, 0, 0, 0
	for _, e := range s.Extensions {
		if len(e.Attributes) != 10 {
			t.Errorf("%s has %d attributes", e.Name, len(e.Attributes))
		}
		for _, a := range e.Attributes {
			types[a.Type] = true
		}
		if e.Type == model.MultiValued {
			multi++
			if len(e.Unique) == 0 || len(e.Unique[0]) < 2 {
				t.Errorf("multi-valued %s has no composite unique item", e.Name)
			}
		}
	}
	for _, k := range s.Keys {
		if k.OnProfile() {
			profileKeys++
		} else {
			extKeys++
		}
		if k.Unique {
			unique++
		}
	}
	if multi != (n+1)/2 || len(types) != len(model.Types) || profileKeys == 0 || extKeys == 0 && n > 2 || unique == 0 {
		t.Errorf("n=%d: %d multi-valued, %d types, %d profile and %d extension keys, %d unique", n, multi, len(types), profileKeys, extKeys, unique)
	}
}

func TestDeterministic(t *testing.T) {
	a, b := gen.Schema(100, 7), gen.Schema(100, 7)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different schemas:\n%s", diff)
	}
	fa, err := gen.Files(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, _ := gen.Files(b)
	if diff := cmp.Diff(fa, fb); diff != "" {
		t.Fatalf("same schema, different files:\n%s", diff)
	}
	if cmp.Equal(a, gen.Schema(100, 8)) {
		t.Error("another seed gave the same schema")
	}
}

// TestFillProfile fills a small SQLite profile table and checks the
// promised data: the row count, unique e-mails, NULLs, and that a unique
// key over the e-mails then applies.
func TestFillProfile(t *testing.T) {
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(t.TempDir(), "fill.db")
	d := sqlite.New()
	db, err := d.Open(ctx, url, dialect.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := gen.Schema(10, gen.DefaultSeed)
	target := apply.Target{Dialect: d, DB: db, URL: url}
	if _, err := apply.Run(ctx, target, s, apply.Options{}); err != nil {
		t.Fatal(err)
	}
	const rows = 2500 // more than one batch, and a partial one
	if err := gen.FillProfile(ctx, db, s, rows, gen.DefaultSeed); err != nil {
		t.Fatal(err)
	}
	var n, emails, distinct, lastNames int
	q := `SELECT count(*), count(emailaddress), count(DISTINCT emailaddress), count(lastname) FROM profile`
	if err := db.QueryRow(q).Scan(&n, &emails, &distinct, &lastNames); err != nil {
		t.Fatal(err)
	}
	if n != rows || emails != distinct || lastNames != rows {
		t.Errorf("%d rows, %d e-mails (%d distinct), %d last names", n, emails, distinct, lastNames)
	}
	if nulls := rows - emails; nulls < rows/50 || nulls > rows/2 {
		t.Errorf("%d NULL e-mails of %d rows: not a realistic share", nulls, rows)
	}
	with := s.Clone()
	with.Keys = append(with.Keys, gen.UniqueEmailKey())
	if _, err := apply.Run(ctx, target, with, apply.Options{}); err != nil {
		t.Fatal(err)
	}
}
