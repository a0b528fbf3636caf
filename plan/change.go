// Package plan decides what changes make a live database match a declared
// schema. It is pure: it reads a State (what the dialect inspected) and a
// desired model.Schema, asks a Data source for counts, and returns an ordered
// Plan of typed changes with their hazards. It imports no database/sql and
// no YAML; dialects turn its changes into SQL.
package plan

import (
	"fmt"
	"strings"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/quote"
)

// Action is what a change does to its object.
type Action int

// The actions, in the order a summary lists them.
const (
	Create Action = iota + 1
	Update
	Delete
	Replace
	Rename
	Repair
)

// Symbol is the one-glance mark of the action in a text plan.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "+"
	case Delete:
		return "-"
	case Update:
		return "~"
	case Replace:
		return "-/+"
	case Rename:
		return "->"
	case Repair:
		return "!"
	}
	return "?"
}

// String is the action's name as JSON and markdown write it.
func (a Action) String() string {
	switch a {
	case Create:
		return "create"
	case Delete:
		return "delete"
	case Update:
		return "update"
	case Replace:
		return "replace"
	case Rename:
		return "rename"
	case Repair:
		return "repair"
	}
	return fmt.Sprintf("action(%d)", int(a))
}

// ObjectKind names the kind of schema object a change is about.
type ObjectKind string

// The object kinds.
const (
	ProfileObject            ObjectKind = "profile"
	ProfileAttributeObject   ObjectKind = "profile attribute"
	ExtensionObject          ObjectKind = "extension"
	ExtensionAttributeObject ObjectKind = "extension attribute"
	UniqueObject             ObjectKind = "extension unique"
	KeyObject                ObjectKind = "identification key"
	DriftObject              ObjectKind = "drift"
)

// Object identifies what a change is about, by kind and declared name
// ("Phone", "Phone.PhoneNumber", "idEmail").
type Object struct {
	Kind ObjectKind
	Name string
}

// Change is one typed change of a plan. Each kind of change is its own
// struct; dialects switch on the concrete type to render SQL.
type Change interface {
	// Action is what the change does.
	Action() Action
	// Object is what the change is about.
	Object() Object
	// Describe is a short human description of the change's details, or "".
	Describe() string
}

// CreateProfile creates the profile table; it precedes every other change
// on a new database. Table holds the profile attributes created with it.
type CreateProfile struct {
	Table model.Table
}

// CreateExtension creates an extension's table with its attributes and
// unique indexes. Table is the table as created, without keys (they follow
// as CreateKey changes).
type CreateExtension struct {
	Extension model.Extension
	Table     model.Table
}

// DeleteExtension drops an extension's table and every record in it.
type DeleteExtension struct {
	Extension model.Extension
	Table     model.Table
}

// ReplaceExtension deletes an extension, with every record in it, and
// creates it again as To: how a target without an update (the Context
// Services API) changes an extension. Keys are the live keys on it,
// deleted first; NewKeys the desired keys on To, created last.
type ReplaceExtension struct {
	From, To      model.Extension
	Keys, NewKeys []model.Key
}

// RenameExtension renames an extension (and its table) in place, keeping its
// records. Before and After are the table around the change.
type RenameExtension struct {
	From, To      model.Extension
	Before, After model.Table
}

// UpdateExtension changes an extension's type or the case of its name.
type UpdateExtension struct {
	From, To      model.Extension
	Before, After model.Table
}

// AddAttribute adds an attribute to the profile (Extension == "") or to an
// extension. Before and After are the table around the change.
type AddAttribute struct {
	Extension     string
	Attribute     model.Attribute
	Before, After model.Table
}

// DeleteAttribute drops an attribute and its values.
type DeleteAttribute struct {
	Extension     string
	Attribute     model.Attribute
	Before, After model.Table
}

// UpdateAttribute changes an attribute's type, length, default, mandatory,
// encrypt or name case.
type UpdateAttribute struct {
	Extension     string
	From, To      model.Attribute
	Before, After model.Table
}

// RenameAttribute renames an attribute in place, keeping its values.
type RenameAttribute struct {
	Extension     string
	From, To      model.Attribute
	Before, After model.Table
}

