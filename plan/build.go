package plan

import (
	"context"
	"fmt"
	"strings"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/quote"
)

// Build plans the changes that make a database in state st match desired.
// data answers the data checks; with a nil data (an offline diff) counts are
// unknown (-1), destructive changes need --allow-destructive and no data
// check runs. Build orders the steps so that every step can run after the
// ones before it: keys and unique items are dropped before what they cover
// and created after it.
func Build(ctx context.Context, st *State, desired *model.Schema, data Data) (*Plan, error) {
	if st.Limits.NoUpdate {
		return buildReplacing(ctx, st, desired)
	}
	var asking *askingData
	if data != nil {
		asking = &askingData{data: data}
		data = asking
	}
	b := &builder{ctx: ctx, data: data, rows: map[string]int64{}}
	b.cur = &model.Schema{}
	if st.Catalog != nil {
		b.cur = st.Catalog.Stripped()
	}
	// A database that holds no schema yet accepts renamed_from that names
	// nothing: the files can bootstrap a new environment.
	b.fresh = st.New || (len(b.cur.Profile) == 0 && len(b.cur.Extensions) == 0 && len(b.cur.Keys) == 0)
	b.cur.Sort()
	// live is only read (finalIndex): the catalog itself in name order,
	// not a second copy of it. Build never writes to st.Catalog, which
	// apply reuses after the plan (Stamp, the convergence check).
	b.live = &model.Schema{}
	if st.Catalog != nil {
		exts, keys := st.Catalog.ByName()
		b.live = &model.Schema{Profile: st.Catalog.Profile, Extensions: exts, Keys: keys}
	}
	// desired is only read, and every piece of it that the plan keeps is
	// copied (strip, cloneItems, snapshot): its lists in name order, not a
	// deep copy of it, which cost as much as the copy of the catalog.
	exts, keys := desired.ByName()
	b.des = &model.Schema{Profile: desired.Profile, Extensions: exts, Keys: keys}
	if st.New {
		// The profile table is created with its attributes at once.
		b.cur.Profile = make([]model.Attribute, len(b.des.Profile))
		for i, a := range b.des.Profile {
			b.cur.Profile[i] = strip(a)
		}
	}
	b.match()
	if st.New {
		delete(b.liveTable, "") // the profile table does not exist yet
	}
	if len(b.problems) > 0 {
		model.SortProblems(b.problems)
		return nil, &model.Problems{List: b.problems}
	}

	// On a new database nothing is expected: every table there is
	// unmanaged, and listed as such.
	drift, unmanaged := driftOf(st.Expected, st.Physical)
	if st.New {
		b.add(CreateProfile{Table: b.snapshot("")})
	} else {
		b.forgetMissing(drift)
	}
	b.dropKeys()
	b.dropUniques()
	b.dropExtensions()
	b.tableRepairs(drift)
	b.renames()
	b.updateExtensions()
	b.attributes()
	b.createExtensions()
	b.addUniques()
	b.createKeys()
	b.indexRepairs(drift)
	b.refuseAdoption(st)
	b.refuseColumnAdoption(unmanaged)
	if !st.New {
		b.leftovers(st)
	}
	b.countTouched()
	if b.err != nil {
		return nil, b.err
	}
	p := &Plan{
		Steps:     b.steps,
		Current:   st.Catalog,
		Desired:   desired.Stripped(),
		Mode:      st.Mode,
		Unmanaged: unmanaged,
		Rows:      b.rows,

		Fingerprint: FingerprintOf(st, desired),
		Asked:       asking != nil && asking.asked,
	}
	if p.Current == nil {
		p.Current = &model.Schema{}
	}
	p.Desired.Sort()
	return p, nil
}

