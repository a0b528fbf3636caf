// Package model is the domain model of Context Services schemas that both
// sides of ctxschema share: the schema files produce it, the live database is
// read back into it, and the planner diffs two of them. It knows no YAML and
// no SQL.
package model

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Type is the type of an attribute, as Context Services names it.
type Type string

// The attribute types of Context Services.
const (
	String   Type = "string"
	Integer  Type = "integer"
	Long     Type = "long"
	Double   Type = "double"
	Date     Type = "date"
	DateTime Type = "datetime"
	Currency Type = "currency"
	Boolean  Type = "boolean"
)

// Types lists every attribute type in documentation order.
var Types = []Type{String, Integer, Long, Double, Date, DateTime, Currency, Boolean}

// Valid reports whether t is one of the attribute types.
func (t Type) Valid() bool {
	for _, v := range Types {
		if v == t {
			return true
		}
	}
	return false
}

// DefaultStringLength is the length of a string attribute that declares none.
const DefaultStringLength = 255

// MaxStringLength is the largest length a string attribute may declare.
const MaxStringLength = 4000

// MaxNameLength is the longest name of an extension, key or attribute.
const MaxNameLength = 26

// MaxColumns is the most columns a table may have on every database
// ctxschema supports, the layout's own columns (customer_id, record_id)
// included: PostgreSQL's limit (SQLite's is 2,000). Schema files are
// checked against the lowest, so that they apply to either database.
const MaxColumns = 1600

// MaxIndexColumns is the most columns an index may have on every database
// ctxschema supports: PostgreSQL's INDEX_MAX_KEYS (SQLite's is 2,000). A
// unique item's index also holds customer_id.
const MaxIndexColumns = 32

// CatalogPrefix starts the names of ctxschema's own tables (cs_meta,
// cs_schema, cs_history), and is reserved in every name that becomes a
// column.
const CatalogPrefix = "cs_"

// ExtensionType says how many records of an extension a customer may hold.
type ExtensionType string

// The extension types of Context Services.
const (
	SingleValued ExtensionType = "single-valued"
	MultiValued  ExtensionType = "multi-valued"
	Classifier   ExtensionType = "classifier"
)

// Valid reports whether t is one of the extension types.
func (t ExtensionType) Valid() bool {
	return t == SingleValued || t == MultiValued || t == Classifier
}

// ProfileSource is the source of an identification key over profile
// attributes.
const ProfileSource = "profile"

// Pos is where a declaration stands in a schema file. The zero Pos means the
// object was not read from a file (for example, it was read from a database).
type Pos struct {
	File string
	Line int
	Col  int
}

