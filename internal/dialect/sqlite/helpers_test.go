package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

func ptr(s string) *string { return &s }

func str(name string, length int) model.Attribute {
	return model.Attribute{Name: name, Type: model.String, Length: length}
}

// contactCenter is the rich schema of the tests, shaped after DOMAIN.md:
// every type, defaults of every type, mandatory attributes, lengths, a
// multi-valued extension with unique items, a single-valued one, a
// classifier, and keys on the profile and on an extension.
func contactCenter() *model.Schema {
	s := &model.Schema{
		Profile: []model.Attribute{
			str("FirstName", 64),
			str("LastName", 64),
			{Name: "EmailAddress", Type: model.String, Length: 256, Mandatory: true},
			{Name: "Title", Type: model.String, Length: 255, Default: ptr("Mr O'Neil"), Encrypt: true},
			{Name: "Age", Type: model.Integer, Default: ptr("-1")},
			{Name: "CustomerSince", Type: model.Long, Default: ptr("1234567890123")},
			{Name: "Score", Type: model.Double, Default: ptr("1.5")},
			{Name: "Balance", Type: model.Currency, Default: ptr("12.5"), Mandatory: true},
			{Name: "BirthDate", Type: model.Date, Default: ptr("1970-01-01")},
			{Name: "LastContact", Type: model.DateTime, Default: ptr("1981-03-17T02:00:00.000Z")},
			{Name: "VIP", Type: model.Boolean, Default: ptr("false"), Mandatory: true},
			{Name: "Newsletter", Type: model.Boolean},
		},
		Extensions: []model.Extension{
			{Name: "Address", Type: model.SingleValued, Attributes: []model.Attribute{
				{Name: "AddressType", Type: model.Integer, Default: ptr("0")},
				str("Address", 256), str("City", 32), str("County", 32), str("PostCode", 10), str("Country", 32),
			}, Unique: [][]string{{"PostCode"}}},
			{Name: "Phone", Type: model.MultiValued, Attributes: []model.Attribute{
				{Name: "PhoneType", Type: model.Integer, Default: ptr("0"), Mandatory: true},
				{Name: "prefix", Type: model.String, Length: 3, Default: ptr("555")},
				{Name: "PhoneNumber", Type: model.String, Length: 15, Mandatory: true},
				str("description", 32),
				{Name: "start_availability", Type: model.DateTime},
			}, Unique: [][]string{{"PhoneNumber"}, {"prefix", "description"}}},
			{Name: "Gold", Type: model.Classifier},
		},
		Keys: []model.Key{
			{Name: "idEmail", Source: "profile", Attributes: []string{"EmailAddress"}, Unique: true},
			{Name: "idFirstNameLastName", Source: "profile", Attributes: []string{"LastName", "FirstName"}},
			{Name: "idPhone", Source: "Phone", Attributes: []string{"PhoneNumber"}},
		},
	}
	s.Sort()
	return s
}

// createSteps are the steps that create s on an empty database.
func createSteps(s *model.Schema) []plan.Step {
	var steps []plan.Step
	for _, t := range s.Tables() {
		t.Keys = nil
		if t.Extension == nil {
			steps = append(steps, plan.Step{Change: plan.CreateProfile{Table: t}})
		} else {
			steps = append(steps, plan.Step{Change: plan.CreateExtension{Extension: *t.Extension, Table: t}})
		}
	}
	for _, k := range s.Keys {
		steps = append(steps, plan.Step{Change: plan.CreateKey{Key: k}})
	}
	return steps
}

// openTemp opens a new database file in a temporary directory.
func openTemp(t testing.TB) (*sqlx.DB, string) {
	t.Helper()
	url := "sqlite://" + filepath.Join(t.TempDir(), "test.db")
	db, err := New().Open(context.Background(), url, dialect.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, url
}

// apply renders and runs steps in one transaction, as apply would, and
// records s in the catalog when it is not nil.
func apply(t testing.TB, db *sqlx.DB, p *plan.Plan, s *model.Schema, steps ...plan.Step) {
	t.Helper()
	ctx := context.Background()
	d := New()
	tx, err := d.Begin(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := d.EnsureCatalog(ctx, tx); err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		r, err := d.Render(p, st)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range r.SQL {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				t.Fatalf("%T: %s: %v", st.Change, q, err)
			}
		}
	}
	if err := d.CheckForeignKeys(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if s != nil {
		if err := catalog.Write(ctx, tx, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func mustExec(t testing.TB, db *sqlx.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
