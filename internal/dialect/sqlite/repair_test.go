package sqlite

import (
	"context"
	"testing"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// driftOf compares one table of Expected and Physical the simple way a
// planner would.
func driftOf(want, got plan.PhysicalTable, found bool) []plan.Drift {
	if !found {
		return []plan.Drift{{Kind: plan.MissingTable, Table: want.Name}}
	}
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
		delete(cols, c.Name)
	}
	for name, def := range cols {
		out = append(out, plan.Drift{Kind: plan.ExtraColumn, Table: want.Name, Name: name, Got: def})
	}
	idx := map[string]string{}
	for _, ix := range got.Indexes {
		idx[ix.Name] = ix.Definition
	}
	for _, ix := range want.Indexes {
		switch g, ok := idx[ix.Name]; {
		case !ok:
			out = append(out, plan.Drift{Kind: plan.MissingIndex, Table: want.Name, Name: ix.Name, Want: ix.Definition})
		case g != ix.Definition:
			out = append(out, plan.Drift{Kind: plan.ChangedIndex, Table: want.Name, Name: ix.Name, Want: ix.Definition, Got: g})
		}
		delete(idx, ix.Name)
	}
	for name, def := range idx {
		out = append(out, plan.Drift{Kind: plan.ExtraIndex, Table: want.Name, Name: name, Got: def})
	}
	return out
}

// managed leaves out the drift of objects ctxschema did not create.
func managed(drift []plan.Drift) []plan.Drift {
	var out []plan.Drift
	for _, d := range drift {
		if d.Kind != plan.ExtraColumn && d.Kind != plan.ExtraIndex {
			out = append(out, d)
		}
	}
	return out
}

// TestRepair breaks the contact-center layout by hand in several ways and
// repairs it with the drift found by Inspect: the layout must match again,
// the data and the objects ctxschema did not create must survive.
func TestRepair(t *testing.T) {
	tests := []struct {
		name   string
		breaks []string
		check  string // counts 1 when the data survived
	}{
		{"dropped index", []string{`DROP INDEX ik_idphone`}, ""},
		{"changed index", []string{`DROP INDEX ik_idemail`, `CREATE INDEX ik_idemail ON profile (emailaddress, lastname)`}, ""},
		{"dropped column", []string{`ALTER TABLE ext_address DROP COLUMN city`}, `SELECT count(*) FROM ext_address WHERE postcode = '0150'`},
		{"dropped mandatory column", []string{`DELETE FROM ext_phone`, `DROP INDEX "ik_idphone"`, `DROP INDEX "` + model.UniqueIndex("Phone", []string{"PhoneNumber"}) + `"`, `ALTER TABLE ext_phone DROP COLUMN phonenumber`}, ""},
		// A column of another type, an unexpected column and index: the
		// rebuild restores the type and carries the others over.
		{"changed column", []string{
			`CREATE TABLE x (customer_id TEXT PRIMARY KEY, addresstype TEXT, address TEXT, city TEXT, county TEXT, postcode INTEGER, country TEXT, note TEXT)`,
			`INSERT INTO x SELECT *, 'mine' FROM ext_address`,
			`DROP TABLE ext_address`, `ALTER TABLE x RENAME TO ext_address`,
			`CREATE INDEX mine ON ext_address (note)`,
		}, `SELECT count(*) FROM ext_address WHERE postcode = '150' AND city = 'Oslo' AND note = 'mine'`},
		{"dropped table", []string{`DROP TABLE ext_gold`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, s := setup(t)
			for _, q := range tt.breaks {
				mustExec(t, db, q)
			}
			ctx := context.Background()
			st, err := New().Inspect(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			var steps []plan.Step
			for _, want := range st.Expected.Tables {
				got, ok := st.Physical.Table(want.Name)
				if drift := driftOf(want, got, ok); len(managed(drift)) > 0 {
					steps = append(steps, plan.Step{Change: plan.RepairTable{Table: tableOf(t, s, want.Name), Drift: drift}})
				}
			}
			if len(steps) != 1 {
				t.Fatalf("want one table to repair, got %v", steps)
			}
			apply(t, db, nil, s, steps...)
			st, err = New().Inspect(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range st.Expected.Tables {
				got, ok := st.Physical.Table(want.Name)
				if drift := driftOf(want, got, ok); len(managed(drift)) > 0 {
					t.Errorf("drift after the repair: %v", drift)
				}
			}
			if tt.check != "" && count(t, db, tt.check) != 1 {
				t.Errorf("data lost: %s", tt.check)
			}
		})
	}
}
