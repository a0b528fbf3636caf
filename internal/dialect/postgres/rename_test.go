package postgres

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// TestRenameExtensionMissingIndex renames an extension whose unique index
// was dropped by hand: the rename skips the index instead of failing, and
// a repair at the end of the plan, rendered from its table state under the
// final names, builds it online on the renamed table.
func TestRenameExtensionMissingIndex(t *testing.T) {
	e := newEnv(t)
	s := &model.Schema{Extensions: []model.Extension{{Name: "Phone", Type: model.MultiValued,
		Attributes: []model.Attribute{str("Num", 15)}, Unique: [][]string{{"Num"}}}}}
	s.Sort()
	e.bootstrap(s)
	old, ix := model.UniqueIndex("Phone", []string{"Num"}), model.UniqueIndex("Phones", []string{"Num"})
	e.exec(`INSERT INTO profile (customer_id) VALUES ('c1')`,
		`INSERT INTO ext_phone (customer_id, num) VALUES ('c1', '1')`,
		`DROP INDEX `+quoteIdent(old))

	next := s.Clone()
	next.Extensions[0].Name = "Phones"
	before, after := table(s, "ext_phone"), table(next, "ext_phones")
	p := &plan.Plan{Current: s, Desired: next, Rows: map[string]int64{"profile": 1, "ext_phones": 1}, Steps: []plan.Step{
		{Change: plan.RenameExtension{From: s.Extensions[0], To: next.Extensions[0], Before: before, After: after}},
		{Change: plan.RepairTable{Table: after, Drift: []plan.Drift{{Kind: plan.MissingIndex, Table: after.Name, Name: ix}}}},
	}}
	r := e.apply(p, next)
	if got := strings.Join(r[0].SQL, "\n"); !strings.Contains(got, `ALTER INDEX IF EXISTS "`+old+`"`) {
		t.Errorf("rename SQL:\n%s\nwant ALTER INDEX IF EXISTS", got)
	}
	want := []string{`CREATE UNIQUE INDEX CONCURRENTLY "` + ix + `" ON "ext_phones" ("customer_id", "num")`}
	if diff := cmp.Diff(want, r[1].After); diff != "" {
		t.Errorf("repair builds (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(e.d.Expected(next), e.inspect().Physical); diff != "" {
		t.Errorf("layout (-want +got):\n%s", diff)
	}
}

// TestRenderRepairAfterRename renders a repair of a renamed table from its
// table state alone: at the end of the plan under the final names, or
// before the rename under the live ones. The plan counts rows under the
// final names, so both find the count: an empty table gets its index in the
// transaction, one with rows online.
func TestRenderRepairAfterRename(t *testing.T) {
	s := &model.Schema{Extensions: []model.Extension{{Name: "Phone", Type: model.MultiValued,
		Attributes: []model.Attribute{str("Num", 15)}, Unique: [][]string{{"Num"}}}}}
	next := s.Clone()
	next.Extensions[0].Name = "Phones"
	rename := plan.Step{Change: plan.RenameExtension{From: s.Extensions[0], To: next.Extensions[0], Before: table(s, "ext_phone"), After: table(next, "ext_phones")}}
	repair := func(s *model.Schema, name, ext string) plan.Step {
		t := table(s, name)
		ix := model.UniqueIndex(ext, []string{"Num"})
		return plan.Step{Change: plan.RepairTable{Table: t, Drift: []plan.Drift{{Kind: plan.MissingIndex, Table: t.Name, Name: ix}}}}
	}
	final, live := repair(next, "ext_phones", "Phones"), repair(s, "ext_phone", "Phone")
	for _, c := range []struct {
		name      string
		steps     []plan.Step
		repair    plan.Step
		rows      int64
		sql, post []string
	}{
		{"at the end, empty", []plan.Step{rename, final}, final, 0, []string{`CREATE UNIQUE INDEX "ux_phones_0e725db3" ON "ext_phones" ("customer_id", "num")`}, nil},
		{"at the end, rows", []plan.Step{rename, final}, final, 3, nil, []string{`CREATE UNIQUE INDEX CONCURRENTLY "ux_phones_0e725db3" ON "ext_phones" ("customer_id", "num")`}},
		{"before the rename, empty", []plan.Step{live, rename}, live, 0, []string{`CREATE UNIQUE INDEX "ux_phone_0e725db3" ON "ext_phone" ("customer_id", "num")`}, nil},
	} {
		p := &plan.Plan{Current: s, Desired: next, Rows: map[string]int64{"ext_phones": c.rows}, Steps: c.steps}
		r, err := New().Render(p, c.repair)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c.sql, r.SQL); diff != "" {
			t.Errorf("%s: SQL (-want +got):\n%s", c.name, diff)
		}
		if diff := cmp.Diff(c.post, r.After); diff != "" {
			t.Errorf("%s: After (-want +got):\n%s", c.name, diff)
		}
	}
}
