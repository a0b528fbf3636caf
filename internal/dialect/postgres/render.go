package postgres

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// quoteIdent quotes an identifier for SQL, always.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quoteLiteral quotes a string literal. Like PostgreSQL's quote_literal it
// switches to an E'...' literal when the text holds a backslash, so that the
// result reads the same whatever standard_conforming_strings says; it also
// does for a control character, which it writes as an escape (\n, \x1B,
// \u009B): no SQL that ctxschema prints or runs holds one raw, so a default
// cannot inject a line or a terminal escape into a log or a terminal.
func quoteLiteral(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r == '\\' || unicode.IsControl(r) }) {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	var b strings.Builder
	b.WriteString("E'")
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\'':
			b.WriteString("''")
		case eEscapes[r] != 0:
			b.WriteByte('\\')
			b.WriteByte(eEscapes[r])
		case r < 0x80 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02X`, r)
		case unicode.IsControl(r):
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// eEscapes are the one-letter escapes of an E'...' literal.
var eEscapes = map[rune]byte{'\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't'}

// Render implements dialect.Dialect. It is pure: it reads the change, the
// table states it carries and the plan's row counts, never the database.
//
// Index builds on a table that holds rows (p.Rows > 0, or unknown for a
// table that exists before the plan) go to Rendered.After as CREATE INDEX
// CONCURRENTLY, which keeps writers running during the build but cannot run
// inside a transaction block; they run after the apply's transaction
// commits. Dropping the index they replace stays in the transaction. On new
// or empty tables indexes are built inside the transaction, which is
// faster and atomic.
func (*Dialect) Render(p *plan.Plan, step plan.Step) (dialect.Rendered, error) {
	r := &renderer{p: p, existing: step.Existing}
	switch c := step.Change.(type) {
	case plan.CreateProfile:
		t := c.Table
		t.Name, t.Extension = model.ProfileTable, nil
		r.createTable(t, false)
	case plan.CreateExtension:
		r.createTable(extensionTable(c.Table, c.Extension), false)
	case plan.DeleteExtension:
		r.exec("DROP TABLE IF EXISTS " + quoteIdent(model.ExtensionTable(c.Extension.Name)))
	case plan.RenameExtension:
		r.renameExtension(c)
	case plan.UpdateExtension:
		r.updateExtension(c)
	case plan.AddAttribute:
		r.exec("ALTER TABLE " + quoteIdent(attributeTable(c.Extension)) + " ADD COLUMN " + columnDDL(c.Attribute))
	case plan.DeleteAttribute:
		// DROP COLUMN also drops the indexes and table constraints
		// (CHECK, UNIQUE) that involve the column, those ctxschema did not
		// create included: an index made by hand over the column, even one
		// over other columns too, goes with it. This is the one place where
		// an unmanaged object is touched; PostgreSQL cannot keep an index
		// on a column that is gone, and the plan lists such an index as an
		// unmanaged object of the table. (Objects outside the table that
		// depend on the column, such as views, make the drop fail instead:
		// no CASCADE.) The managed indexes over the column were dropped as
		// their own changes before.
		r.exec("ALTER TABLE " + quoteIdent(attributeTable(c.Extension)) + " DROP COLUMN " + quoteIdent(c.Attribute.Column()))
	case plan.UpdateAttribute:
		r.alterColumn(attributeTable(c.Extension), c.From, c.To)
	case plan.RenameAttribute:
		r.renameAttribute(c)
	case plan.AddUnique:
		if t := r.extension(c.Table, c.Extension); t.MultiValued() {
			r.buildIndex(t.Name, uniqueIndex(t.Extension.Name, c.Item), false)
			if len(t.Extension.Unique) == 1 {
				// The first item's index leads with customer_id.
				r.exec("DROP INDEX IF EXISTS " + quoteIdent(model.CustomerIndex(t.Extension.Name)))
			}
		}
	case plan.DeleteUnique:
		if t := r.extension(c.Table, c.Extension); t.MultiValued() {
			r.buildCustomerIndex(t)
			r.exec("DROP INDEX IF EXISTS " + quoteIdent(model.UniqueIndex(t.Extension.Name, c.Item)))
		}
	case plan.CreateKey:
		r.buildIndex(model.KeyTable(c.Key), keyIndex(c.Key), false)
	case plan.DeleteKey:
		r.exec("DROP INDEX IF EXISTS " + quoteIdent(c.Key.Index()))
	case plan.ReplaceKey:
		r.exec("DROP INDEX IF EXISTS " + quoteIdent(c.From.Index()))
		r.buildIndex(model.KeyTable(c.To), keyIndex(c.To), false)
	case plan.UpdateKey:
		// Only the catalog records the case of names: the index stays.
	case plan.RepairTable:
		r.repair(c)
	default:
		return dialect.Rendered{}, fmt.Errorf("postgres: no SQL for a change of type %T", step.Change)
	}
	return r.out, r.err
}

// renderer collects the SQL of one step.
type renderer struct {
	p   *plan.Plan
	out dialect.Rendered
	err error
	// existing is the index the step's build finds in place (plan.Step's
	// Existing); an invalid one is dropped before the build.
	existing *plan.PhysicalIndex
}

func (r *renderer) exec(stmt string) { r.out.SQL = append(r.out.SQL, stmt) }

// hasRows reports whether table may hold rows when the step runs: as the
// plan measured it, or, when it did not, unless the plan creates the table.
// The plan records counts under the names the tables end with: a table
// that a later rename of its extension moves is looked up under its new
// name.
func (r *renderer) hasRows(table string) bool {
	if r.p == nil {
		return true
	}
	if n, ok := r.p.Rows[table]; ok {
		return n > 0
	}
	final := table
	for _, s := range r.p.Steps {
		if c, ok := s.Change.(plan.RenameExtension); ok && model.ExtensionTable(c.From.Name) == final {
			final = model.ExtensionTable(c.To.Name)
		}
	}
	if n, ok := r.p.Rows[final]; ok {
		return n > 0
	}
	for _, s := range r.p.Steps {
		switch c := s.Change.(type) {
		case plan.CreateProfile:
			if table == model.ProfileTable {
				return false
			}
		case plan.CreateExtension:
			if model.ExtensionTable(c.Extension.Name) == table {
				return false
			}
		case plan.RepairTable:
			for _, d := range c.Drift {
				if d.Kind == plan.MissingTable && c.Table.Name == table {
					return false
				}
			}
		}
	}
	return true
}

// blockIf marks the step blocking when table holds rows.
func (r *renderer) blockIf(table string) {
	if r.hasRows(table) {
		r.out.Blocking = true
	}
}

// attributeTable is the table of the profile (ext == "") or of an extension.
func attributeTable(ext string) string {
	if ext == "" {
		return model.ProfileTable
	}
	return model.ExtensionTable(ext)
}

// extensionTable completes a table state that a change may carry empty.
func extensionTable(t model.Table, e model.Extension) model.Table {
	if t.Extension == nil {
		t.Extension = &e
		t.Attributes = e.Attributes
	}
	t.Name = model.ExtensionTable(t.Extension.Name)
	return t
}

// extension returns the table state of extension ext: t when the change
// carries it, else as the plan's desired or current schema has it.
func (r *renderer) extension(t model.Table, ext string) model.Table {
	if t.Extension != nil {
		return t
	}
	if r.p != nil {
		for _, s := range []*model.Schema{r.p.Desired, r.p.Current} {
			if s == nil {
				continue
			}
			if e, ok := s.Extension(ext); ok {
				return extensionTable(model.Table{}, e)
			}
		}
	}
	r.err = fmt.Errorf("postgres: the change does not say what extension %q is", ext)
	return model.Table{Name: model.ExtensionTable(ext)}
}

// columnDDL is an attribute's column in CREATE TABLE or ADD COLUMN.
func columnDDL(a model.Attribute) string {
	s := quoteIdent(a.Column()) + " " + columnType(a)
	if a.Default != nil {
		s += " DEFAULT " + literal(a.Type, *a.Default)
	}
	if a.Mandatory {
		s += " NOT NULL"
	}
	return s
}

// systemDDL is a system column's definition in CREATE TABLE.
func systemDDL(c systemColumn) string {
	s := quoteIdent(c.name) + " " + c.def.typ
	switch {
	case c.def.generated != "":
		s += " GENERATED ALWAYS AS IDENTITY"
	case c.def.notNull:
		s += " NOT NULL"
	}
	if c.def.pk != "" {
		s += " PRIMARY KEY"
	}
	if len(c.def.refs) > 0 {
		s += " " + referencesDDL
	}
	return s
}

var referencesDDL = "REFERENCES " + quoteIdent(model.ProfileTable) + " (" + quoteIdent(model.CustomerIDColumn) + ") ON DELETE CASCADE"

// createTable creates t with its unique indexes, and with its keys'
// indexes when withKeys (a repair; new extensions get their keys from
// CreateKey steps). The table is new, so its indexes build in the
// transaction.
func (r *renderer) createTable(t model.Table, withKeys bool) {
	var cols []string
	for _, c := range systemColumns(t) {
		cols = append(cols, systemDDL(c))
	}
	for _, a := range t.Attributes {
		cols = append(cols, columnDDL(a))
	}
	r.exec("CREATE TABLE " + quoteIdent(t.Name) + " (\n  " + strings.Join(cols, ",\n  ") + "\n)")
	if !withKeys {
		t.Keys = nil
	}
	for _, ix := range tableIndexes(t) {
		r.buildIndex(t.Name, ix, true)
	}
}

// createIndex is the CREATE INDEX statement of ix on table.
func createIndex(table string, ix tableIndex, concurrently bool) string {
	s := "CREATE "
	if ix.unique {
		s += "UNIQUE "
	}
	s += "INDEX "
	if concurrently {
		s += "CONCURRENTLY "
	}
	cols := make([]string, len(ix.columns))
	for i, c := range ix.columns {
		cols[i] = quoteIdent(c)
	}
	return s + quoteIdent(ix.name) + " ON " + quoteIdent(table) + " (" + strings.Join(cols, ", ") + ")"
}

// buildIndex builds ix on table: concurrently after the transaction when
// the table may hold rows, in it when the table is new or empty.
//
// An invalid index of the same name, left by an interrupted online build,
// is dropped first, the same way as the build runs: it holds the name, and
// is useless anyway (never read by queries, yet updated on every write).
func (r *renderer) buildIndex(table string, ix tableIndex, fresh bool) {
	leftover := r.existing != nil && !r.existing.Valid && r.existing.Name == ix.name
	if !fresh && r.hasRows(table) {
		if leftover {
			r.out.After = append(r.out.After, "DROP INDEX CONCURRENTLY IF EXISTS "+quoteIdent(ix.name))
		}
		r.out.After = append(r.out.After, createIndex(table, ix, true))
		return
	}
	if leftover {
		r.exec("DROP INDEX IF EXISTS " + quoteIdent(ix.name))
	}
	r.exec(createIndex(table, ix, false))
}

// buildCustomerIndex builds t's index over customer_id alone when t, a
// table state within the plan, wants one and the plan ends with the table
// still wanting it. A table state in the middle of the plan may want it
// where the end does not (the last unique item dropped before a new one is
// added): a concurrent build, which runs after the transaction, would then
// bring back the index that a later step of the transaction dropped.
//
// A concurrent build runs after every step of the transaction, a rename of
// the extension included, so it builds the index under the table's and the
// index's final names.
func (r *renderer) buildCustomerIndex(t model.Table) {
	name, ok := t.CustomerIndex()
	if !ok {
		return
	}
	final, ok := r.finalCustomerIndex(t.Extension.Name)
	if !ok {
		return
	}
	if r.hasRows(t.Name) {
		r.out.After = append(r.out.After, createIndex(final.Table(), customerIndex(model.CustomerIndex(final.Name)), true))
		return
	}
	r.exec(createIndex(t.Name, customerIndex(name), false))
}

// finalCustomerIndex returns the extension called ext (as the steps of the
// plan call it up to the one rendered) as the plan ends with it, and
// whether it then has an index over customer_id alone: its desired table,
// found under the name the plan's renames give it, wants one. Without a
// plan, ext is taken as it is.
func (r *renderer) finalCustomerIndex(ext string) (model.Extension, bool) {
	if r.p == nil || r.p.Desired == nil {
		return model.Extension{Name: ext}, true
	}
	name := ext
	for _, s := range r.p.Steps {
		if c, ok := s.Change.(plan.RenameExtension); ok && strings.EqualFold(c.From.Name, name) {
			name = c.To.Name
		}
	}
	e, ok := r.p.Desired.Extension(name)
	if !ok {
		return model.Extension{}, false
	}
	_, want := extensionTable(model.Table{}, e).CustomerIndex()
	return e, want
}

// renameIndex renames a managed index to the name its new extension or
// attribute name gives it. The index may be missing: dropped by hand (the
// plan's repair builds it again, under its final name, at the end of the
// plan) or never built (an online build that had not finished or failed).
// IF EXISTS makes the rename a no-op then, instead of an error that would
// roll back the whole apply.
func (r *renderer) renameIndex(from, to string) {
	if from != to {
		r.exec("ALTER INDEX IF EXISTS " + quoteIdent(from) + " RENAME TO " + quoteIdent(to))
	}
}

// renameExtension renames the table and the unique indexes, whose names
// derive from the extension's. The primary key, foreign key and identity
// sequence keep the names PostgreSQL gave them at creation: nothing refers
// to them by name, and PostgreSQL picks free names for a new table that
// would collide with them.
func (r *renderer) renameExtension(c plan.RenameExtension) {
	from, to := model.ExtensionTable(c.From.Name), model.ExtensionTable(c.To.Name)
	if from != to {
		r.exec("ALTER TABLE " + quoteIdent(from) + " RENAME TO " + quoteIdent(to))
	}
	if c.From.Type == model.MultiValued {
		for _, item := range c.From.Unique {
			r.renameIndex(model.UniqueIndex(c.From.Name, item), model.UniqueIndex(c.To.Name, item))
		}
		if len(c.From.Unique) == 0 {
			r.renameIndex(model.CustomerIndex(c.From.Name), model.CustomerIndex(c.To.Name))
		}
	}
}

// updateExtension changes an extension's type. Single-valued and
// classifier tables have the same layout; only the move to or from
// multi-valued changes the primary key.
func (r *renderer) updateExtension(c plan.UpdateExtension) {
	table := model.ExtensionTable(c.To.Name)
	fromMulti, toMulti := c.From.Type == model.MultiValued, c.To.Type == model.MultiValued
	switch {
	case !fromMulti && toMulti:
		// The primary key moves from customer_id to a new record_id. Its
		// constraint is found by the server, whatever it is called (a
		// renamed table keeps its constraint's first name).
		r.exec(`DO $$
DECLARE c name;
BEGIN
  SELECT conname INTO c FROM pg_constraint WHERE conrelid = ` + quoteLiteral(quoteIdent(table)) + `::regclass AND contype = 'p';
  IF c IS NOT NULL THEN
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', ` + quoteLiteral(table) + `, c);
  END IF;
END
$$`)
		// Adding an identity column numbers the existing rows: a rewrite.
		r.exec("ALTER TABLE " + quoteIdent(table) +
			"\n  ADD COLUMN " + quoteIdent(model.RecordIDColumn) + " bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY," +
			"\n  ALTER COLUMN " + quoteIdent(model.CustomerIDColumn) + " SET NOT NULL")
		r.blockIf(table)
		for _, item := range c.To.Unique {
			r.buildIndex(table, uniqueIndex(c.To.Name, item), false)
		}
		r.buildCustomerIndex(extensionTable(model.Table{}, c.To))
	case fromMulti && !toMulti:
		for _, item := range c.From.Unique {
			r.exec("DROP INDEX IF EXISTS " + quoteIdent(model.UniqueIndex(c.From.Name, item)))
		}
		if len(c.From.Unique) == 0 {
			// The primary key over customer_id replaces it.
			r.exec("DROP INDEX IF EXISTS " + quoteIdent(model.CustomerIndex(c.From.Name)))
		}
		// The new primary key's index is built under the table's lock; the
		// planner checked that no customer holds two records.
		r.exec("ALTER TABLE " + quoteIdent(table) +
			"\n  DROP COLUMN " + quoteIdent(model.RecordIDColumn) + "," +
			"\n  ADD PRIMARY KEY (" + quoteIdent(model.CustomerIDColumn) + ")")
		r.blockIf(table)
	}
}

// renameAttribute renames the column and the unique indexes whose names
// derive from the attribute's.
func (r *renderer) renameAttribute(c plan.RenameAttribute) {
	table := attributeTable(c.Extension)
	if c.From.Column() != c.To.Column() {
		r.exec("ALTER TABLE " + quoteIdent(table) + " RENAME COLUMN " + quoteIdent(c.From.Column()) + " TO " + quoteIdent(c.To.Column()))
	}
	if c.Extension == "" {
		return
	}
	// The items as they were, from the table before the change, or from the
	// table after it with the new name turned back into the old.
	ext, items := c.Before.Extension, [][]string(nil)
	switch {
	case ext != nil:
		items = ext.Unique
	case c.After.Extension != nil:
		ext = c.After.Extension
		for _, it := range ext.Unique {
			items = append(items, renamed(it, c.To.Name, c.From.Name))
		}
	default:
		return
	}
	if ext.Type != model.MultiValued {
		return
	}
	for _, it := range items {
		r.renameIndex(model.UniqueIndex(ext.Name, it), model.UniqueIndex(ext.Name, renamed(it, c.From.Name, c.To.Name)))
	}
}

// renamed returns item with attribute from renamed to.
func renamed(item []string, from, to string) []string {
	out := make([]string, len(item))
	for i, a := range item {
		if strings.EqualFold(a, from) {
			a = to
		}
		out[i] = a
	}
	return out
}

// alterColumn changes a column from one attribute state to another in one
// ALTER TABLE, so that a type change rewrites the table once. The default
// is dropped before the type changes (the old default may not cast) and set
// after it.
func (r *renderer) alterColumn(table string, from, to model.Attribute) {
	col := quoteIdent(to.Column())
	var subs []string
	heavy := false
	if columnType(from) != columnType(to) {
		if from.Default != nil {
			subs = append(subs, "ALTER COLUMN "+col+" DROP DEFAULT")
		}
		s := "ALTER COLUMN " + col + " TYPE " + columnType(to)
		if u := using(col, from, to); u != "" {
			s += " USING " + u
		}
		subs = append(subs, s)
		if to.Default != nil {
			subs = append(subs, "ALTER COLUMN "+col+" SET DEFAULT "+literal(to.Type, *to.Default))
		}
		heavy = rewrites(from, to)
	} else if !sameDefault(from.Default, to.Default) {
		if to.Default != nil {
			subs = append(subs, "ALTER COLUMN "+col+" SET DEFAULT "+literal(to.Type, *to.Default))
		} else {
			subs = append(subs, "ALTER COLUMN "+col+" DROP DEFAULT")
		}
	}
	if from.Mandatory != to.Mandatory {
		if to.Mandatory {
			// SET NOT NULL scans the whole table under an exclusive lock.
			subs = append(subs, "ALTER COLUMN "+col+" SET NOT NULL")
			heavy = true
		} else {
			subs = append(subs, "ALTER COLUMN "+col+" DROP NOT NULL")
		}
	}
	if len(subs) == 0 {
		return // encrypt or the case of the name: the catalog's business
	}
	r.exec("ALTER TABLE " + quoteIdent(table) + "\n  " + strings.Join(subs, ",\n  "))
	if heavy {
		r.blockIf(table)
	}
}

// rewrites reports whether a type change rewrites the table. Only widening
// a varchar is a change of the catalog alone.
func rewrites(from, to model.Attribute) bool {
	return !(from.Type == model.String && to.Type == model.String && from.Length > 0 && to.Length >= from.Length)
}

func sameDefault(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
