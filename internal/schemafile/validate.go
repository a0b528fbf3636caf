package schemafile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/ctxschema/ctxschema/internal/model"
)

// This file checks the meaning of the declarations (SPEC section 2) and
// builds the model. Every declaration that has a name goes into the model
// even when it has problems, so that later checks (a key naming an
// attribute) do not report the same mistake twice; the model is only
// returned when there is no error.

// validator checks declarations and reports to r.
type validator struct {
	r *reporter
	// scratch, when not nil, lends the scopes of attributes their
	// storage.
	scratch *scratch
}

// build validates the declarations of every file, in path order, and
// returns the schema they declare. The extensions were checked as each
// file was decoded; what is left is what spans files: the profile's
// attributes, the extensions' names and renames, and the keys.
func build(files []fileDecl, r *reporter) *model.Schema {
	v := &validator{r: r}
	s := &model.Schema{}

	var profile []attrDecl
	var keys []keyDecl
	nExts := 0
	for _, f := range files {
		profile = append(profile, f.Profile...)
		keys = append(keys, f.Keys...)
		nExts += len(f.Extensions)
	}

	s.Profile = v.attributes(profile, "the profile", false)
	v.columns(s.Profile, []string{model.CustomerIDColumn}, "the profile")

	extScope := newScope("extension", "", nExts)
	if nExts > 0 {
		s.Extensions = make([]model.Extension, 0, nExts)
	}
	var renames []rename // only those that rename: the others are not checked
	for _, f := range files {
		for _, c := range f.Extensions {
			ext := c.Ext
			if !extScope.declare(r, ext.Name, ext.Pos) {
				continue
			}
			s.Extensions = append(s.Extensions, ext)
			// Items that were written but failed their checks were reported.
			if ext.Type == model.MultiValued && len(ext.Unique) == 0 && !c.TriedItems {
				r.warnf(ext.Pos, "multi-valued extension %q has no unique item, so its records cannot be addressed by unique values; add unique: [<Attribute>]", ext.Name)
			}
			if c.RenamedFrom.Set {
				renames = append(renames, rename{Name: ext.Name, From: c.RenamedFrom})
			}
		}
	}
	v.renames(extScope, renames)

	keyScope := newScope("identification key", "", len(keys))
	if len(keys) > 0 {
		s.Keys = make([]model.Key, 0, len(keys))
	}
	for _, k := range keys {
		key, ok := v.key(k, s)
		if ok && keyScope.declare(r, key.Name, key.Pos) {
			s.Keys = append(s.Keys, key)
		}
	}
	if len(s.Keys) == 0 {
		s.Keys = nil
	}

	s.Sort()
	return s
}

// scope holds the names declared in one namespace: the extensions, the
// keys, the profile's attributes or one extension's attributes. Names are
// case-insensitive: two names are the same when their strings.ToLower are.
type scope struct {
	kind string // "extension", "attribute"
	// owner is "" or whose names they are (`extension "Phone"`), for
	// messages (where).
	owner string
	// decls are the names as first declared, in order. Up to smallScope
	// of them are looked up by comparing each (an extension's dozen
	// attributes need no map); above it, through index.
	decls []declared
	index map[string]int // lower-cased → in decls; nil up to smallScope
}

type declared struct {
	name string
	pos  model.Pos
}

// smallScope is the most names a scope looks up without a map.
const smallScope = 16

// newScope is a scope for about n names.
func newScope(kind, owner string, n int) *scope {
	return &scope{kind: kind, owner: owner, decls: make([]declared, 0, n)}
}

// where is "" or ` in extension "Phone"`, after a name in messages.
func (s *scope) where() string {
	if s.owner == "" {
		return ""
	}
	return " in " + s.owner
}

