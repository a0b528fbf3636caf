package dialecttest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// Refusal is a change that cannot succeed on the data in the database: the
// plan must mark it blocked with the counts and customer ids of the
// offending rows, and apply must refuse it and change nothing.
type Refusal struct {
	Name string
	Seed []string
	To   *model.Schema
	// Want is the blocked step ("+ identification key idCity").
	Want string
	// Rows, Groups and Customers are the hazard's expected counts (-1:
	// not checked); CustomerIDs the sample ids, sorted.
	Rows, Groups, Customers int64
	CustomerIDs             []string
	// Drifted is true when Seed alters the layout by hand: the refused
	// repair leaves that drift, which the next plan shows again.
	Drifted bool
}

// retype replaces a column of table by one of type typ holding the same
// values, as a hand would (the same statements on every dialect).
func retype(table, column, typ string) []string {
	t, c, old := `"`+table+`"`, `"`+column+`"`, `"`+column+`_old"`
	return []string{
		`ALTER TABLE ` + t + ` RENAME COLUMN ` + c + ` TO ` + old,
		`ALTER TABLE ` + t + ` ADD COLUMN ` + c + ` ` + typ,
		`UPDATE ` + t + ` SET ` + c + ` = ` + old,
		`ALTER TABLE ` + t + ` DROP COLUMN ` + old,
	}
}

func seedWith(stmts ...[]string) []string {
	out := append([]string(nil), seed...)
	for _, s := range stmts {
		out = append(out, s...)
	}
	return out
}

// Refusals lists the data checks, one per kind.
func Refusals() []Refusal {
	return []Refusal{
		{Name: "new unique key over duplicates", Seed: seed, To: edit(func(s *model.Schema) {
			s.Keys = append(s.Keys, model.Key{Name: "idLast", Source: "profile", Attributes: []string{"LastName"}, Unique: true})
		}), Want: "+ identification key idLast", Rows: -1, Groups: 1, Customers: 2, CustomerIDs: []string{"c1", "c2"}},
		{Name: "key turned unique over duplicates", Seed: seed, To: edit(func(s *model.Schema) {
			s.Keys[2].Unique = true
		}), Want: "-/+ identification key idPhone", Rows: -1, Groups: 1, Customers: 2, CustomerIDs: []string{"c1", "c2"}},
		{Name: "unique item over records duplicated within a customer", Seed: append(append([]string(nil), seed...),
			`INSERT INTO "ext_phone" ("customer_id", "phonetype", "phonenumber") VALUES ('c3', 0, '5550001')`), To: edit(func(s *model.Schema) {
			ext(s, "Phone").Unique = append(ext(s, "Phone").Unique, []string{"PhoneType"})
		}), Want: "+ extension unique Phone(PhoneType)", Rows: -1, Groups: 1, Customers: 1, CustomerIDs: []string{"c3"}},
		{Name: "new mandatory attribute without default over rows", Seed: seed, To: edit(func(s *model.Schema) {
			at := a("Title", model.String)
			at.Mandatory = true
			s.Profile = append(s.Profile, at)
		}), Want: "+ profile attribute Title", Rows: 3, Groups: -1, Customers: -1},
		{Name: "mandatory turned on over nulls", Seed: seed, To: edit(func(s *model.Schema) {
			s.Profile[1].Mandatory = true
		}), Want: "~ profile attribute LastName", Rows: 1, Groups: -1, Customers: -1, CustomerIDs: []string{"c3"}},
		{Name: "shorter length than stored values", Seed: seed, To: edit(func(s *model.Schema) {
			s.Profile[2].Length = 14
		}), Want: "~ profile attribute EmailAddress", Rows: 2, Groups: -1, Customers: -1, CustomerIDs: []string{"c1", "c2"}},
		{Name: "type change over values that do not convert", Seed: append(append([]string(nil), seed...),
			`UPDATE "ext_address" SET "postcode" = 'SW1A 1AA' WHERE "customer_id" = 'c1'`), To: edit(func(s *model.Schema) {
			ext(s, "Address").Attributes[1] = a("PostCode", model.Integer)
		}), Want: "~ extension attribute Address.PostCode", Rows: 1, Groups: -1, Customers: -1, CustomerIDs: []string{"c1"}},
		{Name: "repair of a retyped column over values that do not convert back", Seed: seedWith(retype("profile", "score", "text"), []string{
			`UPDATE "profile" SET "score" = 'Jane Doe, +41 79 000 00 00' WHERE "customer_id" = 'c2'`,
		}), To: Base(), Want: "! drift profile", Rows: 1, Groups: -1, Customers: 1, CustomerIDs: []string{"c2"}, Drifted: true},
		{Name: "repair of a widened string column over longer values", Seed: seedWith(retype("ext_address", "postcode", "text"), []string{
			`UPDATE "ext_address" SET "postcode" = '75001          ' WHERE "customer_id" = 'c1'`,
			`UPDATE "ext_address" SET "postcode" = 'SW1A 1AA LONDON' WHERE "customer_id" = 'c2'`,
		}), To: Base(), Want: "! drift ext_address", Rows: 2, Groups: -1, Customers: 2, CustomerIDs: []string{"c1", "c2"}, Drifted: true},
		{Name: "multi-valued to single-valued over customers with several records", Seed: seed, To: edit(func(s *model.Schema) {
			ext(s, "Phone").Type = model.SingleValued
		}), Want: "~ extension Phone", Rows: -1, Groups: -1, Customers: 1, CustomerIDs: []string{"c1"}},
	}
}

