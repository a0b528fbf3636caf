package postgres

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// evolve applies one change to a database holding cur, the way the apply
// would: the change is built from cur and next (the schema after it), its
// SQL runs with the row counts of the live tables, and the catalog records
// next. It then checks that the layout is exactly what next expects.
func (e *env) evolve(cur *model.Schema, mutate func(next *model.Schema), change func(cur, next *model.Schema) plan.Change) (*model.Schema, stepSQL) {
	e.t.Helper()
	next := cur.Clone()
	mutate(next)
	next.Sort()
	p := &plan.Plan{Current: cur, Desired: next, Rows: map[string]int64{}}
	for _, t := range cur.Tables() {
		p.Rows[t.Name] = e.count(`SELECT count(*) FROM ` + quoteIdent(t.Name))
	}
	c := change(cur, next)
	p.Steps = []plan.Step{{Change: c}}
	r := e.apply(p, next)
	st := e.inspect()
	if diff := cmp.Diff(e.d.Expected(next), st.Physical); diff != "" {
		e.t.Fatalf("after %T: layout differs (-want +got):\n%s\nSQL: %+v", c, diff, r)
	}
	return next, r[0]
}

func extOf(s *model.Schema, name string) *model.Extension {
	for i := range s.Extensions {
		if strings.EqualFold(s.Extensions[i].Name, name) {
			return &s.Extensions[i]
		}
	}
	panic("no extension " + name)
}

func attrOf(as []model.Attribute, name string) *model.Attribute {
	for i := range as {
		if strings.EqualFold(as[i].Name, name) {
			return &as[i]
		}
	}
	panic("no attribute " + name)
}