// declare records name at pos, or reports it as a duplicate (citing the
// first declaration) and returns false.
func (s *scope) declare(r *reporter, name string, pos model.Pos) bool {
	low := ""
	if s.index != nil {
		low = strings.ToLower(name) // once, for the look-up and the index
	}
	if prev, first, dup := s.lookupLower(name, low); dup {
		if prev != name {
			r.errorf(pos, "duplicate %s %q%s (first defined as %q at %s; names are case-insensitive)", s.kind, name, s.where(), prev, first)
		} else {
			r.errorf(pos, "duplicate %s %q%s (first defined at %s)", s.kind, name, s.where(), first)
		}
		return false
	}
	s.decls = append(s.decls, declared{name: name, pos: pos})
	switch {
	case s.index != nil:
		s.index[low] = len(s.decls) - 1
	case len(s.decls) > smallScope:
		s.index = make(map[string]int, cap(s.decls))
		for i, d := range s.decls {
			s.index[strings.ToLower(d.name)] = i
		}
	}
	return true
}

// lookup returns the declared spelling of name, case-insensitively, and
// where it was declared.
func (s *scope) lookup(name string) (string, model.Pos, bool) {
	low := ""
	if s.index != nil {
		low = strings.ToLower(name)
	}
	return s.lookupLower(name, low)
}

// lookupLower is lookup with low, strings.ToLower(name), given when the
// scope has an index.
func (s *scope) lookupLower(name, low string) (string, model.Pos, bool) {
	if s.index != nil {
		i, ok := s.index[low]
		if !ok {
			return "", model.Pos{}, false
		}
		return s.decls[i].name, s.decls[i].pos, true
	}
	for _, d := range s.decls {
		if model.SameLower(d.name, name) {
			return d.name, d.pos, true
		}
	}
	return "", model.Pos{}, false
}

// rename is a declaration's renamed_from, checked against its scope.
type rename struct {
	Name string
	From field[string]
}

// renames checks the renamed_from fields of one scope: each is a valid name,
// not the declaration's own name, not a name still declared in the scope,
// and not claimed by two declarations.
func (v *validator) renames(sc *scope, list []rename) {
	var claimed map[string]rename // made at the first rename: most scopes have none
	for _, rn := range list {
		if !rn.From.valid() {
			continue
		}
		from, what := rn.From.Val, fmt.Sprintf("%s %q%s", sc.kind, rn.Name, sc.where())
		if msg := nameProblem("renamed_from:", from); msg != "" {
			v.r.errorf(rn.From.Pos.pos(), "%s", msg)
			continue
		}
		if from == rn.Name {
			v.r.errorf(rn.From.Pos.pos(), "%s is renamed from itself; remove renamed_from", what)
			continue
		}
		if other, at, ok := sc.lookup(from); ok && !strings.EqualFold(from, rn.Name) {
			v.r.errorf(rn.From.Pos.pos(), "%s is renamed from %q, but %s %q is still declared (at %s); remove renamed_from or the old declaration",
				what, from, sc.kind, other, at)
			continue
		}
		low := strings.ToLower(from)
		if prev, dup := claimed[low]; dup {
			v.r.errorf(rn.From.Pos.pos(), "%s is renamed from %q, like %s %q (at %s); only one of them can keep its data",
				what, from, sc.kind, prev.Name, prev.From.Pos)
			continue
		}
		if claimed == nil {
			claimed = map[string]rename{}
		}
		claimed[low] = rn
	}
}

// nameProblem checks the name of an extension, key or attribute and words
// the problem, or returns "".
func nameProblem(what, name string) string {
	err := model.CheckName(name)
	if err == nil {
		return ""
	}
	msg := what + " " + err.Error()
	switch {
	case model.Reserved(name):
		msg += "; choose another name"
	case len(name) > model.MaxNameLength && !strings.Contains(err.Error(), "must start"):
		msg += "; shorten it"
	}
	return msg
}