// String renders the position as file:line:col, or "" for the zero Pos.
func (p Pos) String() string {
	if p.File == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Attribute is one typed field of the profile or of an extension.
type Attribute struct {
	Name string
	Type Type
	// Length is the maximum length of a string attribute; 0 for other types.
	Length int
	// Default is the canonical text of the default value (see
	// CanonicalDefault), or nil when the attribute has none.
	Default   *string
	Mandatory bool
	Encrypt   bool
	// RenamedFrom names the attribute this one was called before; it is a
	// planning instruction, not part of the attribute's state.
	RenamedFrom string
	Pos         Pos
}

// Column is the physical column name of the attribute.
func (a Attribute) Column() string { return strings.ToLower(a.Name) }

// SameState reports whether a and b describe the same stored attribute:
// everything but position and rename instructions, names compared exactly.
func (a Attribute) SameState(b Attribute) bool {
	return a.Name == b.Name && a.Type == b.Type && a.Length == b.Length &&
		equalDefault(a.Default, b.Default) && a.Mandatory == b.Mandatory && a.Encrypt == b.Encrypt
}

func equalDefault(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// Extension is a profile extension: a table of typed records per customer.
type Extension struct {
	Name       string
	Type       ExtensionType
	Attributes []Attribute
	// Unique lists the unique items: each is one attribute name or a
	// composite of two or more, in declared order. Per-attribute
	// `unique: true` is folded in here by the loader.
	Unique      [][]string
	RenamedFrom string
	Pos         Pos
}

// Table is the physical table name of the extension.
func (e Extension) Table() string { return ExtensionTable(e.Name) }

// Attribute finds an attribute by name, case-insensitively.
func (e Extension) Attribute(name string) (Attribute, bool) {
	return findAttribute(e.Attributes, name)
}

// ExtensionTable is the physical table of the extension called name.
func ExtensionTable(name string) string { return "ext_" + strings.ToLower(name) }

// ProfileTable is the physical table of the profile schema.
const ProfileTable = "profile"

// CustomerIDColumn is the column that holds the customer id in every table.
const CustomerIDColumn = "customer_id"

// RecordIDColumn is the surrogate primary key of multi-valued extensions.
const RecordIDColumn = "record_id"

// CustomerIDLength is the maximum length of a customer id.
const CustomerIDLength = 16

// Key is an identification key: an ordered index over attributes of one
// source (the profile or one extension).
type Key struct {
	Name string
	// Source is ProfileSource or the name of an extension, as declared.
	Source     string
	Attributes []string
	Unique     bool
	Pos        Pos
}

// Index is the physical index name of the key.
func (k Key) Index() string { return KeyIndex(k.Name) }

// OnProfile reports whether the key's source is the profile.
func (k Key) OnProfile() bool { return strings.EqualFold(k.Source, ProfileSource) || k.Source == "" }

// KeyIndex is the physical index of the key called name.
func KeyIndex(name string) string { return "ik_" + strings.ToLower(name) }

// UniqueIndex is the physical name of the unique index of a multi-valued
// extension's unique item. It is derived from the lower-cased attribute
// names, so reordering items in the file does not rename their indexes.
func UniqueIndex(extension string, item []string) string {
	cols := make([]string, len(item))
	for i, a := range item {
		cols[i] = strings.ToLower(a)
	}
	return fmt.Sprintf("ux_%s_%08x", strings.ToLower(extension), fnv32(strings.Join(cols, ",")))
}

// CustomerIndex is the physical name of the index over customer_id alone
// of the multi-valued extension called extension (see Table.CustomerIndex).
func CustomerIndex(extension string) string { return "cx_" + strings.ToLower(extension) }

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// Schema is a whole declared schema: the profile attributes, the extensions
// and the identification keys.
type Schema struct {
	Profile    []Attribute
	Extensions []Extension
	Keys       []Key
}

// ProfileAttribute finds a profile attribute by name, case-insensitively.
func (s *Schema) ProfileAttribute(name string) (Attribute, bool) {
	return findAttribute(s.Profile, name)
}

// Extension finds an extension by name, case-insensitively.
func (s *Schema) Extension(name string) (Extension, bool) {
	for _, e := range s.Extensions {
		if strings.EqualFold(e.Name, name) {
			return e, true
		}
	}
	return Extension{}, false
}

// Key finds an identification key by name, case-insensitively.
func (s *Schema) Key(name string) (Key, bool) {
	for _, k := range s.Keys {
		if strings.EqualFold(k.Name, name) {
			return k, true
		}
	}
	return Key{}, false
}

// SourceAttributes returns the attributes of a key's source, and whether the
// source exists.
func (s *Schema) SourceAttributes(source string) ([]Attribute, bool) {
	if source == "" || strings.EqualFold(source, ProfileSource) {
		return s.Profile, true
	}
	e, ok := s.Extension(source)
	return e.Attributes, ok
}

// KeyTable is the physical table that holds the key's index in s.
func KeyTable(k Key) string {
	if k.OnProfile() {
		return ProfileTable
	}
	return ExtensionTable(k.Source)
}

// Sort orders extensions and keys by lower-cased name so that two schemas
// that differ only in file order compare equal. Attribute order is kept: it
// is the column order.
//
// A schema already in order (as one loaded or inspected is) costs a look
// at each name, not a sort: a plan sorts the schemas it compares several
// times.
func (s *Schema) Sort() {
	sortExtensions(s.Extensions)
	sortKeys(s.Keys)
}

// ByName returns the extensions and keys of s in the order of Sort: s's
// own slices when they are in that order already, else sorted copies.
// Treat them as read-only.
func (s *Schema) ByName() ([]Extension, []Key) {
	exts, keys := s.Extensions, s.Keys
	if !extensionsSorted(exts) {
		exts = append([]Extension(nil), exts...)
		sortExtensions(exts)
	}
	if !keysSorted(keys) {
		keys = append([]Key(nil), keys...)
		sortKeys(keys)
	}
	return exts, keys
}

// sortExtensions sorts exts by name (LessFold), stably, unless they are
// in order already: a stable sort would leave them as they are.
func sortExtensions(exts []Extension) {
	if !extensionsSorted(exts) {
		sort.SliceStable(exts, func(i, j int) bool { return LessFold(exts[i].Name, exts[j].Name) })
	}
}

// sortKeys is sortExtensions for keys.
func sortKeys(keys []Key) {
	if !keysSorted(keys) {
		sort.SliceStable(keys, func(i, j int) bool { return LessFold(keys[i].Name, keys[j].Name) })
	}
}

func extensionsSorted(exts []Extension) bool {
	for i := 1; i < len(exts); i++ {
		if LessFold(exts[i].Name, exts[i-1].Name) {
			return false
		}
	}
	return true
}

func keysSorted(keys []Key) bool {
	for i := 1; i < len(keys); i++ {
		if LessFold(keys[i].Name, keys[i-1].Name) {
			return false
		}
	}
	return true
}

// SameLower reports whether strings.ToLower(a) == strings.ToLower(b), the
// sameness of names, without lowering (and so allocating) when the bytes
// that decide are ASCII.
func SameLower(a, b string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		if ca >= utf8.RuneSelf || cb >= utf8.RuneSelf {
			return strings.ToLower(a) == strings.ToLower(b)
		}
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	// One is a prefix of the other, up to case: what is left of the
	// longer one lowers to at least one byte.
	return len(a) == len(b)
}

// LessFold reports whether strings.ToLower(a) < strings.ToLower(b), the
// order of names everywhere, without lowering (and so allocating) when the
// bytes that decide are ASCII: sorts compare each name many times.
func LessFold(a, b string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		if ca >= utf8.RuneSelf || cb >= utf8.RuneSelf {
			return strings.ToLower(a) < strings.ToLower(b)
		}
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return ca < cb
		}
	}
	// One is a prefix of the other, up to case: what is left of the
	// longer one lowers to at least one byte.
	return len(a) < len(b)
}