// AddUnique adds a unique item to an extension. On a multi-valued extension
// it becomes a unique index over (customer_id, attributes).
type AddUnique struct {
	Extension string
	Item      []string
	Table     model.Table
}

// DeleteUnique removes a unique item from an extension.
type DeleteUnique struct {
	Extension string
	Item      []string
	Table     model.Table
}

// CreateKey creates an identification key's index on its source table.
type CreateKey struct {
	Key model.Key
}

// DeleteKey drops an identification key's index.
type DeleteKey struct {
	Key model.Key
}

// ReplaceKey drops a key and creates it again: its source, attributes,
// order or uniqueness changed.
type ReplaceKey struct {
	From, To model.Key
}

// UpdateKey changes only what the catalog records of a key (the case of its
// name or attributes); the index stays.
type UpdateKey struct {
	From, To model.Key
}

// RepairTable makes a managed table match the catalog again after changes
// made outside ctxschema. Table is the catalog's table; Drift lists what
// differs.
type RepairTable struct {
	Table model.Table
	Drift []Drift
}

// DriftKind classifies a difference between the catalog and the database.
type DriftKind string

// The kinds of drift.
const (
	MissingTable   DriftKind = "missing table"
	MissingColumn  DriftKind = "missing column"
	ChangedColumn  DriftKind = "changed column"
	MissingIndex   DriftKind = "missing index"
	ChangedIndex   DriftKind = "changed index"
	InvalidIndex   DriftKind = "invalid index"
	ExtraColumn    DriftKind = "unexpected column"
	ExtraIndex     DriftKind = "unexpected index"
	UnmanagedTable DriftKind = "unmanaged table"
)

// Drift is one difference between what the catalog says and what the
// database holds.
type Drift struct {
	Kind DriftKind
	// Table and Name locate it: Name is the column or index, "" for a table.
	Table, Name string
	// Want and Got describe the expected and the found definition.
	Want, Got string
}

// String renders the drift for people.
func (d Drift) String() string {
	where := d.Table
	if d.Name != "" {
		where += "." + d.Name
	}
	s := fmt.Sprintf("%s %s", d.Kind, where)
	if d.Want != "" || d.Got != "" {
		s += fmt.Sprintf(" (want %s, found %s)", orNone(d.Want), orNone(d.Got))
	}
	return s
}