// name checks a declaration's name field. It returns the name and whether
// the declaration has one (a malformed name is reported and still returned,
// so that references to it are not reported again). owner is "" or whose
// declaration it is ("the profile"), for the message.
func (v *validator) name(f field[string], objPos model.Pos, what, owner string) (string, bool) {
	if !f.Set {
		if owner != "" {
			owner = " of " + owner
		}
		v.r.errorf(objPos, "%s%s has no name; add name: <Name>", article(what), owner)
		return "", false
	}
	if !f.OK {
		return "", false
	}
	if msg := nameProblem(what, f.Val); msg != "" {
		v.r.errorf(f.Pos.pos(), "%s", msg)
	}
	return f.Val, true
}

// columns refuses a table with more columns than any database allows: the
// layout's own (layout) and one per attribute. The error is at the first
// attribute too many.
func (v *validator) columns(attrs []model.Attribute, layout []string, owner string) {
	max := model.MaxColumns - len(layout)
	if len(attrs) <= max {
		return
	}
	v.r.errorf(attrs[max].Pos, "%s has %d attributes, more than the %d its table can hold: a table has at most %d columns (PostgreSQL's limit), %s included; move attributes to an extension",
		owner, len(attrs), max, model.MaxColumns, strings.Join(layout, " and "))
}

// typeHints are words that users reach for, and the Context Services type
// that means it.
var typeHints = map[string]model.Type{
	"float": model.Double, "real": model.Double, "int": model.Integer, "bigint": model.Long,
	"bool": model.Boolean, "text": model.String, "varchar": model.String,
	"timestamp": model.DateTime, "decimal": model.Currency, "money": model.Currency, "numeric": model.Currency,
}

func typeNames() []string {
	out := make([]string, len(model.Types))
	for i, t := range model.Types {
		out[i] = string(t)
	}
	return out
}

// attributes checks the attributes of the profile (owner "the profile") or
// of an extension, with their names in one scope.
func (v *validator) attributes(decls []attrDecl, owner string, inExtension bool) []model.Attribute {
	sc := &scope{kind: "profile attribute"}
	if v.scratch != nil {
		sc.decls = v.scratch.decls[:0]
	}
	if inExtension {
		sc.kind, sc.owner = "attribute", owner
	}
	var out []model.Attribute
	if len(decls) > 0 {
		out = make([]model.Attribute, 0, len(decls))
	}
	var renames []rename // only those that rename: the others are not checked
	for _, d := range decls {
		a, ok := v.attribute(d, owner, inExtension)
		if !ok || !sc.declare(v.r, a.Name, a.Pos) {
			continue
		}
		out = append(out, a)
		if d.RenamedFrom.Set {
			renames = append(renames, rename{Name: a.Name, From: d.RenamedFrom})
		}
	}
	v.renames(sc, renames)
	if v.scratch != nil {
		v.scratch.decls = sc.decls[:0]
	}
	return out
}

