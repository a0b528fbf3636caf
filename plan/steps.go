package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ctxschema/ctxschema/internal/model"
)

// dropUniques removes the unique items that the desired schema no longer
// has, before the attributes they cover change.
func (b *builder) dropUniques() {
	for i := range b.cur.Extensions {
		e := &b.cur.Extensions[i]
		d, ok := b.desiredOf(e.Name)
		if !ok {
			continue
		}
		var kept [][]string
		var dropped [][]string
		for _, item := range e.Unique {
			if b.itemSurvives(b.lower(d.Name), item, d.Unique) {
				kept = append(kept, item)
			} else {
				dropped = append(dropped, item)
			}
		}
		// One item at a time, so that each step's Table is the state
		// right after it (the last drop leaves no item: a multi-valued
		// table then needs its index over customer_id).
		for _, item := range dropped {
			e.Unique = model.RemoveItem(e.Unique, item)
			b.add(DeleteUnique{Extension: e.Name, Item: append([]string(nil), item...), Table: b.snapshot(e.Name)})
		}
		e.Unique = kept
	}
}

// itemSurvives reports whether a live unique item, named as the desired
// schema names its attributes, is among the desired items.
func (b *builder) itemSurvives(table string, item []string, desired [][]string) bool {
	names := make([]string, len(item))
	for i, a := range item {
		n, ok := b.desiredAttrName(table, a)
		if !ok {
			return false
		}
		names[i] = n
	}
	for _, d := range desired {
		if model.SameItem(names, d) {
			return true
		}
	}
	return false
}

func (b *builder) dropExtensions() {
	// The extensions that stay, copied at the first drop: most plans
	// drop none, and keep cur.Extensions (and curIdx) as they are.
	var kept []model.Extension
	dropped := false
	for i, e := range b.cur.Extensions {
		if _, ok := b.desiredOf(e.Name); ok {
			if dropped {
				kept = append(kept, e)
			}
			continue
		}
		if !dropped {
			kept, dropped = append(make([]model.Extension, 0, len(b.cur.Extensions)-1), b.cur.Extensions[:i]...), true
		}
		table := b.snapshot(e.Name)
		b.dropKeysOn(table.Name, "")
		h := b.lossOfExtension(e)
		b.add(DeleteExtension{Extension: cloneExt(e), Table: table}, h)
	}
	if dropped {
		b.cur.Extensions = kept
		b.curIdx = nil
	}
}

// renames renames extensions, then attributes, before anything else
// changes: every later step, and every index it builds (online builds run
// after the transaction), then uses the final names.
func (b *builder) renames() {
	for _, d := range b.des.Extensions {
		from, ok := b.extFrom[b.lower(d.Name)]
		if !ok || from == b.lower(d.Name) {
			continue
		}
		e := b.curExt(from)
		before := b.snapshot(e.Name)
		old := cloneExt(*e)
		e.Name = d.Name
		b.curIdx = nil
		for i := range b.cur.Keys {
			if !b.cur.Keys[i].OnProfile() && strings.EqualFold(b.cur.Keys[i].Source, old.Name) {
				b.cur.Keys[i].Source = d.Name
			}
		}
		b.liveTable[b.lower(d.Name)] = b.liveTable[from]
		b.liveCol[b.lower(d.Name)] = b.liveCol[from] // nil when from is missing: no columns
		delete(b.liveTable, from)
		delete(b.liveCol, from)
		b.add(RenameExtension{From: old, To: cloneExt(*e), Before: before, After: b.snapshot(d.Name)})
	}
	b.renameAttributes("")
	for _, d := range b.des.Extensions {
		if _, ok := b.extFrom[b.lower(d.Name)]; ok {
			b.renameAttributes(d.Name)
		}
	}
}

