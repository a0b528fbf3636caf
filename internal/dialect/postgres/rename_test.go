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
	p := &plan.Plan{Current: s, Desired: next, Rows: map[string]int64{"profile": 1, "ext_phone": 1}, Steps: []plan.Step{
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
// table state alone, and measures the table under its live name: an empty
// table gets its index in the transaction, one with rows online.
func TestRenderRepairAfterRename(t *testing.T) {
	s := &model.Schema{Extensions: []model.Extension{{Name: "Phone", Type: model.MultiValued,
		Attributes: []model.Attribute{str("Num", 15)}, Unique: [][]string{{"Num"}}}}}
	next := s.Clone()
	next.Extensions[0].Name = "Phones"
	after := table(next, "ext_phones")
	ix := model.UniqueIndex("Phones", []string{"Num"})
	repair := plan.Step{Change: plan.RepairTable{Table: after, Drift: []plan.Drift{{Kind: plan.MissingIndex, Table: after.Name, Name: ix}}}}
	create := `CREATE UNIQUE INDEX "` + ix + `" ON "ext_phones" ("customer_id", "num")`
	online := `CREATE UNIQUE INDEX CONCURRENTLY "` + ix + `" ON "ext_phones" ("customer_id", "num")`
	for _, c := range []struct {
		rows      int64
		sql, post []string
	}{{0, []string{create}, nil}, {3, nil, []string{online}}} {
		p := &plan.Plan{Current: s, Desired: next, Rows: map[string]int64{"ext_phone": c.rows}, Steps: []plan.Step{
			{Change: plan.RenameExtension{From: s.Extensions[0], To: next.Extensions[0], Before: table(s, "ext_phone"), After: after}},
			repair,
		}}
		r, err := New().Render(p, repair)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c.sql, r.SQL); diff != "" {
			t.Errorf("%d rows: SQL (-want +got):\n%s", c.rows, diff)
		}
		if diff := cmp.Diff(c.post, r.After); diff != "" {
			t.Errorf("%d rows: After (-want +got):\n%s", c.rows, diff)
		}
	}
}
