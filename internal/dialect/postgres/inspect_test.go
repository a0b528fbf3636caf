package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
)

func TestInspectNewDatabase(t *testing.T) {
	e := newEnv(t)
	st := e.inspect()
	if !st.New || st.Mode != model.Maintenance || len(st.Expected.Tables) != 0 {
		t.Fatalf("new database: got New=%t Mode=%q Expected=%v", st.New, st.Mode, st.Expected)
	}
	if diff := cmp.Diff(&model.Schema{}, st.Catalog); diff != "" {
		t.Errorf("catalog (-want +got):\n%s", diff)
	}
	// The catalog tables alone (a mode switch, or the apply's transaction
	// before it writes) leave the database new, and are no layout.
	if err := e.d.EnsureCatalog(e.ctx, e.db); err != nil {
		t.Fatal(err)
	}
	if err := e.d.EnsureCatalog(e.ctx, e.db); err != nil {
		t.Fatalf("EnsureCatalog is not idempotent: %v", err)
	}
	if err := catalog.SetMode(e.ctx, e.db, model.Production); err != nil {
		t.Fatal(err)
	}
	st = e.inspect()
	if !st.New || st.Mode != model.Production || len(st.Physical.Tables) != 0 {
		t.Fatalf("catalog without schema: got New=%t Mode=%q Physical=%v", st.New, st.Mode, st.Physical)
	}
	if v := e.count(`SELECT count(*) FROM cs_meta WHERE key = 'format_version' AND value = $1`, catalog.FormatVersion); v != 1 {
		t.Errorf("format_version rows = %d, want 1", v)
	}
}

