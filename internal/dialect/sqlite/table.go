package sqlite

import (
	"sort"
	"strconv"
	"strings"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// column is one column of a managed table as ctxschema creates it. Render
// writes its SQL and Expected its normalised definition, so the two never
// disagree.
type column struct {
	name    string
	typ     string // declared SQLite type
	pk      bool
	notNull bool
	dflt    string   // SQL literal of the default, "" for none
	checks  []string // CHECK expressions
	// refTable and refColumn are the foreign key target, "" for none; the
	// reference is always ON DELETE CASCADE.
	refTable, refColumn string
}

// sqlType is the declared SQLite type of an attribute type (SPEC section 3).
func sqlType(t model.Type) string {
	switch t {
	case model.Integer, model.Long, model.Boolean:
		return "INTEGER"
	case model.Double:
		return "REAL"
	}
	// string, date, datetime; currency too, as canonical decimal text with
	// a CHECK (currencyCheck): NUMERIC would keep 15 significant digits.
	return "TEXT"
}

// literal is the SQL literal of an attribute's default, or "" for none.
// Defaults are canonical (model.CanonicalDefault): numbers are written as
// they are, booleans as 0 and 1, strings, currencies (canonical decimal
// text), dates and datetimes (ISO 8601 text) quoted.
func literal(a model.Attribute) string {
	if a.Default == nil {
		return ""
	}
	d := *a.Default
	switch a.Type {
	case model.Integer, model.Long, model.Double:
		return d
	case model.Boolean:
		if b, _ := model.ParseBool(d); b {
			return "1"
		}
		return "0"
	}
	return quoteString(d)
}

func lengthCheck(col string, n int) string {
	return "length(" + quoteIdent(col) + ") <= " + strconv.Itoa(n)
}

func attributeColumn(a model.Attribute) column {
	c := column{name: a.Column(), typ: sqlType(a.Type), notNull: a.Mandatory, dflt: literal(a)}
	switch a.Type {
	case model.String:
		if a.Length > 0 {
			c.checks = append(c.checks, lengthCheck(c.name, a.Length))
		}
	case model.Boolean:
		c.checks = append(c.checks, quoteIdent(c.name)+" IN (0, 1)")
	case model.Currency:
		c.checks = append(c.checks, currencyCheck(c.name))
	}
	return c
}

// columnsOf lists the columns of a managed table in creation order:
// customer_id, record_id for a multi-valued extension, then one per
// attribute.
func columnsOf(t model.Table) []column {
	cid := column{
		name: model.CustomerIDColumn, typ: "TEXT", notNull: true, pk: !t.MultiValued(),
		checks: []string{lengthCheck(model.CustomerIDColumn, model.CustomerIDLength)},
	}
	if t.Name != model.ProfileTable {
		cid.refTable, cid.refColumn = model.ProfileTable, model.CustomerIDColumn
	}
	cols := []column{cid}
	if t.MultiValued() {
		// INTEGER PRIMARY KEY makes record_id the rowid: SQLite assigns
		// it on insert, and it never holds NULL (PRAGMA table_info still
		// reports notnull=0 for it).
		cols = append(cols, column{name: model.RecordIDColumn, typ: "INTEGER", pk: true})
	}
	for _, a := range t.Attributes {
		cols = append(cols, attributeColumn(a))
	}
	return cols
}

// addable reports whether ALTER TABLE ADD COLUMN accepts the column's
// default: SQLite refuses a parenthesised expression there, which is how
// quoteString writes a string with a control character.
func (c column) addable() bool { return !strings.HasPrefix(c.dflt, "(") }

// sql is the column's definition in CREATE TABLE and ADD COLUMN.
func (c column) sql() string {
	var b strings.Builder
	b.WriteString(quoteIdent(c.name) + " " + c.typ)
	if c.notNull {
		b.WriteString(" NOT NULL")
	}
	if c.pk {
		b.WriteString(" PRIMARY KEY")
	}
	if c.dflt != "" {
		b.WriteString(" DEFAULT " + c.dflt)
	}
	for _, chk := range c.checks {
		b.WriteString(" CHECK (" + chk + ")")
	}
	if c.refTable != "" {
		b.WriteString(" REFERENCES " + quoteIdent(c.refTable) + " (" + quoteIdent(c.refColumn) + ") ON DELETE CASCADE")
	}
	return b.String()
}

// info is the column as Inspect would read it back; canon is
// canonCheck, or a memo of it.
func (c column) info(canon func(string) string) columnInfo {
	ci := columnInfo{Type: c.typ, PK: c.pk, NotNull: c.notNull, Default: normDefault(c.dflt)}
	for _, chk := range c.checks {
		ci.Checks = append(ci.Checks, canon(chk))
	}
	if c.refTable != "" {
		ci.Refs = []string{refDefinition(c.refTable, c.refColumn, "CASCADE", "NO ACTION")}
	}
	return ci
}

// columnInfo is everything about a column that is compared for drift, in
// canonical form.
type columnInfo struct {
	Type    string
	PK      bool
	NotNull bool
	Default string // normDefault text, "" for none
	Collate string
	Unique  bool
	Checks  []string
	Refs    []string
	// Generated is the GENERATED ALWAYS AS clause of a generated column.
	Generated string
}

// definition renders the column info as the Definition of a
// plan.PhysicalColumn. It is valid SQL for a column definition (after the
// column name), so that it reads naturally in a drift report:
//
//	TEXT NOT NULL DEFAULT 'x' CHECK (length("name") <= 64)
func (ci columnInfo) definition() string {
	parts := []string{strings.ToUpper(ci.Type)}
	if ci.PK {
		parts = append(parts, "PRIMARY KEY")
	}
	if ci.NotNull {
		parts = append(parts, "NOT NULL")
	}
	if ci.Default != "" {
		parts = append(parts, "DEFAULT "+defaultSQL(ci.Default))
	}
	if ci.Generated != "" {
		parts = append(parts, ci.Generated)
	}
	if ci.Collate != "" && ci.Collate != "BINARY" {
		parts = append(parts, "COLLATE "+ci.Collate)
	}
	if ci.Unique {
		parts = append(parts, "UNIQUE")
	}
	for _, c := range ci.Checks {
		parts = append(parts, "CHECK ("+c+")")
	}
	parts = append(parts, ci.Refs...)
	return strings.Join(parts, " ")
}

// defaultSQL writes a normalised default as a DEFAULT clause takes it: a
// literal as it is, an expression in parentheses.
func defaultSQL(d string) string {
	ts := tokenize(d)
	if len(ts) == 2 && (ts[0].punct("-") || ts[0].punct("+")) && ts[1].kind == tokNumber {
		ts = ts[1:]
	}
	if len(ts) == 1 {
		switch t := ts[0]; {
		case t.kind == tokString, t.kind == tokNumber, t.kind == tokBlob,
			t.is("CURRENT_TIME"), t.is("CURRENT_DATE"), t.is("CURRENT_TIMESTAMP"):
			return d
		}
	}
	return "(" + d + ")"
}

func refDefinition(table, col, onDelete, onUpdate string) string {
	s := "REFERENCES " + quoteIdent(strings.ToLower(table))
	if col != "" {
		s += " (" + quoteIdent(strings.ToLower(col)) + ")"
	}
	if d := strings.ToUpper(onDelete); d != "" && d != "NO ACTION" {
		s += " ON DELETE " + d
	}
	if u := strings.ToUpper(onUpdate); u != "" && u != "NO ACTION" {
		s += " ON UPDATE " + u
	}
	return s
}

// index is one managed index: an identification key's or a unique item's.
type index struct {
	name    string
	table   string
	unique  bool
	columns []string
}

// indexesOf lists the managed indexes of a table in name order: its keys'
// ik_ indexes and, for a multi-valued extension, its unique items' ux_
// indexes over (customer_id, item columns), or without items its cx_ index
// over customer_id.
func indexesOf(t model.Table) []index {
	var out []index
	for _, k := range t.Keys {
		out = append(out, keyIndex(k))
	}
	if ix, ok := customerIndex(t); ok {
		out = append(out, ix)
	}
	for name, item := range t.UniqueIndexes() {
		out = append(out, index{name: name, table: t.Name, unique: true, columns: uniqueColumns(item)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func keyIndex(k model.Key) index {
	return index{name: k.Index(), table: model.KeyTable(k), unique: k.Unique, columns: lower(k.Attributes)}
}

// customerIndex is t's index over customer_id alone, if it has one
// (model.Table.CustomerIndex).
func customerIndex(t model.Table) (index, bool) {
	name, ok := t.CustomerIndex()
	if !ok {
		return index{}, false
	}
	return index{name: name, table: t.Name, columns: []string{model.CustomerIDColumn}}, true
}

func uniqueColumns(item []string) []string {
	return append([]string{model.CustomerIDColumn}, lower(item)...)
}

func lower(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.ToLower(n)
	}
	return out
}

// create is the CREATE INDEX statement of the index. It has no IF NOT
// EXISTS: the planner creates a managed index only where none of its name
// exists (keys and unique items are created after every rebuild, whose
// table states do not hold them yet), so an index that is there already
// was made by hand, and adopting it silently would touch an object
// ctxschema did not create; the statement fails instead.
func (ix index) create() string {
	s := "CREATE "
	if ix.unique {
		s += "UNIQUE "
	}
	s += "INDEX "
	return s + quoteIdent(ix.name) + " ON " + quoteIdent(ix.table) + " " + columnList(ix.columns)
}

func columnList(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = quoteIdent(c)
	}
	return "(" + strings.Join(q, ", ") + ")"
}

// definition renders the index as the Definition of a plan.PhysicalIndex:
// UNIQUE ("customer_id", "phonenumber").
func (ix index) definition() string {
	q := make([]string, len(ix.columns))
	for i, c := range ix.columns {
		q[i] = quoteIdent(c)
	}
	return indexDefinition(ix.unique, q, "")
}

func indexDefinition(unique bool, cols []string, where string) string {
	s := ""
	if unique {
		s = "UNIQUE "
	}
	s += "(" + strings.Join(cols, ", ") + ")"
	if where != "" {
		s += " WHERE " + where
	}
	return s
}

// canonCheck is the canonical text of a CHECK expression, as Inspect
// reads it back.
func canonCheck(expr string) string { return canonExpr(tokenize(expr)) }

// memoCanon returns canonCheck memoised: the same checks (customer_id's
// length, a boolean's values, common lengths) recur in every table.
func memoCanon() func(string) string {
	memo := map[string]string{}
	return func(expr string) string {
		c, ok := memo[expr]
		if !ok {
			c = canonCheck(expr)
			memo[expr] = c
		}
		return c
	}
}

// expectedTable is the physical table that a declared table should be;
// canon canonicalises CHECK expressions (canonCheck or memoCanon).
func expectedTable(t model.Table, canon func(string) string) plan.PhysicalTable {
	pt := plan.PhysicalTable{Name: t.Name}
	for _, c := range columnsOf(t) {
		pt.Columns = append(pt.Columns, plan.PhysicalColumn{Name: c.name, Definition: c.info(canon).definition()})
	}
	sort.Slice(pt.Columns, func(i, j int) bool { return pt.Columns[i].Name < pt.Columns[j].Name })
	for _, ix := range indexesOf(t) {
		pt.Indexes = append(pt.Indexes, plan.PhysicalIndex{Name: ix.name, Definition: ix.definition(), Valid: true})
	}
	return pt
}
