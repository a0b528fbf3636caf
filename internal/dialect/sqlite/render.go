package sqlite

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// rebuildSuffix names the new table of a rebuild until it takes the old
// one's name.
const rebuildSuffix = "__ctxschema_new"

// Render implements dialect.Dialect. SQLite changes a column's type,
// default, NOT NULL or CHECK only by rebuilding the table, so those changes
// render the rebuild (see rebuild) and report Blocking when the table may
// hold rows. Everything runs inside the apply's transaction; nothing runs
// after it. Render reads p only for row counts (p.Rows), the unmanaged
// columns, indexes and triggers a rebuild must carry over (p.Unmanaged) and
// the renames of the steps before step (p.Steps), under whose names it
// finds those of a renamed table; p may be nil.
func (d *Dialect) Render(p *plan.Plan, step plan.Step) (dialect.Rendered, error) {
	ch := deref(step.Change)
	r := &renderer{p: p, change: ch}
	if err := r.render(ch); err != nil {
		return dialect.Rendered{}, err
	}
	return dialect.Rendered{SQL: r.sql, Blocking: r.blocking}, nil
}

// deref accepts changes stored as values or as pointers.
func deref(c plan.Change) plan.Change {
	if v := reflect.ValueOf(c); v.Kind() == reflect.Pointer && !v.IsNil() {
		if e, ok := v.Elem().Interface().(plan.Change); ok {
			return e
		}
	}
	return c
}

type renderer struct {
	p      *plan.Plan
	change plan.Change
	// earlier holds the steps of p before change once looked (p.Steps
	// searched for change) and found.
	earlier       []plan.Step
	looked, found bool
	sql           []string
	blocking      bool
	// extra holds the unexpected columns and indexes a RepairTable lists,
	// which a rebuild carries over like those of p.Unmanaged.
	extra []plan.Drift
}

func (r *renderer) add(stmts ...string) { r.sql = append(r.sql, stmts...) }

func (r *renderer) render(ch plan.Change) error {
	if err := checkTables(ch); err != nil {
		return err
	}
	switch c := ch.(type) {
	case plan.CreateProfile:
		t := c.Table
		if t.Name == "" {
			t.Name = model.ProfileTable
		}
		r.createTable(t)
	case plan.CreateExtension:
		r.createTable(extTable(c.Table, c.Extension))
	case plan.DeleteExtension:
		r.add("DROP TABLE IF EXISTS " + quoteIdent(extTable(c.Table, c.Extension).Name))
	case plan.RenameExtension:
		before, after := extTable(c.Before, c.From), extTable(c.After, c.To)
		if before.Name != after.Name {
			r.add("ALTER TABLE " + quoteIdent(before.Name) + " RENAME TO " + quoteIdent(after.Name))
		}
		// ux_ index names derive from the extension's name, and SQLite
		// cannot rename an index: rebuild those whose name changed.
		r.syncUnique(before, after)
	case plan.UpdateExtension:
		before, after := extTable(c.Before, c.From), extTable(c.After, c.To)
		if sameColumns(before, after) {
			r.syncUnique(before, after)
		} else {
			r.rebuild(before, after, nil)
		}
	case plan.AddAttribute:
		col := attributeColumn(c.Attribute)
		if c.Attribute.Mandatory && c.Attribute.Default == nil || !col.addable() {
			// ADD COLUMN refuses NOT NULL without a default even on an
			// empty table (the planner refuses it on a table with rows),
			// and a default that is an expression.
			r.rebuild(c.Before, c.After, nil)
		} else {
			// ADD COLUMN keeps every row; SQLite checks the new column's
			// CHECK constraints against the existing rows.
			r.add("ALTER TABLE " + quoteIdent(c.After.Name) + " ADD COLUMN " + col.sql())
		}
	case plan.DeleteAttribute:
		r.dropColumn(c.Before, c.After, c.Attribute.Column())
	case plan.UpdateAttribute:
		if !rebuildsFor(c.From, c.To) {
			return nil // encrypt, name case, or integer/long: same column
		}
		var conv map[string]string
		if c.From.Type != c.To.Type {
			conv = map[string]string{c.To.Column(): convert(qualified(c.After.Name, c.From.Column()), c.From, c.To)}
		}
		r.rebuild(c.Before, c.After, conv)
	case plan.RenameAttribute:
		if c.From.Column() != c.To.Column() {
			// SQLite rewrites the column's name in CHECK constraints and
			// indexes too.
			r.add("ALTER TABLE " + quoteIdent(c.After.Name) + " RENAME COLUMN " + quoteIdent(c.From.Column()) + " TO " + quoteIdent(c.To.Column()))
		}
		r.syncUnique(c.Before, c.After)
	case plan.AddUnique:
		if ix, ok := uniqueIndex(c.Table, c.Extension, c.Item); ok {
			r.add(ix.create())
			r.syncCustomer(withoutItem(c.Table, c.Item), c.Table)
		}
	case plan.DeleteUnique:
		if ix, ok := uniqueIndex(c.Table, c.Extension, c.Item); ok {
			r.syncCustomer(withItem(c.Table, c.Item), c.Table)
			r.add(dropIndex(ix.name))
		}
	case plan.CreateKey:
		r.add(keyIndex(c.Key).create())
	case plan.DeleteKey:
		r.add(dropIndex(c.Key.Index()))
	case plan.ReplaceKey:
		r.add(dropIndex(c.From.Index()), keyIndex(c.To).create())
	case plan.UpdateKey:
		from, to := keyIndex(c.From), keyIndex(c.To)
		if from.definition() != to.definition() || from.name != to.name || from.table != to.table {
			r.add(dropIndex(from.name), to.create())
		}
	case plan.RepairTable:
		return r.repair(c.Table, c.Drift)
	default:
		return fmt.Errorf("sqlite: cannot render a change of type %T", ch)
	}
	return nil
}