// Clone returns a deep copy of s.
//
// The copy takes a handful of allocations, not several per extension: its
// attributes, defaults, unique items and names are cut from one slice of
// each, each piece capped so that appending to it copies it. A plan
// clones the schemas it compares several times.
func (s *Schema) Clone() *Schema {
	var sl slabs
	sl.count(s.Profile)
	for _, e := range s.Extensions {
		sl.count(e.Attributes)
		sl.nItems += len(e.Unique)
		for _, item := range e.Unique {
			sl.nNames += len(item)
		}
	}
	for _, k := range s.Keys {
		sl.nNames += len(k.Attributes)
	}
	sl.make()
	c := &Schema{Profile: sl.attributes(s.Profile)}
	if s.Extensions != nil {
		c.Extensions = make([]Extension, len(s.Extensions))
	}
	if s.Keys != nil {
		c.Keys = make([]Key, len(s.Keys))
	}
	for i, e := range s.Extensions {
		e.Attributes = sl.attributes(e.Attributes)
		e.Unique = sl.items(e.Unique)
		c.Extensions[i] = e
	}
	for i, k := range s.Keys {
		k.Attributes = sl.names(k.Attributes)
		c.Keys[i] = k
	}
	return c
}

// slabs are the slices a Clone cuts its pieces from: count every piece,
// make, then take them.
type slabs struct {
	nAttrs, nDefaults, nItems, nNames int

	attrSlab    []Attribute
	defaultSlab []string
	itemSlab    [][]string
	nameSlab    []string
}

