package schemafile

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/ctxschema/ctxschema/internal/model"
)

// This file turns the YAML of one schema file into declarations that keep
// the position of every element, walking it with a Walker (walk.go). It
// checks the shape only: node kinds, unknown and repeated keys, and
// scalars that must be booleans or numbers. The meaning (names, types,
// references) is checked in validate.go.

// field is one scalar field of a declaration. Set is true when the key was
// present; OK is true when its value had the right shape (a problem was
// reported otherwise, so the validator must not report it again as missing).
//
// Set and OK follow Val so that a field[bool] packs them into one word:
// every declaration stays in memory until the files are merged.
type field[T any] struct {
	Val T
	Set bool
	OK  bool
	Pos at
}

// valid reports whether the field was given with a usable value.
func (f field[T]) valid() bool { return f.Set && f.OK }

// nameRef is an attribute name in a list (a key's attributes, a unique item).
type nameRef struct {
	Name string
	Pos  at
}

// attrDecl is one declared attribute.
type attrDecl struct {
	Pos at
	// Bad is set when the declaration is not a mapping (reported).
	Bad         bool
	Name        field[string]
	Type        field[string]
	Length      field[int]
	Default     field[string]
	Mandatory   field[bool]
	Encrypt     field[bool]
	Unique      field[bool]
	RenamedFrom field[string]
}

// itemDecl is one item of an extension's unique list.
type itemDecl struct {
	Pos at
	// Composite is true when the item was written as a list.
	Composite bool
	Names     []nameRef
}

// extDecl is one declared extension.
type extDecl struct {
	Pos         at
	Bad         bool
	Name        field[string]
	Type        field[string]
	Attributes  field[[]attrDecl]
	Unique      field[[]itemDecl]
	RenamedFrom field[string]
}

// keyDecl is one declared identification key.
type keyDecl struct {
	Pos        at
	Bad        bool
	Name       field[string]
	Source     field[string]
	Attributes field[[]nameRef]
	Unique     field[bool]
}

// fileDecl is everything one schema file declares. Its extensions are
// checked as soon as they are decoded, on the goroutine that decodes the
// file: their declarations (several times the size of the model, a
// position for every field) are then dropped at once instead of being
// held until every file is decoded. The profile's attributes and the keys
// are checked at the merge, against what the other files declare.
type fileDecl struct {
	Profile    []attrDecl
	Extensions []checkedExt
	Keys       []keyDecl
}

// checkedExt is an extension checked (validator.extension) with what the
// merge still needs of its declaration.
type checkedExt struct {
	Ext         model.Extension
	RenamedFrom field[string]
	// TriedItems is true when unique items were written, even if none
	// passed its checks (each failure was reported).
	TriedItems bool
}

// The fields each object accepts, in documentation order.
var (
	topFields       = []string{"profile", "extensions", "identification_keys"}
	profileFields   = []string{"attributes"}
	attributeFields = []string{"name", "type", "length", "default", "mandatory", "encrypt", "unique", "renamed_from"}
	extensionFields = []string{"name", "type", "attributes", "unique", "renamed_from"}
	keyFields       = []string{"name", "source", "attributes", "unique"}
)

// at is a position in a schema file as declarations keep it: half the
// size of a model.Pos, for declarations are held, a position for every
// field, until the files are merged. file points to the decoder's name
// for the file.
type at struct {
	file      *string
	line, col int32
}

// pos is the position at a as problems and the model give it.
func (a at) pos() model.Pos {
	if a.file == nil {
		return model.Pos{}
	}
	return model.Pos{File: *a.file, Line: int(a.line), Col: int(a.col)}
}

// String renders the position as model.Pos does.
func (a at) String() string { return a.pos().String() }

// decoder walks the nodes of one schema file and reports problems at
// their positions.
type decoder struct {
	*Walker
	// v checks each extension once it is decoded.
	v *validator
}

// newDecoder returns a decoder of the schema file that messages call file,
// which reports to r, with storage from sc (not nil).
func newDecoder(file string, r *reporter, sc *scratch) *decoder {
	return &decoder{Walker: &Walker{file: file, kind: "schema files", r: r}, v: &validator{r: r, scratch: sc}}
}

