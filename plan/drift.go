package plan

import (
	"sort"
	"strings"
)

// catalogPrefix marks ctxschema's own tables, which are never drift.
const catalogPrefix = "cs_"

// driftOf compares what the catalog expects with what the database holds.
// It returns the differences per managed table (to repair) and the objects
// ctxschema did not create (to list, never to touch). Columns and indexes
// are compared by name, so column order never counts as drift.
func driftOf(expected, physical Physical) (byTable map[string][]Drift, unmanaged []Drift) {
	byTable = map[string][]Drift{}
	gotTables := make(map[string]int, len(physical.Tables))
	for i, t := range physical.Tables {
		if _, dup := gotTables[t.Name]; !dup {
			gotTables[t.Name] = i
		}
	}
	wantTables := make(map[string]bool, len(expected.Tables))
	for _, want := range expected.Tables {
		wantTables[want.Name] = true
		i, ok := gotTables[want.Name]
		var got PhysicalTable
		if ok {
			got = physical.Tables[i]
		}
		if !ok {
			byTable[want.Name] = append(byTable[want.Name], Drift{Kind: MissingTable, Table: want.Name})
			continue
		}
		var ds []Drift
		gotCols := map[string]string{}
		for _, c := range got.Columns {
			gotCols[c.Name] = c.Definition
		}
		wantCols := map[string]bool{}
		for _, c := range want.Columns {
			wantCols[c.Name] = true
			def, ok := gotCols[c.Name]
			switch {
			case !ok:
				ds = append(ds, Drift{Kind: MissingColumn, Table: want.Name, Name: c.Name, Want: c.Definition})
			case def != c.Definition:
				ds = append(ds, Drift{Kind: ChangedColumn, Table: want.Name, Name: c.Name, Want: c.Definition, Got: def})
			}
		}
		for _, c := range got.Columns {
			if !wantCols[c.Name] {
				unmanaged = append(unmanaged, Drift{Kind: ExtraColumn, Table: want.Name, Name: c.Name, Got: c.Definition})
			}
		}
		gotIdx := map[string]PhysicalIndex{}
		for _, ix := range got.Indexes {
			gotIdx[ix.Name] = ix
		}
		wantIdx := map[string]bool{}
		for _, ix := range want.Indexes {
			wantIdx[ix.Name] = true
			g, ok := gotIdx[ix.Name]
			switch {
			case !ok:
				ds = append(ds, Drift{Kind: MissingIndex, Table: want.Name, Name: ix.Name, Want: ix.Definition})
			case !g.Valid:
				ds = append(ds, Drift{Kind: InvalidIndex, Table: want.Name, Name: ix.Name, Want: ix.Definition, Got: g.Definition + " (invalid)"})
			case g.Definition != ix.Definition:
				ds = append(ds, Drift{Kind: ChangedIndex, Table: want.Name, Name: ix.Name, Want: ix.Definition, Got: g.Definition})
			}
		}
		for _, ix := range got.Indexes {
			if !wantIdx[ix.Name] {
				unmanaged = append(unmanaged, Drift{Kind: ExtraIndex, Table: want.Name, Name: ix.Name, Got: ix.Definition})
			}
		}
		if len(ds) > 0 {
			byTable[want.Name] = ds
		}
	}
	for _, t := range physical.Tables {
		if !wantTables[t.Name] && !strings.HasPrefix(t.Name, catalogPrefix) {
			unmanaged = append(unmanaged, Drift{Kind: UnmanagedTable, Table: t.Name})
		}
	}
	sort.SliceStable(unmanaged, func(i, j int) bool {
		if unmanaged[i].Table != unmanaged[j].Table {
			return unmanaged[i].Table < unmanaged[j].Table
		}
		return unmanaged[i].Name < unmanaged[j].Name
	})
	return byTable, unmanaged
}