// builder carries the state of one Build. cur starts as the catalog and is
// changed by every step, so that each step's Before and After tables are
// exact.
type builder struct {
	ctx  context.Context
	data Data
	// live is the catalog as inspected; cur starts as a copy and follows
	// every step; des is the desired schema.
	live, cur, des *model.Schema
	steps          []Step
	problems       []model.Problem
	err            error
	rows           map[string]int64

	// extFrom maps a desired extension (lower-cased name) to the live
	// extension it continues, by name or by renamed_from; absent when new.
	extFrom map[string]string
	// attrFrom maps, per desired table (lower-cased extension name, "" for
	// the profile), a desired attribute (lower-cased) to the live attribute
	// it continues; absent when new.
	attrFrom map[string]map[string]string
	// desOf maps a live extension (lower-cased name) to the index in
	// des.Extensions of the desired extension that continues it: extFrom
	// reversed, so that desiredOf costs no scan.
	desOf map[string]int
	// desIdx maps a desired extension (lower-cased name) to its index in
	// des.Extensions, which Build never changes.
	desIdx map[string]int
	// curIdx maps a current extension (lower-cased name) to its index in
	// cur.Extensions; nil when the list changed and it must be rebuilt
	// (see curExt).
	curIdx map[string]int
	// liveTable and liveCol give the physical names in the live database of
	// objects as the plan currently names them, for data checks. Read
	// liveCol through liveCols, which builds each table's map at its
	// first use: a plan without data checks reads none.
	liveTable map[string]string
	liveCol   map[string]*liveColumnMap
	// replaced holds the live keys that are dropped and created again.
	replaced map[string]model.Key
	// fresh is true when the database holds no declared schema yet.
	fresh bool
	// lowered caches lower-cased names (see lower).
	lowered map[string]string
}

func lower(s string) string { return strings.ToLower(s) }

// lower is the package's lower for the builder, which looks the same
// names up many times (each attribute about seven times in a plan):
// each name is lowered once per Build, the rest come from the cache.
// A name without upper-case letters needs no cache, as it stays itself.
func (b *builder) lower(s string) string {
	if l, ok := b.lowered[s]; ok {
		return l
	}
	l := strings.ToLower(s)
	if l == s {
		return s
	}
	if b.lowered == nil {
		b.lowered = map[string]string{}
	}
	b.lowered[s] = l
	return l
}

// match pairs desired objects with live ones, by name or renamed_from.
func (b *builder) match() {
	nDes, nCur := len(b.des.Extensions), len(b.cur.Extensions)
	b.extFrom = make(map[string]string, nDes)
	b.desIdx = make(map[string]int, nDes)
	b.attrFrom = make(map[string]map[string]string, nDes+1)
	b.liveTable = make(map[string]string, nCur+1)
	b.liveTable[""] = model.ProfileTable
	b.liveCol = make(map[string]*liveColumnMap, nCur+1)
	// The profile's from cur: on a new database, cur's profile is the
	// one about to be created.
	b.liveCol[""] = &liveColumnMap{m: b.columnsOf(b.cur.Profile)}
	for _, e := range b.cur.Extensions {
		b.liveTable[b.lower(e.Name)] = e.Table()
	}
	// The extensions' from live, whose attributes no step changes (the
	// steps change cur's in place); live holds the same extensions as
	// cur does now.
	for _, e := range b.live.Extensions {
		b.liveCol[b.lower(e.Name)] = &liveColumnMap{attrs: e.Attributes}
	}
	fresh := b.fresh
	claimed := make(map[string]bool, nDes)
	for _, d := range b.des.Extensions {
		if b.curExt(d.Name) != nil {
			if d.RenamedFrom != "" {
				if both := b.curExt(d.RenamedFrom) != nil; both && !strings.EqualFold(d.RenamedFrom, d.Name) {
					b.problem(d.Pos, "extension %q is renamed_from %q, but both exist in the database; remove renamed_from or delete one", d.Name, d.RenamedFrom)
					continue
				}
			}
			b.extFrom[b.lower(d.Name)] = b.lower(d.Name)
			claimed[b.lower(d.Name)] = true
			continue
		}
		if d.RenamedFrom == "" {
			continue
		}
		oldp := b.curExt(d.RenamedFrom)
		ok := oldp != nil
		var old model.Extension
		if ok {
			old = *oldp
		}
		switch {
		case ok && !claimed[b.lower(old.Name)]:
			b.extFrom[b.lower(d.Name)] = b.lower(old.Name)
			claimed[b.lower(old.Name)] = true
		case ok:
			b.problem(d.Pos, "extension %q is renamed_from %q, which another extension already continues", d.Name, d.RenamedFrom)
		case !fresh:
			b.problem(d.Pos, "extension %q is renamed_from %q, but the database has no extension %q; remove renamed_from once the rename is applied everywhere", d.Name, d.RenamedFrom, d.RenamedFrom)
		}
	}
	b.desOf = make(map[string]int, len(b.extFrom))
	for i, d := range b.des.Extensions {
		b.desIdx[b.lower(d.Name)] = i
		if from, ok := b.extFrom[b.lower(d.Name)]; ok {
			b.desOf[from] = i
		}
	}
	b.attrFrom[""] = b.matchAttributes("", b.cur.Profile, b.des.Profile, fresh)
	for _, d := range b.des.Extensions {
		from, ok := b.extFrom[b.lower(d.Name)]
		if !ok {
			continue
		}
		live := *b.curExt(from)
		b.attrFrom[b.lower(d.Name)] = b.matchAttributes(live.Name, live.Attributes, d.Attributes, false)
	}
}

