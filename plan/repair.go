package plan

import (
	"fmt"
	"sort"

	"github.com/ctxschema/ctxschema/internal/model"
)

// Drift is repaired in two places of a plan. Tables and columns come back
// early, under the names the catalog gives them, so that the changes after
// them find what they change. Indexes come back last, under the names the
// plan ends with, and only those of keys and unique items that the plan
// keeps as they are: an index the plan drops, creates or replaces anyway
// needs no repair.

// forgetMissing removes the tables and columns that drift says are missing
// from the live names, so that no data check or count queries them.
func (b *builder) forgetMissing(drift map[string][]Drift) {
	for table, ds := range drift {
		ext, ok := b.extNameOfTable(table)
		if !ok {
			continue
		}
		for _, d := range ds {
			switch d.Kind {
			case MissingTable:
				delete(b.liveTable, b.lower(ext))
				delete(b.liveCol, b.lower(ext))
			case MissingColumn:
				cols, _ := b.liveCols(b.lower(ext))
				for attr, col := range cols {
					if col == d.Name {
						delete(cols, attr)
					}
				}
			}
		}
	}
}

// extNameOfTable names the extension ("" for the profile) whose table is
// table in the current schema.
func (b *builder) extNameOfTable(table string) (string, bool) {
	if table == model.ProfileTable {
		return "", true
	}
	e, ok := b.extOfTable(table)
	return e.Name, ok
}

