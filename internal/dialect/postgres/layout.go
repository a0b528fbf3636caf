package postgres

import (
	"sort"
	"strconv"
	"strings"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// The physical layout (SPEC section 3) and the normalised definitions that
// Expected writes and Inspect reads back. A column's Definition is
//
//	<type>[ not null][ default <literal>][ generated ...][ primary key][ references <table>(<col>)[ on delete ...]]
//
// with types as DDL writes them (varchar(n), timestamptz) and defaults in
// their canonical form (model.CanonicalDefault) as a SQL literal. An index's
// Definition is "[unique ](col, col)" for a plain btree index over columns,
// and the tail of pg_get_indexdef for anything else (which then never
// equals what Expected wants).

// customerIDType is the type of customer_id in every table.
var customerIDType = "varchar(" + strconv.Itoa(model.CustomerIDLength) + ")"

// columnType is the PostgreSQL type of an attribute, as DDL writes it.
func columnType(a model.Attribute) string {
	switch a.Type {
	case model.String:
		n := a.Length
		if n <= 0 {
			n = model.DefaultStringLength
		}
		return "varchar(" + strconv.Itoa(n) + ")"
	case model.Integer:
		return "integer"
	case model.Long:
		return "bigint"
	case model.Double:
		return "double precision"
	case model.Date:
		return "date"
	case model.DateTime:
		return "timestamptz"
	case model.Currency:
		return "numeric(19,4)"
	case model.Boolean:
		return "boolean"
	}
	return "text"
}

// attributeOfType is the inverse of columnType for normalised physical
// types; ok is false for types ctxschema never creates.
func attributeOfType(t string) (model.Attribute, bool) {
	switch t {
	case "integer":
		return model.Attribute{Type: model.Integer}, true
	case "bigint":
		return model.Attribute{Type: model.Long}, true
	case "double precision":
		return model.Attribute{Type: model.Double}, true
	case "date":
		return model.Attribute{Type: model.Date}, true
	case "timestamptz":
		return model.Attribute{Type: model.DateTime}, true
	case "numeric(19,4)":
		return model.Attribute{Type: model.Currency}, true
	case "boolean":
		return model.Attribute{Type: model.Boolean}, true
	}
	if rest, ok := strings.CutPrefix(t, "varchar("); ok {
		if n, err := strconv.Atoi(strings.TrimSuffix(rest, ")")); err == nil && strings.HasSuffix(rest, ")") {
			return model.Attribute{Type: model.String, Length: n}, true
		}
	}
	return model.Attribute{}, false
}

// normaliseType writes a format_type() result as DDL writes it.
func normaliseType(t string) string {
	for long, short := range map[string]string{
		"character varying":           "varchar",
		"timestamp with time zone":    "timestamptz",
		"timestamp without time zone": "timestamp",
	} {
		if rest, ok := strings.CutPrefix(t, long); ok {
			return short + rest
		}
	}
	return t
}

// literal writes a canonical default of type t as a SQL literal.
func literal(t model.Type, canonical string) string {
	switch t {
	case model.Integer, model.Long, model.Double, model.Currency, model.Boolean:
		return canonical
	}
	return quoteLiteral(canonical)
}

// colDef is a column's definition, the parts that drift is checked on.
type colDef struct {
	typ       string
	notNull   bool
	dflt      string // SQL literal, or the raw expression; "" for none
	generated string // "generated always as identity", ...
	pk        string // "primary key" or "primary key (a, b)"
	refs      []string
}

func (c colDef) String() string {
	parts := []string{c.typ}
	if c.notNull {
		parts = append(parts, "not null")
	}
	if c.dflt != "" {
		parts = append(parts, "default "+c.dflt)
	}
	if c.generated != "" {
		parts = append(parts, c.generated)
	}
	if c.pk != "" {
		parts = append(parts, c.pk)
	}
	parts = append(parts, c.refs...)
	return strings.Join(parts, " ")
}

const (
	identityDef = "generated always as identity"
	primaryKey  = "primary key"
)

// profileRef is how a column's reference to the profile reads.
var profileRef = "references " + model.ProfileTable + "(" + model.CustomerIDColumn + ") on delete cascade"

// attributeDef is the definition of an attribute's column.
func attributeDef(a model.Attribute) colDef {
	c := colDef{typ: columnType(a), notNull: a.Mandatory}
	if a.Default != nil {
		c.dflt = literal(a.Type, *a.Default)
	}
	return c
}

// systemColumn is customer_id or record_id in a table's layout.
type systemColumn struct {
	name string
	def  colDef
}

// systemColumns are the columns a table has before its attributes.
func systemColumns(t model.Table) []systemColumn {
	switch {
	case t.Extension == nil:
		return []systemColumn{{model.CustomerIDColumn, colDef{typ: customerIDType, notNull: true, pk: primaryKey}}}
	case t.MultiValued():
		return []systemColumn{
			{model.RecordIDColumn, colDef{typ: "bigint", notNull: true, generated: identityDef, pk: primaryKey}},
			{model.CustomerIDColumn, colDef{typ: customerIDType, notNull: true, refs: []string{profileRef}}},
		}
	}
	return []systemColumn{{model.CustomerIDColumn, colDef{typ: customerIDType, notNull: true, pk: primaryKey, refs: []string{profileRef}}}}
}

// tableIndex is one index of a table's layout.
type tableIndex struct {
	name    string
	unique  bool
	columns []string
}

func (ix tableIndex) definition() string {
	s := "(" + strings.Join(ix.columns, ", ") + ")"
	if ix.unique {
		s = "unique " + s
	}
	return s
}

// tableIndexes are the indexes of t: the unique indexes of a multi-valued
// extension in declared order (or, without items, its index over
// customer_id), then the keys' indexes.
func tableIndexes(t model.Table) []tableIndex {
	var out []tableIndex
	if t.MultiValued() {
		for _, item := range t.Extension.Unique {
			out = append(out, uniqueIndex(t.Extension.Name, item))
		}
	}
	if name, ok := t.CustomerIndex(); ok {
		out = append(out, customerIndex(name))
	}
	for _, k := range t.Keys {
		out = append(out, keyIndex(k))
	}
	return out
}

func uniqueIndex(ext string, item []string) tableIndex {
	return tableIndex{name: model.UniqueIndex(ext, item), unique: true, columns: append([]string{model.CustomerIDColumn}, columns(item)...)}
}

// customerIndex is the index over customer_id alone called name
// (model.Table.CustomerIndex).
func customerIndex(name string) tableIndex {
	return tableIndex{name: name, columns: []string{model.CustomerIDColumn}}
}

func keyIndex(k model.Key) tableIndex {
	return tableIndex{name: k.Index(), unique: k.Unique, columns: columns(k.Attributes)}
}

// columns are the physical columns of attribute names.
func columns(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.ToLower(n)
	}
	return out
}