// liveColumnMap is the map of liveCol for one table: attributes as the
// plan currently names them (lower-cased) to their live columns. m is
// built from attrs, the live table's attributes, at its first use.
type liveColumnMap struct {
	attrs []model.Attribute
	m     map[string]string
}

// liveCols returns the live columns of the table of the extension t
// (lower-cased, "" for the profile), and whether liveCol has the table. A
// table renamed from one liveCol no longer has is there with no columns.
func (b *builder) liveCols(t string) (map[string]string, bool) {
	c, ok := b.liveCol[t]
	if !ok || c == nil {
		return nil, ok
	}
	if c.m == nil {
		c.m, c.attrs = b.columnsOf(c.attrs), nil
	}
	return c.m, true
}

// columnsOf maps attributes (lower-cased) to their columns.
func (b *builder) columnsOf(as []model.Attribute) map[string]string {
	m := make(map[string]string, len(as))
	for _, a := range as {
		// The column is the lower-cased name (model.Attribute.Column).
		m[b.lower(a.Name)] = b.lower(a.Name)
	}
	return m
}

// matchAttributes pairs the desired attributes of the live extension ext
// ("" for the profile) with its live ones, by name or renamed_from: the
// map of attrFrom.
func (b *builder) matchAttributes(ext string, live, desired []model.Attribute, fresh bool) map[string]string {
	where := func() string { // for problems only
		if ext == "" {
			return "profile"
		}
		return fmt.Sprintf("extension %q", ext)
	}
	out := make(map[string]string, len(desired))
	for _, d := range desired {
		if _, ok := findAttr(live, d.Name); ok {
			if d.RenamedFrom != "" && !strings.EqualFold(d.RenamedFrom, d.Name) {
				if _, both := findAttr(live, d.RenamedFrom); both {
					b.problem(d.Pos, "attribute %q is renamed_from %q, but both exist in the live %s; remove renamed_from or delete one", d.Name, d.RenamedFrom, where())
					continue
				}
			}
			out[b.lower(d.Name)] = b.lower(d.Name)
		}
	}
	// The live attributes continued so far, built at the first rename:
	// most plans have none.
	var claimed map[string]bool
	for _, d := range desired {
		if _, done := out[b.lower(d.Name)]; done || d.RenamedFrom == "" {
			continue
		}
		if _, ok := findAttr(live, d.Name); ok {
			continue
		}
		old, ok := findAttr(live, d.RenamedFrom)
		if claimed == nil {
			claimed = make(map[string]bool, len(out))
			for _, from := range out {
				claimed[from] = true
			}
		}
		switch {
		case ok && !claimed[b.lower(old.Name)]:
			out[b.lower(d.Name)] = b.lower(old.Name)
			claimed[b.lower(old.Name)] = true
		case ok:
			b.problem(d.Pos, "attribute %q is renamed_from %q, which another attribute already continues", d.Name, d.RenamedFrom)
		case !fresh:
			b.problem(d.Pos, "attribute %q is renamed_from %q, but the live %s has no attribute %q; remove renamed_from once the rename is applied everywhere", d.Name, d.RenamedFrom, where(), d.RenamedFrom)
		}
	}
	return out
}

