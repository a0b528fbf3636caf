package sqlite

import (
	"slices"
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
	// One builder, not a slice of parts joined: Inspect and Expected
	// write this for every column of every table.
	var b strings.Builder
	n := len(ci.Type) + len(" PRIMARY KEY NOT NULL UNIQUE") + len(ci.Default) + len(ci.Generated) + len(ci.Collate) + 32
	for _, c := range ci.Checks {
		n += len(c) + len(" CHECK ()")
	}
	for _, r := range ci.Refs {
		n += len(r) + 1
	}
	b.Grow(n)
	b.WriteString(strings.ToUpper(ci.Type))
	if ci.PK {
		b.WriteString(" PRIMARY KEY")
	}
	if ci.NotNull {
		b.WriteString(" NOT NULL")
	}
	if ci.Default != "" {
		b.WriteString(" DEFAULT ")
		b.WriteString(defaultSQL(ci.Default))
	}
	if ci.Generated != "" {
		b.WriteString(" ")
		b.WriteString(ci.Generated)
	}
	if ci.Collate != "" && ci.Collate != "BINARY" {
		b.WriteString(" COLLATE ")
		b.WriteString(ci.Collate)
	}
	if ci.Unique {
		b.WriteString(" UNIQUE")
	}
	for _, c := range ci.Checks {
		b.WriteString(" CHECK (")
		b.WriteString(c)
		b.WriteString(")")
	}
	for _, r := range ci.Refs {
		b.WriteString(" ")
		b.WriteString(r)
	}
	return b.String()
}

// defaultSQL writes a normalised default as a DEFAULT clause takes it: a
// literal as it is, an expression in parentheses.
func defaultSQL(d string) string {
	if d != "" && canonicalInteger(d) {
		return d // one number token, as below
	}
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
	// indexDefinition of the quoted columns, written by one builder:
	// Expected writes this for every index of every table.
	var b strings.Builder
	n := len("UNIQUE ()")
	for _, c := range ix.columns {
		n += len(c) + 4
	}
	b.Grow(n)
	if ix.unique {
		b.WriteString("UNIQUE ")
	}
	b.WriteByte('(')
	for i, c := range ix.columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(c, `"`, `""`))
		b.WriteByte('"')
	}
	b.WriteByte(')')
	return b.String()
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

// expecter computes expected tables (Expected) with what recurs from
// table to table remembered: the canonical CHECK expressions and, above
// all, the definitions of attribute columns, which depend on the
// attribute alone (attributeColumn) and recur in every extension of a
// generated or copied schema. It is not safe for concurrent use.
type expecter struct {
	canon   map[string]string    // canonCheck by expression
	columns map[columnKey]string // definition by what makes the column
}

// columnKey is what a managed column's definition depends on: for an
// attribute's column, the fields of the attribute that attributeColumn
// reads; for customer_id and record_id (fixed set), the table's kind.
type columnKey struct {
	fixed                       bool
	name                        string // model.Attribute.Name; the column's for a fixed one
	typ                         model.Type
	length                      int
	hasDefault                  bool
	dflt                        string
	mandatory, multi, isProfile bool
}

func newExpecter() *expecter {
	return &expecter{canon: map[string]string{}, columns: map[columnKey]string{}}
}

// canonCheck is canonCheck, remembered.
func (e *expecter) canonCheck(expr string) string {
	c, ok := e.canon[expr]
	if !ok {
		c = canonCheck(expr)
		e.canon[expr] = c
	}
	return c
}

// definition is c.info(e.canonCheck).definition(), remembered under key.
func (e *expecter) definition(key columnKey, c func() column) string {
	d, ok := e.columns[key]
	if !ok {
		d = c().info(e.canonCheck).definition()
		e.columns[key] = d
	}
	return d
}

// table is the physical table that a declared table should be: its
// columns (those of columnsOf) and managed indexes, each in name order.
func (e *expecter) table(t model.Table) plan.PhysicalTable {
	pt := plan.PhysicalTable{Name: t.Name, Columns: make([]plan.PhysicalColumn, 0, len(t.Attributes)+2)}
	multi, isProfile := t.MultiValued(), t.Name == model.ProfileTable
	fixed := func() []column { return columnsOf(model.Table{Name: t.Name, Extension: t.Extension}) }
	for i, name := range fixedColumnNames(multi) {
		def := e.definition(columnKey{fixed: true, name: name, multi: multi, isProfile: isProfile}, func() column { return fixed()[i] })
		pt.Columns = append(pt.Columns, plan.PhysicalColumn{Name: name, Definition: def})
	}
	for _, a := range t.Attributes {
		key := columnKey{name: a.Name, typ: a.Type, length: a.Length, hasDefault: a.Default != nil, mandatory: a.Mandatory}
		if a.Default != nil {
			key.dflt = *a.Default
		}
		def := e.definition(key, func() column { return attributeColumn(a) })
		pt.Columns = append(pt.Columns, plan.PhysicalColumn{Name: a.Column(), Definition: def})
	}
	slices.SortFunc(pt.Columns, func(a, b plan.PhysicalColumn) int { return strings.Compare(a.Name, b.Name) })
	for _, ix := range indexesOf(t) {
		pt.Indexes = append(pt.Indexes, plan.PhysicalIndex{Name: ix.name, Definition: ix.definition(), Valid: true})
	}
	return pt
}

// fixedColumnNames are the names of the columns that columnsOf puts
// before the attributes' ones.
func fixedColumnNames(multi bool) []string {
	if multi {
		return []string{model.CustomerIDColumn, model.RecordIDColumn}
	}
	return []string{model.CustomerIDColumn}
}
