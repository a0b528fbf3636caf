// Package dialecttest is the conformance suite every dialect passes: for
// each kind of change it applies a schema to a real database holding rows,
// applies the change, re-inspects, compares the catalog and the physical
// layout with what was declared, checks that the rows survived, and demands
// that the next plan is empty.
package dialecttest

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// Harness tells the suite how to get a database of the dialect under test.
type Harness struct {
	Dialect dialect.Dialect
	// NewURL returns the URL of a new, empty database that lives as long as
	// the test (the harness drops it in t.Cleanup).
	NewURL func(t *testing.T) string
}

// Open connects to a new database of the harness.
func (h Harness) Open(t *testing.T) apply.Target {
	t.Helper()
	url := h.NewURL(t)
	db, err := h.Dialect.Open(context.Background(), url, dialect.ReadWrite)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return apply.Target{Dialect: h.Dialect, DB: db, URL: url}
}

// Case is one conformance case: apply From, seed rows, apply To.
type Case struct {
	Name string
	From *model.Schema
	// Seed inserts rows after From is applied.
	Seed []string
	To   *model.Schema
	// AllowDestructive is passed to the second apply.
	AllowDestructive bool
	// Want lists the symbols and objects the second plan must hold, in
	// order ("+ extension Phone").
	Want []string
	// Rows gives the row count each table must hold after the change.
	Rows map[string]int
	// Query, when set, must return Result (one row, one column as text).
	Query, Result string
	// Break, when set, runs after From is applied: it damages the database
	// by hand, and the second apply (with To == From) must repair it.
	Break []string
	// Keep names objects made by hand that must survive the second apply
	// untouched: "table" or "table.index".
	Keep []string
}

// Run runs every case of Cases against the harness.
func Run(t *testing.T, h Harness) {
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			RunCase(t, h, c)
		})
	}
}

// RunCase runs one case.
func RunCase(t *testing.T, h Harness, c Case) {
	ctx := context.Background()
	tg := setup(t, h, c.From, c.Seed)
	opts := apply.Options{LockTimeout: 10 * time.Second}
	Exec(t, tg.DB, c.Break...)
	// A drift-only plan holds exactly the drift repairs ("!") of the
	// full plan, whatever the schema files say.
	drift, err := apply.PrepareDrift(ctx, tg)
	if err != nil {
		t.Fatalf("drift-only plan: %v", err)
	}
	var repairs []string
	for _, l := range c.Want {
		if strings.HasPrefix(l, "! ") {
			repairs = append(repairs, l)
		}
	}
	if diff := cmp.Diff(repairs, Lines(drift)); diff != "" {
		t.Errorf("drift-only plan (-want +got):\n%s", diff)
	}
	p, err := apply.Prepare(ctx, tg, c.To)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if diff := cmp.Diff(c.Want, Lines(p)); diff != "" {
		t.Errorf("second plan (-want +got):\n%s", diff)
	}
	opts.AllowDestructive = c.AllowDestructive
	if _, err := apply.Run(ctx, tg, c.To, opts); err != nil {
		t.Fatalf("second apply: %v", err)
	}
	Verify(t, tg, c.To)
	kept(t, tg, c.Keep)
	for table, want := range c.Rows {
		var got int
		if err := tg.DB.GetContext(ctx, &got, `SELECT count(*) FROM "`+table+`"`); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		if got != want {
			t.Errorf("table %s holds %d rows after the change, want %d", table, got, want)
		}
	}
	if c.Query != "" {
		var got string
		if err := tg.DB.GetContext(ctx, &got, c.Query); err != nil {
			t.Fatalf("query %q: %v", c.Query, err)
		}
		if got != c.Result {
			t.Errorf("%s = %q, want %q", c.Query, got, c.Result)
		}
	}
}

