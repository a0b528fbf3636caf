package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tableDrift finds nothing in a table as expected, in another order or
// not, and the same drift whether or not the order matches (its fast path
// for an undrifted table must not hide an invalid index or a change).
func TestTableDrift(t *testing.T) {
	want := PhysicalTable{Name: "ext_a",
		Columns: []PhysicalColumn{{Name: "customer_id", Definition: "TEXT NOT NULL"}, {Name: "code", Definition: "TEXT"}},
		Indexes: []PhysicalIndex{{Name: "ux_a", Definition: "UNIQUE (customer_id, code)", Valid: true}}}
	reversed := PhysicalTable{Name: "ext_a",
		Columns: []PhysicalColumn{want.Columns[1], want.Columns[0]}, Indexes: want.Indexes}
	for _, got := range []PhysicalTable{want, reversed} {
		if ds, extra := tableDrift(want, got); len(ds) != 0 || len(extra) != 0 {
			t.Errorf("tableDrift of an undrifted table = %v, %v; want nothing", ds, extra)
		}
	}
	invalid := PhysicalTable{Name: "ext_a", Columns: want.Columns,
		Indexes: []PhysicalIndex{{Name: "ux_a", Definition: "UNIQUE (customer_id, code)"}}}
	ds, _ := tableDrift(want, invalid)
	wantDs := []Drift{{Kind: InvalidIndex, Table: "ext_a", Name: "ux_a", Want: "UNIQUE (customer_id, code)", Got: "UNIQUE (customer_id, code) (invalid)"}}
	if diff := cmp.Diff(wantDs, ds); diff != "" {
		t.Errorf("an invalid index (-want +got):\n%s", diff)
	}
	changed := PhysicalTable{Name: "ext_a",
		Columns: []PhysicalColumn{want.Columns[0], {Name: "code", Definition: "INTEGER"}}, Indexes: want.Indexes}
	ds, _ = tableDrift(want, changed)
	wantDs = []Drift{{Kind: ChangedColumn, Table: "ext_a", Name: "code", Want: "TEXT", Got: "INTEGER"}}
	if diff := cmp.Diff(wantDs, ds); diff != "" {
		t.Errorf("a changed column (-want +got):\n%s", diff)
	}
}