// checkTables refuses a change that lacks the table state it must carry:
// rendering it would name no table.
func checkTables(ch plan.Change) error {
	var tables []model.Table
	switch c := ch.(type) {
	case plan.AddAttribute:
		tables = []model.Table{c.Before, c.After}
	case plan.DeleteAttribute:
		tables = []model.Table{c.Before, c.After}
	case plan.UpdateAttribute:
		tables = []model.Table{c.Before, c.After}
	case plan.RenameAttribute:
		tables = []model.Table{c.Before, c.After}
	case plan.RepairTable:
		tables = []model.Table{c.Table}
	case plan.AddUnique:
		if c.Table.Extension == nil {
			tables = []model.Table{{}}
		}
	case plan.DeleteUnique:
		if c.Table.Extension == nil {
			tables = []model.Table{{}}
		}
	}
	for _, t := range tables {
		if t.Name == "" {
			return fmt.Errorf("sqlite: cannot render %s %q: the change carries no table state", ch.Object().Kind, ch.Object().Name)
		}
	}
	return nil
}

// extTable fills in an extension's table when the change did not carry it.
func extTable(t model.Table, e model.Extension) model.Table {
	if t.Name != "" {
		return t
	}
	return model.Table{Name: e.Table(), Extension: &e, Attributes: e.Attributes}
}

func dropIndex(name string) string { return "DROP INDEX IF EXISTS " + quoteIdent(name) }

// uniqueIndex is the index of an extension's unique item; false when the
// extension is not multi-valued (its unique items live in the catalog
// only).
func uniqueIndex(t model.Table, ext string, item []string) (index, bool) {
	if !t.MultiValued() {
		return index{}, false
	}
	name := t.Extension.Name
	if name == "" {
		name = ext
	}
	table := t.Name
	if table == "" {
		table = model.ExtensionTable(name)
	}
	return index{name: model.UniqueIndex(name, item), table: table, unique: true, columns: uniqueColumns(item)}, true
}

func (r *renderer) createTable(t model.Table) {
	r.add(createTableSQL(t.Name, columnsOf(t), nil))
	for _, ix := range indexesOf(t) {
		r.add(ix.create())
	}
}

// qualified is column of table, as a SELECT names it: qualified, so that a
// column the table lacks is an error, not a string literal (SQLite's
// fallback for a double-quoted name that names no column).
func qualified(table, column string) string { return quoteIdent(table) + "." + quoteIdent(column) }

func createTableSQL(name string, cols []column, extra []plan.Drift) string {
	defs := make([]string, 0, len(cols)+len(extra))
	for _, c := range cols {
		defs = append(defs, c.sql())
	}
	for _, x := range extra {
		defs = append(defs, strings.TrimSpace(quoteIdent(x.Name)+" "+x.Got))
	}
	return "CREATE TABLE " + quoteIdent(name) + " (" + strings.Join(defs, ", ") + ")"
}