func findAttr(as []model.Attribute, name string) (model.Attribute, bool) {
	for _, a := range as {
		if strings.EqualFold(a.Name, name) {
			return a, true
		}
	}
	return model.Attribute{}, false
}

func (b *builder) problem(pos model.Pos, format string, args ...any) {
	b.problems = append(b.problems, model.Problem{Pos: pos, Severity: model.SeverityError, Message: fmt.Sprintf(format, quote.Args(args)...)})
}

// add appends a step with its hazards.
func (b *builder) add(c Change, hs ...Hazard) {
	b.steps = append(b.steps, Step{Change: c, Hazards: hs})
}

// snapshot is the current declared state of the table of extension ext
// ("" for the profile).
func (b *builder) snapshot(ext string) model.Table {
	var t model.Table
	if ext == "" {
		t = model.Table{Name: model.ProfileTable, Attributes: cloneAttrs(b.cur.Profile)}
	} else {
		var e model.Extension
		if p := b.curExt(ext); p != nil {
			e = *p
		}
		e.Attributes = cloneAttrs(e.Attributes)
		e.Unique = cloneItems(e.Unique)
		t = model.Table{Name: e.Table(), Extension: &e, Attributes: e.Attributes}
	}
	for _, k := range b.cur.Keys {
		// model.KeyTable(k) == t.Name, without building the name: this
		// runs for every key at every step.
		if k.OnProfile() == (t.Extension == nil) && (t.Extension == nil || strings.EqualFold(k.Source, t.Extension.Name)) {
			k.Attributes = append([]string(nil), k.Attributes...)
			t.Keys = append(t.Keys, k)
		}
	}
	return t
}

func cloneAttrs(as []model.Attribute) []model.Attribute {
	return (&model.Schema{Profile: as}).Clone().Profile
}

func cloneItems(items [][]string) [][]string {
	out := make([][]string, len(items))
	for i, it := range items {
		out[i] = append([]string(nil), it...)
	}
	return out
}

// curExt returns a pointer to the current extension called name, or nil.
// It looks the name up in curIdx, which it builds when nil: code that
// changes cur.Extensions (drops, renames, creations) resets or updates it.
func (b *builder) curExt(name string) *model.Extension {
	if b.curIdx == nil {
		b.curIdx = make(map[string]int, len(b.cur.Extensions))
		for i, e := range b.cur.Extensions {
			b.curIdx[b.lower(e.Name)] = i
		}
	}
	i, ok := b.curIdx[b.lower(name)]
	if !ok {
		return nil
	}
	if i < len(b.cur.Extensions) && strings.EqualFold(b.cur.Extensions[i].Name, name) {
		return &b.cur.Extensions[i]
	}
	// A stale index: a change to cur.Extensions forgot to reset it.
	for i := range b.cur.Extensions {
		if strings.EqualFold(b.cur.Extensions[i].Name, name) {
			return &b.cur.Extensions[i]
		}
	}
	return nil
}

