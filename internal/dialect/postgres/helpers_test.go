package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/pgtest"
	"github.com/ctxschema/ctxschema/plan"
)

// env is a test's own database, opened through the dialect.
type env struct {
	t   *testing.T
	ctx context.Context
	d   *Dialect
	db  *sqlx.DB
	url string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	url := pgtest.NewDatabase(t)
	return openEnv(t, url)
}

func openEnv(t *testing.T, url string) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	d := New()
	db, err := d.Open(ctx, url, dialect.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &env{t: t, ctx: ctx, d: d, db: db, url: url}
}

// exec runs statements outside any transaction.
func (e *env) exec(stmts ...string) {
	e.t.Helper()
	for _, s := range stmts {
		if _, err := e.db.ExecContext(e.ctx, s); err != nil {
			e.t.Fatalf("%s: %v", s, err)
		}
	}
}

func (e *env) count(query string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.GetContext(e.ctx, &n, query, args...); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// apply renders every step of p and runs it as the apply does: SQL in one
// transaction with the catalog write of desired, After statements once it
// committed. It returns the rendered steps.
func (e *env) apply(p *plan.Plan, desired *model.Schema) []stepSQL {
	e.t.Helper()
	out, err := e.tryApply(p, desired)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// stepSQL is the SQL rendered for one step.
type stepSQL struct {
	SQL, After []string
	Blocking   bool
}

func (e *env) tryApply(p *plan.Plan, desired *model.Schema) ([]stepSQL, error) {
	e.t.Helper()
	var out []stepSQL
	tx, err := e.d.Begin(e.ctx, e.db)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck
	var after []string
	for _, s := range p.Steps {
		r, err := e.d.Render(p, s)
		if err != nil {
			return nil, err
		}
		out = append(out, stepSQL{r.SQL, r.After, r.Blocking})
		for _, stmt := range r.SQL {
			if _, err := tx.ExecContext(e.ctx, stmt); err != nil {
				e.t.Logf("failing statement:\n%s", stmt)
				return out, err
			}
		}
		after = append(after, r.After...)
	}
	if desired != nil {
		if err := e.d.EnsureCatalog(e.ctx, tx); err != nil {
			return out, err
		}
		if err := catalog.Write(e.ctx, tx, desired); err != nil {
			return out, err
		}
	}
	if err := tx.Commit(); err != nil {
		return out, err
	}
	for _, stmt := range after {
		if _, err := e.db.ExecContext(e.ctx, stmt); err != nil {
			e.t.Logf("failing statement:\n%s", stmt)
			return out, err
		}
	}
	return out, nil
}

func (e *env) inspect() *plan.State {
	e.t.Helper()
	st, err := e.d.Inspect(e.ctx, e.db)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// bootstrap creates s on an empty database, as a first apply would.
func (e *env) bootstrap(s *model.Schema) {
	e.t.Helper()
	e.apply(bootstrapPlan(s), s)
}

// bootstrapPlan is the plan of a first apply of s: the profile, the
// extensions, then the keys.
func bootstrapPlan(s *model.Schema) *plan.Plan {
	p := &plan.Plan{Current: &model.Schema{}, Desired: s, Rows: map[string]int64{}}
	tables := s.Tables()
	prof := tables[0]
	prof.Keys = nil
	p.Steps = append(p.Steps, plan.Step{Change: plan.CreateProfile{Table: prof}})
	for _, t := range tables[1:] {
		t.Keys = nil
		p.Steps = append(p.Steps, plan.Step{Change: plan.CreateExtension{Extension: *t.Extension, Table: t}})
	}
	for _, k := range s.Keys {
		p.Steps = append(p.Steps, plan.Step{Change: plan.CreateKey{Key: k}})
	}
	return p
}

func ptr(s string) *string { return &s }

// canon is the canonical default of raw for type t, or panics.
func canon(t model.Type, raw string) *string {
	c, err := model.CanonicalDefault(t, model.MaxStringLength, raw)
	if err != nil {
		panic(err)
	}
	return &c
}

func str(name string, length int) model.Attribute {
	return model.Attribute{Name: name, Type: model.String, Length: length}
}

func typed(name string, t model.Type) model.Attribute {
	return model.Attribute{Name: name, Type: t}
}

func withDefault(a model.Attribute, raw string) model.Attribute {
	a.Default = canon(a.Type, raw)
	return a
}

func mandatory(a model.Attribute) model.Attribute {
	a.Mandatory = true
	return a
}

// richSchema is a contact center's schema (DOMAIN.md): every type, defaults
// of every type, mandatory attributes, lengths, a multi-valued Phone with a
// unique PhoneNumber and a composite unique item, a single-valued Address,
// a classifier, and keys on the profile and on extensions.
func richSchema() *model.Schema {
	s := &model.Schema{
		Profile: []model.Attribute{
			str("FirstName", 64),
			str("LastName", 64),
			mandatory(str("EmailAddress", 256)),
			withDefault(str("Title", 10), "Mr"),
			withDefault(str("Note", 40), `O'Brien \ co`),
			withDefault(str("Empty", 5), ""),
			withDefault(typed("Age", model.Integer), "-1"),
			withDefault(typed("Score", model.Long), "9999999999"),
			withDefault(typed("Rating", model.Double), "1e20"),
			withDefault(typed("Ratio", model.Double), "0.125"),
			withDefault(typed("Balance", model.Currency), "12.50"),
			withDefault(typed("Debt", model.Currency), "-0.0001"),
			mandatory(withDefault(typed("VIP", model.Boolean), "false")),
			withDefault(typed("BirthDate", model.Date), "1980-02-29"),
			withDefault(typed("Since", model.DateTime), "2020-01-01T02:00:00.123Z"),
			{Name: "Secret", Type: model.String, Length: 255, Encrypt: true},
		},
		Extensions: []model.Extension{
			{Name: "Phone", Type: model.MultiValued, Attributes: []model.Attribute{
				mandatory(withDefault(typed("PhoneType", model.Integer), "0")),
				withDefault(str("prefix", 3), "555"),
				mandatory(str("PhoneNumber", 15)),
				str("description", 32),
				typed("start_availability", model.DateTime),
				typed("end_availability", model.DateTime),
			}, Unique: [][]string{{"PhoneNumber"}, {"prefix", "PhoneType"}}},
			{Name: "Address", Type: model.SingleValued, Attributes: []model.Attribute{
				withDefault(typed("AddressType", model.Integer), "0"),
				str("Address", 256),
				str("City", 32),
				str("PostCode", 10),
				str("Country", 32),
			}, Unique: [][]string{{"PostCode"}}},
			{Name: "Gold", Type: model.Classifier},
		},
		Keys: []model.Key{
			{Name: "idEmail", Source: "profile", Attributes: []string{"EmailAddress"}, Unique: true},
			{Name: "idName", Source: "profile", Attributes: []string{"LastName", "FirstName"}},
			{Name: "idPhone", Source: "Phone", Attributes: []string{"PhoneNumber"}},
			{Name: "idPostCode", Source: "Address", Attributes: []string{"PostCode", "Country"}, Unique: true},
		},
	}
	s.Sort()
	return s
}