// syncUnique drops the ux_ indexes of before that after does not have under
// the same name, and creates those of after that before did not have.
func (r *renderer) syncUnique(before, after model.Table) {
	old, cur := before.UniqueIndexes(), after.UniqueIndexes()
	for _, name := range sortedKeys(old) {
		if _, ok := cur[name]; !ok {
			r.add(dropIndex(name))
		}
	}
	for _, name := range sortedKeys(cur) {
		if _, ok := old[name]; !ok {
			r.add(index{name: name, table: after.Name, unique: true, columns: uniqueColumns(cur[name])}.create())
		}
	}
	r.syncCustomer(before, after)
}

// syncCustomer creates or drops the index over customer_id alone as the
// table goes from before to after (a change of type, name or unique items).
// The plan's steps run in order in one transaction, so every step leaves the
// index there exactly when its table state wants it.
func (r *renderer) syncCustomer(before, after model.Table) {
	old, had := before.CustomerIndex()
	ix, has := customerIndex(after)
	switch {
	case had && (!has || ix.name != old):
		r.add(dropIndex(old))
		if has {
			r.add(ix.create())
		}
	case has && !had:
		r.add(ix.create())
	}
}

// withItem and withoutItem are an extension's table state with a unique
// item added or removed: the state before an AddUnique or DeleteUnique,
// whose Table is the state after it.
func withItem(t model.Table, item []string) model.Table {
	if t.Extension == nil {
		return t
	}
	e := *t.Extension
	e.Unique = append(append([][]string(nil), e.Unique...), item)
	t.Extension = &e
	return t
}

func withoutItem(t model.Table, item []string) model.Table {
	if t.Extension == nil {
		return t
	}
	e := *t.Extension
	e.Unique = model.RemoveItem(e.Unique, item)
	t.Extension = &e
	return t
}

func sortedKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sameColumns reports whether two states of a table have the same columns
// and so need no rebuild (single-valued and classifier extensions do).
func sameColumns(a, b model.Table) bool {
	ca, cb := columnsOf(a), columnsOf(b)
	if len(ca) != len(cb) {
		return false
	}
	for i := range ca {
		if ca[i].sql() != cb[i].sql() {
			return false
		}
	}
	return true
}

// dropColumn drops a column with ALTER TABLE DROP COLUMN, which refuses
// while an index covers the column: the managed indexes that cover it are
// dropped first (the planner also drops them as their own changes, hence IF
// EXISTS). DROP COLUMN rewrites every row to remove the value. It also
// refuses while an object ctxschema did not create uses the column (an
// index, a generated column, a trigger, a view, a CHECK of another column):
// the apply then fails and rolls back, leaving that object untouched.
func (r *renderer) dropColumn(before, after model.Table, col string) {
	for _, ix := range indexesOf(before) {
		for _, c := range ix.columns {
			if c == col {
				r.add(dropIndex(ix.name))
				break
			}
		}
	}
	r.add("ALTER TABLE " + quoteIdent(after.Name) + " DROP COLUMN " + quoteIdent(col))
	r.block(after.Name)
}

// block marks the step blocking unless the plan measured the table empty.
func (r *renderer) block(table string) {
	if r.p != nil && r.p.Rows != nil {
		if n, ok := r.p.Rows[table]; ok && n == 0 {
			return
		}
	}
	r.blocking = true
}

