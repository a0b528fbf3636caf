package sqlite

import (
	"context"
	"testing"

	"github.com/ctxschema/ctxschema/plan"
)

// TestRebuildKeepsUnmanagedObjects rebuilds the profile table while objects
// ctxschema did not create depend on it: a column added by hand, a
// generated column, an index, a view, a trigger on another table that reads
// it and a trigger on it. The rebuild carries the columns, the index and
// the trigger on the table over from their inspected definitions and
// leaves the view and the other trigger working.
func TestRebuildKeepsUnmanagedObjects(t *testing.T) {
	db, s0 := setup(t)
	mustExec(t, db, `ALTER TABLE profile ADD COLUMN nickname TEXT NOT NULL DEFAULT 'none' CHECK (length(nickname) < 20)`)
	mustExec(t, db, `UPDATE profile SET nickname = 'annie' WHERE customer_id = 'c1'`)
	mustExec(t, db, `CREATE INDEX by_nick ON profile (nickname, lower(firstname)) WHERE nickname <> 'none'`)
	mustExec(t, db, `CREATE VIEW names AS SELECT customer_id, firstname FROM profile`)
	mustExec(t, db, `CREATE TABLE audit (customer_id TEXT)`)
	mustExec(t, db, `CREATE TRIGGER on_new AFTER INSERT ON ext_gold BEGIN INSERT INTO audit SELECT firstname FROM profile WHERE customer_id = new.customer_id; END`)
	mustExec(t, db, `ALTER TABLE profile ADD COLUMN shout TEXT GENERATED ALWAYS AS (upper(firstname) || '!')`)
	mustExec(t, db, `CREATE TRIGGER on_rename AFTER UPDATE OF firstname ON profile BEGIN INSERT INTO audit VALUES ('renamed ' || new.shout); END`)
	st, err := New().Inspect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{}
	pt, _ := st.Physical.Table("profile")
	for _, c := range pt.Columns {
		if c.Name == "nickname" || c.Name == "shout" {
			p.Unmanaged = append(p.Unmanaged, plan.Drift{Kind: plan.ExtraColumn, Table: "profile", Name: c.Name, Got: c.Definition})
		}
	}
	for _, ix := range pt.Indexes {
		if ix.Name == "by_nick" || ix.Name == "on_rename"+triggerSuffix {
			p.Unmanaged = append(p.Unmanaged, plan.Drift{Kind: plan.ExtraIndex, Table: "profile", Name: ix.Name, Got: ix.Definition})
		}
	}
	if len(p.Unmanaged) != 4 {
		t.Fatalf("unmanaged: %v", p.Unmanaged)
	}
	s1 := s0.Clone()
	from := s1.Profile[1]
	s1.Profile[1].Length = 10
	apply(t, db, p, s1, plan.Step{Change: plan.UpdateAttribute{From: from, To: s1.Profile[1], Before: tableOf(t, s0, "profile"), After: tableOf(t, s1, "profile")}})
	st2, err := New().Inspect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	pt2, _ := st2.Physical.Table("profile")
	got := map[string]string{}
	for _, c := range pt2.Columns {
		got[c.Name] = c.Definition
	}
	for _, ix := range pt2.Indexes {
		got[ix.Name] = ix.Definition
	}
	for _, d := range p.Unmanaged {
		if got[d.Name] != d.Got {
			t.Errorf("%s = %q after the rebuild; want %q", d.Name, got[d.Name], d.Got)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM names WHERE firstname = 'Ann'`); n != 1 {
		t.Errorf("view broken")
	}
	mustExec(t, db, `INSERT INTO ext_gold VALUES ('c1')`)
	if n := count(t, db, `SELECT count(*) FROM audit WHERE customer_id = 'Ann'`); n != 1 {
		t.Errorf("trigger broken")
	}
	if n := count(t, db, `SELECT count(*) FROM profile WHERE nickname = 'annie'`); n != 1 {
		t.Errorf("unmanaged values lost")
	}
	mustExec(t, db, `UPDATE profile SET firstname = 'Bea' WHERE customer_id = 'c1'`)
	if n := count(t, db, `SELECT count(*) FROM audit WHERE customer_id = 'renamed BEA!'`); n != 1 {
		t.Errorf("trigger on the rebuilt table or generated column lost")
	}
}