// attribute checks one attribute. It returns false when the attribute has
// no name.
func (v *validator) attribute(d attrDecl, owner string, inExtension bool) (model.Attribute, bool) {
	if d.Bad {
		return model.Attribute{}, false
	}
	name, ok := v.name(d.Name, d.Pos.pos(), "attribute", owner)
	if !ok {
		return model.Attribute{}, false
	}
	if model.CheckName(name) == nil {
		if err := model.CheckAttributeName(name); err != nil {
			v.r.errorf(d.Name.Pos.pos(), "attribute %v; choose another name", err)
		}
	}
	a := model.Attribute{Name: name, Pos: d.Pos.pos()}

	typeOK := false
	switch {
	case !d.Type.Set:
		v.r.errorf(d.Pos.pos(), "attribute %q has no type; add type: one of %s", name, strings.Join(typeNames(), ", "))
	case d.Type.OK:
		a.Type = model.Type(d.Type.Val)
		typeOK = a.Type.Valid()
		if !typeOK {
			v.r.errorf(d.Type.Pos.pos(), "unknown type %q for attribute %q; types: %s%s", d.Type.Val, name, strings.Join(typeNames(), ", "), typeHint(d.Type.Val))
		}
	}

	lengthOK := true
	if d.Length.Set {
		lengthOK = false
		switch {
		case !d.Length.OK:
		case typeOK && a.Type != model.String:
			v.r.errorf(d.Length.Pos.pos(), "length applies only to string attributes; remove it from %s attribute %q", a.Type, name)
		case d.Length.Val < 1:
			v.r.errorf(d.Length.Pos.pos(), "length %d of attribute %q must be at least 1", d.Length.Val, name)
		case d.Length.Val > model.MaxStringLength:
			v.r.errorf(d.Length.Pos.pos(), "length %d of attribute %q is more than the maximum %d", d.Length.Val, name, model.MaxStringLength)
		default:
			a.Length, lengthOK = d.Length.Val, true
		}
	}
	if a.Type == model.String && a.Length == 0 {
		a.Length = model.DefaultStringLength
	}

	if d.Default.valid() && typeOK && lengthOK {
		canon, err := model.CanonicalDefault(a.Type, a.Length, d.Default.Val)
		if err != nil {
			v.r.errorf(d.Default.Pos.pos(), "attribute %q: %v", name, err)
		} else {
			a.Default = &canon
		}
	}

	a.Mandatory = d.Mandatory.Val
	a.Encrypt = d.Encrypt.Val
	if d.Unique.valid() && d.Unique.Val && !inExtension {
		v.r.errorf(d.Unique.Pos.pos(), "unique: true is allowed on extension attributes only; to keep profile values unique, declare an identification key with unique: true over %q", name)
	}
	if d.RenamedFrom.valid() {
		a.RenamedFrom = d.RenamedFrom.Val
	}
	return a, true
}

func typeHint(t string) string {
	if want, ok := typeHints[strings.ToLower(t)]; ok {
		return fmt.Sprintf("; use %q", want)
	}
	if c := closest(t, typeNames()); c != "" {
		return fmt.Sprintf("; did you mean %q?", c)
	}
	return ""
}

var extensionTypes = []string{string(model.SingleValued), string(model.MultiValued), string(model.Classifier)}

// extension checks one extension and its attributes and unique items. It
// returns false when the extension has no name.
func (v *validator) extension(d extDecl) (model.Extension, bool) {
	if d.Bad {
		return model.Extension{}, false
	}
	name, ok := v.name(d.Name, d.Pos.pos(), "extension", "")
	if !ok {
		return model.Extension{}, false
	}
	e := model.Extension{Name: name, Pos: d.Pos.pos()}
	owner := fmt.Sprintf("extension %q", name)

	typeOK := false
	switch {
	case !d.Type.Set:
		v.r.errorf(d.Pos.pos(), "extension %q has no type; add type: one of %s", name, strings.Join(extensionTypes, ", "))
	case d.Type.OK:
		e.Type = model.ExtensionType(d.Type.Val)
		typeOK = e.Type.Valid()
		if !typeOK {
			hint := ""
			if c := closest(d.Type.Val, extensionTypes); c != "" {
				hint = fmt.Sprintf("; did you mean %q?", c)
			}
			v.r.errorf(d.Type.Pos.pos(), "unknown type %q for extension %q; types: %s%s", d.Type.Val, name, strings.Join(extensionTypes, ", "), hint)
		}
	}

	e.Attributes = v.attributes(d.Attributes.Val, owner, true)
	layout := []string{model.CustomerIDColumn}
	if typeOK && e.Type == model.MultiValued {
		layout = append(layout, model.RecordIDColumn)
	}
	v.columns(e.Attributes, layout, owner)
	if typeOK && e.Type == model.Classifier && len(d.Attributes.Val) > 0 {
		v.r.errorf(d.Attributes.Pos.pos(), "classifier extension %q has no attributes; remove them or make it single-valued", name)
	}

	e.Unique = v.uniqueItems(d, e)
	if d.RenamedFrom.valid() {
		e.RenamedFrom = d.RenamedFrom.Val
	}
	return e, true
}

