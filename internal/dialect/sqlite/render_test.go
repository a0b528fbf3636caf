package sqlite

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// small is a small schema for the SQL text tests.
func small() *model.Schema {
	return &model.Schema{
		Profile: []model.Attribute{
			{Name: "Email", Type: model.String, Length: 64, Mandatory: true},
			{Name: "VIP", Type: model.Boolean, Default: ptr("true")},
		},
		Extensions: []model.Extension{
			{Name: "Phone", Type: model.MultiValued, Attributes: []model.Attribute{
				{Name: "Number", Type: model.String, Length: 15, Mandatory: true},
				{Name: "Kind", Type: model.Integer, Default: ptr("0")},
			}, Unique: [][]string{{"Number"}}},
		},
		Keys: []model.Key{{Name: "idEmail", Source: "profile", Attributes: []string{"Email"}, Unique: true}},
	}
}

func TestRenderSQL(t *testing.T) {
	s := small()
	prof, _ := s.Table("profile")
	ph, _ := s.Table("ext_phone")
	ext := s.Extensions[0]
	ux := model.UniqueIndex("Phone", []string{"Number"}) // ux_phone_…
	num, kind := ext.Attributes[0], ext.Attributes[1]

	single := ext
	single.Type = model.SingleValued
	phSingle := ph
	phSingle.Extension = &single

	tel := ext
	tel.Name = "Tel"
	phTel := ph
	phTel.Name, phTel.Extension = "ext_tel", &tel
	uxTel := model.UniqueIndex("Tel", []string{"Number"})

	note := model.Attribute{Name: "Note", Type: model.String, Length: 10, Default: ptr("it's")}
	phNote := ph
	phNote.Attributes = append(append([]model.Attribute(nil), ph.Attributes...), note)
	level := model.Attribute{Name: "Level", Type: model.Integer, Mandatory: true}
	phLevel := ph
	phLevel.Attributes = append(append([]model.Attribute(nil), ph.Attributes...), level)
	noItems := ext
	noItems.Unique = nil
	phNoItems := ph
	phNoItems.Extension = &noItems
	phNoKind := ph
	phNoKind.Attributes = ph.Attributes[:1]

	kindLong := kind
	kindLong.Type = model.Long
	kindStr := kind
	kindStr.Type, kindStr.Length, kindStr.Default = model.String, 5, ptr("none")
	phKindStr := ph
	phKindStr.Attributes = []model.Attribute{num, kindStr}

	numbr := num
	numbr.Name = "Nbr"
	phNbr := ph
	e2 := ext
	e2.Attributes = []model.Attribute{numbr, kind}
	e2.Unique = [][]string{{"Nbr"}}
	phNbr.Extension, phNbr.Attributes = &e2, e2.Attributes
	uxNbr := model.UniqueIndex("Phone", []string{"Nbr"})

	key := s.Keys[0]
	key2 := model.Key{Name: "idEmail", Source: "profile", Attributes: []string{"Email", "VIP"}}
	keyCase := key
	keyCase.Name = "IDEMAIL"

	phoneCols := `"customer_id" TEXT NOT NULL CHECK (length("customer_id") <= 16) REFERENCES "profile" ("customer_id") ON DELETE CASCADE, "record_id" INTEGER PRIMARY KEY, "number" TEXT NOT NULL CHECK (length("number") <= 15), "kind" INTEGER DEFAULT 0`
	rebuildTail := []string{
		`DROP TABLE "ext_phone"`,
		`PRAGMA legacy_alter_table = ON`,
		`ALTER TABLE "ext_phone__ctxschema_new" RENAME TO "ext_phone"`,
		`PRAGMA legacy_alter_table = OFF`,
		`CREATE UNIQUE INDEX "` + ux + `" ON "ext_phone" ("customer_id", "number")`,
	}
	tests := []struct {
		name     string
		change   plan.Change
		want     []string
		blocking bool
	}{
		{"create profile", plan.CreateProfile{Table: prof}, []string{
			`CREATE TABLE "profile" ("customer_id" TEXT NOT NULL PRIMARY KEY CHECK (length("customer_id") <= 16), "email" TEXT NOT NULL CHECK (length("email") <= 64), "vip" INTEGER DEFAULT 1 CHECK ("vip" IN (0, 1)))`,
			`CREATE UNIQUE INDEX "ik_idemail" ON "profile" ("email")`,
		}, false},
		{"create extension", &plan.CreateExtension{Extension: ext, Table: ph}, []string{
			`CREATE TABLE "ext_phone" (` + phoneCols + `)`,
			`CREATE UNIQUE INDEX "` + ux + `" ON "ext_phone" ("customer_id", "number")`,
		}, false},
		{"delete extension", plan.DeleteExtension{Extension: ext, Table: ph}, []string{`DROP TABLE IF EXISTS "ext_phone"`}, false},
		{"rename extension", plan.RenameExtension{From: ext, To: tel, Before: ph, After: phTel}, []string{
			`ALTER TABLE "ext_phone" RENAME TO "ext_tel"`,
			`DROP INDEX IF EXISTS "` + ux + `"`,
			`CREATE UNIQUE INDEX "` + uxTel + `" ON "ext_tel" ("customer_id", "number")`,
		}, false},
		{"update extension type", plan.UpdateExtension{From: ext, To: single, Before: ph, After: phSingle}, []string{
			`CREATE TABLE "ext_phone__ctxschema_new" ("customer_id" TEXT NOT NULL PRIMARY KEY CHECK (length("customer_id") <= 16) REFERENCES "profile" ("customer_id") ON DELETE CASCADE, "number" TEXT NOT NULL CHECK (length("number") <= 15), "kind" INTEGER DEFAULT 0)`,
			`INSERT INTO "ext_phone__ctxschema_new" ("customer_id", "number", "kind") SELECT "ext_phone"."customer_id", "ext_phone"."number", "ext_phone"."kind" FROM "ext_phone"`,
			`DROP TABLE "ext_phone"`,
			`PRAGMA legacy_alter_table = ON`,
			`ALTER TABLE "ext_phone__ctxschema_new" RENAME TO "ext_phone"`,
			`PRAGMA legacy_alter_table = OFF`,
		}, true},
		{"update extension name case", plan.UpdateExtension{From: ext, To: model.Extension{Name: "PHONE", Type: ext.Type, Attributes: ext.Attributes, Unique: ext.Unique}, Before: ph, After: ph}, nil, false},
		{"add attribute", plan.AddAttribute{Extension: "Phone", Attribute: note, Before: ph, After: phNote}, []string{
			`ALTER TABLE "ext_phone" ADD COLUMN "note" TEXT DEFAULT 'it''s' CHECK (length("note") <= 10)`,
		}, false},
		{"add mandatory attribute without default", plan.AddAttribute{Extension: "Phone", Attribute: level, Before: ph, After: phLevel}, append([]string{
			`CREATE TABLE "ext_phone__ctxschema_new" (` + phoneCols + `, "level" INTEGER NOT NULL)`,
			`INSERT INTO "ext_phone__ctxschema_new" ("customer_id", "record_id", "number", "kind") SELECT "ext_phone"."customer_id", "ext_phone"."record_id", "ext_phone"."number", "ext_phone"."kind" FROM "ext_phone"`,
		}, rebuildTail...), true},
		{"delete attribute", plan.DeleteAttribute{Extension: "Phone", Attribute: num, Before: ph, After: phNoKind}, []string{
			`DROP INDEX IF EXISTS "` + ux + `"`,
			`ALTER TABLE "ext_phone" DROP COLUMN "number"`,
		}, true},
		{"update attribute integer to long", plan.UpdateAttribute{Extension: "Phone", From: kind, To: kindLong, Before: ph, After: ph}, nil, false},
		{"update attribute type", plan.UpdateAttribute{Extension: "Phone", From: kind, To: kindStr, Before: ph, After: phKindStr}, append([]string{
			`CREATE TABLE "ext_phone__ctxschema_new" ("customer_id" TEXT NOT NULL CHECK (length("customer_id") <= 16) REFERENCES "profile" ("customer_id") ON DELETE CASCADE, "record_id" INTEGER PRIMARY KEY, "number" TEXT NOT NULL CHECK (length("number") <= 15), "kind" TEXT DEFAULT 'none' CHECK (length("kind") <= 5))`,
			`INSERT INTO "ext_phone__ctxschema_new" ("customer_id", "record_id", "number", "kind") SELECT "ext_phone"."customer_id", "ext_phone"."record_id", "ext_phone"."number", ` + convert(`"ext_phone"."kind"`, kind, kindStr) + ` FROM "ext_phone"`,
		}, rebuildTail...), true},
		{"rename attribute", plan.RenameAttribute{Extension: "Phone", From: num, To: numbr, Before: ph, After: phNbr}, []string{
			`ALTER TABLE "ext_phone" RENAME COLUMN "number" TO "nbr"`,
			`DROP INDEX IF EXISTS "` + ux + `"`,
			`CREATE UNIQUE INDEX "` + uxNbr + `" ON "ext_phone" ("customer_id", "nbr")`,
		}, false},
		{"add unique", plan.AddUnique{Extension: "Phone", Item: []string{"Number"}, Table: ph}, []string{
			`CREATE UNIQUE INDEX "` + ux + `" ON "ext_phone" ("customer_id", "number")`,
			`DROP INDEX IF EXISTS "cx_phone"`,
		}, false},
		{"delete the last unique", plan.DeleteUnique{Extension: "Phone", Item: []string{"Number"}, Table: phNoItems}, []string{
			`CREATE INDEX "cx_phone" ON "ext_phone" ("customer_id")`,
			`DROP INDEX IF EXISTS "` + ux + `"`,
		}, false},
		{"create extension without unique", &plan.CreateExtension{Extension: noItems, Table: phNoItems}, []string{
			`CREATE TABLE "ext_phone" (` + phoneCols + `)`,
			`CREATE INDEX "cx_phone" ON "ext_phone" ("customer_id")`,
		}, false},
		{"add unique single-valued", plan.AddUnique{Extension: "Phone", Item: []string{"Number"}, Table: phSingle}, nil, false},
		{"delete unique", plan.DeleteUnique{Extension: "Phone", Item: []string{"Number"}, Table: ph}, []string{`DROP INDEX IF EXISTS "` + ux + `"`}, false},
		{"create key", plan.CreateKey{Key: key}, []string{`CREATE UNIQUE INDEX "ik_idemail" ON "profile" ("email")`}, false},
		{"create extension key", plan.CreateKey{Key: model.Key{Name: "idPhone", Source: "Phone", Attributes: []string{"Number", "Kind"}}}, []string{`CREATE INDEX "ik_idphone" ON "ext_phone" ("number", "kind")`}, false},
		{"delete key", plan.DeleteKey{Key: key}, []string{`DROP INDEX IF EXISTS "ik_idemail"`}, false},
		{"replace key", plan.ReplaceKey{From: key, To: key2}, []string{`DROP INDEX IF EXISTS "ik_idemail"`, `CREATE INDEX "ik_idemail" ON "profile" ("email", "vip")`}, false},
		{"update key", plan.UpdateKey{From: key, To: keyCase}, nil, false},
		{"repair missing index", plan.RepairTable{Table: ph, Drift: []plan.Drift{{Kind: plan.MissingIndex, Table: "ext_phone", Name: ux}}}, []string{
			`DROP INDEX IF EXISTS "` + ux + `"`,
			`CREATE UNIQUE INDEX "` + ux + `" ON "ext_phone" ("customer_id", "number")`,
		}, false},
		{"repair missing column", plan.RepairTable{Table: ph, Drift: []plan.Drift{{Kind: plan.MissingColumn, Table: "ext_phone", Name: "kind"}}}, []string{
			`ALTER TABLE "ext_phone" ADD COLUMN "kind" INTEGER DEFAULT 0`,
		}, false},
		{"repair changed column", plan.RepairTable{Table: ph, Drift: []plan.Drift{{Kind: plan.ChangedColumn, Table: "ext_phone", Name: "kind"}, {Kind: plan.MissingColumn, Table: "ext_phone", Name: "number"}}}, append([]string{
			`CREATE TABLE "ext_phone__ctxschema_new" (` + phoneCols + `)`,
			`INSERT INTO "ext_phone__ctxschema_new" ("customer_id", "record_id", "kind") SELECT "ext_phone"."customer_id", "ext_phone"."record_id", ` + convert(`"ext_phone"."kind"`, kind, kind) + ` FROM "ext_phone"`,
		}, rebuildTail...), true},
		{"repair missing table", plan.RepairTable{Table: ph, Drift: []plan.Drift{{Kind: plan.MissingTable, Table: "ext_phone"}}}, []string{
			`CREATE TABLE "ext_phone" (` + phoneCols + `)`,
			`CREATE UNIQUE INDEX "` + ux + `" ON "ext_phone" ("customer_id", "number")`,
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step := plan.Step{Change: tt.change}
			r, err := New().Render(nil, step)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, r.SQL); diff != "" {
				t.Errorf("SQL (-want +got):\n%s", diff)
			}
			if r.Blocking != tt.blocking {
				t.Errorf("Blocking = %v; want %v", r.Blocking, tt.blocking)
			}
			if len(r.After) != 0 {
				t.Errorf("After = %q; want none on SQLite", r.After)
			}
			again, _ := New().Render(nil, step)
			if !cmp.Equal(r, again) {
				t.Errorf("Render is not deterministic")
			}
		})
	}
}

func TestRenderBlockingOnlyWithRows(t *testing.T) {
	s := small()
	ph, _ := s.Table("ext_phone")
	level := model.Attribute{Name: "Level", Type: model.Integer, Mandatory: true}
	after := ph
	after.Attributes = append(append([]model.Attribute(nil), ph.Attributes...), level)
	step := plan.Step{Change: plan.AddAttribute{Extension: "Phone", Attribute: level, Before: ph, After: after}}
	for rows, want := range map[int64]bool{0: false, 3: true} {
		r, err := New().Render(&plan.Plan{Rows: map[string]int64{"ext_phone": rows}}, step)
		if err != nil {
			t.Fatal(err)
		}
		if r.Blocking != want {
			t.Errorf("%d rows: Blocking = %v; want %v", rows, r.Blocking, want)
		}
	}
}

func TestRenderUnknownChange(t *testing.T) {
	_, err := New().Render(nil, plan.Step{Change: unknownChange{}})
	if err == nil || !strings.Contains(err.Error(), "unknownChange") {
		t.Errorf("err = %v; want one naming the change type", err)
	}
}

type unknownChange struct{ plan.CreateKey }