func (b *builder) renameAttributes(ext string) {
	t := b.lower(ext)
	attrs := b.curAttrs(ext)
	desired := b.des.Profile
	if ext != "" {
		d, _ := b.desExt(ext)
		desired = d.Attributes
	}
	for _, d := range desired {
		old, ok := b.attrFrom[t][b.lower(d.Name)]
		if !ok || old == b.lower(d.Name) {
			continue
		}
		i := indexOf(*attrs, old)
		before := b.snapshot(ext)
		prev := (*attrs)[i]
		(*attrs)[i].Name = d.Name
		b.renameReferences(ext, prev.Name, d.Name)
		cols, _ := b.liveCols(t)
		cols[b.lower(d.Name)] = cols[old]
		delete(cols, old)
		b.add(RenameAttribute{Extension: ext, From: prev, To: (*attrs)[i], Before: before, After: b.snapshot(ext)})
	}
}

// updateExtensions changes the type of extensions, or the case of their
// name.
func (b *builder) updateExtensions() {
	for _, d := range b.des.Extensions {
		if _, ok := b.extFrom[b.lower(d.Name)]; !ok {
			continue
		}
		e := b.curExt(d.Name)
		if e.Type == d.Type && e.Name == d.Name {
			continue
		}
		before := b.snapshot(e.Name)
		old := cloneExt(*e)
		e.Type, e.Name = d.Type, d.Name
		var hs []Hazard
		if old.Type == model.MultiValued && d.Type != model.MultiValued {
			hs = b.check(d.Name, fmt.Sprintf("fails if a customer holds more than one %s record", d.Name), func(table string) (Finding, error) {
				return b.data.MultiRecord(b.ctx, table)
			}, func(Finding) string {
				return fmt.Sprintf("customers hold more than one %s record, and a %s extension allows one", d.Name, d.Type)
			})
		}
		b.add(UpdateExtension{From: old, To: cloneExt(*e), Before: before, After: b.snapshot(d.Name)}, hs...)
	}
}

// attributes changes the attributes of the profile and of every extension
// that stays, once renamed: deletes, updates, then additions.
func (b *builder) attributes() {
	b.tableAttributes("", b.des.Profile)
	for _, d := range b.des.Extensions {
		if _, ok := b.extFrom[b.lower(d.Name)]; ok {
			b.tableAttributes(d.Name, d.Attributes)
		}
	}
}

func (b *builder) tableAttributes(ext string, desired []model.Attribute) {
	from := b.attrFrom[b.lower(ext)]
	attrs := b.curAttrs(ext)
	// The range takes the list as it is now: removeAttr builds a new
	// list, and never writes to this one.
	for _, a := range *attrs {
		if _, ok := from[b.lower(a.Name)]; ok {
			continue
		}
		before := b.snapshot(ext)
		*attrs = removeAttr(*attrs, a.Name)
		b.dropKeysOn(before.Name, a.Name)
		h := b.lossOfAttribute(ext, a)
		b.add(DeleteAttribute{Extension: ext, Attribute: a, Before: before, After: b.snapshot(ext)}, h)
	}
	for _, d := range desired {
		if _, ok := from[b.lower(d.Name)]; !ok {
			continue
		}
		i := indexOf(*attrs, b.lower(d.Name))
		// SameState ignores what strip clears: no copy for an attribute
		// that stays as it is.
		if (*attrs)[i].SameState(d) {
			continue
		}
		want := strip(d)
		before := b.snapshot(ext)
		prev := (*attrs)[i]
		(*attrs)[i] = want
		hs := b.attributeChecks(ext, prev, want)
		b.add(UpdateAttribute{Extension: ext, From: prev, To: want, Before: before, After: b.snapshot(ext)}, hs...)
	}
	for _, d := range desired {
		if _, ok := from[b.lower(d.Name)]; ok {
			continue
		}
		before := b.snapshot(ext)
		want := strip(d)
		*attrs = append(*attrs, want)
		var hs []Hazard
		if want.Mandatory && want.Default == nil {
			hs = b.check(ext, fmt.Sprintf("fails if the table holds rows: the new mandatory attribute %s has no default", d.Name), func(table string) (Finding, error) {
				n, err := b.data.Rows(b.ctx, table)
				return Finding{Rows: n}, err
			}, func(Finding) string {
				return fmt.Sprintf("rows would have no value for the new mandatory attribute %s; give it a default or add it as optional first", d.Name)
			})
		}
		b.add(AddAttribute{Extension: ext, Attribute: want, Before: before, After: b.snapshot(ext)}, hs...)
	}
}

