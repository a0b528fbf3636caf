package apply_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

func schema() *model.Schema {
	return &model.Schema{
		Profile: []model.Attribute{{Name: "Email", Type: model.String, Length: 64}},
		Extensions: []model.Extension{{Name: "Phone", Type: model.MultiValued, Attributes: []model.Attribute{
			{Name: "Number", Type: model.String, Length: 15},
		}}},
	}
}

// target applies schema() to a new SQLite database holding two customers
// with the same e-mail and one customer with the same phone number twice.
func target(t *testing.T, d dialect.Dialect) apply.Target {
	t.Helper()
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(t.TempDir(), "a.db")
	db, err := sqlite.New().Open(ctx, url, dialect.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tg := apply.Target{Dialect: d, DB: db, URL: url}
	if _, err := apply.Run(ctx, tg, schema(), apply.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO profile VALUES ('c1', 'a@x'), ('c2', 'a@x'), ('c3', 'b@x')`,
		`INSERT INTO ext_phone (customer_id, number) VALUES ('c1', '555'), ('c1', '555'), ('c2', '555')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return tg
}

// TestUniqueOverDuplicatesRefused: apply leaves the duplicate check of a
// new unique index to the index build, and still refuses with the data
// check's *UnsafeError and its counts, changing nothing.
func TestUniqueOverDuplicatesRefused(t *testing.T) {
	tests := map[string]func(s *model.Schema){
		"unique key": func(s *model.Schema) {
			s.Keys = []model.Key{{Name: "idEmail", Source: "profile", Attributes: []string{"Email"}, Unique: true}}
		},
		"unique item": func(s *model.Schema) { s.Extensions[0].Unique = [][]string{{"Number"}} },
	}
	for name, edit := range tests {
		for _, deferred := range []bool{false, true} {
			sub := name
			if deferred {
				sub += " built after the transaction"
			}
			t.Run(sub, func(t *testing.T) {
				var d dialect.Dialect = sqlite.New()
				if deferred {
					d = deferIndexes{d.(*sqlite.Dialect)}
				}
				tg := target(t, d)
				desired := schema()
				// A change before the index, which must be rolled back too.
				desired.Profile = append(desired.Profile, model.Attribute{Name: "Age", Type: model.Integer})
				edit(desired)
				_, err := apply.Run(context.Background(), tg, desired, apply.Options{})
				var ue *apply.UnsafeError
				if !errors.As(err, &ue) || ue.Reason != apply.DataCheckFailed || len(ue.Steps) != 1 {
					t.Fatalf("want a data check refusal of one step, got %v", err)
				}
				h := ue.Steps[0].Hazards[0]
				if h.Kind != plan.DataCheck || h.Groups != 1 || h.Rows != 2 {
					t.Errorf("hazard %+v", h)
				}
				got, _, err := catalog.Read(context.Background(), tg.DB)
				if err != nil {
					t.Fatal(err)
				}
				if len(got.Profile) != 1 || len(got.Keys) != 0 || len(got.Extensions[0].Unique) != 0 {
					t.Errorf("the catalog changed: %+v", got)
				}
				var cols int
				if err := tg.DB.Get(&cols, `SELECT count(*) FROM pragma_table_info('profile')`); err != nil || cols != 2 {
					t.Errorf("profile has %d columns (%v), want 2: the added column was not rolled back", cols, err)
				}
			})
		}
	}
}

// TestUniqueWithoutDuplicatesApplies: the same changes apply on clean data.
func TestUniqueWithoutDuplicatesApplies(t *testing.T) {
	tg := target(t, sqlite.New())
	if _, err := tg.DB.Exec(`DELETE FROM ext_phone WHERE customer_id = 'c2'; UPDATE profile SET email = 'c@x' WHERE customer_id = 'c2'; DELETE FROM ext_phone WHERE rowid = (SELECT max(rowid) FROM ext_phone)`); err != nil {
		t.Fatal(err)
	}
	desired := schema()
	desired.Keys = []model.Key{{Name: "idEmail", Source: "profile", Attributes: []string{"Email"}, Unique: true}}
	desired.Extensions[0].Unique = [][]string{{"Number"}}
	res, err := apply.Run(context.Background(), tg, desired, apply.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Plan.Steps) != 2 {
		t.Errorf("%d steps, want 2", len(res.Plan.Steps))
	}
}

// deferIndexes is the SQLite dialect with its CREATE INDEX statements moved
// after the transaction, as PostgreSQL builds indexes CONCURRENTLY.
type deferIndexes struct{ *sqlite.Dialect }

func (d deferIndexes) Render(p *plan.Plan, s plan.Step) (dialect.Rendered, error) {
	r, err := d.Dialect.Render(p, s)
	switch s.Change.(type) {
	case plan.CreateKey, plan.AddUnique:
		r.SQL, r.After = nil, r.SQL
	}
	return r, err
}

func (d deferIndexes) Data(q dialect.Querier) plan.Data { return d.Dialect.Data(q) }

// TestConvergedCanFail: the convergence check after an apply reports a
// database that does not hold the desired schema, so a dialect that
// rendered too little could not pass unnoticed.
func TestConvergedCanFail(t *testing.T) {
	tg := target(t, sqlite.New())
	ctx := context.Background()
	if err := apply.Converged(ctx, tg, schema()); err != nil {
		t.Fatalf("the applied schema does not converge: %v", err)
	}
	more := schema()
	more.Profile = append(more.Profile, model.Attribute{Name: "Title", Type: model.String, Length: 16})
	var nc *apply.NotConvergedError
	if err := apply.Converged(ctx, tg, more); !errors.As(err, &nc) || len(nc.Plan.Steps) != 1 {
		t.Fatalf("Converged with a schema the database lacks = %v, want a NotConvergedError naming the missing attribute", err)
	}
}