// TestRoundTrip creates a rich schema with the rendered SQL and checks
// that Inspect reads back exactly the layout Expected wants, and the
// catalog.
func TestRoundTrip(t *testing.T) {
	e := newEnv(t)
	s := richSchema()
	e.bootstrap(s)
	st := e.inspect()
	if st.New {
		t.Fatal("database still new after the first apply")
	}
	if diff := cmp.Diff(e.d.Expected(s), st.Physical); diff != "" {
		t.Errorf("physical layout differs from Expected (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(st.Expected, st.Physical); diff != "" {
		t.Errorf("State.Expected differs from Physical (-want +got):\n%s", diff)
	}
	want := s.Stripped()
	for i := range want.Keys {
		if want.Keys[i].Source == "" {
			want.Keys[i].Source = model.ProfileSource
		}
	}
	if diff := cmp.Diff(want, st.Catalog); diff != "" {
		t.Errorf("catalog (-want +got):\n%s", diff)
	}
	// Defaults really are the declared values.
	e.exec(`INSERT INTO profile (customer_id, emailaddress) VALUES ('c1', 'a@b')`)
	var got struct {
		Title, Note, Empty string
		Age                int
		Score              int64
		Rating, Ratio      float64
		Balance, Debt      string
		VIP                bool
		BirthDate, Since   string
	}
	err := e.db.QueryRowxContext(e.ctx, `SELECT title, note, empty, age, score, rating, ratio, balance::text, debt::text, vip,
		birthdate::text, to_char(since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') FROM profile`).
		Scan(&got.Title, &got.Note, &got.Empty, &got.Age, &got.Score, &got.Rating, &got.Ratio, &got.Balance, &got.Debt, &got.VIP, &got.BirthDate, &got.Since)
	if err != nil {
		t.Fatal(err)
	}
	wantRow := got
	wantRow.Title, wantRow.Note, wantRow.Empty = "Mr", `O'Brien \ co`, ""
	wantRow.Age, wantRow.Score, wantRow.Rating, wantRow.Ratio = -1, 9999999999, 1e20, 0.125
	wantRow.Balance, wantRow.Debt, wantRow.VIP = "12.5000", "-0.0001", false
	wantRow.BirthDate, wantRow.Since = "1980-02-29", "2020-01-01T02:00:00.123Z"
	if got != wantRow {
		t.Errorf("defaults: got %+v, want %+v", got, wantRow)
	}
}

// TestInspectDrift checks that changes made by hand show in the layout.
func TestInspectDrift(t *testing.T) {
	e := newEnv(t)
	s := richSchema()
	e.bootstrap(s)
	e.exec(
		`ALTER TABLE profile ALTER COLUMN title SET DEFAULT 'Dr'`,
		`ALTER TABLE profile ALTER COLUMN age TYPE bigint`,
		`ALTER TABLE profile ALTER COLUMN since SET DEFAULT now()`,
		`DROP INDEX ik_idname`,
		`CREATE INDEX ik_idemail2 ON profile (lower(emailaddress))`,
		`ALTER TABLE ext_address DROP CONSTRAINT ext_address_customer_id_fkey`,
		`CREATE TABLE notes (id serial PRIMARY KEY, body text)`,
	)
	st := e.inspect()
	prof, _ := st.Physical.Table("profile")
	defs := map[string]string{}
	for _, c := range prof.Columns {
		defs[c.Name] = c.Definition
	}
	for _, ix := range prof.Indexes {
		defs[ix.Name] = ix.Definition
	}
	for name, want := range map[string]string{
		"title":       "varchar(10) default 'Dr'",
		"age":         "bigint default -1",
		"since":       "timestamptz default now()",
		"ik_idemail2": "using btree (lower((emailaddress)::text))",
	} {
		if defs[name] != want {
			t.Errorf("%s: got %q, want %q", name, defs[name], want)
		}
	}
	if _, ok := defs["ik_idname"]; ok {
		t.Error("dropped index ik_idname still inspected")
	}
	addr, _ := st.Physical.Table("ext_address")
	for _, c := range addr.Columns {
		if c.Name == "customer_id" && c.Definition != "varchar(16) not null primary key" {
			t.Errorf("customer_id without its foreign key: got %q", c.Definition)
		}
	}
	if _, ok := st.Physical.Table("notes"); !ok {
		t.Error("unmanaged table notes not inspected")
	}
}

func TestNormaliseDefault(t *testing.T) {
	for _, c := range []struct{ expr, typ, want string }{
		{`'555'::character varying`, "varchar(3)", `'555'`},
		{`'O''B'::character varying`, "varchar(5)", `'O''B'`},
		{`E'a\\b'::character varying`, "varchar(5)", `E'a\\b'`},
		// A plain literal has no escapes: these hold a backslash.
		{`'C:\'::character varying`, "varchar(255)", `E'C:\\'`},
		{`'\'::character varying`, "varchar(5)", `E'\\'`},
		{`'a\''b'::character varying`, "varchar(5)", `E'a\\''b'`},
		{`E'C:\\'::character varying`, "varchar(255)", `E'C:\\'`},
		{`E'a\\''b'::character varying`, "varchar(5)", `E'a\\''b'`},
		{`E'a\'b'::character varying`, "varchar(5)", `'a''b'`},
		{`''::character varying`, "varchar(5)", `''`},
		{`NULL::character varying`, "varchar(5)", ``},
		{`0`, "integer", `0`},
		{`'-1'::integer`, "integer", `-1`},
		{`'9999999999'::bigint`, "bigint", `9999999999`},
		{`'100000000000000000000'::numeric`, "double precision", `1e+20`},
		{`0.0000001`, "double precision", `1e-07`},
		{`12.5`, "numeric(19,4)", `12.5`},
		{`'-12.5000'::numeric`, "numeric(19,4)", `-12.5`},
		{`true`, "boolean", `true`},
		{`'2020-01-01'::date`, "date", `'2020-01-01'`},
		{`'2020-01-01 03:00:00.123+01'::timestamp with time zone`, "timestamptz", `'2020-01-01T02:00:00.123Z'`},
		{`'2020-01-01 03:00:00.123456+01'::timestamp with time zone`, "timestamptz", `'2020-01-01 03:00:00.123456+01'::timestamp with time zone`},
		{`now()`, "timestamptz", `now()`},
		{`nextval('x_seq'::regclass)`, "integer", `nextval('x_seq'::regclass)`},
		{`'abc'::text`, "text", `'abc'::text`},
		{`'toolong'::character varying`, "varchar(3)", `'toolong'::character varying`},
	} {
		if got := normaliseDefault(c.expr, c.typ); got != c.want {
			t.Errorf("normaliseDefault(%q, %q) = %q, want %q", c.expr, c.typ, got, c.want)
		}
	}
}

// counting counts the statements run through it.
type counting struct {
	*sqlx.DB
	n int
}

func (c *counting) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	c.n++
	return c.DB.QueryContext(ctx, q, args...)
}