// uniqueItems checks the unique items of an extension, folds in the
// attributes marked unique: true, and returns the items in declared order
// with the attributes' declared spelling.
func (v *validator) uniqueItems(d extDecl, e model.Extension) [][]string {
	type item struct {
		pos   model.Pos
		names []string
	}
	var items []item
	// find returns the item that covers the same attributes as names, in
	// any order: (A, B) and (B, A) are one constraint.
	find := func(names []string) (item, bool) {
		for _, it := range items {
			if sameSet(it.names, names) {
				return it, true
			}
		}
		return item{}, false
	}
	if len(d.Unique.Val) > 0 {
		items = make([]item, 0, len(d.Unique.Val))
	}
	for _, it := range d.Unique.Val {
		if it.Composite && len(it.Names) < 2 {
			v.r.errorf(it.Pos.pos(), "a composite unique item needs 2 or more attributes; write a single attribute without brackets")
			continue
		}
		var names []string
		ok := true
		for _, ref := range it.Names {
			a, found := e.Attribute(ref.Name)
			if !found {
				v.r.errorf(ref.Pos.pos(), "unique item names %q, which is not an attribute of extension %q%s", ref.Name, e.Name, suggest(ref.Name, attributeNames(e.Attributes)))
				ok = false
				continue
			}
			for _, n := range names {
				if n == a.Name {
					v.r.errorf(ref.Pos.pos(), "attribute %q appears twice in a unique item; list it once", ref.Name)
					ok = false
				}
			}
			names = append(names, a.Name)
		}
		if !ok {
			continue
		}
		if max := model.MaxIndexColumns - 1; len(names) > max {
			v.r.errorf(it.Pos.pos(), "unique item of extension %q has %d attributes, more than %d: its index also holds customer_id, and an index has at most %d columns (PostgreSQL's limit)", e.Name, len(names), max, model.MaxIndexColumns)
			continue
		}
		if first, dup := find(names); dup {
			v.r.errorf(it.Pos.pos(), "unique item [%s] is listed twice in extension %q (first at %s); keep one", strings.Join(names, ", "), e.Name, first.pos)
			continue
		}
		items = append(items, item{it.Pos.pos(), names})
	}

	for _, a := range d.Attributes.Val {
		if !a.Unique.valid() || !a.Unique.Val || !a.Name.valid() {
			continue
		}
		attr, found := e.Attribute(a.Name.Val)
		if !found {
			continue // a duplicate or unnamed attribute, already reported
		}
		names := []string{attr.Name}
		if first, dup := find(names); dup {
			v.r.warnf(a.Unique.Pos.pos(), "attribute %q is marked unique: true and is also a unique item of extension %q (at %s); remove one", attr.Name, e.Name, first.pos)
			continue
		}
		items = append(items, item{a.Unique.Pos.pos(), names})
	}

	if len(items) == 0 {
		return nil
	}
	slices.SortStableFunc(items, func(a, b item) int {
		return cmp.Or(cmp.Compare(a.pos.Line, b.pos.Line), cmp.Compare(a.pos.Col, b.pos.Col))
	})
	out := make([][]string, len(items))
	for i, it := range items {
		out[i] = it.names
	}
	return out
}

// sameSet reports whether a and b hold the same names, in any order (the
// names are distinct and spelled as declared).
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !contains(b, x) {
			return false
		}
	}
	return true
}

func suggest(name string, candidates []string) string {
	if c := closest(name, candidates); c != "" {
		return fmt.Sprintf("; did you mean %q?", c)
	}
	return ""
}

