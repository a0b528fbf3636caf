package plan

import (
	"sort"
	"strings"

	"github.com/ctxschema/ctxschema/internal/model"
)

// catalogPrefix marks ctxschema's own tables, which are never drift.
const catalogPrefix = model.CatalogPrefix

// driftOf compares what the catalog expects with what the database holds.
// It returns the differences per managed table (to repair) and the objects
// ctxschema did not create (to list, never to touch). Columns and indexes
// are compared by name, so column order never counts as drift.
func driftOf(expected, physical Physical) (byTable map[string][]Drift, unmanaged []Drift) {
	got := make(map[string]PhysicalTable, len(physical.Tables))
	for _, t := range physical.Tables {
		if _, dup := got[t.Name]; !dup {
			got[t.Name] = t
		}
	}
	byTable = map[string][]Drift{}
	managed := make(map[string]bool, len(expected.Tables))
	for _, want := range expected.Tables {
		managed[want.Name] = true
		g, ok := got[want.Name]
		if !ok {
			byTable[want.Name] = []Drift{{Kind: MissingTable, Table: want.Name}}
			continue
		}
		ds, extra := tableDrift(want, g)
		if len(ds) > 0 {
			byTable[want.Name] = ds
		}
		unmanaged = append(unmanaged, extra...)
	}
	for _, t := range physical.Tables {
		if !managed[t.Name] && !strings.HasPrefix(t.Name, catalogPrefix) {
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

// tableDrift compares one managed table's expected and inspected columns
// and indexes: what differs, and what is there that ctxschema did not make.
func tableDrift(want, got PhysicalTable) (ds, extra []Drift) {
	if undrifted(want, got) {
		return nil, nil // the common case, without the maps below
	}
	d := func(k DriftKind, name, w, g string) Drift {
		return Drift{Kind: k, Table: want.Name, Name: name, Want: w, Got: g}
	}
	gotCols := make(map[string]string, len(got.Columns))
	for _, c := range got.Columns {
		gotCols[c.Name] = c.Definition
	}
	wantCols := make(map[string]bool, len(want.Columns))
	for _, c := range want.Columns {
		wantCols[c.Name] = true
		switch def, ok := gotCols[c.Name]; {
		case !ok:
			ds = append(ds, d(MissingColumn, c.Name, c.Definition, ""))
		case def != c.Definition:
			ds = append(ds, d(ChangedColumn, c.Name, c.Definition, def))
		}
	}
	for _, c := range got.Columns {
		if !wantCols[c.Name] {
			extra = append(extra, d(ExtraColumn, c.Name, "", c.Definition))
		}
	}
	gotIdx := make(map[string]PhysicalIndex, len(got.Indexes))
	for _, ix := range got.Indexes {
		gotIdx[ix.Name] = ix
	}
	wantIdx := make(map[string]bool, len(want.Indexes))
	for _, ix := range want.Indexes {
		wantIdx[ix.Name] = true
		switch g, ok := gotIdx[ix.Name]; {
		case !ok:
			ds = append(ds, d(MissingIndex, ix.Name, ix.Definition, ""))
		case !g.Valid:
			ds = append(ds, d(InvalidIndex, ix.Name, ix.Definition, g.Definition+" (invalid)"))
		case g.Definition != ix.Definition:
			ds = append(ds, d(ChangedIndex, ix.Name, ix.Definition, g.Definition))
		}
	}
	for _, ix := range got.Indexes {
		if !wantIdx[ix.Name] {
			extra = append(extra, d(ExtraIndex, ix.Name, "", ix.Definition))
		}
	}
	return ds, extra
}

// undrifted reports whether got holds exactly the columns and valid
// indexes of want, in the same order: a table without drift, as a
// database that ctxschema alone changed gives it.
func undrifted(want, got PhysicalTable) bool {
	if len(want.Columns) != len(got.Columns) || len(want.Indexes) != len(got.Indexes) {
		return false
	}
	for i, c := range want.Columns {
		if g := got.Columns[i]; g.Name != c.Name || g.Definition != c.Definition {
			return false
		}
	}
	for i, ix := range want.Indexes {
		if g := got.Indexes[i]; g.Name != ix.Name || g.Definition != ix.Definition || !g.Valid {
			return false
		}
	}
	return true
}