// cloneExt deep-copies an extension, so that a change keeps the state it
// describes while the plan's current schema moves on.
func cloneExt(e model.Extension) model.Extension {
	e.Attributes = cloneAttrs(e.Attributes)
	e.Unique = cloneItems(e.Unique)
	return e
}

func cloneKey(k model.Key) model.Key {
	k.Attributes = append([]string(nil), k.Attributes...)
	return k
}

// strip returns a without position and rename instruction, with its own
// copy of the default.
func strip(a model.Attribute) model.Attribute {
	a.Pos, a.RenamedFrom = model.Pos{}, ""
	if a.Default != nil {
		d := *a.Default
		a.Default = &d
	}
	return a
}

func indexOf(as []model.Attribute, name string) int {
	for i, a := range as {
		if strings.EqualFold(a.Name, name) {
			return i
		}
	}
	return -1
}

func removeAttr(as []model.Attribute, name string) []model.Attribute {
	var out []model.Attribute
	for _, a := range as {
		if !strings.EqualFold(a.Name, name) {
			out = append(out, a)
		}
	}
	return out
}

// renameReferences follows an attribute rename in the keys and unique
// items of the current schema.
func (b *builder) renameReferences(ext, old, name string) {
	table := model.ProfileTable
	if ext != "" {
		table = model.ExtensionTable(ext)
		e := b.curExt(ext)
		for _, item := range e.Unique {
			renameIn(item, old, name)
		}
	}
	for _, k := range b.cur.Keys {
		if model.KeyTable(k) == table {
			renameIn(k.Attributes, old, name)
		}
	}
}

func renameIn(names []string, old, name string) {
	for i := range names {
		if strings.EqualFold(names[i], old) {
			names[i] = name
		}
	}
}

func (b *builder) createExtensions() {
	for _, d := range b.des.Extensions {
		if _, ok := b.extFrom[b.lower(d.Name)]; ok {
			continue
		}
		e := d
		e.Pos, e.RenamedFrom = model.Pos{}, ""
		e.Attributes = make([]model.Attribute, len(d.Attributes))
		for i, a := range d.Attributes {
			e.Attributes[i] = strip(a)
		}
		e.Unique = cloneItems(d.Unique)
		b.cur.Extensions = append(b.cur.Extensions, e)
		if b.curIdx != nil {
			b.curIdx[b.lower(e.Name)] = len(b.cur.Extensions) - 1
		}
		b.add(CreateExtension{Extension: cloneExt(e), Table: b.snapshot(e.Name)})
	}
	b.cur.Sort()
	b.curIdx = nil
}

func (b *builder) addUniques() {
	for _, d := range b.des.Extensions {
		if _, ok := b.extFrom[b.lower(d.Name)]; !ok {
			continue
		}
		e := b.curExt(d.Name)
		for _, item := range d.Unique {
			if hasItem(e.Unique, item) {
				continue
			}
			e.Unique = append(e.Unique, append([]string(nil), item...))
			var hs []Hazard
			if e.Type == model.MultiValued {
				hs = b.duplicates(d.Name, item, true, fmt.Sprintf("unique %s(%s)", d.Name, strings.Join(item, ", ")))
			}
			b.add(AddUnique{Extension: d.Name, Item: append([]string(nil), item...), Table: b.snapshot(d.Name)}, hs...)
		}
	}
}