// key checks one identification key against the declared schema s. It
// returns false when the key has no name.
func (v *validator) key(d keyDecl, s *model.Schema) (model.Key, bool) {
	if d.Bad {
		return model.Key{}, false
	}
	name, ok := v.name(d.Name, d.Pos.pos(), "identification key", "")
	if !ok {
		return model.Key{}, false
	}
	k := model.Key{Name: name, Source: model.ProfileSource, Pos: d.Pos.pos()}
	if d.Unique.valid() {
		k.Unique = d.Unique.Val
	}

	// The key's source: the profile (the default) or one extension.
	attrs, sourceOK, sourceDesc := s.Profile, true, "the profile"
	if d.Source.Set {
		src := d.Source.Val
		switch {
		case !d.Source.OK:
			sourceOK = false
		case strings.EqualFold(src, "none"):
			v.r.errorf(d.Source.Pos.pos(), "source %q of identification key %q is refused: manual identification tables cannot be managed declaratively; use source: profile or the name of an extension", src, name)
			sourceOK = false
		case strings.EqualFold(src, model.ProfileSource):
		default:
			e, found := s.Extension(src)
			if !found {
				// The names are listed only for the suggestion: a list
				// made for every key would be made as many times as
				// there are keys.
				extNames := make([]string, len(s.Extensions))
				for i, e := range s.Extensions {
					extNames[i] = e.Name
				}
				v.r.errorf(d.Source.Pos.pos(), "source %q of identification key %q is neither profile nor a declared extension%s", src, name, suggest(src, extNames))
				sourceOK = false
				break
			}
			k.Source, attrs, sourceDesc = e.Name, e.Attributes, fmt.Sprintf("extension %q", e.Name)
		}
	}

	if !d.Attributes.Set || (d.Attributes.OK && len(d.Attributes.Val) == 0) {
		pos := d.Pos
		if d.Attributes.Set {
			pos = d.Attributes.Pos
		}
		v.r.errorf(pos.pos(), "identification key %q has no attributes; list at least one, in lookup order", name)
	}
	for _, ref := range d.Attributes.Val {
		if ext, attr, dotted := strings.Cut(ref.Name, "."); dotted {
			v.r.errorf(ref.Pos.pos(), "attribute %q of identification key %q: write source: %s and the attribute alone (%s); a key's attributes all come from its one source", ref.Name, name, ext, attr)
			continue
		}
		if !sourceOK {
			continue
		}
		a, found := findAttribute(attrs, ref.Name)
		if !found {
			v.r.errorf(ref.Pos.pos(), "attribute %q of identification key %q is not an attribute of %s%s", ref.Name, name, sourceDesc, v.elsewhere(s, k, ref.Name, attributeNames(attrs)))
			continue
		}
		if containsFold(k.Attributes, a.Name) {
			v.r.errorf(ref.Pos.pos(), "attribute %q appears twice in identification key %q; list each attribute once", ref.Name, name)
			continue
		}
		k.Attributes = append(k.Attributes, a.Name)
	}
	if len(k.Attributes) > model.MaxIndexColumns {
		v.r.errorf(d.Attributes.Pos.pos(), "identification key %q has %d attributes, more than %d: an index has at most %d columns (PostgreSQL's limit)", name, len(k.Attributes), model.MaxIndexColumns, model.MaxIndexColumns)
	}
	return k, true
}

// elsewhere explains a key attribute missing from the key's source: it may
// belong to another source (a key never mixes sources), or be a typo.
func (v *validator) elsewhere(s *model.Schema, k model.Key, attr string, candidates []string) string {
	if k.OnProfile() {
		for _, e := range s.Extensions {
			if _, ok := e.Attribute(attr); ok {
				return fmt.Sprintf("; it is in extension %q: set source: %s (a key's attributes all come from its one source)", e.Name, e.Name)
			}
		}
	} else if _, ok := s.ProfileAttribute(attr); ok {
		return "; it is a profile attribute, and a key never mixes profile and extension attributes"
	}
	return suggest(attr, candidates)
}

// attributeNames lists the names of as, for a suggestion: only made for
// a message, not for every declaration checked.
func attributeNames(as []model.Attribute) []string {
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = a.Name
	}
	return names
}

func findAttribute(as []model.Attribute, name string) (model.Attribute, bool) {
	for _, a := range as {
		if strings.EqualFold(a.Name, name) {
			return a, true
		}
	}
	return model.Attribute{}, false
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