func (c *counting) QueryxContext(ctx context.Context, q string, args ...any) (*sqlx.Rows, error) {
	c.n++
	return c.DB.QueryxContext(ctx, q, args...)
}

func (c *counting) QueryRowxContext(ctx context.Context, q string, args ...any) *sqlx.Row {
	c.n++
	return c.DB.QueryRowxContext(ctx, q, args...)
}

func (c *counting) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	c.n++
	return c.DB.ExecContext(ctx, q, args...)
}

// manyExtensions is a schema of n multi-valued extensions, each with a
// unique item and a key.
func manyExtensions(n int) *model.Schema {
	s := &model.Schema{Profile: []model.Attribute{str("Name", 64)}}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("Ext%03d", i)
		s.Extensions = append(s.Extensions, model.Extension{Name: name, Type: model.MultiValued,
			Attributes: []model.Attribute{str("Code", 16), withDefault(typed("Amount", model.Currency), "1")},
			Unique:     [][]string{{"Code"}}})
		s.Keys = append(s.Keys, model.Key{Name: "id" + name, Source: name, Attributes: []string{"Amount", "Code"}})
	}
	s.Sort()
	return s
}

// TestInspectQueryCount checks that inspection costs the same number of
// queries for 1 and for 100 extensions.
func TestInspectQueryCount(t *testing.T) {
	counts := map[int]int{}
	for _, n := range []int{1, 100} {
		e := newEnv(t)
		s := manyExtensions(n)
		e.bootstrap(s)
		c := &counting{DB: e.db}
		st, err := e.d.Inspect(e.ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Physical.Tables) != n+1 {
			t.Fatalf("%d extensions: inspected %d tables", n, len(st.Physical.Tables))
		}
		if diff := cmp.Diff(st.Expected, st.Physical); diff != "" {
			t.Fatalf("%d extensions: drift (-want +got):\n%s", n, diff)
		}
		counts[n] = c.n
	}
	if counts[1] != counts[100] {
		t.Errorf("queries: %d for 1 extension, %d for 100", counts[1], counts[100])
	}
	if counts[1] > 4 {
		t.Errorf("inspection took %d queries, want at most 4", counts[1])
	}
	t.Logf("Inspect ran %d queries", counts[1])
}

// TestInspectCatalogAppearsAndGoes: Inspect sends the catalog's query with
// the layout's when the connection last saw the cs_ tables. Created since
// (by another session), they are read all the same; dropped since, the
// database reads as new, and the connection stays usable.
func TestInspectCatalogAppearsAndGoes(t *testing.T) {
	e := newEnv(t)
	e.db.SetMaxOpenConns(1) // one connection: it remembers what it saw
	if st := e.inspect(); !st.New {
		t.Fatal("empty database not new")
	}
	other := openEnv(t, e.url)
	s := richSchema()
	other.bootstrap(s)
	st := e.inspect()
	if st.New || len(st.Physical.Tables) == 0 {
		t.Fatalf("catalog created by another session not read: New=%t, %d tables", st.New, len(st.Physical.Tables))
	}
	if diff := cmp.Diff(st.Expected, st.Physical); diff != "" {
		t.Fatalf("drift after bootstrap (-want +got):\n%s", diff)
	}
	other.exec(`DROP TABLE cs_meta, cs_schema, cs_history CASCADE`)
	st = e.inspect()
	if !st.New || st.Mode != model.Maintenance || len(st.Physical.Tables) == 0 {
		t.Fatalf("catalog dropped by another session: got New=%t Mode=%q, %d tables", st.New, st.Mode, len(st.Physical.Tables))
	}
	if n := e.count(`SELECT count(*) FROM profile`); n != 0 {
		t.Fatalf("profile holds %d rows", n)
	}
	if st := e.inspect(); !st.New {
		t.Fatal("second inspection without catalog: not new")
	}
}