// kept fails t unless each of the hand-made objects ("table" or
// "table.index") is still in the database, as inspected, and unless they
// are all the database holds that ctxschema does not manage: an index the
// layout no longer wants must be gone, not left behind as unmanaged.
func kept(t *testing.T, tg apply.Target, objects []string) {
	t.Helper()
	st, err := tg.Dialect.Inspect(context.Background(), tg.DB)
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	keep := map[string]bool{}
	for _, o := range objects {
		keep[o] = true
	}
	for _, t2 := range st.Physical.Tables {
		want, managedTable := tg.Dialect.Expected(st.Catalog).Table(t2.Name)
		if !managedTable {
			if !keep[t2.Name] && !strings.HasPrefix(t2.Name, model.CatalogPrefix) {
				t.Errorf("table %s is left that ctxschema does not manage", t2.Name)
			}
			continue
		}
		wanted := map[string]bool{}
		for _, ix := range want.Indexes {
			wanted[ix.Name] = true
		}
		for _, ix := range t2.Indexes {
			if !wanted[ix.Name] && !keep[t2.Name+"."+ix.Name] {
				t.Errorf("index %s.%s is left that the layout does not want", t2.Name, ix.Name)
			}
		}
	}
	for _, o := range objects {
		table, index, _ := strings.Cut(o, ".")
		pt, ok := st.Physical.Table(table)
		found := ok && index == ""
		for _, ix := range pt.Indexes {
			found = found || ix.Name == index
		}
		if !found {
			t.Errorf("%s, made by hand, did not survive the apply", o)
		}
	}
}

// setup opens a new database of h, applies from (and verifies it), then
// runs the seed statements.
func setup(t *testing.T, h Harness, from *model.Schema, seed []string) apply.Target {
	t.Helper()
	tg := h.Open(t)
	if _, err := apply.Run(context.Background(), tg, from, apply.Options{LockTimeout: 10 * time.Second}); err != nil {
		t.Fatalf("first apply: %v", err)
	}
	Verify(t, tg, from)
	Exec(t, tg.DB, seed...)
	return tg
}

// Verify re-inspects the database and demands that it holds exactly the
// declared schema: the catalog equals want, the physical layout equals what
// the catalog expects, and a new plan is empty.
func Verify(t *testing.T, tg apply.Target, want *model.Schema) {
	t.Helper()
	ctx := context.Background()
	st, err := tg.Dialect.Inspect(ctx, tg.DB)
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	w := want.Stripped()
	w.Sort()
	if diff := cmp.Diff(w, st.Catalog); diff != "" {
		t.Errorf("catalog (-want +got):\n%s", diff)
	}
	expected := tg.Dialect.Expected(st.Catalog)
	if diff := cmp.Diff(managed(expected, expected), managed(st.Physical, expected)); diff != "" {
		t.Errorf("physical layout (-expected +inspected):\n%s", diff)
	}
	p, err := plan.Build(ctx, st, want, tg.Dialect.Data(tg.DB))
	if err != nil {
		t.Fatalf("plan again: %v", err)
	}
	if !p.Empty() {
		t.Errorf("the plan after apply is not empty: %v", Lines(p))
	}
}

// managed keeps what ctxschema manages: the tables, columns and indexes of
// expected (not the cs_ catalog, nor objects made by hand, which the tool
// leaves alone), sorted by name: column order is not part of the contract
// (added columns go last).
func managed(p, expected plan.Physical) []plan.PhysicalTable {
	var out []plan.PhysicalTable
	for _, t := range p.Tables {
		want, ok := expected.Table(t.Name)
		if !ok || strings.HasPrefix(t.Name, "cs_") {
			continue
		}
		cols, idx := map[string]bool{}, map[string]bool{}
		for _, c := range want.Columns {
			cols[c.Name] = true
		}
		for _, i := range want.Indexes {
			idx[i.Name] = true
		}
		var keep plan.PhysicalTable
		keep.Name = t.Name
		for _, c := range t.Columns {
			if cols[c.Name] {
				keep.Columns = append(keep.Columns, c)
			}
		}
		for _, i := range t.Indexes {
			if idx[i.Name] {
				keep.Indexes = append(keep.Indexes, i)
			}
		}
		sort.Slice(keep.Columns, func(i, j int) bool { return keep.Columns[i].Name < keep.Columns[j].Name })
		sort.Slice(keep.Indexes, func(i, j int) bool { return keep.Indexes[i].Name < keep.Indexes[j].Name })
		out = append(out, keep)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lines renders a plan's steps as "symbol kind name".
func Lines(p *plan.Plan) []string {
	var out []string
	for _, s := range p.Steps {
		o := s.Change.Object()
		out = append(out, s.Change.Action().Symbol()+" "+string(o.Kind)+" "+o.Name)
	}
	return out
}

// Exec runs statements on a target, failing the test on error.
func Exec(t *testing.T, db *sqlx.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}