func nAttributes(n int) string {
	if n == 1 {
		return "1 attribute"
	}
	return fmt.Sprintf("%d attributes", n)
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

func attrName(ext, attr string) string {
	if ext == "" {
		return attr
	}
	return ext + "." + attr
}

func attrKind(ext string) ObjectKind {
	if ext == "" {
		return ProfileAttributeObject
	}
	return ExtensionAttributeObject
}

// Action implements Change.
func (CreateProfile) Action() Action { return Create }

// Object implements Change.
func (CreateProfile) Object() Object { return Object{ProfileObject, model.ProfileTable} }

// Describe implements Change.
func (c CreateProfile) Describe() string {
	return fmt.Sprintf("table %s with %s", c.Table.Name, nAttributes(len(c.Table.Attributes)))
}

// Action implements Change.
func (CreateExtension) Action() Action { return Create }

// Object implements Change.
func (c CreateExtension) Object() Object { return Object{ExtensionObject, c.Extension.Name} }

// Describe implements Change.
func (c CreateExtension) Describe() string {
	return fmt.Sprintf("%s, %s", c.Extension.Type, nAttributes(len(c.Extension.Attributes)))
}

// Action implements Change.
func (DeleteExtension) Action() Action { return Delete }

// Object implements Change.
func (c DeleteExtension) Object() Object { return Object{ExtensionObject, c.Extension.Name} }

// Describe implements Change.
func (c DeleteExtension) Describe() string { return "drops table " + c.Table.Name }

// Action implements Change.
func (ReplaceExtension) Action() Action { return Replace }

// Object implements Change.
func (c ReplaceExtension) Object() Object { return Object{ExtensionObject, c.To.Name} }

// Describe implements Change.
func (c ReplaceExtension) Describe() string {
	s := "deleted and created again"
	if !strings.EqualFold(c.From.Name, c.To.Name) {
		s += " from " + c.From.Name
	}
	if n := len(c.Keys) + len(c.NewKeys); n > 0 {
		s += fmt.Sprintf(", with its keys (%d deleted, %d created)", len(c.Keys), len(c.NewKeys))
	}
	return s
}

// Action implements Change.
func (RenameExtension) Action() Action { return Rename }

// Object implements Change.
func (c RenameExtension) Object() Object { return Object{ExtensionObject, c.To.Name} }

// Describe implements Change.
func (c RenameExtension) Describe() string { return fmt.Sprintf("from %s", c.From.Name) }

// Action implements Change.
func (UpdateExtension) Action() Action { return Update }

// Object implements Change.
func (c UpdateExtension) Object() Object { return Object{ExtensionObject, c.To.Name} }

// Describe implements Change.
func (c UpdateExtension) Describe() string {
	var parts []string
	if c.From.Type != c.To.Type {
		parts = append(parts, fmt.Sprintf("type %s => %s", c.From.Type, c.To.Type))
	}
	if c.From.Name != c.To.Name {
		parts = append(parts, fmt.Sprintf("name %s => %s", c.From.Name, c.To.Name))
	}
	return strings.Join(parts, ", ")
}

// Action implements Change.
func (AddAttribute) Action() Action { return Create }

// Object implements Change.
func (c AddAttribute) Object() Object {
	return Object{attrKind(c.Extension), attrName(c.Extension, c.Attribute.Name)}
}

// Describe implements Change.
func (c AddAttribute) Describe() string { return DescribeAttribute(c.Attribute) }

// Action implements Change.
func (DeleteAttribute) Action() Action { return Delete }

// Object implements Change.
func (c DeleteAttribute) Object() Object {
	return Object{attrKind(c.Extension), attrName(c.Extension, c.Attribute.Name)}
}

// Describe implements Change.
func (c DeleteAttribute) Describe() string { return DescribeAttribute(c.Attribute) }

// Action implements Change.
func (UpdateAttribute) Action() Action { return Update }

// Object implements Change.
func (c UpdateAttribute) Object() Object {
	return Object{attrKind(c.Extension), attrName(c.Extension, c.To.Name)}
}

// Describe implements Change.
func (c UpdateAttribute) Describe() string { return strings.Join(AttributeDiff(c.From, c.To), ", ") }

// Action implements Change.
func (RenameAttribute) Action() Action { return Rename }

// Object implements Change.
func (c RenameAttribute) Object() Object {
	return Object{attrKind(c.Extension), attrName(c.Extension, c.To.Name)}
}

// Describe implements Change.
func (c RenameAttribute) Describe() string { return "from " + c.From.Name }

// Action implements Change.
func (AddUnique) Action() Action { return Create }

// Object implements Change.
func (c AddUnique) Object() Object {
	return Object{UniqueObject, c.Extension + "(" + strings.Join(c.Item, ", ") + ")"}
}

// Describe implements Change.
func (c AddUnique) Describe() string { return "" }

// Action implements Change.
func (DeleteUnique) Action() Action { return Delete }

// Object implements Change.
func (c DeleteUnique) Object() Object {
	return Object{UniqueObject, c.Extension + "(" + strings.Join(c.Item, ", ") + ")"}
}

// Describe implements Change.
func (c DeleteUnique) Describe() string { return "" }

// Action implements Change.
func (CreateKey) Action() Action { return Create }

// Object implements Change.
func (c CreateKey) Object() Object { return Object{KeyObject, c.Key.Name} }

// Describe implements Change.
func (c CreateKey) Describe() string { return DescribeKey(c.Key) }

// Action implements Change.
func (DeleteKey) Action() Action { return Delete }

// Object implements Change.
func (c DeleteKey) Object() Object { return Object{KeyObject, c.Key.Name} }

// Describe implements Change.
func (c DeleteKey) Describe() string { return DescribeKey(c.Key) }

// Action implements Change.
func (ReplaceKey) Action() Action { return Replace }

// Object implements Change.
func (c ReplaceKey) Object() Object { return Object{KeyObject, c.To.Name} }

// Describe implements Change.
func (c ReplaceKey) Describe() string {
	return DescribeKey(c.From) + " => " + DescribeKey(c.To)
}

// Action implements Change.
func (UpdateKey) Action() Action { return Update }

// Object implements Change.
func (c UpdateKey) Object() Object { return Object{KeyObject, c.To.Name} }

// Describe implements Change.
func (c UpdateKey) Describe() string {
	s := DescribeKey(c.From) + " => " + DescribeKey(c.To)
	if c.From.Name != c.To.Name {
		s = fmt.Sprintf("name %s => %s, ", c.From.Name, c.To.Name) + s
	}
	return s
}

// Action implements Change.
func (RepairTable) Action() Action { return Repair }

// Object implements Change.
func (c RepairTable) Object() Object { return Object{DriftObject, c.Table.Name} }

// Describe implements Change.
func (c RepairTable) Describe() string {
	parts := make([]string, len(c.Drift))
	for i, d := range c.Drift {
		parts[i] = d.String()
	}
	return strings.Join(parts, "; ")
}

// DescribeAttribute renders an attribute's definition compactly:
// "string(64) mandatory default=\"x\"".
func DescribeAttribute(a model.Attribute) string {
	s := string(a.Type)
	if a.Type == model.String {
		s += fmt.Sprintf("(%d)", a.Length)
	}
	if a.Mandatory {
		s += " mandatory"
	}
	if a.Encrypt {
		s += " encrypt"
	}
	if a.Default != nil {
		s += " default=" + quote.Value(*a.Default)
	}
	return s
}

// DescribeKey renders a key's definition compactly: "unique Phone(PhoneNumber)".
func DescribeKey(k model.Key) string {
	src := k.Source
	if src == "" {
		src = model.ProfileSource
	}
	s := src + "(" + strings.Join(k.Attributes, ", ") + ")"
	if k.Unique {
		s = "unique " + s
	}
	return s
}

// AttributeDiff lists what differs between two states of an attribute, as
// "field old => new" phrases.
func AttributeDiff(from, to model.Attribute) []string {
	var out []string
	if from.Name != to.Name {
		out = append(out, fmt.Sprintf("name %s => %s", from.Name, to.Name))
	}
	if from.Type != to.Type {
		out = append(out, fmt.Sprintf("type %s => %s", from.Type, to.Type))
	}
	if from.Length != to.Length {
		out = append(out, fmt.Sprintf("length %d => %d", from.Length, to.Length))
	}
	if !equalPtr(from.Default, to.Default) {
		out = append(out, fmt.Sprintf("default %s => %s", showDefault(from.Default), showDefault(to.Default)))
	}
	if from.Mandatory != to.Mandatory {
		out = append(out, fmt.Sprintf("mandatory %t => %t", from.Mandatory, to.Mandatory))
	}
	if from.Encrypt != to.Encrypt {
		out = append(out, fmt.Sprintf("encrypt %t => %t", from.Encrypt, to.Encrypt))
	}
	return out
}

func equalPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func showDefault(d *string) string {
	if d == nil {
		return "none"
	}
	return quote.Value(*d)
}

// TableOf names the physical table a change works on, under the name it
// has once the change ran.
func TableOf(c Change) string {
	switch c := c.(type) {
	case CreateExtension:
		return c.Table.Name
	case DeleteExtension:
		return c.Table.Name
	case ReplaceExtension:
		return c.To.Table()
	case RenameExtension:
		return c.After.Name
	case UpdateExtension:
		return c.After.Name
	case AddAttribute:
		return c.After.Name
	case DeleteAttribute:
		return c.After.Name
	case UpdateAttribute:
		return c.After.Name
	case RenameAttribute:
		return c.After.Name
	case AddUnique:
		return c.Table.Name
	case DeleteUnique:
		return c.Table.Name
	case CreateKey:
		return model.KeyTable(c.Key)
	case DeleteKey:
		return model.KeyTable(c.Key)
	case ReplaceKey:
		return model.KeyTable(c.To)
	case UpdateKey:
		return model.KeyTable(c.To)
	case RepairTable:
		return c.Table.Name
	}
	return model.ProfileTable
}
