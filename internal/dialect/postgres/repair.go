package postgres

import (
	"fmt"
	"strings"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// repair makes a table match the catalog again: a missing table is created
// whole (with every index); otherwise missing columns are added, drifted
// columns altered, and missing, changed or invalid indexes built again.
// Objects the catalog does not know (extra columns and indexes, unmanaged
// tables) are never touched.
//
// An invalid index is what a failed CREATE INDEX CONCURRENTLY leaves
// behind: PostgreSQL keeps updating it on every write but never uses it,
// and a unique one still rejects duplicates among new rows, so it is
// dropped and built again rather than left in place.
func (r *renderer) repair(c plan.RepairTable) {
	t := c.Table
	if t.Name == "" {
		t.Name = model.ProfileTable
	}
	for _, d := range c.Drift {
		if d.Kind == plan.MissingTable {
			r.createTable(t, true)
			return
		}
	}
	indexes := map[string]tableIndex{}
	for _, ix := range tableIndexes(t) {
		indexes[ix.name] = ix
	}
	var rebuild []tableIndex
	for _, d := range c.Drift {
		switch d.Kind {
		case plan.MissingColumn:
			r.addColumn(t, d.Name)
		case plan.ChangedColumn:
			r.repairColumn(t, d)
		case plan.MissingIndex, plan.ChangedIndex, plan.InvalidIndex:
			ix, ok := indexes[d.Name]
			if !ok {
				r.err = fmt.Errorf("postgres: cannot repair index %q: table %q has no such index", d.Name, t.Name)
				continue
			}
			if d.Kind != plan.MissingIndex {
				r.exec("DROP INDEX IF EXISTS " + quoteIdent(d.Name))
			}
			rebuild = append(rebuild, ix)
		}
	}
	// Indexes last: they may cover a column added above.
	for _, ix := range rebuild {
		r.buildIndex(t.Name, ix, false)
	}
}

// columnOf finds a column of t's layout: a system column (ddl set) or an
// attribute.
func columnOf(t model.Table, name string) (sys *systemColumn, attr *model.Attribute) {
	for _, c := range systemColumns(t) {
		if c.name == name {
			return &c, nil
		}
	}
	for _, a := range t.Attributes {
		if a.Column() == name {
			return nil, &a
		}
	}
	return nil, nil
}

func (r *renderer) addColumn(t model.Table, name string) {
	sys, attr := columnOf(t, name)
	switch {
	case attr != nil:
		r.exec("ALTER TABLE " + quoteIdent(t.Name) + " ADD COLUMN " + columnDDL(*attr))
	case sys != nil:
		r.exec("ALTER TABLE " + quoteIdent(t.Name) + " ADD COLUMN " + systemDDL(*sys))
		r.blockIf(t.Name) // an identity or NOT NULL column fills every row
	default:
		r.err = fmt.Errorf("postgres: cannot repair column %q: table %q has no such column", name, t.Name)
	}
}

// repairColumn alters a column whose definition drifted back to the one the
// catalog wants: type, default and nullability, and a missing primary or
// foreign key of customer_id. An identity that was removed is not restored
// (the sequence would collide with the stored ids).
func (r *renderer) repairColumn(t model.Table, d plan.Drift) {
	sys, attr := columnOf(t, d.Name)
	var want colDef
	switch {
	case attr != nil:
		want = attributeDef(*attr)
	case sys != nil:
		want = sys.def
	default:
		r.err = fmt.Errorf("postgres: cannot repair column %q: table %q has no such column", d.Name, t.Name)
		return
	}
	got := parseDef(d.Got)
	col := quoteIdent(d.Name)
	var subs []string
	heavy := false
	if got.typ != want.typ {
		if got.dflt != "" {
			subs = append(subs, "ALTER COLUMN "+col+" DROP DEFAULT")
			got.dflt = ""
		}
		s := "ALTER COLUMN " + col + " TYPE " + want.typ
		if attr != nil {
			// The conversion of a type change, which Data.Unrepairable
			// checked the values against.
			from, expr := liveAttribute(col, got.typ)
			if u := using(expr, from, *attr); u != "" {
				s += " USING " + u
			} else if expr != col {
				s += " USING " + expr
			}
		} else {
			// A system column goes through text, so that a value that does
			// not read as the new type fails instead of being rounded or
			// truncated.
			s += " USING " + col + "::text"
			if want.typ != "text" && !strings.HasPrefix(want.typ, "varchar") {
				s += "::" + want.typ
			}
		}
		subs = append(subs, s)
		heavy = true
	}
	if got.dflt != want.dflt {
		if want.dflt != "" {
			subs = append(subs, "ALTER COLUMN "+col+" SET DEFAULT "+want.dflt)
		} else {
			subs = append(subs, "ALTER COLUMN "+col+" DROP DEFAULT")
		}
	}
	if got.notNull != want.notNull {
		if want.notNull {
			subs = append(subs, "ALTER COLUMN "+col+" SET NOT NULL")
			heavy = true
		} else {
			subs = append(subs, "ALTER COLUMN "+col+" DROP NOT NULL")
		}
	}
	if want.pk != "" && got.pk == "" {
		subs = append(subs, "ADD PRIMARY KEY ("+col+")")
		heavy = true
	}
	if len(want.refs) > 0 && !strings.Contains(d.Got, want.refs[0]) {
		subs = append(subs, "ADD FOREIGN KEY ("+col+") "+referencesDDL)
		heavy = true
	}
	if len(subs) == 0 {
		return
	}
	r.exec("ALTER TABLE " + quoteIdent(t.Name) + "\n  " + strings.Join(subs, ",\n  "))
	if heavy {
		r.blockIf(t.Name)
	}
}

// defMarkers start the parts of a definition after its type.
var defMarkers = []string{" not null", " default ", " generated ", " " + primaryKey, " references "}

// parseDef reads back the type, nullability, default and primary key of a
// definition written by colDef.String. The type ends at the first marker:
// no type name holds one, and nothing precedes the type.
func parseDef(def string) colDef {
	end := len(def)
	for _, m := range defMarkers {
		if i := strings.Index(def, m); i >= 0 && i < end {
			end = i
		}
	}
	c := colDef{typ: def[:end]}
	rest := def[end:]
	if s, ok := strings.CutPrefix(rest, " not null"); ok {
		c.notNull, rest = true, s
	}
	if s, ok := strings.CutPrefix(rest, " default "); ok {
		n := literalEnd(s)
		c.dflt, rest = s[:n], s[n:]
	}
	if s, ok := strings.CutPrefix(rest, " "+identityDef); ok {
		c.generated, rest = identityDef, s
	}
	if strings.HasPrefix(rest, " "+primaryKey) {
		c.pk = primaryKey
	}
	return c
}

// literalEnd is the length of the default at the start of s: a quoted
// literal, or everything up to the next marker.
func literalEnd(s string) int {
	if strings.HasPrefix(s, "'") || strings.HasPrefix(s, "E'") {
		i := strings.Index(s, "'") + 1
		for i < len(s) {
			switch {
			case s[i] == '\\' && s[0] == 'E':
				i += 2
				continue
			case s[i] == '\'' && i+1 < len(s) && s[i+1] == '\'':
				i += 2
				continue
			case s[i] == '\'':
				return i + 1
			}
			i++
		}
		return len(s)
	}
	end := len(s)
	for _, m := range defMarkers[2:] {
		if i := strings.Index(s, m); i >= 0 && i < end {
			end = i
		}
	}
	return end
}
