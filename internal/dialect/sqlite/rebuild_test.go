package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// fill stores three customers with extension records in every extension
// table of the contact-center schema.
func fill(t *testing.T, db *sqlx.DB) {
	t.Helper()
	for _, q := range []string{
		`INSERT INTO profile (customer_id, firstname, lastname, emailaddress, age, score, balance, birthdate, vip, newsletter)
		 VALUES ('c1', 'Ann', 'Lee', 'ann@example.com', 41, 2.25, 10.5, '1983-01-02', 1, NULL),
		        ('c2', 'Bob', 'Ray', 'bob@example.com', NULL, NULL, 0, NULL, 0, 1),
		        ('c3', 'Cy', 'Ito', 'cy@example.com', 7, 1e10, 123456789012345.1234, '2001-12-31', 0, 0)`,
		`INSERT INTO ext_phone (customer_id, phonetype, phonenumber, description) VALUES
		 ('c1', 1, '5550001', 'home'), ('c1', 2, '5550002', 'work'), ('c2', 1, '5550003', NULL)`,
		`INSERT INTO ext_address (customer_id, city, postcode) VALUES ('c1', 'Oslo', '0150'), ('c3', 'Rome', NULL)`,
		`INSERT INTO ext_gold (customer_id) VALUES ('c2')`,
	} {
		mustExec(t, db, q)
	}
}

// dump reads every row of every user table, ordered, as text.
func dump(t *testing.T, db *sqlx.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	var tables []string
	if err := db.Select(&tables, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'cs\_%' ESCAPE '\' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`); err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		rows, err := db.Queryx(`SELECT * FROM "` + tb + `"`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			m := map[string]any{}
			if err := rows.MapScan(m); err != nil {
				t.Fatal(err)
			}
			var parts []string
			for k, v := range m {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				parts = append(parts, fmt.Sprintf("%s=%#v", k, v))
			}
			slices.Sort(parts)
			out[tb] = append(out[tb], strings.Join(parts, " "))
		}
		rows.Close()
		slices.Sort(out[tb])
	}
	return out
}

// transition applies one step from s0 (already applied) to s1 and checks
// that the database then has exactly the layout s1 expects.
func transition(t *testing.T, db *sqlx.DB, p *plan.Plan, s1 *model.Schema, steps ...plan.Step) {
	t.Helper()
	apply(t, db, p, s1, steps...)
	st, err := New().Inspect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(New().Expected(s1), st.Physical); diff != "" {
		t.Errorf("layout after the change differs from Expected (-want +got):\n%s", diff)
	}
}

func tableOf(t *testing.T, s *model.Schema, name string) model.Table {
	t.Helper()
	tb, ok := s.Table(name)
	if !ok {
		t.Fatalf("no table %q", name)
	}
	return tb
}

func setup(t *testing.T) (*sqlx.DB, *model.Schema) {
	db, _ := openTemp(t)
	s := contactCenter()
	apply(t, db, nil, s, createSteps(s)...)
	fill(t, db)
	return db, s
}

// TestRebuildProfileKeepsEverything rebuilds the profile table (a type
// change and a length change) and checks that every row and value is kept,
// converted where the type changed, and that no extension row was lost to
// ON DELETE CASCADE.
func TestRebuildProfileKeepsEverything(t *testing.T) {
	db, s0 := setup(t)
	before := dump(t, db)
	s1 := s0.Clone()
	age := &s1.Profile[4]
	from := *age
	age.Type, age.Default = model.String, ptr("unknown")
	age.Length = 20
	s1.Profile[0].Length = 128
	step := plan.Step{Change: plan.UpdateAttribute{Extension: "", From: from, To: *age,
		Before: tableOf(t, s0, "profile"), After: tableOf(t, s1, "profile")}}
	r, err := New().Render(nil, step)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Blocking || !strings.HasPrefix(r.SQL[0], `CREATE TABLE "profile__ctxschema_new"`) {
		t.Fatalf("want a blocking rebuild, got %v", r)
	}
	transition(t, db, nil, s1, step)
	after := dump(t, db)
	for _, tb := range []string{"ext_phone", "ext_address", "ext_gold"} {
		if diff := cmp.Diff(before[tb], after[tb]); diff != "" {
			t.Errorf("%s changed (-before +after):\n%s", tb, diff)
		}
	}
	want := strings.ReplaceAll(strings.Join(before["profile"], "\n"), "age=41", `age="41"`)
	want = strings.ReplaceAll(want, "age=7", `age="7"`)
	if diff := cmp.Diff(want, strings.Join(after["profile"], "\n")); diff != "" {
		t.Errorf("profile rows (-want +got):\n%s", diff)
	}
	var fk int
	if err := db.Get(&fk, `SELECT count(*) FROM pragma_foreign_key_check`); err != nil || fk != 0 {
		t.Errorf("foreign_key_check: %d rows, %v", fk, err)
	}
}

// removeKey drops the key called name from s.
func removeKey(s *model.Schema, name string) {
	s.Keys = slices.DeleteFunc(s.Keys, func(k model.Key) bool { return k.Name == name })
}

func extension(s *model.Schema, name string) *model.Extension {
	for i := range s.Extensions {
		if s.Extensions[i].Name == name {
			return &s.Extensions[i]
		}
	}
	panic("no extension " + name)
}