// TestInspectForeignKeyOutsideSchema: a foreign key to a table of another
// schema names its columns too (read by a query of their own).
func TestInspectForeignKeyOutsideSchema(t *testing.T) {
	e := newEnv(t)
	e.exec(
		`CREATE SCHEMA elsewhere`,
		`CREATE TABLE elsewhere.owners (code integer, name text, PRIMARY KEY (name, code))`,
		`CREATE TABLE notes (id integer PRIMARY KEY, owner text, owner_code integer,
			FOREIGN KEY (owner, owner_code) REFERENCES elsewhere.owners (name, code) ON DELETE CASCADE)`,
	)
	for _, q := range []dialect.Querier{e.db, &counting{DB: e.db}} {
		st, err := e.d.Inspect(e.ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		notes, ok := st.Physical.Table("notes")
		if !ok {
			t.Fatal("no table notes")
		}
		want := map[string]string{
			"id":         "integer not null primary key",
			"owner":      "text foreign key (owner, owner_code) references owners(name, code) on delete cascade",
			"owner_code": "integer foreign key (owner, owner_code) references owners(name, code) on delete cascade",
		}
		got := map[string]string{}
		for _, c := range notes.Columns {
			got[c.Name] = c.Definition
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%T: columns (-want +got):\n%s", q, diff)
		}
	}
}

func TestIsPlainIndex(t *testing.T) {
	for _, c := range []struct {
		def  string
		cols []string
		want bool
	}{
		{`CREATE INDEX ik_a ON public.profile USING btree (lastname)`, []string{"lastname"}, true},
		{`CREATE UNIQUE INDEX ux_a ON public.ext_phone USING btree (customer_id, number)`, []string{"customer_id", "number"}, true},
		{`CREATE INDEX "Ik A" ON "My Schema"."T" USING btree ("a b", c, "a""b")`, []string{"a b", "c", `a"b`}, true},
		{`CREATE INDEX ik_a ON public.profile USING btree (lastname)`, []string{"firstname"}, false},
		{`CREATE INDEX ik_a ON public.profile USING btree (lastname)`, []string{"lastname", "firstname"}, false},
		{`CREATE INDEX ik_a ON public.profile USING btree (lastname, firstname)`, []string{"lastname"}, false},
		{`CREATE INDEX ik_a ON public.profile USING btree (lastname DESC)`, []string{"lastname"}, false},
		{`CREATE INDEX ik_a ON public.profile USING btree (lastname varchar_pattern_ops)`, []string{"lastname"}, false},
		{`CREATE INDEX ik_a ON public.profile USING btree (lastname COLLATE "C")`, []string{"lastname"}, false},
		{`CREATE INDEX ik_a ON public.profile USING btree (lastname) INCLUDE (firstname)`, []string{"lastname"}, false},
		{`CREATE INDEX ik_a ON public.profile USING btree (lastname) WITH (fillfactor='70')`, []string{"lastname"}, false},
		{`CREATE INDEX ik_a ON public.profile USING btree (lastname) WHERE (lastname IS NOT NULL)`, []string{"lastname"}, false},
		{`CREATE UNIQUE INDEX ux_a ON public.profile USING btree (lastname) NULLS NOT DISTINCT`, []string{"lastname"}, false},
		{`CREATE INDEX ik_a ON public.profile USING hash (lastname)`, []string{"lastname"}, false},
		{`CREATE INDEX ik_a ON ONLY public.profile USING btree (lastname)`, []string{"lastname"}, false},
		{`CREATE INDEX ik_a ON public.profile USING btree (lower((lastname)::text))`, []string{"lastname"}, false},
		{`CREATE INDEX "unterminated ON public.profile USING btree (lastname)`, []string{"lastname"}, false},
	} {
		if got := isPlainIndex(c.def, c.cols); got != c.want {
			t.Errorf("isPlainIndex(%q, %q) = %t, want %t", c.def, c.cols, got, c.want)
		}
	}
}