// rebuild renders SQLite's procedure for changes ALTER TABLE cannot make
// (https://www.sqlite.org/lang_altertable.html, "making other kinds of
// table schema changes"), inside the apply's transaction:
//
//  1. CREATE TABLE "t__ctxschema_new" as after declares it;
//  2. INSERT INTO it SELECT the columns before and after share (record_id
//     included, so records keep their ids), converted where conv says;
//  3. DROP TABLE "t", which drops its indexes;
//  4. ALTER TABLE "t__ctxschema_new" RENAME TO "t", in legacy mode;
//  5. CREATE every index of after.
//
// The order matters: renaming the new table onto the old name, after the
// old one is gone, leaves the REFERENCES "profile" clauses of the extension
// tables untouched; renaming the old table away first would make SQLite
// rewrite them to follow it. Foreign keys are off on the connection (see
// the package comment), so step 3 cascades nothing, and step 2 copies every
// customer_id, so every reference holds again after step 4.
//
// Columns, indexes and triggers that ctxschema did not create (listed in
// p.Unmanaged, see Inspect) are carried over: columns with their
// definitions as the CREATE TABLE statement wrote them (generated columns
// included, which compute their values again and are not copied),
// indexes from their inspected definitions, triggers from their CREATE
// TRIGGER statements, run once the table has its name again. Views on the
// table keep working. Table constraints made by hand (CHECK, UNIQUE,
// FOREIGN KEY clauses after the columns) are not carried over: ctxschema
// never writes them and the plan does not record them.
func (r *renderer) rebuild(before, after model.Table, conv map[string]string) {
	name := after.Name
	tmp := name + rebuildSuffix
	cols := columnsOf(after)
	have := map[string]bool{}
	for _, c := range columnsOf(before) {
		have[c.name] = true
	}
	extraCols, extraIdx, triggers := r.unmanaged(name)
	var into, from []string
	for _, c := range cols {
		if e, ok := conv[c.name]; ok {
			into, from = append(into, quoteIdent(c.name)), append(from, e)
		} else if have[c.name] {
			into, from = append(into, quoteIdent(c.name)), append(from, qualified(name, c.name))
		}
	}
	for _, x := range extraCols {
		if _, _, gen := generated(tokenize(x.Got)); !gen {
			into, from = append(into, quoteIdent(x.Name)), append(from, qualified(name, x.Name))
		}
	}
	r.add(createTableSQL(tmp, cols, extraCols))
	if len(into) > 0 {
		r.add("INSERT INTO " + quoteIdent(tmp) + " (" + strings.Join(into, ", ") + ") SELECT " + strings.Join(from, ", ") + " FROM " + quoteIdent(name))
	}
	r.add("DROP TABLE " + quoteIdent(name))
	// Since SQLite 3.26, RENAME TO re-checks every view and trigger of the
	// schema, and fails on a view that selects from the table just
	// dropped. The legacy mode renames the table alone, which is what the
	// procedure needs: the views name "t" and find it again once renamed.
	// Begin switches the mode off again should this statement fail.
	r.add("PRAGMA legacy_alter_table = ON")
	r.add("ALTER TABLE " + quoteIdent(tmp) + " RENAME TO " + quoteIdent(name))
	r.add("PRAGMA legacy_alter_table = OFF")
	for _, ix := range indexesOf(after) {
		r.add(ix.create())
	}
	for _, x := range extraIdx {
		def, unique := strings.CutPrefix(x.Got, "UNIQUE ")
		kw := "CREATE INDEX "
		if unique {
			kw = "CREATE UNIQUE INDEX "
		}
		r.add(kw + quoteIdent(x.Name) + " ON " + quoteIdent(name) + " " + def)
	}
	for _, x := range triggers {
		r.add(x.Got)
	}
	r.block(name)
}

// unmanaged returns the columns, indexes and triggers of table that the
// plan lists as not created by ctxschema, in name order. The plan lists
// them under the names the tables had when it was made: those of a table
// that an earlier step renamed to table count, with the trigger statements
// rewritten for the new name (as SQLite rewrote them on the rename), and
// those of a table an earlier step deleted do not.
func (r *renderer) unmanaged(table string) (cols, idx, triggers []plan.Drift) {
	all := r.extra
	if r.p != nil {
		for _, d := range r.p.Unmanaged {
			if live := d.Table; r.renamed(live) == table {
				if d.Table = table; d.Kind == plan.ExtraIndex && isTrigger(d.Got) && live != table {
					d.Got = renameTableIn(d.Got, live, table)
				}
				all = append(all, d)
			}
		}
	}
	seen := map[plan.DriftKind]map[string]bool{plan.ExtraColumn: {}, plan.ExtraIndex: {}}
	for _, d := range all {
		if d.Table != table || d.Name == "" || seen[d.Kind] == nil || seen[d.Kind][d.Name] {
			continue
		}
		// A column may be just a name (no type, no constraint); an index
		// or trigger always has a definition.
		if d.Got == "" && d.Kind != plan.ExtraColumn {
			continue
		}
		seen[d.Kind][d.Name] = true
		switch {
		case d.Kind == plan.ExtraColumn:
			cols = append(cols, d)
		case isTrigger(d.Got):
			triggers = append(triggers, d)
		default:
			idx = append(idx, d)
		}
	}
	sort.Slice(cols, func(i, j int) bool { return cols[i].Name < cols[j].Name })
	sort.Slice(idx, func(i, j int) bool { return idx[i].Name < idx[j].Name })
	sort.Slice(triggers, func(i, j int) bool { return triggers[i].Name < triggers[j].Name })
	return cols, idx, triggers
}

