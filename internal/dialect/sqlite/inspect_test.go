package sqlite

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
	"github.com/ctxschema/ctxschema/plan"
)

func TestRoundTrip(t *testing.T) {
	db, _ := openTemp(t)
	s := contactCenter()
	apply(t, db, nil, s, createSteps(s)...)
	st, err := New().Inspect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if st.New || st.Mode != model.Maintenance {
		t.Errorf("New, Mode = %v, %v; want false, maintenance", st.New, st.Mode)
	}
	if diff := cmp.Diff(s, st.Catalog); diff != "" {
		t.Errorf("catalog differs from the applied schema (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(st.Expected, st.Physical); diff != "" {
		t.Errorf("physical layout differs from the expected one (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(New().Expected(s), st.Expected); diff != "" {
		t.Errorf("State.Expected is not Expected(catalog) (-want +got):\n%s", diff)
	}
	// A few definitions spelled out, so that a change of format is seen.
	want := map[string]string{
		"profile.customer_id":            `TEXT PRIMARY KEY NOT NULL CHECK (length("customer_id") <= 16)`,
		"profile.title":                  `TEXT DEFAULT 'Mr O''Neil' CHECK (length("title") <= 255)`,
		"profile.age":                    `INTEGER DEFAULT -1`,
		"profile.balance":                `TEXT NOT NULL DEFAULT '12.5' CHECK (` + canonCheck(currencyCheck("balance")) + `)`,
		"profile.vip":                    `INTEGER NOT NULL DEFAULT 0 CHECK ("vip" IN (0, 1))`,
		"profile.lastcontact":            `TEXT DEFAULT '1981-03-17T02:00:00.000Z'`,
		"ext_phone.record_id":            `INTEGER PRIMARY KEY`,
		"ext_phone.customer_id":          `TEXT NOT NULL CHECK (length("customer_id") <= 16) REFERENCES "profile" ("customer_id") ON DELETE CASCADE`,
		"ext_gold.customer_id":           `TEXT PRIMARY KEY NOT NULL CHECK (length("customer_id") <= 16) REFERENCES "profile" ("customer_id") ON DELETE CASCADE`,
		"profile.ik_idemail":             `UNIQUE ("emailaddress")`,
		"profile.ik_idfirstnamelastname": `("lastname", "firstname")`,
		"ext_phone." + model.UniqueIndex("Phone", []string{"PhoneNumber"}): `UNIQUE ("customer_id", "phonenumber")`,
	}
	got := map[string]string{}
	for _, tb := range st.Physical.Tables {
		for _, c := range tb.Columns {
			got[tb.Name+"."+c.Name] = c.Definition
		}
		for _, ix := range tb.Indexes {
			got[tb.Name+"."+ix.Name] = ix.Definition
		}
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q; want %q", k, got[k], w)
		}
	}
}

func TestInspectNewDatabase(t *testing.T) {
	db, _ := openTemp(t)
	mustExec(t, db, `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`)
	st, err := New().Inspect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	want := &plan.State{
		Catalog: &model.Schema{}, Mode: model.Maintenance, New: true, Stamp: "v1",
		Physical: plan.Physical{Tables: []plan.PhysicalTable{{Name: "notes", Columns: []plan.PhysicalColumn{
			{Name: "body", Definition: "TEXT"}, {Name: "id", Definition: "INTEGER PRIMARY KEY"},
		}}}},
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	// The catalog tables alone (as after `mode production`) still make a
	// new database, in the recorded mode.
	ctx := context.Background()
	if err := New().EnsureCatalog(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := catalog.SetMode(ctx, db, model.Production); err != nil {
		t.Fatal(err)
	}
	st, err = New().Inspect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !st.New || st.Mode != model.Production || len(st.Expected.Tables) != 0 || len(st.Physical.Tables) != 1 {
		t.Errorf("after EnsureCatalog: New %v, Mode %v, Expected %v, Physical %v", st.New, st.Mode, st.Expected, st.Physical)
	}
}

// TestStamp: the stamp Inspect records is the one Stamp reads while
// nothing changes, and every change of what Inspect reads gives another:
// a table, an index, the catalog's creation, the mode, the recorded
// schema. A database that holds nothing has the empty stamp.
func TestStamp(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	d := New()
	stamp := func() string {
		t.Helper()
		s, err := d.Stamp(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got := stamp(); got != d.EmptyStamp() {
		t.Fatalf("stamp of an empty database = %q; want the empty stamp %q", got, d.EmptyStamp())
	}
	seen := map[string]string{d.EmptyStamp(): "empty"}
	changed := func(what string) {
		t.Helper()
		st, err := d.Inspect(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		now := stamp()
		if st.Stamp != now {
			t.Errorf("after %s: Inspect's stamp %q, Stamp %q; want equal", what, st.Stamp, now)
		}
		if prev, ok := seen[now]; ok {
			t.Errorf("after %s: stamp %q, the same as after %s", what, now, prev)
		}
		seen[now] = what
	}
	mustExec(t, db, `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`)
	changed("a table")
	mustExec(t, db, `CREATE INDEX notes_body ON notes (body)`)
	changed("an index")
	if err := d.EnsureCatalog(ctx, db); err != nil {
		t.Fatal(err)
	}
	changed("the catalog tables")
	if err := catalog.SetMode(ctx, db, model.Production); err != nil {
		t.Fatal(err)
	}
	changed("a mode switch")
	s := contactCenter()
	if err := catalog.Write(ctx, db, s); err != nil {
		t.Fatal(err)
	}
	changed("a recorded schema")
	s.Extensions = s.Extensions[1:]
	if err := catalog.Write(ctx, db, s); err != nil {
		t.Fatal(err)
	}
	changed("another recorded schema")
	mustExec(t, db, `INSERT INTO notes (body) VALUES ('x')`)
	if st, err := d.Inspect(ctx, db); err != nil {
		t.Fatal(err)
	} else if st.Stamp != stamp() || seen[st.Stamp] != "another recorded schema" {
		t.Errorf("a row written changed the stamp: %q", st.Stamp)
	}
}

func TestInspectDrift(t *testing.T) {
	db, _ := openTemp(t)
	s := contactCenter()
	apply(t, db, nil, s, createSteps(s)...)
	ux := model.UniqueIndex("Phone", []string{"PhoneNumber"})
	mustExec(t, db, `DROP INDEX "ik_idemail"`)
	mustExec(t, db, `DROP INDEX "`+ux+`"`)
	mustExec(t, db, `CREATE INDEX "`+ux+`" ON ext_phone (phonenumber COLLATE NOCASE DESC) WHERE phonenumber <> ''`)
	mustExec(t, db, `ALTER TABLE profile ADD COLUMN Extra varchar(10) NOT NULL DEFAULT (0.50) COLLATE nocase CHECK (Extra <> 'x')`)
	mustExec(t, db, `CREATE INDEX by_lower ON profile (lower(firstname), lastname)`)
	mustExec(t, db, `CREATE TABLE notes (Extra varchar(10) NOT NULL DEFAULT (0.50) COLLATE nocase CHECK (Extra <> 'x'), at TEXT DEFAULT (datetime('now')))`)
	st, err := New().Inspect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	pt, _ := st.Physical.Table("profile")
	got := map[string]string{}
	for _, c := range pt.Columns {
		got[c.Name] = c.Definition
	}
	for _, ix := range pt.Indexes {
		got[ix.Name] = ix.Definition
	}
	ph, _ := st.Physical.Table("ext_phone")
	for _, ix := range ph.Indexes {
		got[ix.Name] = ix.Definition
	}
	nt, _ := st.Physical.Table("notes")
	for _, c := range nt.Columns {
		got["notes."+c.Name] = c.Definition
	}
	want := map[string]string{
		// A column of a managed table that the catalog does not declare
		// reads as written, for a rebuild to write it again.
		"extra": `varchar(10) NOT NULL DEFAULT (0.50) COLLATE nocase CHECK (Extra <> 'x')`,
		// Others are normalised.
		"notes.extra": `VARCHAR(10) NOT NULL DEFAULT 0.5 COLLATE NOCASE CHECK ("extra" <> 'x')`,
		"notes.at":    `TEXT DEFAULT (datetime('now'))`,
		"by_lower":    `(lower("firstname"), "lastname")`,
		ux:            `("phonenumber" COLLATE NOCASE DESC) WHERE "phonenumber" <> ''`,
		"ik_idemail":  "",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q; want %q", k, got[k], w)
		}
	}
}

// countingQuerier counts the queries run through it.
type countingQuerier struct {
	dialect.Querier
	n int
}

func (c *countingQuerier) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	c.n++
	return c.Querier.QueryContext(ctx, q, args...)
}

func (c *countingQuerier) QueryxContext(ctx context.Context, q string, args ...any) (*sqlx.Rows, error) {
	c.n++
	return c.Querier.QueryxContext(ctx, q, args...)
}

func (c *countingQuerier) QueryRowxContext(ctx context.Context, q string, args ...any) *sqlx.Row {
	c.n++
	return c.Querier.QueryRowxContext(ctx, q, args...)
}

func TestInspectQueryCount(t *testing.T) {
	counts := map[int]int{}
	for _, n := range []int{1, 100} {
		db, _ := openTemp(t)
		s := &model.Schema{Profile: []model.Attribute{str("Name", 64)}}
		for i := range n {
			name := fmt.Sprintf("Ext%03d", i)
			s.Extensions = append(s.Extensions, model.Extension{Name: name, Type: model.MultiValued,
				Attributes: []model.Attribute{str("A", 10), {Name: "B", Type: model.Integer}},
				Unique:     [][]string{{"A", "B"}}})
			s.Keys = append(s.Keys, model.Key{Name: "k" + name, Source: name, Attributes: []string{"B"}})
		}
		s.Sort()
		apply(t, db, nil, s, createSteps(s)...)
		q := &countingQuerier{Querier: db}
		st, err := New().Inspect(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Physical.Tables) != n+1 || len(st.Catalog.Extensions) != n {
			t.Fatalf("%d extensions: inspected %d tables, %d extensions", n, len(st.Physical.Tables), len(st.Catalog.Extensions))
		}
		if diff := cmp.Diff(st.Expected, st.Physical); diff != "" {
			t.Fatalf("%d extensions: drift (-want +got):\n%s", n, diff)
		}
		counts[n] = q.n
	}
	if counts[1] != counts[100] {
		t.Errorf("Inspect ran %d queries for 1 extension, %d for 100; want the same", counts[1], counts[100])
	}
	t.Logf("queries: %v", counts)
}