// RunRefusals runs every refusal against the harness.
func RunRefusals(t *testing.T, h Harness) {
	for _, r := range Refusals() {
		t.Run(r.Name, func(t *testing.T) {
			t.Parallel()
			RunRefusal(t, h, r)
		})
	}
}

// RunRefusal runs one refusal: base schema, seed, plan (blocked with the
// expected finding), apply (refused, nothing changed).
func RunRefusal(t *testing.T, h Harness, r Refusal) {
	ctx := context.Background()
	tg := setup(t, h, Base(), r.Seed)
	p, err := apply.Prepare(ctx, tg, r.To)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	blocked := p.Blocked()
	if len(blocked) != 1 {
		t.Fatalf("blocked steps %v, want exactly %q (plan: %v)", Lines(&plan.Plan{Steps: blocked}), r.Want, Lines(p))
	}
	if got := Lines(&plan.Plan{Steps: blocked})[0]; got != r.Want {
		t.Errorf("blocked step %q, want %q", got, r.Want)
	}
	var h0 plan.Hazard
	for _, hz := range blocked[0].Hazards {
		if hz.Kind == plan.DataCheck {
			h0 = hz
		}
	}
	check := func(name string, got, want int64) {
		if want >= 0 && got != want {
			t.Errorf("%s = %d, want %d (hazard %+v)", name, got, want, h0)
		}
	}
	check("rows", h0.Rows, r.Rows)
	check("groups", h0.Groups, r.Groups)
	check("customers", h0.Customers, r.Customers)
	if diff := cmp.Diff(r.CustomerIDs, h0.CustomerIDs); diff != "" {
		t.Errorf("customer ids (-want +got):\n%s", diff)
	}
	_, err = apply.Run(ctx, tg, r.To, apply.Options{LockTimeout: 10 * time.Second, AllowDestructive: true})
	var unsafe *apply.UnsafeError
	if !errors.As(err, &unsafe) || unsafe.Reason != apply.DataCheckFailed {
		t.Fatalf("apply = %v, want a refused data check", err)
	}
	if !r.Drifted {
		Verify(t, tg, Base())
		return
	}
	p, err = apply.Prepare(ctx, tg, r.To)
	if err != nil {
		t.Fatalf("plan again: %v", err)
	}
	if got := Lines(&plan.Plan{Steps: p.Blocked()}); len(got) != 1 || got[0] != r.Want {
		t.Errorf("after the refused apply, blocked steps %v, want %q again", got, r.Want)
	}
}