// scratch is storage that decoding a file needs only while it runs,
// reused from one extension to the next and, through scratchPool, from
// one file to the next: a repository written by inspect --out holds one
// file per extension, each of which would otherwise allocate it anew.
type scratch struct {
	// attrs holds the declarations of one extension's attributes at a
	// time: they are checked into the model before the next extension is
	// decoded, and nothing keeps them.
	attrs []attrDecl
	// decls is the storage of the scope of one extension's attributes.
	decls []declared
	// data holds the bytes of the files of one batch (loadBatch), read
	// and then decoded: yaml.v3 copies what it keeps.
	data []byte
	// parts are the files of data.
	parts []streamPart
}

// maxPooledData is the largest read buffer the pool keeps: far above a
// file of one extension, far below MaxFileSize.
const maxPooledData = 256 << 10

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// getScratch takes storage from the pool, for putScratch to give back.
func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// putScratch gives sc back to the pool, emptied so that it holds no
// strings of the file it served.
func putScratch(sc *scratch) {
	clear(sc.attrs[:cap(sc.attrs)])
	clear(sc.decls[:cap(sc.decls)])
	if cap(sc.data) > maxPooledData {
		sc.data = nil
	}
	scratchPool.Put(sc)
}

// decodeFile decodes every YAML document of a file. An empty file, or one
// that holds only comments, declares nothing.
// sc lends storage, and is not kept.
func decodeFile(file string, data []byte, r *reporter, sc *scratch) fileDecl {
	d := newDecoder(file, r, sc)
	var out fileDecl
	docs, err := Documents(file, data)
	for _, doc := range docs {
		d.document(doc, &out)
	}
	var syntax *model.Problems
	if errors.As(err, &syntax) {
		r.list = append(r.list, syntax.List...)
	}
	return out
}

// at is the position of n, as declarations keep it.
func (d *decoder) at(n *yaml.Node) at {
	return at{file: &d.file, line: int32(n.Line - d.lineBase), col: int32(n.Column)}
}

// document decodes one document: a mapping of the top-level keys.
func (d *decoder) document(doc *yaml.Node, out *fileDecl) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return
	}
	root := doc.Content[0]
	if !d.Usable(root) || isNull(root) {
		return
	}
	if root.Kind != yaml.MappingNode {
		d.r.errorf(d.Pos(root), "a schema file must be a mapping of %s, not %s", strings.Join(topFields, ", "), d.Describe(root))
		return
	}
	d.Mapping(root, "schema file", topFields, func(key string, v *yaml.Node) {
		switch key {
		case "profile":
			d.profile(v, out)
		case "extensions":
			out.Extensions = slices.Grow(out.Extensions, items(v))
			d.Each(v, "extensions", "a list of extensions", func(n *yaml.Node) {
				if c, ok := d.checkedExtension(n); ok {
					out.Extensions = append(out.Extensions, c)
				}
			})
		case "identification_keys":
			d.Each(v, "identification_keys", "a list of identification keys", func(n *yaml.Node) {
				out.Keys = append(out.Keys, d.key(n))
			})
		}
	})
}

func (d *decoder) profile(n *yaml.Node, out *fileDecl) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.r.errorf(d.Pos(n), "profile must be a mapping with attributes, not %s", d.Describe(n))
		return
	}
	d.Mapping(n, "profile", profileFields, func(key string, v *yaml.Node) {
		attrs := d.attributes(v, "profile", nil)
		out.Profile = append(out.Profile, attrs.Val...)
	})
}

// attributes decodes a list of attribute mappings, into buf's storage
// when it is large enough.
func (d *decoder) attributes(n *yaml.Node, owner string, buf []attrDecl) field[[]attrDecl] {
	f := field[[]attrDecl]{Pos: d.at(n), Set: true}
	if k := items(n); k > 0 {
		if cap(buf) >= k {
			f.Val = buf[:0]
		} else {
			f.Val = make([]attrDecl, 0, k)
		}
	}
	f.OK = d.Each(n, "attributes", "a list of attributes", func(item *yaml.Node) {
		f.Val = append(f.Val, d.attribute(item, owner))
	})
	return f
}