func hasItem(items [][]string, item []string) bool {
	for _, it := range items {
		if model.SameItem(it, item) {
			return true
		}
	}
	return false
}

func (b *builder) createKeys() {
	for _, d := range b.des.Keys {
		d.Pos = model.Pos{}
		d.Attributes = append([]string(nil), d.Attributes...)
		if d.Source == "" {
			d.Source = model.ProfileSource
		}
		// The duplicate check runs only for a unique index that is built:
		// a key that stays as it is, or is only renamed, costs no query.
		if old, ok := b.replaced[b.lower(d.Name)]; ok {
			var check []Hazard
			if d.Unique && !(old.Unique && model.SameItem(old.Attributes, d.Attributes) && strings.EqualFold(sourceName(old), sourceName(d))) {
				check = b.keyDuplicates(d)
			}
			b.cur.Keys = append(model.RemoveKey(b.cur.Keys, d.Name), d)
			b.add(ReplaceKey{From: old, To: d}, check...)
			continue
		}
		i := -1
		for j, k := range b.cur.Keys {
			if strings.EqualFold(k.Name, d.Name) {
				i = j
			}
		}
		if i < 0 {
			var check []Hazard
			if d.Unique {
				check = b.keyDuplicates(d)
			}
			b.cur.Keys = append(b.cur.Keys, d)
			b.add(CreateKey{Key: d}, check...)
			continue
		}
		if old := cloneKey(b.cur.Keys[i]); old.Name != d.Name || sourceName(old) != sourceName(d) || strings.Join(old.Attributes, ",") != strings.Join(d.Attributes, ",") {
			b.cur.Keys[i] = d
			b.add(UpdateKey{From: old, To: cloneKey(d)})
		}
	}
	b.cur.Sort()
	b.curIdx = nil
}

// dropKeysOn removes from the current schema the keys (replaced later)
// whose index lives on table and, when attr is not "", covers attr: their
// index goes with the table or the column.
func (b *builder) dropKeysOn(table, attr string) {
	var kept []model.Key
	for _, k := range b.cur.Keys {
		if model.KeyTable(k) == table && (attr == "" || containsFold(k.Attributes, attr)) {
			continue
		}
		kept = append(kept, k)
	}
	b.cur.Keys = kept
}