// desExt returns the desired extension called name.
func (b *builder) desExt(name string) (model.Extension, bool) {
	if i, ok := b.desIdx[b.lower(name)]; ok {
		return b.des.Extensions[i], true
	}
	return model.Extension{}, false
}

// curAttrs returns a pointer to the current attribute list of ext.
func (b *builder) curAttrs(ext string) *[]model.Attribute {
	if ext == "" {
		return &b.cur.Profile
	}
	return &b.curExt(ext).Attributes
}

// has reports whether m holds key.
func has(m map[string]string, key string) bool {
	_, ok := m[key]
	return ok
}

func (b *builder) extOfTable(table string) (model.Extension, bool) {
	for _, e := range b.cur.Extensions {
		if e.Table() == table {
			return e, true
		}
	}
	return model.Extension{}, false
}

// desiredOf returns the desired extension that continues the live extension
// called live.
func (b *builder) desiredOf(live string) (model.Extension, bool) {
	if i, ok := b.desOf[b.lower(live)]; ok {
		return b.des.Extensions[i], true
	}
	return model.Extension{}, false
}

// translateKey names a live key's source and attributes as the desired
// schema names them, following renames. ok is false when the source or an
// attribute does not survive.
func (b *builder) translateKey(k model.Key) (model.Key, bool) {
	out := k
	out.Attributes = make([]string, len(k.Attributes))
	table := ""
	if !k.OnProfile() {
		d, ok := b.desiredOf(k.Source)
		if !ok {
			return k, false
		}
		out.Source = d.Name
		table = b.lower(d.Name)
	}
	for i, a := range k.Attributes {
		name, ok := b.desiredAttrName(table, a)
		if !ok {
			return k, false
		}
		out.Attributes[i] = name
	}
	return out, true
}

// desiredAttrName returns the desired name of live attribute a in the
// desired table (lower-cased extension name or "").
func (b *builder) desiredAttrName(table, a string) (string, bool) {
	for d, from := range b.attrFrom[table] {
		if from == b.lower(a) {
			attrs := b.des.Profile
			if table != "" {
				e, _ := b.desExt(table)
				attrs = e.Attributes
			}
			if da, ok := findAttr(attrs, d); ok {
				return da.Name, true
			}
		}
	}
	return "", false
}

// keyFate compares a live key with the desired key of the same name.
type keyFate int

const (
	keyDelete keyFate = iota
	keySame
	keyUpdate
	keyReplace
)

func (b *builder) fateOf(live model.Key) (keyFate, model.Key) {
	d, ok := b.des.Key(live.Name)
	if !ok {
		return keyDelete, model.Key{}
	}
	t, ok := b.translateKey(live)
	if !ok || !sameKeyShape(t, d) {
		return keyReplace, d
	}
	if t.Name != d.Name || sourceName(t) != sourceName(d) || strings.Join(t.Attributes, ",") != strings.Join(d.Attributes, ",") {
		return keyUpdate, d
	}
	return keySame, d
}

func sourceName(k model.Key) string {
	if k.OnProfile() {
		return model.ProfileSource
	}
	return k.Source
}

func sameKeyShape(a, b model.Key) bool {
	return strings.EqualFold(sourceName(a), sourceName(b)) && a.Unique == b.Unique && model.SameItem(a.Attributes, b.Attributes)
}

func (b *builder) dropKeys() {
	b.replaced = map[string]model.Key{}
	// The keys that stay, copied at the first delete: most plans have
	// none, and keep cur.Keys as it is.
	var kept []model.Key
	dropped := false
	for i, k := range b.cur.Keys {
		fate, _ := b.fateOf(k)
		switch fate {
		case keyDelete:
			if !dropped {
				kept, dropped = append(make([]model.Key, 0, len(b.cur.Keys)-1), b.cur.Keys[:i]...), true
			}
			b.add(DeleteKey{Key: cloneKey(k)})
			continue
		case keyReplace:
			// It stays in the current schema, so that the table changes
			// below know its index exists (a dialect drops it before a
			// column it covers); ReplaceKey drops and creates it at the end.
			b.replaced[b.lower(k.Name)] = cloneKey(k)
		}
		if dropped {
			kept = append(kept, k)
		}
	}
	if dropped {
		b.cur.Keys = kept
	}
}