func (d *decoder) attribute(n *yaml.Node, owner string) attrDecl {
	a := attrDecl{Pos: d.at(n)}
	if n.Kind != yaml.MappingNode {
		d.r.errorf(d.Pos(n), "an attribute of %s must be a mapping with name and type, not %s", owner, d.Describe(n))
		a.Bad = true
		return a
	}
	d.Mapping(n, "attribute", attributeFields, func(key string, v *yaml.Node) {
		switch key {
		case "name":
			a.Name = d.str(v, key)
		case "type":
			a.Type = d.str(v, key)
		case "length":
			a.Length = d.integer(v, key)
		case "default":
			a.Default = d.str(v, key)
		case "mandatory":
			a.Mandatory = d.boolean(v, key)
		case "encrypt":
			a.Encrypt = d.boolean(v, key)
		case "unique":
			a.Unique = d.boolean(v, key)
		case "renamed_from":
			a.RenamedFrom = d.str(v, key)
		}
	})
	return a
}

// checkedExtension decodes an extension and checks it (validator.extension).
// It returns false for an extension without a name, which the merge skips.
func (d *decoder) checkedExtension(n *yaml.Node) (checkedExt, bool) {
	e := d.extension(n)
	ext, ok := d.v.extension(e)
	if sc := d.v.scratch; cap(e.Attributes.Val) > cap(sc.attrs) {
		sc.attrs = e.Attributes.Val[:0]
	}
	if !ok {
		return checkedExt{}, false
	}
	return checkedExt{
		Ext:         ext,
		RenamedFrom: e.RenamedFrom,
		TriedItems:  e.Unique.Set && (!e.Unique.OK || len(e.Unique.Val) > 0),
	}, true
}

// extension decodes an extension. Its attributes are decoded into
// the scratch's attrs, valid until the next extension is decoded.
func (d *decoder) extension(n *yaml.Node) extDecl {
	e := extDecl{Pos: d.at(n)}
	if n.Kind != yaml.MappingNode {
		d.r.errorf(d.Pos(n), "an extension must be a mapping with name, type and attributes, not %s", d.Describe(n))
		e.Bad = true
		return e
	}
	d.Mapping(n, "extension", extensionFields, func(key string, v *yaml.Node) {
		switch key {
		case "name":
			e.Name = d.str(v, key)
		case "type":
			e.Type = d.str(v, key)
		case "attributes":
			e.Attributes = d.attributes(v, "an extension", d.v.scratch.attrs)
		case "unique":
			e.Unique = d.uniqueItems(v)
		case "renamed_from":
			e.RenamedFrom = d.str(v, key)
		}
	})
	return e
}

// uniqueItems decodes an extension's unique list: each item is a name or a
// list of names.
func (d *decoder) uniqueItems(n *yaml.Node) field[[]itemDecl] {
	f := field[[]itemDecl]{Pos: d.at(n), Set: true}
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		d.r.errorf(d.Pos(n), "unique must be a list of attribute names or lists of names, not %s; write unique: [%s]", d.Describe(n), n.Value)
		return f
	}
	f.OK = d.Each(n, "unique", "a list of attribute names or lists of names", func(item *yaml.Node) {
		switch item.Kind {
		case yaml.ScalarNode:
			name := d.str(item, "a unique item")
			if name.valid() {
				f.Val = append(f.Val, itemDecl{Pos: name.Pos, Names: []nameRef{{name.Val, name.Pos}}})
			}
		case yaml.SequenceNode:
			it := itemDecl{Pos: d.at(item), Composite: true}
			bad := false
			ok := d.Each(item, "a composite unique item", "a list of attribute names", func(m *yaml.Node) {
				name := d.str(m, "an attribute of a composite unique item")
				it.Names = append(it.Names, nameRef{name.Val, name.Pos})
				bad = bad || !name.valid()
			})
			if ok && !bad { // a bad name was reported: keep the item out of further checks
				f.Val = append(f.Val, it)
			}
		default:
			d.r.errorf(d.Pos(item), "a unique item must be an attribute name or a list of names, not %s", d.Describe(item))
		}
	})
	return f
}