func containsFold(names []string, name string) bool {
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

func (b *builder) keyDuplicates(k model.Key) []Hazard {
	ext := ""
	if !k.OnProfile() {
		ext = k.Source
	}
	return b.duplicates(ext, k.Attributes, false, "unique key "+k.Name)
}

// duplicates checks that the live values of attrs in ext's table hold no
// duplicates (within a customer when perCustomer). An attribute that this
// plan adds holds its default in every existing row, so it cannot tell rows
// apart: the check runs over the other attributes, or, when there are none,
// any two rows (two records of a customer) collide. An added attribute
// without a default is NULL, and NULLs never collide.
func (b *builder) duplicates(ext string, attrs []string, perCustomer bool, what string) []Hazard {
	live, ok := b.liveCols(b.lower(ext))
	if !ok {
		return nil // a new table holds no rows
	}
	var cols []string
	for _, a := range attrs {
		if c, ok := live[b.lower(a)]; ok {
			cols = append(cols, c)
			continue
		}
		if at, _ := findAttr(*b.curAttrs(ext), a); at.Default == nil {
			return nil
		}
	}
	message := func(Finding) string { return duplicateMessage(what, perCustomer) }
	fails := "fails on " + strings.TrimPrefix(duplicateMessage("", perCustomer), " over ")
	if len(cols) == 0 {
		return b.check(ext, fails, func(table string) (Finding, error) {
			if perCustomer {
				return b.data.MultiRecord(b.ctx, table)
			}
			n, err := b.data.Rows(b.ctx, table)
			if err != nil || n < 2 {
				return Finding{}, err
			}
			return Finding{Rows: n, Groups: 1, Customers: n}, nil
		}, message)
	}
	return b.check(ext, fails, func(table string) (Finding, error) {
		return b.data.Duplicates(b.ctx, table, cols, perCustomer)
	}, message)
}

// liveColumns maps attribute names as the plan currently knows them to the
// live columns; ok is false when one of them does not exist yet.
func (b *builder) liveColumns(ext string, attrs []string) ([]string, bool) {
	m, ok := b.liveCols(b.lower(ext))
	if !ok {
		return nil, false
	}
	cols := make([]string, len(attrs))
	for i, a := range attrs {
		c, ok := m[b.lower(a)]
		if !ok {
			return nil, false
		}
		cols[i] = c
	}
	return cols, true
}

// attributeChecks measures whether an attribute change can succeed on the
// live values.
func (b *builder) attributeChecks(ext string, from, to model.Attribute) []Hazard {
	cols, ok := b.liveColumns(ext, []string{to.Name})
	if !ok {
		return nil
	}
	col := cols[0]
	name := attrName(ext, to.Name)
	var hs []Hazard
	// A type change converts every value exactly or is refused by its data
	// check: it never loses a value. Offline, the check cannot run, and a
	// change that can meet values that do not convert is narrowing; it
	// names its table, which apply locks before the check counts (see
	// Plan.LossTables), so that no value written meanwhile escapes it.
	if from.Type != to.Type && (b.data != nil || narrowing(from, to)) {
		check := b.check(ext, fmt.Sprintf("fails on values of %s that do not convert from %s to %s", name, from.Type, to.Type), func(table string) (Finding, error) {
			return b.data.Unconvertible(b.ctx, table, col, from, to)
		}, func(Finding) string {
			return fmt.Sprintf("values of %s do not convert from %s to %s", name, from.Type, to.Type)
		})
		for i := range check {
			if check[i].Kind == Narrowing {
				check[i].Table = b.liveTable[b.lower(ext)]
			}
		}
		hs = append(hs, check...)
	}
	if to.Type == model.String && from.Type == model.String && to.Length < from.Length {
		hs = append(hs, b.check(ext, fmt.Sprintf("fails on values of %s longer than %d characters", name, to.Length), func(table string) (Finding, error) {
			return b.data.TooLong(b.ctx, table, col, to.Length)
		}, func(Finding) string {
			return fmt.Sprintf("values of %s are longer than the new length %d", name, to.Length)
		})...)
	}
	if to.Mandatory && !from.Mandatory {
		hs = append(hs, b.check(ext, fmt.Sprintf("fails on rows without a value for %s, which becomes mandatory", name), func(table string) (Finding, error) {
			return b.data.Nulls(b.ctx, table, col)
		}, func(Finding) string {
			return fmt.Sprintf("rows have no value for %s, which becomes mandatory; fill them first", name)
		})...)
	}
	return hs
}

// longestText is the length of the longest text a value of a type
// converts to (see the conversion rules in the README), on the safe side:
// a datetime with microseconds in a year of six digits, a date likewise.
var longestText = map[model.Type]int{
	model.Integer:  len("-2147483648"),
	model.Long:     len("-9223372036854775808"),
	model.Double:   len("-2.2250738585072014e-308"),
	model.Currency: len("-999999999999999.9999"),
	model.Boolean:  len("false"),
	model.Date:     len("-294276-12-31"),
	model.DateTime: len("-294276-12-31T23:59:59.999999Z"),
}

// narrowing reports whether a type change can lose values. Only integer
// to long, double and currency and date to datetime keep every value: a
// long may exceed 2^53 (a double's exact integers) or 15 digits (a
// currency's). To a string, only a length shorter than the type's longest
// text (longestText) can.
func narrowing(from, to model.Attribute) bool {
	widen := map[model.Type][]model.Type{
		model.Integer: {model.Long, model.Double, model.Currency},
		model.Date:    {model.DateTime},
	}
	if to.Type == model.String {
		// The text form may exceed the length.
		n, ok := longestText[from.Type]
		return !ok || n > to.Length
	}
	for _, t := range widen[from.Type] {
		if t == to.Type {
			return false
		}
	}
	return true
}

// check runs a data check on ext's live table and turns a non-empty finding
// into a data-check hazard. It records the table's row count for the plan.
// Offline (no data), the check cannot run: the change gets a narrowing
// hazard that says what data would make it fail (fails), unmeasured.
func (b *builder) check(ext, fails string, query func(table string) (Finding, error), message func(Finding) string) []Hazard {
	if b.err != nil {
		return nil
	}
	table, ok := b.liveTable[b.lower(ext)]
	if !ok {
		return nil
	}
	if b.data == nil {
		return []Hazard{{Kind: Narrowing, Message: fails, Rows: -1, Values: -1, Groups: -1, Customers: -1}}
	}
	if _, err := b.rowsOf(table); err != nil {
		return nil
	}
	f, err := query(table)
	if err != nil {
		b.fail(fmt.Errorf("data check on %s: %w", table, err))
		return nil
	}
	if f.Rows == 0 && f.Groups == 0 && f.Customers == 0 {
		return nil
	}
	return []Hazard{dataCheck(message(f), f)}
}

// fail records the first error of the data queries: on PostgreSQL a
// failed query aborts the transaction, and every later error only says so.
func (b *builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

func (b *builder) rowsOf(table string) (int64, error) {
	if n, ok := b.rows[table]; ok {
		return n, nil
	}
	if b.err != nil {
		return 0, b.err // no more queries after a failed one: see fail
	}
	n, err := b.data.Rows(b.ctx, table)
	if err != nil {
		b.fail(fmt.Errorf("counting rows of %s: %w", table, err))
		return 0, err
	}
	b.rows[table] = n
	return n, nil
}

func unknownLoss(msg string) Hazard {
	return Hazard{Kind: Destructive, Message: msg, Rows: -1, Values: -1, Groups: -1, Customers: -1}
}

// lossOfExtension measures what deleting e loses: its records and their
// non-null values.
func (b *builder) lossOfExtension(e model.Extension) Hazard {
	h := unknownLoss(fmt.Sprintf("deletes extension %s and its records", e.Name))
	table, ok := b.liveTable[b.lower(e.Name)]
	h.Table = table
	if b.data == nil {
		return h
	}
	if !ok {
		h.Rows, h.Values = 0, 0 // its table is gone already (drift)
		return h
	}
	rows, err := b.rowsOf(table)
	if err != nil {
		return h
	}
	var values int64
	if rows > 0 {
		var cols []string
		live, _ := b.liveCols(b.lower(e.Name))
		for _, col := range live {
			cols = append(cols, col)
		}
		sort.Strings(cols)
		if values, err = b.data.NonNull(b.ctx, table, cols); err != nil {
			b.fail(fmt.Errorf("counting values of %s: %w", table, err))
			return h
		}
	}
	h.Rows, h.Values = rows, values
	return h
}

// lossOfAttribute measures what deleting attribute a of ext loses: its
// non-null values (the rows stay, so Rows does not apply).
func (b *builder) lossOfAttribute(ext string, a model.Attribute) Hazard {
	h := unknownLoss(fmt.Sprintf("deletes attribute %s and its values", attrName(ext, a.Name)))
	table := b.liveTable[b.lower(ext)]
	live, _ := b.liveCols(b.lower(ext))
	col, ok := live[b.lower(a.Name)]
	if ok {
		h.Table = table
	}
	if b.data == nil {
		return h
	}
	if !ok {
		h.Values = 0
		return h
	}
	n, err := b.data.NonNull(b.ctx, table, []string{col})
	if err != nil {
		b.fail(fmt.Errorf("counting values of %s.%s: %w", table, col, err))
		return h
	}
	h.Values = n
	return h
}