// renamed is the name that the table called live when the plan was made
// has when the rendered step runs: live renamed by the RenameExtension
// steps before it, or "" when a DeleteExtension before it dropped the
// table. Without the step's position (p does not hold it), live.
func (r *renderer) renamed(live string) string {
	if r.p == nil {
		return live
	}
	if !r.looked {
		// Searched once, and only by a rebuild on a plan that lists
		// unmanaged objects.
		r.looked = true
		for i, s := range r.p.Steps {
			if reflect.DeepEqual(deref(s.Change), r.change) {
				r.earlier, r.found = r.p.Steps[:i], true
				break
			}
		}
	}
	if !r.found {
		return live
	}
	name := live
	for _, s := range r.earlier {
		switch c := deref(s.Change).(type) {
		case plan.RenameExtension:
			if before, after := extTable(c.Before, c.From), extTable(c.After, c.To); before.Name == name {
				name = after.Name
			}
		case plan.DeleteExtension:
			if extTable(c.Table, c.Extension).Name == name {
				return ""
			}
		}
	}
	return name
}

// isTrigger reports whether an unmanaged index's definition is a trigger's
// CREATE TRIGGER statement (see triggerSuffix).
func isTrigger(def string) bool {
	ts := tokenize(def)
	return len(ts) >= 2 && ts[0].is("CREATE") && (ts[1].is("TRIGGER") || len(ts) >= 3 && (ts[1].is("TEMP") || ts[1].is("TEMPORARY")) && ts[2].is("TRIGGER"))
}

// renameTableIn rewrites a CREATE TRIGGER statement on table from for the
// table's new name to: every name from, from the ON clause on (the
// trigger's own name comes before it), becomes to.
func renameTableIn(stmt, from, to string) string {
	var b strings.Builder
	last, on := 0, false
	for _, t := range tokenize(stmt) {
		if !on {
			on = t.is("ON")
			continue
		}
		if (t.kind == tokWord || t.kind == tokIdent) && strings.EqualFold(t.text, from) {
			b.WriteString(stmt[last:t.pos])
			b.WriteString(quoteIdent(to))
			last = t.end
		}
	}
	b.WriteString(stmt[last:])
	return b.String()
}

// repair makes a table match the catalog again: a missing table is created;
// missing columns are added in place when ALTER TABLE allows it; any other
// column drift rebuilds the table from its declaration, copying the
// columns that are there; drifted indexes are dropped and created again.
// Unexpected columns and indexes are left alone. Every name comes from the
// table state t: a drifted index it does not have is an error (the change
// would repair nothing, or under names the table does not have).
func (r *renderer) repair(t model.Table, drift []plan.Drift) error {
	have := map[string]bool{}
	for _, ix := range indexesOf(t) {
		have[ix.name] = true
	}
	missing := map[string]bool{}
	rebuild, indexes := false, map[string]bool{}
	for _, d := range drift {
		switch d.Kind {
		case plan.MissingTable:
			r.createTable(t)
			return nil
		case plan.MissingColumn:
			missing[d.Name] = true
		case plan.ChangedColumn:
			rebuild = true
		case plan.MissingIndex, plan.ChangedIndex, plan.InvalidIndex:
			if !have[d.Name] {
				return fmt.Errorf("sqlite: cannot repair index %q: table %q has no such index", d.Name, t.Name)
			}
			indexes[d.Name] = true
		case plan.ExtraColumn, plan.ExtraIndex:
			r.extra = append(r.extra, d)
		}
	}
	cols := columnsOf(t)
	for _, c := range cols {
		if missing[c.name] && (c.pk || c.notNull && c.dflt == "" || c.refTable != "" || !c.addable()) {
			rebuild = true
		}
	}
	if rebuild {
		before := t
		before.Attributes = nil
		for _, a := range t.Attributes {
			if !missing[a.Column()] {
				before.Attributes = append(before.Attributes, a)
			}
		}
		// A drifted column's values convert back to its attribute's type by
		// the predicate of Data.Unrepairable, which the plan checked.
		conv := map[string]string{}
		for _, d := range drift {
			for _, a := range t.Attributes {
				if d.Kind == plan.ChangedColumn && a.Column() == d.Name {
					conv[d.Name] = convert(qualified(t.Name, d.Name), a, a)
				}
			}
		}
		r.rebuild(before, t, conv)
		return nil
	}
	for _, c := range cols {
		if missing[c.name] {
			r.add("ALTER TABLE " + quoteIdent(t.Name) + " ADD COLUMN " + c.sql())
		}
	}
	for _, ix := range indexesOf(t) {
		if indexes[ix.name] {
			r.add(dropIndex(ix.name), ix.create())
		}
	}
	return nil
}