func (d *decoder) key(n *yaml.Node) keyDecl {
	k := keyDecl{Pos: d.at(n)}
	if n.Kind != yaml.MappingNode {
		d.r.errorf(d.Pos(n), "an identification key must be a mapping with name and attributes, not %s", d.Describe(n))
		k.Bad = true
		return k
	}
	d.Mapping(n, "identification key", keyFields, func(key string, v *yaml.Node) {
		switch key {
		case "name":
			k.Name = d.str(v, key)
		case "source":
			k.Source = d.str(v, key)
		case "attributes":
			k.Attributes = field[[]nameRef]{Pos: d.at(v), Set: true}
			if v.Kind == yaml.ScalarNode && !isNull(v) {
				d.r.errorf(d.Pos(v), "attributes of an identification key must be a list of attribute names, not %s; write attributes: [%s]", d.Describe(v), v.Value)
				return
			}
			k.Attributes.OK = d.Each(v, "attributes", "a list of attribute names", func(m *yaml.Node) {
				name := d.str(m, "an attribute of an identification key")
				if name.valid() {
					k.Attributes.Val = append(k.Attributes.Val, nameRef{name.Val, name.Pos})
				} else {
					k.Attributes.OK = false
				}
			})
		case "unique":
			k.Unique = d.boolean(v, key)
		}
	})
	return k
}

// items is the number of items of a list node, to size what it decodes
// into: declarations are held until the files are merged, and capacity
// left over by append's doubling would be held with them.
func items(n *yaml.Node) int {
	if n.Kind != yaml.SequenceNode {
		return 0
	}
	return len(n.Content)
}

// str decodes a scalar as text. Any scalar but null is accepted: a name
// like 123 is then refused by the name check, with its value quoted.
func (d *decoder) str(n *yaml.Node, name string) field[string] {
	f := field[string]{Pos: d.at(n), Set: true}
	f.Val, f.OK = d.Str(n, name)
	return f
}

// boolean decodes true or false, as a YAML boolean or as the strings "true"
// and "false" that the Context Services documents use.
func (d *decoder) boolean(n *yaml.Node, name string) field[bool] {
	f := field[bool]{Pos: d.at(n), Set: true}
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!bool" || n.ShortTag() == "!!str") {
		if b, ok := model.ParseBool(n.Value); ok {
			f.Val, f.OK = b, true
			return f
		}
	}
	d.r.errorf(d.Pos(n), "%s must be true or false, not %s", name, d.Describe(n))
	return f
}

// integer decodes a whole decimal number, as a YAML integer or as a string
// ("3") as the Context Services documents write lengths.
func (d *decoder) integer(n *yaml.Node, name string) field[int] {
	f := field[int]{Pos: d.at(n), Set: true}
	if tag := n.ShortTag(); n.Kind == yaml.ScalarNode && (tag == "!!int" || tag == "!!float" || tag == "!!str") {
		v, err := strconv.Atoi(strings.TrimSpace(n.Value))
		if err == nil {
			f.Val, f.OK = v, true
			return f
		}
		if errors.Is(err, strconv.ErrRange) {
			d.r.errorf(d.Pos(n), "%s %s is too large; the maximum is %d", name, n.Value, model.MaxStringLength)
			return f
		}
	}
	d.r.errorf(d.Pos(n), "%s must be a whole number, not %s", name, d.Describe(n))
	return f
}

// unknownField words the error for a key that the object does not have,
// with the closest known field when one is close enough.
func unknownField(key, what string, known []string) string {
	msg := fmt.Sprintf("unknown field %q in %s; known fields: %s", key, what, strings.Join(known, ", "))
	hint := closest(key, known)
	if what == "identification key" && key == "extension" {
		// The "Create Identification Key" page's example writes
		// "extension" where its field table says "source".
		hint = "source"
	}
	if hint != "" {
		msg += fmt.Sprintf("; did you mean %q?", hint)
	}
	return msg
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