func (sl *slabs) count(as []Attribute) {
	sl.nAttrs += len(as)
	for _, a := range as {
		if a.Default != nil {
			sl.nDefaults++
		}
	}
}

func (sl *slabs) make() {
	sl.attrSlab = make([]Attribute, sl.nAttrs)
	sl.defaultSlab = make([]string, sl.nDefaults)
	sl.itemSlab = make([][]string, sl.nItems)
	sl.nameSlab = make([]string, sl.nNames)
}

// attributes copies as, as cloneAttributes does (nil stays nil, empty
// stays empty).
func (sl *slabs) attributes(as []Attribute) []Attribute {
	if len(as) == 0 {
		return as[:0:0]
	}
	out := sl.attrSlab[:len(as):len(as)]
	sl.attrSlab = sl.attrSlab[len(as):]
	copy(out, as)
	for i := range out {
		if out[i].Default != nil {
			sl.defaultSlab[0] = *out[i].Default
			out[i].Default = &sl.defaultSlab[0]
			sl.defaultSlab = sl.defaultSlab[1:]
		}
	}
	return out
}

// items copies unique items as cloneItems does.
func (sl *slabs) items(items [][]string) [][]string {
	if items == nil {
		return nil
	}
	out := sl.itemSlab[:len(items):len(items)]
	sl.itemSlab = sl.itemSlab[len(items):]
	for i, it := range items {
		out[i] = sl.names(it)
	}
	return out
}

// names copies ss as append([]string(nil), ss...) does: empty gives nil.
func (sl *slabs) names(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := sl.nameSlab[:len(ss):len(ss)]
	sl.nameSlab = sl.nameSlab[len(ss):]
	copy(out, ss)
	return out
}

// Stripped returns a copy of s without positions and rename instructions:
// the state a database can hold.
func (s *Schema) Stripped() *Schema {
	c := s.Clone()
	strip := func(as []Attribute) {
		for i := range as {
			as[i].Pos, as[i].RenamedFrom = Pos{}, ""
		}
	}
	strip(c.Profile)
	for i := range c.Extensions {
		c.Extensions[i].Pos, c.Extensions[i].RenamedFrom = Pos{}, ""
		strip(c.Extensions[i].Attributes)
	}
	for i := range c.Keys {
		c.Keys[i].Pos = Pos{}
	}
	return c
}

// WithoutPositions returns a copy of s with every position cleared: what s
// declares, renamed_from instructions included.
func (s *Schema) WithoutPositions() *Schema {
	c := s.Clone()
	for i := range c.Profile {
		c.Profile[i].Pos = Pos{}
	}
	for i := range c.Extensions {
		c.Extensions[i].Pos = Pos{}
		for j := range c.Extensions[i].Attributes {
			c.Extensions[i].Attributes[j].Pos = Pos{}
		}
	}
	for i := range c.Keys {
		c.Keys[i].Pos = Pos{}
	}
	return c
}

func cloneAttributes(as []Attribute) []Attribute {
	if as == nil {
		return nil
	}
	out := make([]Attribute, len(as))
	for i, a := range as {
		if a.Default != nil {
			d := *a.Default
			a.Default = &d
		}
		out[i] = a
	}
	return out
}

func cloneItems(items [][]string) [][]string {
	if items == nil {
		return nil
	}
	out := make([][]string, len(items))
	for i, it := range items {
		out[i] = append([]string(nil), it...)
	}
	return out
}

func findAttribute(as []Attribute, name string) (Attribute, bool) {
	for _, a := range as {
		if strings.EqualFold(a.Name, name) {
			return a, true
		}
	}
	return Attribute{}, false
}