// countTouched records the row counts of the live tables that the steps
// change, under the table names the plan ends with.
func (b *builder) countTouched() {
	if b.data == nil {
		return
	}
	// The extension of each table, as the steps leave them: looked up
	// once, not by a scan of every extension for every step (a first
	// apply has two steps per extension).
	extOf := make(map[string]string, len(b.cur.Extensions)+1)
	extOf[model.ProfileTable] = ""
	for _, e := range b.cur.Extensions {
		if t := e.Table(); !has(extOf, t) {
			extOf[t] = e.Name // the first, as extOfTable finds it
		}
	}
	for _, s := range b.steps {
		table := TableOf(s.Change)
		if _, done := b.rows[table]; done {
			continue
		}
		ext, ok := extOf[table]
		if !ok {
			continue // deleted
		}
		live, ok := b.liveTable[b.lower(ext)]
		if !ok {
			continue // new, or gone by hand
		}
		n, err := b.rowsOf(live)
		if err != nil {
			return
		}
		b.rows[table] = n
	}
}

// refuseColumnAdoption marks every step that would add a column, or
// rename one to a name, that its table already holds without the catalog
// knowing it (a column added by hand, listed as unmanaged): the step could
// never run, and ctxschema never adopts a column whose values it knows
// nothing of. It is a failing data check, like a table made by hand.
func (b *builder) refuseColumnAdoption(unmanaged []Drift) {
	extra := map[string]bool{} // live table + "." + column
	for _, d := range unmanaged {
		if d.Kind == ExtraColumn {
			extra[d.Table+"."+b.lower(d.Name)] = true
		}
	}
	if len(extra) == 0 {
		return
	}
	for i, s := range b.steps {
		var ext string
		var a model.Attribute
		switch c := s.Change.(type) {
		case AddAttribute:
			ext, a = c.Extension, c.Attribute
		case RenameAttribute:
			ext, a = c.Extension, c.To
		default:
			continue
		}
		table, ok := b.liveTable[b.lower(ext)]
		if !ok || !extra[table+"."+a.Column()] {
			continue
		}
		b.steps[i].Hazards = append(b.steps[i].Hazards, NameTaken(fmt.Sprintf("column %s already exists in table %s and ctxschema did not create it; ctxschema never adopts a column: rename or drop it, or name the attribute otherwise", a.Column(), table)))
	}
}

// NameTaken is the failing data check of a step whose index or table name
// an object that ctxschema did not create holds, with message saying which
// and what to do. The planner adds it where the live state shows the
// collision; apply.Render adds it for an index of the step's own name and
// table whose definition only the dialect can compare.
func NameTaken(message string) Hazard {
	h := dataCheck(message, Finding{Rows: -1})
	h.Values, h.Groups, h.Customers = -1, -1, -1
	return h
}

