package postgres

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// table returns the table called name of s.
func table(s *model.Schema, name string) model.Table {
	t, ok := s.Table(name)
	if !ok {
		panic("no table " + name)
	}
	return t
}

func ext(s *model.Schema, name string) model.Extension {
	e, ok := s.Extension(name)
	if !ok {
		panic("no extension " + name)
	}
	return e
}

func key(s *model.Schema, name string) model.Key {
	k, ok := s.Key(name)
	if !ok {
		panic("no key " + name)
	}
	return k
}

func attribute(as []model.Attribute, name string) model.Attribute {
	for _, a := range as {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	panic("no attribute " + name)
}

func TestRender(t *testing.T) {
	s := richSchema()
	phone, addr := ext(s, "Phone"), ext(s, "Address")
	withRows := map[string]int64{"profile": 10, "ext_phone": 5, "ext_address": 3}
	empty := map[string]int64{"profile": 0, "ext_phone": 0, "ext_address": 0}

	renamedPhone := phone
	renamedPhone.Name = "Telephone"
	multiAddr := addr
	multiAddr.Type = model.MultiValued
	age := attribute(s.Profile, "Age")
	ageLong := age
	ageLong.Type = model.Long
	title := attribute(s.Profile, "Title")
	title20 := title
	title20.Length, title20.Default, title20.Mandatory = 20, nil, true
	number := attribute(phone.Attributes, "PhoneNumber")
	number2 := number
	number2.Name = "Number"
	after := s.Clone()
	p2 := ext(after, "Phone")
	p2.Attributes[2].Name = "Number"
	p2.Unique = [][]string{{"Number"}, {"prefix", "PhoneType"}}
	typeStr := attribute(phone.Attributes, "PhoneType")
	typeStr.Type, typeStr.Length, typeStr.Default = model.String, 5, ptr("0")

	for _, c := range []struct {
		name   string
		change plan.Change
		rows   map[string]int64
		want   dialect.Rendered
	}{
		{
			name:   "create profile",
			change: plan.CreateProfile{Table: model.Table{Name: "profile", Attributes: []model.Attribute{str("FirstName", 64), mandatory(withDefault(typed("VIP", model.Boolean), "true"))}}},
			want:   dialect.Rendered{SQL: []string{"CREATE TABLE \"profile\" (\n  \"customer_id\" varchar(16) NOT NULL PRIMARY KEY,\n  \"firstname\" varchar(64),\n  \"vip\" boolean DEFAULT true NOT NULL\n)"}},
		},
		{
			name:   "create multi-valued extension with its unique indexes",
			change: plan.CreateExtension{Extension: phone, Table: model.Table{Name: "ext_phone", Extension: &phone, Attributes: phone.Attributes[:3]}},
			rows:   withRows, // a new table is empty whatever the counts say
			want: dialect.Rendered{SQL: []string{
				"CREATE TABLE \"ext_phone\" (\n  \"record_id\" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  \"customer_id\" varchar(16) NOT NULL REFERENCES \"profile\" (\"customer_id\") ON DELETE CASCADE,\n  \"phonetype\" integer DEFAULT 0 NOT NULL,\n  \"prefix\" varchar(3) DEFAULT '555',\n  \"phonenumber\" varchar(15) NOT NULL\n)",
				`CREATE UNIQUE INDEX "ux_phone_af659dae" ON "ext_phone" ("customer_id", "phonenumber")`,
				`CREATE UNIQUE INDEX "ux_phone_6fbd64f5" ON "ext_phone" ("customer_id", "prefix", "phonetype")`,
			}},
		},
		{
			name:   "create single-valued extension (unique items stay in the catalog)",
			change: plan.CreateExtension{Extension: addr, Table: model.Table{Name: "ext_address", Extension: &addr, Attributes: addr.Attributes[:1]}},
			want:   dialect.Rendered{SQL: []string{"CREATE TABLE \"ext_address\" (\n  \"customer_id\" varchar(16) NOT NULL PRIMARY KEY REFERENCES \"profile\" (\"customer_id\") ON DELETE CASCADE,\n  \"addresstype\" integer DEFAULT 0\n)"}},
		},
		{
			name:   "delete extension",
			change: plan.DeleteExtension{Extension: phone, Table: table(s, "ext_phone")},
			want:   dialect.Rendered{SQL: []string{`DROP TABLE IF EXISTS "ext_phone"`}},
		},
		{
			name:   "rename extension renames its unique indexes",
			change: plan.RenameExtension{From: phone, To: renamedPhone, Before: table(s, "ext_phone")},
			want: dialect.Rendered{SQL: []string{
				`ALTER TABLE "ext_phone" RENAME TO "ext_telephone"`,
				`ALTER INDEX IF EXISTS "ux_phone_af659dae" RENAME TO "ux_telephone_af659dae"`,
				`ALTER INDEX IF EXISTS "ux_phone_6fbd64f5" RENAME TO "ux_telephone_6fbd64f5"`,
			}},
		},
		{
			name:   "rename extension, case only",
			change: plan.RenameExtension{From: phone, To: model.Extension{Name: "PHONE", Type: model.MultiValued, Unique: phone.Unique}},
		},
		{
			name:   "single-valued to multi-valued on a table with rows",
			change: plan.UpdateExtension{From: addr, To: multiAddr},
			rows:   withRows,
			want: dialect.Rendered{
				SQL: []string{
					"DO $$\nDECLARE c name;\nBEGIN\n  SELECT conname INTO c FROM pg_constraint WHERE conrelid = '\"ext_address\"'::regclass AND contype = 'p';\n  IF c IS NOT NULL THEN\n    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', 'ext_address', c);\n  END IF;\nEND\n$$",
					"ALTER TABLE \"ext_address\"\n  ADD COLUMN \"record_id\" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  ALTER COLUMN \"customer_id\" SET NOT NULL",
				},
				After:    []string{`CREATE UNIQUE INDEX CONCURRENTLY "ux_address_95fcc0e6" ON "ext_address" ("customer_id", "postcode")`},
				Blocking: true,
			},
		},
		{
			name:   "multi-valued to single-valued on an empty table",
			change: plan.UpdateExtension{From: multiAddr, To: addr},
			rows:   empty,
			want: dialect.Rendered{SQL: []string{
				`DROP INDEX IF EXISTS "ux_address_95fcc0e6"`,
				"ALTER TABLE \"ext_address\"\n  DROP COLUMN \"record_id\",\n  ADD PRIMARY KEY (\"customer_id\")",
			}},
		},
		{
			name:   "single-valued to classifier changes nothing physical",
			change: plan.UpdateExtension{From: addr, To: model.Extension{Name: "Address", Type: model.Classifier}},
		},
		{
			name:   "add attribute",
			change: plan.AddAttribute{Extension: "Phone", Attribute: mandatory(withDefault(str("Label", 8), "it's"))},
			rows:   withRows,
			want:   dialect.Rendered{SQL: []string{`ALTER TABLE "ext_phone" ADD COLUMN "label" varchar(8) DEFAULT 'it''s' NOT NULL`}},
		},
		{
			name:   "delete attribute",
			change: plan.DeleteAttribute{Attribute: title},
			want:   dialect.Rendered{SQL: []string{`ALTER TABLE "profile" DROP COLUMN "title"`}},
		},
		{
			name:   "update attribute type on a table with rows",
			change: plan.UpdateAttribute{From: age, To: ageLong},
			rows:   withRows,
			want: dialect.Rendered{
				SQL:      []string{"ALTER TABLE \"profile\"\n  ALTER COLUMN \"age\" DROP DEFAULT,\n  ALTER COLUMN \"age\" TYPE bigint USING \"age\"::bigint,\n  ALTER COLUMN \"age\" SET DEFAULT -1"},
				Blocking: true,
			},
		},
		{
			name:   "update attribute type on an empty table",
			change: plan.UpdateAttribute{Extension: "Phone", From: attribute(phone.Attributes, "PhoneType"), To: typeStr},
			rows:   empty,
			want:   dialect.Rendered{SQL: []string{"ALTER TABLE \"ext_phone\"\n  ALTER COLUMN \"phonetype\" DROP DEFAULT,\n  ALTER COLUMN \"phonetype\" TYPE varchar(5) USING \"phonetype\"::text,\n  ALTER COLUMN \"phonetype\" SET DEFAULT '0'"}},
		},
		{
			name:   "widen a string, drop its default, make it mandatory",
			change: plan.UpdateAttribute{From: title, To: title20},
			rows:   withRows,
			want: dialect.Rendered{
				SQL:      []string{"ALTER TABLE \"profile\"\n  ALTER COLUMN \"title\" DROP DEFAULT,\n  ALTER COLUMN \"title\" TYPE varchar(20),\n  ALTER COLUMN \"title\" SET NOT NULL"},
				Blocking: true, // SET NOT NULL scans the table under its lock
			},
		},
		{
			name:   "widen a string only",
			change: plan.UpdateAttribute{From: str("A", 10), To: str("A", 20)},
			rows:   withRows,
			want:   dialect.Rendered{SQL: []string{"ALTER TABLE \"profile\"\n  ALTER COLUMN \"a\" TYPE varchar(20)"}},
		},
		{
			name:   "encrypt and name case only",
			change: plan.UpdateAttribute{From: str("A", 10), To: model.Attribute{Name: "a", Type: model.String, Length: 10, Encrypt: true}},
		},
		{
			name:   "rename attribute renames the unique index over it",
			change: plan.RenameAttribute{Extension: "Phone", From: number, To: number2, Before: table(s, "ext_phone"), After: table(after, "ext_phone")},
			want: dialect.Rendered{SQL: []string{
				`ALTER TABLE "ext_phone" RENAME COLUMN "phonenumber" TO "number"`,
				`ALTER INDEX IF EXISTS "ux_phone_af659dae" RENAME TO "ux_phone_1bd670a0"`,
			}},
		},
		{
			name:   "add unique item on a table with rows",
			change: plan.AddUnique{Extension: "Phone", Item: []string{"description"}, Table: table(s, "ext_phone")},
			rows:   withRows,
			want:   dialect.Rendered{After: []string{`CREATE UNIQUE INDEX CONCURRENTLY "ux_phone_346f3b69" ON "ext_phone" ("customer_id", "description")`}},
		},
		{
			name:   "add unique item on an empty table",
			change: plan.AddUnique{Extension: "Phone", Item: []string{"description"}, Table: table(s, "ext_phone")},
			rows:   empty,
			want:   dialect.Rendered{SQL: []string{`CREATE UNIQUE INDEX "ux_phone_346f3b69" ON "ext_phone" ("customer_id", "description")`}},
		},
		{
			name:   "add unique item to a single-valued extension",
			change: plan.AddUnique{Extension: "Address", Item: []string{"City"}, Table: table(s, "ext_address")},
		},
		{
			name:   "delete unique item",
			change: plan.DeleteUnique{Extension: "Phone", Item: []string{"PhoneNumber"}, Table: table(s, "ext_phone")},
			want:   dialect.Rendered{SQL: []string{`DROP INDEX IF EXISTS "ux_phone_af659dae"`}},
		},
		{
			name:   "create key on a table with rows",
			change: plan.CreateKey{Key: key(s, "idEmail")},
			rows:   withRows,
			want:   dialect.Rendered{After: []string{`CREATE UNIQUE INDEX CONCURRENTLY "ik_idemail" ON "profile" ("emailaddress")`}},
		},
		{
			name:   "create key on an empty table",
			change: plan.CreateKey{Key: key(s, "idPhone")},
			rows:   empty,
			want:   dialect.Rendered{SQL: []string{`CREATE INDEX "ik_idphone" ON "ext_phone" ("phonenumber")`}},
		},
		{
			name:   "create key on a table of unknown size",
			change: plan.CreateKey{Key: key(s, "idName")},
			want:   dialect.Rendered{After: []string{`CREATE INDEX CONCURRENTLY "ik_idname" ON "profile" ("lastname", "firstname")`}},
		},
		{
			name:   "delete key",
			change: plan.DeleteKey{Key: key(s, "idName")},
			want:   dialect.Rendered{SQL: []string{`DROP INDEX IF EXISTS "ik_idname"`}},
		},
		{
			name:   "replace key on a table with rows",
			change: plan.ReplaceKey{From: key(s, "idName"), To: model.Key{Name: "idName", Source: "profile", Attributes: []string{"FirstName", "LastName"}, Unique: true}},
			rows:   withRows,
			want: dialect.Rendered{
				SQL:   []string{`DROP INDEX IF EXISTS "ik_idname"`},
				After: []string{`CREATE UNIQUE INDEX CONCURRENTLY "ik_idname" ON "profile" ("firstname", "lastname")`},
			},
		},
		{
			name:   "replace key on an empty table",
			change: plan.ReplaceKey{From: key(s, "idName"), To: model.Key{Name: "idName", Source: "profile", Attributes: []string{"FirstName"}}},
			rows:   empty,
			want:   dialect.Rendered{SQL: []string{`DROP INDEX IF EXISTS "ik_idname"`, `CREATE INDEX "ik_idname" ON "profile" ("firstname")`}},
		},
		{
			name:   "update key",
			change: plan.UpdateKey{From: key(s, "idName"), To: model.Key{Name: "IDNAME", Source: "profile", Attributes: []string{"lastname", "firstname"}}},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := &plan.Plan{Current: s, Desired: s, Rows: c.rows}
			step := plan.Step{Change: c.change}
			p.Steps = []plan.Step{step}
			got, err := New().Render(p, step)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderRepair(t *testing.T) {
	s := richSchema()
	prof, phone := table(s, "profile"), table(s, "ext_phone")
	rows := map[string]int64{"profile": 10, "ext_phone": 5}
	for _, c := range []struct {
		name   string
		change plan.RepairTable
		want   dialect.Rendered
	}{
		{
			name:   "missing table is created whole, keys included",
			change: plan.RepairTable{Table: table(s, "ext_address"), Drift: []plan.Drift{{Kind: plan.MissingTable, Table: "ext_address"}, {Kind: plan.MissingIndex, Table: "ext_address", Name: "ik_idpostcode"}}},
			want: dialect.Rendered{SQL: []string{
				"CREATE TABLE \"ext_address\" (\n  \"customer_id\" varchar(16) NOT NULL PRIMARY KEY REFERENCES \"profile\" (\"customer_id\") ON DELETE CASCADE,\n  \"addresstype\" integer DEFAULT 0,\n  \"address\" varchar(256),\n  \"city\" varchar(32),\n  \"postcode\" varchar(10),\n  \"country\" varchar(32)\n)",
				`CREATE UNIQUE INDEX "ik_idpostcode" ON "ext_address" ("postcode", "country")`,
			}},
		},
		{
			name: "columns and indexes",
			change: plan.RepairTable{Table: prof, Drift: []plan.Drift{
				{Kind: plan.InvalidIndex, Table: "profile", Name: "ik_idemail", Want: "unique (emailaddress)", Got: "unique (emailaddress) (invalid)"},
				{Kind: plan.MissingColumn, Table: "profile", Name: "title", Want: "varchar(10) default 'Mr'"},
				{Kind: plan.ChangedColumn, Table: "profile", Name: "age", Want: "integer default -1", Got: "bigint not null default 5"},
				{Kind: plan.ChangedColumn, Table: "profile", Name: "note", Want: `varchar(40) default E'O''Brien \\ co'`, Got: `text default 'x not null'`},
				{Kind: plan.ChangedColumn, Table: "profile", Name: "vip", Want: "boolean not null default false", Got: "boolean default false"},
				{Kind: plan.MissingIndex, Table: "profile", Name: "ik_idname", Want: "(lastname, firstname)"},
				{Kind: plan.ExtraIndex, Table: "profile", Name: "mine", Got: "(age)"},
				{Kind: plan.ExtraColumn, Table: "profile", Name: "extra", Got: "text"},
			}},
			want: dialect.Rendered{
				SQL: []string{
					`DROP INDEX IF EXISTS "ik_idemail"`,
					`ALTER TABLE "profile" ADD COLUMN "title" varchar(10) DEFAULT 'Mr'`,
					"ALTER TABLE \"profile\"\n  ALTER COLUMN \"age\" DROP DEFAULT,\n  ALTER COLUMN \"age\" TYPE integer USING \"age\"::integer,\n  ALTER COLUMN \"age\" SET DEFAULT -1,\n  ALTER COLUMN \"age\" DROP NOT NULL",
					"ALTER TABLE \"profile\"\n  ALTER COLUMN \"note\" DROP DEFAULT,\n  ALTER COLUMN \"note\" TYPE varchar(40) USING \"note\"::text,\n  ALTER COLUMN \"note\" SET DEFAULT E'O''Brien \\\\ co'",
					"ALTER TABLE \"profile\"\n  ALTER COLUMN \"vip\" SET NOT NULL",
				},
				After: []string{
					`CREATE UNIQUE INDEX CONCURRENTLY "ik_idemail" ON "profile" ("emailaddress")`,
					`CREATE INDEX CONCURRENTLY "ik_idname" ON "profile" ("lastname", "firstname")`,
				},
				Blocking: true,
			},
		},
		{
			name: "lost foreign key",
			change: plan.RepairTable{Table: phone, Drift: []plan.Drift{
				{Kind: plan.ChangedColumn, Table: "ext_phone", Name: "customer_id", Want: "varchar(16) not null " + profileRef, Got: "varchar(16) not null"},
			}},
			want: dialect.Rendered{
				SQL:      []string{"ALTER TABLE \"ext_phone\"\n  ADD FOREIGN KEY (\"customer_id\") REFERENCES \"profile\" (\"customer_id\") ON DELETE CASCADE"},
				Blocking: true,
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := &plan.Plan{Current: s, Desired: s, Rows: rows}
			step := plan.Step{Change: c.change}
			p.Steps = []plan.Step{step}
			got, err := New().Render(p, step)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestRenderNewTableInPlan checks that an index on a table the same plan
// creates is built in the transaction even when the plan has no count.
func TestRenderNewTableInPlan(t *testing.T) {
	s := richSchema()
	p := bootstrapPlan(s)
	p.Rows = nil
	for _, st := range p.Steps {
		r, err := New().Render(p, st)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.After) > 0 || r.Blocking {
			t.Errorf("%T: got After %q, Blocking %t on a new table", st.Change, r.After, r.Blocking)
		}
	}
}

func TestRenderUnknownChange(t *testing.T) {
	if _, err := New().Render(&plan.Plan{}, plan.Step{Change: nil}); err == nil {
		t.Error("no error for a nil change")
	}
}

func TestParseDef(t *testing.T) {
	for _, def := range []string{
		"varchar(16) not null primary key " + profileRef,
		"bigint not null generated always as identity primary key",
		`varchar(40) default E'O''Brien \\ co'`,
		"text default 'x not null primary key'",
		"double precision not null default 1e+20",
		"timestamptz default now()",
	} {
		c := parseDef(def)
		c.refs = nil
		if strings.Contains(def, profileRef) {
			c.refs = []string{profileRef}
		}
		if got := c.String(); got != def {
			t.Errorf("parseDef(%q) reads back as %q", def, got)
		}
	}
}

// A string with control characters is an E'...' literal with escapes, and
// reads back as the text.
func TestQuoteLiteralControlCharacters(t *testing.T) {
	for in, want := range map[string]string{
		"plain 'q'":    `'plain ''q'''`,
		`C:\x`:         `E'C:\\x'`,
		"a\nb":         `E'a\nb'`,
		"\n::x\x1b[1m": `E'\n::x\x1B[1m'`,
		"\a\u009b'\\":  `E'\x07\u009B''\\'`,
		"\t\r\b\f\x7f": `E'\t\r\b\f\x7F'`,
	} {
		got := quoteLiteral(in)
		if got != want {
			t.Errorf("quoteLiteral(%q) = %s, want %s", in, got, want)
		}
		if body, ok := strings.CutPrefix(got, "E'"); ok {
			if back := unescapeE(strings.TrimSuffix(body, "'")); back != in {
				t.Errorf("unescapeE(%s) = %q, want %q", got, back, in)
			}
		}
	}
	for in, want := range map[string]string{`\101\x42\u00e9\U0001F600\q`: "ABé😀q", `\x4`: "\x04", `\u12`: "u12"} {
		if got := unescapeE(in); got != want {
			t.Errorf("unescapeE(%s) = %q, want %q", in, got, want)
		}
	}
}