// Expected implements dialect.Dialect: the layout SPEC section 3 demands
// for s, with tables, columns and indexes sorted by name as Inspect sorts
// them.
func (*Dialect) Expected(s *model.Schema) plan.Physical {
	var p plan.Physical
	for _, t := range s.Tables() {
		p.Tables = append(p.Tables, expectedTable(t))
	}
	sortPhysical(&p)
	return p
}

func expectedTable(t model.Table) plan.PhysicalTable {
	pt := plan.PhysicalTable{Name: t.Name}
	for _, c := range systemColumns(t) {
		pt.Columns = append(pt.Columns, plan.PhysicalColumn{Name: c.name, Definition: c.def.String()})
	}
	for _, a := range t.Attributes {
		pt.Columns = append(pt.Columns, plan.PhysicalColumn{Name: a.Column(), Definition: attributeDef(a).String()})
	}
	for _, ix := range tableIndexes(t) {
		pt.Indexes = append(pt.Indexes, plan.PhysicalIndex{Name: ix.name, Definition: ix.definition(), Valid: true})
	}
	return pt
}

func sortPhysical(p *plan.Physical) {
	sort.Slice(p.Tables, func(i, j int) bool { return p.Tables[i].Name < p.Tables[j].Name })
	for _, t := range p.Tables {
		sort.Slice(t.Columns, func(i, j int) bool { return t.Columns[i].Name < t.Columns[j].Name })
		sort.Slice(t.Indexes, func(i, j int) bool { return t.Indexes[i].Name < t.Indexes[j].Name })
	}
}