// TestChangesKeepData applies every in-place change to tables that hold
// rows and checks the data that survives.
func TestChangesKeepData(t *testing.T) {
	e := newEnv(t)
	s := richSchema()
	e.bootstrap(s)
	e.exec(
		`INSERT INTO profile (customer_id, firstname, lastname, emailaddress, age, secret) VALUES
			('c1', 'Ann', 'Lee', 'ann@x', 41, '42'), ('c2', 'Bob', NULL, 'bob@x', 7, ' 7 '), ('c3', NULL, 'Ng', 'ng@x', NULL, NULL)`,
		`INSERT INTO ext_phone (customer_id, phonetype, phonenumber, start_availability) VALUES
			('c1', 1, '5550001', '2024-01-02T03:04:05Z'), ('c1', 2, '5550002', NULL), ('c2', 1, '5550003', NULL)`,
		`INSERT INTO ext_address (customer_id, city, postcode, country) VALUES ('c1', 'Paris', '75001', 'FR'), ('c3', 'Lyon', '69001', 'FR')`,
	)

	// A new mandatory attribute with a default fills every row.
	s, r := e.evolve(s, func(n *model.Schema) {
		n.Profile = append(n.Profile, mandatory(withDefault(str("Nickname", 20), "none")))
	}, func(cur, next *model.Schema) plan.Change {
		return plan.AddAttribute{Attribute: *attrOf(next.Profile, "Nickname"), Before: table(cur, "profile"), After: table(next, "profile")}
	})
	if r.Blocking {
		t.Error("adding a column with a constant default is marked blocking")
	}
	if n := e.count(`SELECT count(*) FROM profile WHERE nickname = 'none'`); n != 3 {
		t.Errorf("nickname filled in %d rows, want 3", n)
	}

	// integer → long keeps the values and rewrites the table.
	s, r = e.evolve(s, func(n *model.Schema) { attrOf(n.Profile, "Age").Type = model.Long },
		func(cur, next *model.Schema) plan.Change {
			return plan.UpdateAttribute{From: *attrOf(cur.Profile, "Age"), To: *attrOf(next.Profile, "Age")}
		})
	if !r.Blocking {
		t.Error("a type change on a table with rows is not marked blocking")
	}
	if n := e.count(`SELECT sum(age) FROM profile`); n != 48 {
		t.Errorf("sum(age) = %d after integer → long, want 48", n)
	}

	// string → integer converts the text (the secret column holds digits).
	s, _ = e.evolve(s, func(n *model.Schema) {
		a := attrOf(n.Profile, "Secret")
		a.Type, a.Length = model.Integer, 0
	}, func(cur, next *model.Schema) plan.Change {
		return plan.UpdateAttribute{From: *attrOf(cur.Profile, "Secret"), To: *attrOf(next.Profile, "Secret")}
	})
	if n := e.count(`SELECT sum(secret) FROM profile`); n != 49 {
		t.Errorf("sum(secret) = %d after string → integer, want 49", n)
	}

	// integer → string with a new default; datetime → string in ISO form.
	s, _ = e.evolve(s, func(n *model.Schema) {
		a := attrOf(extOf(n, "Phone").Attributes, "PhoneType")
		a.Type, a.Length, a.Default = model.String, 4, ptr("x")
	}, func(cur, next *model.Schema) plan.Change {
		return plan.UpdateAttribute{Extension: "Phone", From: *attrOf(ext(cur, "Phone").Attributes, "PhoneType"), To: *attrOf(ext(next, "Phone").Attributes, "PhoneType")}
	})
	s, _ = e.evolve(s, func(n *model.Schema) {
		a := attrOf(extOf(n, "Phone").Attributes, "start_availability")
		a.Type, a.Length = model.String, 30
	}, func(cur, next *model.Schema) plan.Change {
		return plan.UpdateAttribute{Extension: "Phone", From: *attrOf(ext(cur, "Phone").Attributes, "start_availability"), To: *attrOf(ext(next, "Phone").Attributes, "start_availability")}
	})
	var got []string
	if err := e.db.SelectContext(e.ctx, &got, `SELECT phonetype || '/' || coalesce(start_availability, '-') FROM ext_phone ORDER BY record_id`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"1/2024-01-02T03:04:05.000Z", "2/-", "1/-"}; !cmp.Equal(got, want) {
		t.Errorf("phones after integer → string: got %q, want %q", got, want)
	}

	// Renaming an attribute covered by a unique item renames its index.
	s, _ = e.evolve(s, func(n *model.Schema) {
		p := extOf(n, "Phone")
		attrOf(p.Attributes, "PhoneNumber").Name = "Number"
		p.Unique[0] = []string{"Number"}
		for i := range n.Keys {
			if n.Keys[i].Name == "idPhone" {
				n.Keys[i].Attributes = []string{"Number"}
			}
		}
	}, func(cur, next *model.Schema) plan.Change {
		return plan.RenameAttribute{Extension: "Phone", From: *attrOf(ext(cur, "Phone").Attributes, "PhoneNumber"), To: *attrOf(ext(next, "Phone").Attributes, "Number"),
			Before: table(cur, "ext_phone"), After: table(next, "ext_phone")}
	})

	// Renaming the extension renames the table and its unique indexes.
	s, _ = e.evolve(s, func(n *model.Schema) {
		extOf(n, "Phone").Name = "Telephone"
		for i := range n.Keys {
			if n.Keys[i].Source == "Phone" {
				n.Keys[i].Source = "Telephone"
			}
		}
	}, func(cur, next *model.Schema) plan.Change {
		return plan.RenameExtension{From: ext(cur, "Phone"), To: ext(next, "Telephone"), Before: table(cur, "ext_phone"), After: table(next, "ext_telephone")}
	})
	if n := e.count(`SELECT count(*) FROM ext_telephone WHERE number LIKE '555%'`); n != 3 {
		t.Errorf("renamed extension holds %d phones, want 3", n)
	}

	// single-valued → multi-valued numbers the records; and back.
	s, r = e.evolve(s, func(n *model.Schema) { extOf(n, "Address").Type = model.MultiValued },
		func(cur, next *model.Schema) plan.Change {
			return plan.UpdateExtension{From: ext(cur, "Address"), To: ext(next, "Address"), Before: table(cur, "ext_address"), After: table(next, "ext_address")}
		})
	if !r.Blocking || len(r.After) != 1 {
		t.Errorf("single → multi on rows: got Blocking %t, After %q", r.Blocking, r.After)
	}
	e.exec(`INSERT INTO ext_address (customer_id, city, postcode) VALUES ('c1', 'Nice', '06000')`)
	if n := e.count(`SELECT count(DISTINCT record_id) FROM ext_address`); n != 3 {
		t.Errorf("multi-valued address has %d record ids, want 3", n)
	}
	e.exec(`DELETE FROM ext_address WHERE city = 'Nice'`)
	s, _ = e.evolve(s, func(n *model.Schema) { extOf(n, "Address").Type = model.SingleValued },
		func(cur, next *model.Schema) plan.Change {
			return plan.UpdateExtension{From: ext(cur, "Address"), To: ext(next, "Address"), Before: table(cur, "ext_address"), After: table(next, "ext_address")}
		})
	if n := e.count(`SELECT count(*) FROM ext_address WHERE country = 'FR'`); n != 2 {
		t.Errorf("single-valued address again holds %d rows, want 2", n)
	}

	// A mandatory attribute whose rows all have values; then a deletion.
	s, _ = e.evolve(s, func(n *model.Schema) { attrOf(n.Profile, "EmailAddress").Mandatory = false },
		func(cur, next *model.Schema) plan.Change {
			return plan.UpdateAttribute{From: *attrOf(cur.Profile, "EmailAddress"), To: *attrOf(next.Profile, "EmailAddress")}
		})
	_, _ = e.evolve(s, func(n *model.Schema) {
		var kept []model.Attribute
		for _, a := range n.Profile {
			if a.Name != "Title" {
				kept = append(kept, a)
			}
		}
		n.Profile = kept
	}, func(cur, next *model.Schema) plan.Change {
		return plan.DeleteAttribute{Attribute: *attrOf(cur.Profile, "Title"), Before: table(cur, "profile"), After: table(next, "profile")}
	})
	if n := e.count(`SELECT count(*) FROM profile`); n != 3 {
		t.Errorf("profile holds %d rows, want 3", n)
	}
}