func sortedTables(drift map[string][]Drift) []string {
	names := make([]string, 0, len(drift))
	for n := range drift {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// tableRepairs brings back missing tables (with their indexes) and missing
// or changed columns, for the tables the plan keeps.
func (b *builder) tableRepairs(drift map[string][]Drift) {
	for _, n := range sortedTables(drift) {
		ext, ok := b.extNameOfTable(n)
		if !ok {
			continue // the extension is deleted anyway
		}
		var ds []Drift
		for _, d := range drift[n] {
			switch d.Kind {
			case MissingTable:
				ds = []Drift{d}
			case MissingColumn, ChangedColumn:
				if len(ds) == 0 || ds[0].Kind != MissingTable {
					ds = append(ds, d)
				}
			}
		}
		if len(ds) > 0 {
			b.add(RepairTable{Table: b.snapshot(ext), Drift: ds}, b.repairChecks(ext, ds)...)
		}
	}
}

// repairChecks runs the data checks of a column repair, the same as those
// of the change it undoes: a drifted column converts its values back to the
// attribute's type and length (the values a hand put there must convert
// without loss), becomes mandatory again (no NULLs), and a missing
// mandatory column without a default cannot be added over rows. A repair
// that cannot succeed is refused with counts and customer ids, never left
// to fail in the database with a stored value in the error.
func (b *builder) repairChecks(ext string, ds []Drift) []Hazard {
	var hs []Hazard
	for _, d := range ds {
		if d.Kind == ChangedColumn && d.Name == model.CustomerIDColumn {
			hs = append(hs, b.customerIDChecks(ext)...)
			continue
		}
		a, ok := attrOfColumn(*b.curAttrs(ext), d.Name)
		if !ok {
			continue // record_id
		}
		name := attrName(ext, a.Name)
		switch d.Kind {
		case ChangedColumn:
			hs = append(hs, b.check(ext, fmt.Sprintf("fails on values of %s, altered outside ctxschema, that do not convert back to %s", name, DescribeAttribute(a)), func(table string) (Finding, error) {
				return b.data.Unrepairable(b.ctx, table, d.Name, d.Got, a)
			}, func(Finding) string {
				return fmt.Sprintf("values of %s, altered outside ctxschema, do not convert back to %s; correct them first", name, DescribeAttribute(a))
			})...)
			if a.Mandatory {
				hs = append(hs, b.check(ext, fmt.Sprintf("fails on rows without a value for %s, which is mandatory", name), func(table string) (Finding, error) {
					return b.data.Nulls(b.ctx, table, d.Name)
				}, func(Finding) string {
					return fmt.Sprintf("rows have no value for %s, which is mandatory; fill them first", name)
				})...)
			}
		case MissingColumn:
			if a.Mandatory && a.Default == nil {
				hs = append(hs, b.check(ext, fmt.Sprintf("fails if the table holds rows: the missing mandatory attribute %s has no default", name), func(table string) (Finding, error) {
					n, err := b.data.Rows(b.ctx, table)
					return Finding{Rows: n}, err
				}, func(Finding) string {
					return fmt.Sprintf("rows would have no value for the missing mandatory attribute %s; give it a default or make it optional first", name)
				})...)
			}
		}
	}
	return hs
}

// customerIDChecks are the data checks of repairing a drifted customer_id:
// at most 16 characters, and unique where it is the primary key (every
// table but a multi-valued extension's).
func (b *builder) customerIDChecks(ext string) []Hazard {
	col := model.CustomerIDColumn
	hs := b.check(ext, fmt.Sprintf("fails on customer ids longer than %d characters", model.CustomerIDLength), func(table string) (Finding, error) {
		return b.data.TooLong(b.ctx, table, col, model.CustomerIDLength)
	}, func(Finding) string {
		return fmt.Sprintf("customer ids, altered outside ctxschema, are longer than %d characters", model.CustomerIDLength)
	})
	if ext == "" || b.curExt(ext).Type != model.MultiValued {
		hs = append(hs, b.check(ext, "fails on customer ids that repeat", func(table string) (Finding, error) {
			return b.data.Duplicates(b.ctx, table, []string{col}, false)
		}, func(Finding) string {
			return "customer ids, altered outside ctxschema, repeat where they must be unique"
		})...)
	}
	return hs
}

// attrOfColumn finds the attribute whose column is col.
func attrOfColumn(attrs []model.Attribute, col string) (model.Attribute, bool) {
	for _, a := range attrs {
		if a.Column() == col {
			return a, true
		}
	}
	return model.Attribute{}, false
}

// indexRepairs, at the end of the plan, brings back the missing, changed
// and invalid indexes of the keys and unique items that the plan keeps,
// under their final names.
func (b *builder) indexRepairs(drift map[string][]Drift) {
	final := map[string][]Drift{} // by final extension name ("" profile)
	var order []string
	for _, n := range sortedTables(drift) {
		if hasKind(drift[n], MissingTable) {
			continue // rebuilt whole, indexes included, by tableRepairs
		}
		for _, d := range drift[n] {
			switch d.Kind {
			case MissingIndex, ChangedIndex, InvalidIndex:
			default:
				continue
			}
			ext, name, ok := b.finalIndex(n, d.Name)
			if !ok {
				continue
			}
			if _, seen := final[b.lower(ext)]; !seen {
				order = append(order, ext)
			}
			d.Name = name
			d.Table = model.ProfileTable
			if ext != "" {
				d.Table = model.ExtensionTable(ext)
			}
			final[b.lower(ext)] = append(final[b.lower(ext)], d)
		}
	}
	for _, ext := range order {
		r := RepairTable{Table: b.snapshot(ext), Drift: final[b.lower(ext)]}
		b.add(r, b.indexRepairChecks(ext, r)...)
	}
}

// indexRepairChecks are the data checks of building unique indexes again,
// the same as those of creating them: a unique key or unique item over
// values that repeat cannot be built, and is refused with counts and
// customer ids rather than left to fail in the database.
func (b *builder) indexRepairChecks(ext string, r RepairTable) []Hazard {
	var hs []Hazard
	for _, u := range repairedUniques(r) {
		if u.key != nil {
			hs = append(hs, b.keyDuplicates(*u.key)...)
			continue
		}
		hs = append(hs, b.duplicates(ext, u.item, true, itemCheck(r.Table.Name, ext, u.item).What)...)
	}
	return hs
}

func hasKind(ds []Drift, k DriftKind) bool {
	for _, d := range ds {
		if d.Kind == k {
			return true
		}
	}
	return false
}

// finalIndex maps a live index of table to the extension ("" profile) and
// index name it has at the end of the plan, when the plan keeps its key or
// unique item unchanged.
func (b *builder) finalIndex(table, index string) (ext, name string, ok bool) {
	for _, k := range b.live.Keys {
		if k.Index() != index || model.KeyTable(k) != table {
			continue
		}
		if fate, _ := b.fateOf(k); fate != keySame && fate != keyUpdate {
			return "", "", false
		}
		d, _ := b.des.Key(k.Name)
		if d.OnProfile() {
			return "", d.Index(), true
		}
		return d.Source, d.Index(), true
	}
	for _, e := range b.live.Extensions {
		if e.Table() != table {
			continue
		}
		d, kept := b.desiredOf(e.Name)
		if !kept || d.Type != model.MultiValued {
			return "", "", false
		}
		if index == model.CustomerIndex(e.Name) {
			name, ok := model.Table{Extension: &d}.CustomerIndex()
			return d.Name, name, ok
		}
		for _, item := range e.Unique {
			if model.UniqueIndex(e.Name, item) != index {
				continue
			}
			names := make([]string, len(item))
			for i, a := range item {
				n, ok := b.desiredAttrName(b.lower(d.Name), a)
				if !ok {
					return "", "", false
				}
				names[i] = n
			}
			for _, di := range d.Unique {
				if model.SameItem(di, names) {
					return d.Name, model.UniqueIndex(d.Name, di), true
				}
			}
		}
	}
	return "", "", false
}
