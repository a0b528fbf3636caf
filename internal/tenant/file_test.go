package tenant

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctxschema/ctxschema/internal/model"
)

func TestParse(t *testing.T) {
	f, err := Parse([]byte(`tenants:
  - id: 101
    name: acme
    db: sqlite://acme.db
  - {id: "102", name: globex, db: "postgres://ctx:secret@db2:5432/globex"}
  - {id: 103, name: initech, db: "sqlite:///abs/initech.db"}
`), "/etc/ctx/tenants.yaml", "tenants.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []Tenant{
		{ID: 101, Name: "acme", DB: "sqlite://acme.db"}, // as written: resolved against f.Dir by its dialect,
		{ID: 102, Name: "globex", DB: "postgres://ctx:secret@db2:5432/globex"},
		{ID: 103, Name: "initech", DB: "sqlite:///abs/initech.db"},
	}
	if f.Dir != filepath.FromSlash("/etc/ctx") {
		t.Errorf("Dir = %q, want the file's folder", f.Dir)
	}
	if len(f.Tenants) != len(want) {
		t.Fatalf("got %d tenants, want %d", len(f.Tenants), len(want))
	}
	for i, w := range want {
		g := f.Tenants[i]
		if g.ID != w.ID || g.Name != w.Name || g.DB != w.DB {
			t.Errorf("tenant %d = %+v, want %+v", i, g, w)
		}
	}
	if f.Tenants[1].Pos.Line != 5 || f.Tenants[1].Pos.Col != 5 {
		t.Errorf("second tenant at %s, want tenants.yaml:5:5", f.Tenants[1].Pos)
	}
}

// Every problem of a tenants file is reported at once, each at its
// file:line:col, and a duplicate cites the first one's place.
func TestParseProblems(t *testing.T) {
	_, err := Parse([]byte(`tenants:
  - id: 101
    name: acme
    db: sqlite://acme.db
  - id: 101
    name: ACME
    db: sqlite://b.db
  - id: 0
    name: zero
    db: sqlite://z.db
  - id: postgres://u:hunter2@h/db
    name: url
    db: sqlite://u.db
  - id: 7
    name: nodb
  - id: 8
    name: typo
    dbb: sqlite://t.db
    db: sqlite://t.db
  - just a string
extra: 1
`), "tenants.yaml", "tenants.yaml")
	var problems *model.Problems
	if !errors.As(err, &problems) {
		t.Fatalf("err = %v, want *model.Problems", err)
	}
	want := []string{
		`tenants.yaml:5:5: duplicate tenant id 101 (first given at tenants.yaml:2:5); every tenant needs its own id`,
		`tenants.yaml:5:5: duplicate tenant name "ACME" (first given at tenants.yaml:2:5); names are unique, whatever their case`,
		`tenants.yaml:8:9: id must be a positive integer (the X-Genesys-TenantId), not "0"`,
		`tenants.yaml:11:9: id must be a positive integer (the X-Genesys-TenantId), not "postgres://u:xxxxx@h/db"`,
		`tenants.yaml:14:5: a tenant needs db; give each tenant id, name and db`,
		`tenants.yaml:18:5: unknown field "dbb" in tenant; known fields: id, name, db; did you mean "db"?`,
		`tenants.yaml:20:5: tenant must be a mapping, not a single value`,
		`tenants.yaml:21:1: unknown field "extra" in tenants file; known fields: tenants`,
	}
	got := strings.Split(problems.Error(), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("a password shows in the problems: %v", err)
	}
}

func TestParseEmptyAndSyntax(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "tenants.yaml:1:1: the tenants file is empty"},
		{"# nothing\n", "tenants.yaml:1:1: the tenants file is empty"},
		{"tenants: []\n", "tenants.yaml:1:1: the tenants file lists no tenant"},
		{"tenant:\n  - id: 1\n", `tenants.yaml:1:1: unknown field "tenant" in tenants file; known fields: tenants; did you mean "tenants"?`},
		{"tenants: [\n", "tenants.yaml:2:1: invalid YAML"},
		{"- 1\n", "tenants.yaml:1:1: tenants file must be a mapping, not a list"},
	} {
		_, err := Parse([]byte(c.in), "tenants.yaml", "tenants.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want %q…", c.in, err, c.want)
		}
	}
}

func TestSelect(t *testing.T) {
	f := &File{Path: "t.yaml", Tenants: []Tenant{{ID: 101, Name: "acme"}, {ID: 102, Name: "202"}}}
	for sel, id := range map[string]int64{"101": 101, "ACME": 101, " acme ": 101, "102": 102, "202": 102} {
		got, err := f.Select(sel)
		if err != nil || got.ID != id {
			t.Errorf("Select(%q) = %v, %v; want tenant %d", sel, got, err, id)
		}
	}
	_, err := f.Select("globex")
	var unknown *UnknownError
	if !errors.As(err, &unknown) || !strings.Contains(err.Error(), `invalid tenant specified: "globex"`) {
		t.Errorf("Select(globex) = %v, want an *UnknownError", err)
	}
}

// A tenants file larger than MaxSize is refused before it is read whole.
func TestReadTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, MaxSize+1); err != nil {
		t.Fatal(err)
	}
	_, err := Read(context.Background(), path, "tenants.yaml")
	if err == nil || !strings.Contains(err.Error(), "larger than 8 MiB, the limit") {
		t.Errorf("Read = %v, want the size limit", err)
	}
}
