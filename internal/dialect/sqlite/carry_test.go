package sqlite

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

func TestParseCreateTableRaw(t *testing.T) {
	cc := parseCreateTable(`CREATE TABLE t ("a" TEXT NOT NULL, b, c INTEGER GENERATED ALWAYS AS (a || ',') STORED,
		d TEXT DEFAULT (datetime('now')) CHECK (d <> ''), e AS (lower(a)), CONSTRAINT k CHECK (a <> ''))`)
	type col struct{ Raw, Generated string }
	got := map[string]col{}
	for name, c := range cc {
		got[name] = col{c.Raw, c.Generated}
	}
	want := map[string]col{
		"a": {Raw: "TEXT NOT NULL"},
		"b": {},
		"c": {Raw: "INTEGER GENERATED ALWAYS AS (a || ',') STORED", Generated: `GENERATED ALWAYS AS ("a" || ',') STORED`},
		"d": {Raw: "TEXT DEFAULT (datetime('now')) CHECK (d <> '')"},
		"e": {Raw: "AS (lower(a))", Generated: `GENERATED ALWAYS AS (lower("a")) VIRTUAL`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDefaultSQL(t *testing.T) {
	for in, want := range map[string]string{
		"'x'": "'x'", "-1.5": "-1.5", "X'00'": "X'00'", "CURRENT_TIMESTAMP": "CURRENT_TIMESTAMP",
		"datetime('now')": "(datetime('now'))", `"a" + 1`: `("a" + 1)`,
	} {
		if got := defaultSQL(in); got != want {
			t.Errorf("defaultSQL(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestRenameTableIn(t *testing.T) {
	in := `CREATE TRIGGER "ext_phone" AFTER INSERT ON ext_phone BEGIN UPDATE [ext_phone] SET n = 'ext_phone' WHERE ext_phone.record_id = new.record_id; END`
	want := `CREATE TRIGGER "ext_phone" AFTER INSERT ON "ext_phones" BEGIN UPDATE "ext_phones" SET n = 'ext_phone' WHERE "ext_phones".record_id = new.record_id; END`
	if got := renameTableIn(in, "ext_phone", "ext_phones"); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	for def, want := range map[string]bool{in: true, `CREATE TEMP TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END`: true, `UNIQUE ("a")`: false, `("trigger")`: false} {
		if isTrigger(def) != want {
			t.Errorf("isTrigger(%q) = %v", def, !want)
		}
	}
}

// TestRenderUnmanagedAcrossSteps rebuilds a table that an earlier step
// renamed onto the name of a table an earlier step deleted: the rebuild
// carries the unmanaged objects of the renamed table, under its new name,
// and none of the deleted one's. A generated column is created, not copied.
func TestRenderUnmanagedAcrossSteps(t *testing.T) {
	multi := func(name string, n int) model.Extension {
		return model.Extension{Name: name, Type: model.MultiValued, Attributes: []model.Attribute{str("Num", n)}}
	}
	s0 := &model.Schema{Extensions: []model.Extension{multi("Other", 20), multi("Phone", 20)}}
	s1 := &model.Schema{Extensions: []model.Extension{multi("Phone", 20)}}
	s2 := &model.Schema{Extensions: []model.Extension{multi("Phone", 10)}}
	other, phone := tableOf(t, s0, "ext_other"), tableOf(t, s0, "ext_phone")
	rebuild := plan.UpdateAttribute{Extension: "Phone", From: str("Num", 20), To: str("Num", 10), Before: tableOf(t, s1, "ext_phone"), After: tableOf(t, s2, "ext_phone")}
	p := &plan.Plan{
		Steps: []plan.Step{
			{Change: plan.DeleteExtension{Extension: s0.Extensions[1], Table: phone}},
			{Change: plan.RenameExtension{From: s0.Extensions[0], To: s1.Extensions[0], Before: other, After: tableOf(t, s1, "ext_phone")}},
			{Change: rebuild},
		},
		Unmanaged: []plan.Drift{
			{Kind: plan.ExtraColumn, Table: "ext_other", Name: "kept", Got: "TEXT DEFAULT (lower('K'))"},
			{Kind: plan.ExtraColumn, Table: "ext_other", Name: "twice", Got: "AS (\"num\" || \"num\")"},
			{Kind: plan.ExtraIndex, Table: "ext_other", Name: "audit" + triggerSuffix, Got: `CREATE TRIGGER audit AFTER INSERT ON ext_other BEGIN SELECT 1; END`},
			{Kind: plan.ExtraColumn, Table: "ext_phone", Name: "gone", Got: "TEXT"},
		},
	}
	r, err := New().Render(p, p.Steps[2])
	if err != nil {
		t.Fatal(err)
	}
	sql := strings.Join(r.SQL, ";\n")
	for _, want := range []string{
		`"kept" TEXT DEFAULT (lower('K'))`,
		`"twice" AS ("num" || "num")`,
		`("customer_id", "record_id", "num", "kept") SELECT "ext_phone"."customer_id", "ext_phone"."record_id", "ext_phone"."num", "ext_phone"."kept" FROM "ext_phone"`,
		`CREATE TRIGGER audit AFTER INSERT ON "ext_phone" BEGIN SELECT 1; END`,
	} {
		if !strings.Contains(sql, want) {
			t.Errorf("SQL lacks %s:\n%s", want, sql)
		}
	}
	if strings.Contains(sql, "gone") {
		t.Errorf("SQL carries a column of the deleted table:\n%s", sql)
	}
	if last := r.SQL[len(r.SQL)-1]; !strings.HasPrefix(last, "CREATE TRIGGER") {
		t.Errorf("the trigger is not created last: %s", last)
	}
}

// TestRepairUnknownIndex refuses to render a repair of an index that its
// table state does not have (drift named under other names than the state).
func TestRepairUnknownIndex(t *testing.T) {
	s := &model.Schema{Extensions: []model.Extension{{Name: "Phones", Type: model.MultiValued,
		Attributes: []model.Attribute{str("Num", 10)}, Unique: [][]string{{"Num"}}}}}
	tbl := tableOf(t, s, "ext_phones")
	ch := plan.RepairTable{Table: tbl, Drift: []plan.Drift{{Kind: plan.MissingIndex, Table: "ext_phone", Name: model.UniqueIndex("Phone", []string{"Num"})}}}
	if _, err := New().Render(nil, plan.Step{Change: ch}); err == nil || !strings.Contains(err.Error(), "no such index") {
		t.Errorf("error %v; want no such index", err)
	}
	ch.Drift[0].Name = model.UniqueIndex("Phones", []string{"Num"})
	r, err := New().Render(nil, plan.Step{Change: ch})
	if err != nil || len(r.SQL) != 2 || !strings.Contains(r.SQL[1], `ON "ext_phones"`) {
		t.Errorf("repair = %v, %v", r.SQL, err)
	}
}