// driftOf lists what differs between the expected and the inspected layout,
// as the planner does.
func driftOf(want, got plan.PhysicalTable) []plan.Drift {
	var out []plan.Drift
	cols := map[string]string{}
	for _, c := range got.Columns {
		cols[c.Name] = c.Definition
	}
	for _, c := range want.Columns {
		switch g, ok := cols[c.Name]; {
		case !ok:
			out = append(out, plan.Drift{Kind: plan.MissingColumn, Table: want.Name, Name: c.Name, Want: c.Definition})
		case g != c.Definition:
			out = append(out, plan.Drift{Kind: plan.ChangedColumn, Table: want.Name, Name: c.Name, Want: c.Definition, Got: g})
		}
	}
	idx := map[string]plan.PhysicalIndex{}
	for _, ix := range got.Indexes {
		idx[ix.Name] = ix
	}
	for _, ix := range want.Indexes {
		switch g, ok := idx[ix.Name]; {
		case !ok:
			out = append(out, plan.Drift{Kind: plan.MissingIndex, Table: want.Name, Name: ix.Name, Want: ix.Definition})
		case !g.Valid:
			out = append(out, plan.Drift{Kind: plan.InvalidIndex, Table: want.Name, Name: ix.Name, Want: ix.Definition, Got: g.Definition})
		case g.Definition != ix.Definition:
			out = append(out, plan.Drift{Kind: plan.ChangedIndex, Table: want.Name, Name: ix.Name, Want: ix.Definition, Got: g.Definition})
		}
	}
	return out
}

// TestRepair changes tables by hand, then repairs them from the drift.
func TestRepair(t *testing.T) {
	e := newEnv(t)
	s := richSchema()
	e.bootstrap(s)
	e.exec(
		`INSERT INTO profile (customer_id, emailaddress, age) VALUES ('c1', 'a@x', 3), ('c2', 'b@x', NULL)`,
		`INSERT INTO ext_phone (customer_id, phonenumber) VALUES ('c1', '1')`,
		`UPDATE profile SET age = 0 WHERE age IS NULL`,
		`ALTER TABLE profile ALTER COLUMN title SET DEFAULT 'Dr', ALTER COLUMN age TYPE bigint, ALTER COLUMN age SET NOT NULL`,
		`ALTER TABLE profile ALTER COLUMN note TYPE text, DROP COLUMN firstname, ALTER COLUMN vip DROP NOT NULL`,
		`DROP INDEX ik_idemail`,
		`DROP INDEX ux_phone_af659dae`,
		`CREATE INDEX ux_phone_6fbd64f5_new ON ext_phone (prefix)`,
		`DROP INDEX ux_phone_6fbd64f5`,
		`ALTER INDEX ux_phone_6fbd64f5_new RENAME TO ux_phone_6fbd64f5`,
		`ALTER TABLE ext_phone DROP CONSTRAINT ext_phone_customer_id_fkey`,
		`DROP TABLE ext_address`,
	)
	st := e.inspect()
	p := &plan.Plan{Current: s, Desired: s, Rows: map[string]int64{"profile": 2, "ext_phone": 1}}
	for _, want := range st.Expected.Tables {
		got, ok := st.Physical.Table(want.Name)
		ds := driftOf(want, got)
		if !ok {
			ds = []plan.Drift{{Kind: plan.MissingTable, Table: want.Name}}
		}
		if len(ds) > 0 {
			p.Steps = append(p.Steps, plan.Step{Change: plan.RepairTable{Table: table(s, want.Name), Drift: ds}})
		}
	}
	if len(p.Steps) != 3 {
		t.Fatalf("drift in %d tables, want 3", len(p.Steps))
	}
	e.apply(p, s)
	st = e.inspect()
	if diff := cmp.Diff(st.Expected, st.Physical); diff != "" {
		t.Errorf("layout after repair (-want +got):\n%s", diff)
	}
	if n := e.count(`SELECT sum(age) FROM profile`); n != 3 {
		t.Errorf("sum(age) = %d after repair, want 3", n)
	}
}
