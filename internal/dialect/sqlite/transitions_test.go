package sqlite

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// A transition case starts from the contact-center schema, applied and
// filled (see setup), edits a copy into the desired schema and returns the
// steps between the two. The runner applies them, records the desired
// schema, and requires the inspected layout to equal Expected(desired).
type transitionCase struct {
	name   string
	change func(t *testing.T, db *sqlx.DB, s0, s1 *model.Schema) []plan.Step
	// check runs afterwards; before is the data before the change.
	check func(t *testing.T, db *sqlx.DB, before map[string][]string)
}

func count(t *testing.T, db *sqlx.DB, q string) int {
	t.Helper()
	var n int
	if err := db.Get(&n, q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func sameData(tables ...string) func(t *testing.T, db *sqlx.DB, before map[string][]string) {
	return func(t *testing.T, db *sqlx.DB, before map[string][]string) {
		after := dump(t, db)
		for _, tb := range tables {
			if diff := cmp.Diff(before[tb], after[tb]); diff != "" {
				t.Errorf("%s rows changed (-before +after):\n%s", tb, diff)
			}
		}
	}
}

const phone, address, gold = "ext_phone", "ext_address", "ext_gold"

var transitionCases = []transitionCase{{
	name: "add optional attribute in place",
	change: func(t *testing.T, db *sqlx.DB, s0, s1 *model.Schema) []plan.Step {
		a := model.Attribute{Name: "Verified", Type: model.Boolean, Default: ptr("true"), Mandatory: true}
		e := extension(s1, "Phone")
		e.Attributes = slices.Insert(e.Attributes, 1, a)
		return []plan.Step{{Change: plan.AddAttribute{Extension: "Phone", Attribute: a, Before: tableOf(t, s0, phone), After: tableOf(t, s1, phone)}}}
	},
	check: func(t *testing.T, db *sqlx.DB, before map[string][]string) {
		if n := count(t, db, `SELECT count(*) FROM ext_phone WHERE verified = 1 AND record_id IN (1, 2, 3)`); n != 3 {
			t.Errorf("verified records = %d; want 3", n)
		}
	},
}, {
	name: "add mandatory attribute without default to an empty table",
	change: func(t *testing.T, db *sqlx.DB, s0, s1 *model.Schema) []plan.Step {
		mustExec(t, db, `DELETE FROM ext_gold`)
		a := model.Attribute{Name: "Level", Type: model.Integer, Mandatory: true}
		e := extension(s1, "Gold")
		e.Attributes = append(e.Attributes, a)
		return []plan.Step{{Change: plan.AddAttribute{Extension: "Gold", Attribute: a, Before: tableOf(t, s0, gold), After: tableOf(t, s1, gold)}}}
	},
}, {
	name: "delete an attribute that a key and a unique item cover",
	change: func(t *testing.T, db *sqlx.DB, s0, s1 *model.Schema) []plan.Step {
		e := extension(s1, "Phone")
		a, _ := e.Attribute("PhoneNumber")
		e.Attributes = slices.DeleteFunc(e.Attributes, func(x model.Attribute) bool { return x.Name == "PhoneNumber" })
		e.Unique = e.Unique[1:]
		removeKey(s1, "idPhone")
		return []plan.Step{{Change: plan.DeleteAttribute{Extension: "Phone", Attribute: a, Before: tableOf(t, s0, phone), After: tableOf(t, s1, phone)}}}
	},
	check: func(t *testing.T, db *sqlx.DB, before map[string][]string) {
		if n := count(t, db, `SELECT count(*) FROM ext_phone WHERE description = 'work' AND record_id = 2`); n != 1 {
			t.Errorf("record 2 lost")
		}
	},
}, {
	name: "change a type of an extension attribute converts the values",
	change: func(t *testing.T, db *sqlx.DB, s0, s1 *model.Schema) []plan.Step {
		mustExec(t, db, `UPDATE ext_address SET postcode = '+0150' WHERE customer_id = 'c1'`)
		e := extension(s1, "Address")
		from, _ := e.Attribute("PostCode")
		to := model.Attribute{Name: "PostCode", Type: model.Long, Default: ptr("0")}
		e.Attributes[4] = to
		e.Unique = nil
		return []plan.Step{{Change: plan.UpdateAttribute{Extension: "Address", From: from, To: to, Before: tableOf(t, s0, address), After: tableOf(t, s1, address)}}}
	},
	check: func(t *testing.T, db *sqlx.DB, before map[string][]string) {
		if n := count(t, db, `SELECT count(*) FROM ext_address WHERE postcode = 150 AND typeof(postcode) = 'integer' AND city = 'Oslo'`); n != 1 {
			t.Errorf("postcode not converted")
		}
		if n := count(t, db, `SELECT count(*) FROM ext_address WHERE postcode IS NULL AND city = 'Rome'`); n != 1 {
			t.Errorf("NULL postcode not kept")
		}
	},
}, {
	name: "encrypt and name case change no SQL",
	change: func(t *testing.T, db *sqlx.DB, s0, s1 *model.Schema) []plan.Step {
		from := s1.Profile[0]
		s1.Profile[0].Encrypt = true
		s1.Profile[0].Name = "FIRSTNAME"
		return []plan.Step{{Change: plan.UpdateAttribute{From: from, To: s1.Profile[0], Before: tableOf(t, s0, "profile"), After: tableOf(t, s1, "profile")}}}
	},
}, {
	name: "rename an attribute renames its unique index",
	change: func(t *testing.T, db *sqlx.DB, s0, s1 *model.Schema) []plan.Step {
		e := extension(s1, "Phone")
		from, _ := e.Attribute("PhoneNumber")
		e.Attributes[2].Name = "Number"
		e.Unique[0] = []string{"Number"}
		for i := range s1.Keys {
			if s1.Keys[i].Name == "idPhone" {
				s1.Keys[i].Attributes = []string{"Number"}
			}
		}
		return []plan.Step{{Change: plan.RenameAttribute{Extension: "Phone", From: from, To: e.Attributes[2], Before: tableOf(t, s0, phone), After: tableOf(t, s1, phone)}}}
	},
	check: func(t *testing.T, db *sqlx.DB, before map[string][]string) {
		if n := count(t, db, `SELECT count(*) FROM ext_phone WHERE number = '5550002' AND record_id = 2`); n != 1 {
			t.Errorf("renamed values lost")
		}
	},
}, {
	name: "rename an extension",
	change: func(t *testing.T, db *sqlx.DB, s0, s1 *model.Schema) []plan.Step {
		e := extension(s1, "Phone")
		from := *e
		e.Name = "Telephone"
		for i := range s1.Keys {
			if s1.Keys[i].Source == "Phone" {
				s1.Keys[i].Source = "Telephone"
			}
		}
		s1.Sort()
		return []plan.Step{{Change: plan.RenameExtension{From: from, To: *extension(s1, "Telephone"), Before: tableOf(t, s0, phone), After: tableOf(t, s1, "ext_telephone")}}}
	},
	check: func(t *testing.T, db *sqlx.DB, before map[string][]string) {
		if n := count(t, db, `SELECT count(*) FROM ext_telephone`); n != 3 {
			t.Errorf("records lost")
		}
	},
}, {
	name: "single-valued to multi-valued",
	change: func(t *testing.T, db *sqlx.DB, s0, s1 *model.Schema) []plan.Step {
		e := extension(s1, "Address")
		from := *e
		e.Type = model.MultiValued
		return []plan.Step{{Change: plan.UpdateExtension{From: from, To: *e, Before: tableOf(t, s0, address), After: tableOf(t, s1, address)}}}
	},
	check: func(t *testing.T, db *sqlx.DB, before map[string][]string) {
		if n := count(t, db, `SELECT count(*) FROM ext_address WHERE record_id IS NOT NULL`); n != 2 {
			t.Errorf("records = %d; want 2", n)
		}
		mustExec(t, db, `INSERT INTO ext_address (customer_id, postcode) VALUES ('c1', '9999')`)
	},
}, {
	name: "multi-valued to single-valued",
	change: func(t *testing.T, db *sqlx.DB, s0, s1 *model.Schema) []plan.Step {
		mustExec(t, db, `DELETE FROM ext_phone WHERE record_id = 2`)
		e := extension(s1, "Phone")
		from := *e
		e.Type = model.SingleValued
		return []plan.Step{{Change: plan.UpdateExtension{From: from, To: *e, Before: tableOf(t, s0, phone), After: tableOf(t, s1, phone)}}}
	},
	check: func(t *testing.T, db *sqlx.DB, before map[string][]string) {
		if n := count(t, db, `SELECT count(*) FROM ext_phone WHERE phonenumber IN ('5550001', '5550003')`); n != 2 {
			t.Errorf("records = %d; want 2", n)
		}
	},
}, {
	name: "extension name case only",
	change: func(t *testing.T, db *sqlx.DB, s0, s1 *model.Schema) []plan.Step {
		e := extension(s1, "Phone")
		from := *e
		e.Name = "PHONE"
		return []plan.Step{{Change: plan.UpdateExtension{From: from, To: *e, Before: tableOf(t, s0, phone), After: tableOf(t, s1, phone)}}}
	},
	check: sameData(phone),
}, {
	name: "unique items",
	change: func(t *testing.T, db *sqlx.DB, s0, s1 *model.Schema) []plan.Step {
		e := extension(s1, "Phone")
		old := e.Unique[1]
		e.Unique = [][]string{e.Unique[0], {"PhoneType", "PhoneNumber"}}
		a := extension(s1, "Address")
		a.Unique = [][]string{{"City"}}
		return []plan.Step{
			{Change: plan.DeleteUnique{Extension: "Phone", Item: old, Table: tableOf(t, s0, phone)}},
			{Change: plan.AddUnique{Extension: "Phone", Item: e.Unique[1], Table: tableOf(t, s1, phone)}},
			{Change: plan.DeleteUnique{Extension: "Address", Item: []string{"PostCode"}, Table: tableOf(t, s0, address)}},
			{Change: plan.AddUnique{Extension: "Address", Item: []string{"City"}, Table: tableOf(t, s1, address)}},
		}
	},
	check: sameData(phone, address),
}, {
	name: "keys",
	change: func(t *testing.T, db *sqlx.DB, s0, s1 *model.Schema) []plan.Step {
		var steps []plan.Step
		for i, k := range s1.Keys {
			switch k.Name {
			case "idEmail":
				steps = append(steps, plan.Step{Change: plan.DeleteKey{Key: k}})
			case "idFirstNameLastName":
				s1.Keys[i].Attributes = []string{"FirstName", "LastName"}
				steps = append(steps, plan.Step{Change: plan.ReplaceKey{From: k, To: s1.Keys[i]}})
			case "idPhone":
				s1.Keys[i].Name = "IDPHONE"
				steps = append(steps, plan.Step{Change: plan.UpdateKey{From: k, To: s1.Keys[i]}})
			}
		}
		removeKey(s1, "idEmail")
		nk := model.Key{Name: "idCity", Source: "Address", Attributes: []string{"City", "Country"}, Unique: true}
		s1.Keys = append(s1.Keys, nk)
		s1.Sort()
		return append(steps, plan.Step{Change: plan.CreateKey{Key: nk}})
	},
}, {
	name: "delete an extension",
	change: func(t *testing.T, db *sqlx.DB, s0, s1 *model.Schema) []plan.Step {
		e := *extension(s1, "Phone")
		s1.Extensions = slices.DeleteFunc(s1.Extensions, func(x model.Extension) bool { return x.Name == "Phone" })
		removeKey(s1, "idPhone")
		return []plan.Step{
			{Change: plan.DeleteKey{Key: model.Key{Name: "idPhone", Source: "Phone", Attributes: []string{"PhoneNumber"}}}},
			{Change: plan.DeleteExtension{Extension: e, Table: tableOf(t, s0, phone)}},
		}
	},
	check: sameData("profile", address, gold),
}}

func TestTransitions(t *testing.T) {
	for _, tc := range transitionCases {
		t.Run(tc.name, func(t *testing.T) {
			db, s0 := setup(t)
			s1 := s0.Clone()
			steps := tc.change(t, db, s0, s1)
			before := dump(t, db)
			transition(t, db, nil, s1, steps...)
			if tc.check != nil {
				tc.check(t, db, before)
			}
		})
	}
}