// refuseAdoption marks every step that would create a table, or rename one
// to a name, that the database already holds and the catalog does not know
// (a profile or ext_ table made by hand, or left by another tool). The
// step could never run; and ctxschema never adopts a table it did not
// create, whose columns, constraints and rows it knows nothing of. It is a
// data check: the plan shows it and apply refuses it (exit 5) whatever the
// mode, until the table is renamed or dropped. Names are compared
// case-insensitively, as SQLite compares them (on PostgreSQL a quoted
// "Profile" would not collide: refusing it too is the cautious side).
//
// Index names are shared by every table of a database (of a PostgreSQL
// schema), so a key's index is refused the same way when an index of its
// name that the catalog does not know is on another table. One on the
// key's own table may be the leftover of an interrupted build, which the
// dialect recognises. A view, a sequence or any other object that shares
// the tables' namespace (Physical.Others) holds its name from a table and
// an index alike.
func (b *builder) refuseAdoption(st *State) {
	nIndexes := 0
	for _, t := range st.Physical.Tables {
		nIndexes += len(t.Indexes)
	}
	foreign := make(map[string]string, len(st.Physical.Tables))
	foreignIndex := make(map[string]string, nIndexes) // index name → its table
	for _, t := range st.Physical.Tables {
		if !strings.HasPrefix(t.Name, catalogPrefix) {
			foreign[b.lower(t.Name)] = t.Name
		}
		for _, ix := range t.Indexes {
			foreignIndex[b.lower(ix.Name)] = t.Name
		}
	}
	for _, t := range st.Expected.Tables {
		delete(foreign, b.lower(t.Name))
		for _, ix := range t.Indexes {
			delete(foreignIndex, b.lower(ix.Name))
		}
	}
	// A view, a sequence, or an index (of a table ctxschema does not
	// manage, or not of this name's own table) takes a name from every
	// table and index: none can be created under it.
	other := map[string]string{} // name → "view v"
	for _, o := range st.Physical.Others {
		other[b.lower(o.Name)] = o.Kind + " " + o.Name
	}
	if len(foreign) == 0 && len(foreignIndex) == 0 && len(other) == 0 {
		return
	}
	for i, s := range b.steps {
		var table, index string
		switch c := s.Change.(type) {
		case CreateProfile:
			table = model.ProfileTable
		case CreateExtension:
			table = c.Extension.Table()
		case RenameExtension:
			table = c.To.Table()
		case CreateKey:
			index, table = c.Key.Index(), model.KeyTable(c.Key)
		case ReplaceKey:
			index, table = c.To.Index(), model.KeyTable(c.To)
		default:
			continue
		}
		if index != "" {
			if on, ok := foreignIndex[b.lower(index)]; ok && !strings.EqualFold(on, table) {
				b.steps[i].Hazards = append(b.steps[i].Hazards, NameTaken(fmt.Sprintf("index %s already exists on table %s and ctxschema did not create it; index names are shared by every table: rename or drop it", index, on)))
			} else if what, ok := other[b.lower(index)]; ok {
				b.steps[i].Hazards = append(b.steps[i].Hazards, NameTaken(fmt.Sprintf("index %s cannot be created: %s already exists, and ctxschema did not create it; rename or drop it", index, what)))
			} else if name, ok := foreign[b.lower(index)]; ok {
				b.steps[i].Hazards = append(b.steps[i].Hazards, NameTaken(fmt.Sprintf("index %s cannot be created: table %s already exists, and ctxschema did not create it; rename or drop it", index, name)))
			}
			continue
		}
		name, ok := foreign[b.lower(table)]
		if !ok {
			what, taken := other[b.lower(table)]
			if on, ok := foreignIndex[b.lower(table)]; ok && !taken {
				what, taken = "index "+table+" on table "+on, true
			}
			if taken {
				b.steps[i].Hazards = append(b.steps[i].Hazards, NameTaken(fmt.Sprintf("table %s cannot be created: %s already exists, and ctxschema did not create it; rename or drop it, or use another database", table, what)))
			}
			continue
		}
		f := Finding{Rows: -1}
		if b.data != nil && b.err == nil {
			n, err := b.data.Rows(b.ctx, name)
			if err != nil {
				b.fail(fmt.Errorf("counting the rows of %s: %w", name, err))
				return
			}
			f.Rows = n
		}
		h := dataCheck(fmt.Sprintf("table %s already exists and ctxschema did not create it; ctxschema never adopts a table: rename or drop it, or use another database", name), f)
		h.Values, h.Groups, h.Customers = -1, -1, -1
		b.steps[i].Hazards = append(b.steps[i].Hazards, h)
	}
}