// RemoveKey returns keys without the key called name (case-insensitive).
func RemoveKey(keys []Key, name string) []Key {
	var out []Key
	for _, k := range keys {
		if !strings.EqualFold(k.Name, name) {
			out = append(out, k)
		}
	}
	return out
}

// RemoveItem returns items without item (compared with SameItem).
func RemoveItem(items [][]string, item []string) [][]string {
	var out [][]string
	for _, it := range items {
		if !SameItem(it, item) {
			out = append(out, it)
		}
	}
	return out
}

// SameItem reports whether two unique items cover the same attributes in the
// same order, case-insensitively.
func SameItem(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(a[i], b[i]) {
			return false
		}
	}
	return true
}

// Mode is the server mode of a database.
type Mode string

// The server modes. A new database starts in maintenance mode; production
// refuses every schema change.
const (
	Maintenance Mode = "maintenance"
	Production  Mode = "production"
)

// Valid reports whether m is a server mode.
func (m Mode) Valid() bool { return m == Maintenance || m == Production }

// Table is the declared state of one physical table: the profile table or
// one extension's table, with the keys whose index lives on it.
type Table struct {
	// Name is the physical table name.
	Name string
	// Extension is the extension stored in the table; nil for the profile.
	Extension *Extension
	// Attributes are the columns after customer_id (and record_id).
	Attributes []Attribute
	// Keys are the identification keys indexed on this table.
	Keys []Key
}

// MultiValued reports whether the table holds several records per customer.
func (t Table) MultiValued() bool {
	return t.Extension != nil && t.Extension.Type == MultiValued
}

// UniqueIndexes returns the unique items that become physical indexes (those
// of multi-valued extensions), keyed by index name.
func (t Table) UniqueIndexes() map[string][]string {
	out := map[string][]string{}
	if !t.MultiValued() {
		return out
	}
	for _, item := range t.Extension.Unique {
		out[UniqueIndex(t.Extension.Name, item)] = item
	}
	return out
}

// CustomerIndex names the index over customer_id alone that t has, and
// reports whether it has one. Deleting a customer deletes its records in
// every extension (ON DELETE CASCADE), which needs an index that leads with
// customer_id on each extension table: the primary key of a single-valued
// extension or classifier, the unique indexes of a multi-valued extension's
// items. A multi-valued extension without unique items has neither, and
// gets this index instead; it goes as soon as the extension gains an item.
func (t Table) CustomerIndex() (string, bool) {
	if !t.MultiValued() || len(t.Extension.Unique) > 0 {
		return "", false
	}
	return CustomerIndex(t.Extension.Name), true
}

// Tables returns the physical tables of s: the profile table first, then one
// per extension in name order, each with the keys indexed on it in name
// order. The profile table is always present. s is not changed; the tables
// share their attributes, unique items and keys with s, so treat them as
// read-only (Expected calls Tables on every inspection: a deep copy of the
// schema cost as much as the rest of the derivation).
func (s *Schema) Tables() []Table {
	// Copies: the tables point at their extensions.
	exts := append([]Extension(nil), s.Extensions...)
	sortExtensions(exts)
	keys := s.Keys // read only
	if !keysSorted(keys) {
		keys = append([]Key(nil), keys...)
		sortKeys(keys)
	}
	out := make([]Table, 1, 1+len(exts))
	out[0] = Table{Name: ProfileTable, Attributes: s.Profile}
	byName := make(map[string]int, 1+len(exts))
	byName[ProfileTable] = 0
	for i := range exts {
		e := &exts[i]
		byName[e.Table()] = len(out)
		out = append(out, Table{Name: e.Table(), Extension: e, Attributes: e.Attributes})
	}
	for _, k := range keys {
		if i, ok := byName[KeyTable(k)]; ok {
			out[i].Keys = append(out[i].Keys, k)
		}
	}
	return out
}

// Table returns the physical table called name in s.
func (s *Schema) Table(name string) (Table, bool) {
	for _, t := range s.Tables() {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}
