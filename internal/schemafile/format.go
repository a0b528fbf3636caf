package schemafile

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/ctxschema/ctxschema/internal/model"

	"gopkg.in/yaml.v3"
)

// This file is `ctxschema fmt`: it rewrites a schema file in the layout
// Write produces, keeping what the file says and its comments. It works on
// the yaml.Node tree, so that comments travel with the keys and items they
// belong to, and follows the writer's rules: fields in documentation order
// (the field lists of decode.go), attributes as aligned flow mappings when
// they fit in flowWidth, key attributes and unique items as flow lists, a
// blank line between top-level sections and between extensions.
//
// Formatting never changes meaning: scalars are written so that YAML reads
// back the same value with the same type, nothing is added or dropped
// (explicit defaults such as length: 255 stay), and keys the format does
// not know keep their place after the known ones. An attribute holding a
// comment is written as a block mapping, where the comment has a line.

// Format returns data, the schema file named file, in the canonical layout.
// Invalid YAML gives a *model.Problems with the position of the syntax error. A
// file that holds only comments, or nothing, is returned unchanged.
// Format(Format(x)) == Format(x).
func Format(file string, data []byte) ([]byte, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &model.Problems{List: []model.Problem{syntaxProblem(file, data, err)}}
		}
		docs = append(docs, &doc)
	}
	empty := true
	for _, d := range docs {
		if len(d.Content) > 0 {
			empty = false
		}
	}
	if empty {
		return data, nil
	}
	f := &formatter{}
	for i, d := range docs {
		if i > 0 {
			f.b.WriteString("---\n")
		}
		f.document(d)
	}
	// What the layout cannot express (a comment inside a mapping used as
	// a key) is left as it was rather than broken.
	out := f.b.Bytes()
	if !decodes(out, len(docs)) {
		return data, nil
	}
	return out, nil
}

// decodes reports whether data holds n YAML documents without error.
func decodes(data []byte, n int) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return i == n
		}
		if err != nil {
			return false
		}
	}
}

// The kinds of node the formatter knows, by where they sit in a schema
// file; other nodes are written in a generic block layout.
type nodeKind int

const (
	kindOther nodeKind = iota
	kindTop
	kindProfile
	kindAttributes // a list of attributes
	kindAttribute
	kindExtensions
	kindExtension
	kindKeys
	kindKey
	kindFlowList // key attributes, unique items: written [A, [B, C]]
)

// fieldOrder is the order of each mapping's fields: the documentation order
// of decode.go, which Write follows too.
func fieldOrder(k nodeKind) []string {
	switch k {
	case kindTop:
		return topFields
	case kindProfile:
		return profileFields
	case kindAttribute:
		return attributeFields
	case kindExtension:
		return extensionFields
	case kindKey:
		return keyFields
	}
	return nil
}

// childKind is the kind of the value of field key in a mapping of kind k.
func childKind(k nodeKind, key string) nodeKind {
	switch {
	case k == kindTop && key == "profile":
		return kindProfile
	case k == kindTop && key == "extensions":
		return kindExtensions
	case k == kindTop && key == "identification_keys":
		return kindKeys
	case (k == kindProfile || k == kindExtension) && key == "attributes":
		return kindAttributes
	case k == kindExtension && key == "unique", k == kindKey && key == "attributes":
		return kindFlowList
	}
	return kindOther
}

// itemKind is the kind of the items of a list of kind k.
func itemKind(k nodeKind) nodeKind {
	switch k {
	case kindAttributes:
		return kindAttribute
	case kindExtensions:
		return kindExtension
	case kindKeys:
		return kindKey
	}
	return kindOther
}

type formatter struct {
	b bytes.Buffer
}

func (f *formatter) document(doc *yaml.Node) {
	if doc.HeadComment != "" {
		f.comment("", doc.HeadComment)
		f.b.WriteString("\n")
	}
	if len(doc.Content) > 0 {
		root := doc.Content[0]
		switch {
		case root.Kind == yaml.MappingNode && len(root.Content) > 0 && properties(root) == "":
			f.mapping(root, "", kindTop, false)
		case root.Kind == yaml.SequenceNode && len(root.Content) > 0 && properties(root) == "":
			f.sequence(root, "", kindOther)
		default:
			// A scalar or an empty collection: not a schema file (validate
			// says so), written as it reads.
			var one formatter
			one.value(root, "", kindOther, "")
			f.b.WriteString(strings.TrimPrefix(one.b.String(), " "))
		}
	}
	if doc.FootComment != "" {
		f.b.WriteString("\n")
		f.comment("", doc.FootComment)
	}
}

// comment writes a comment block at indent, one line each; blank lines
// inside it stay blank.
func (f *formatter) comment(indent, c string) {
	if c == "" {
		return
	}
	for _, l := range strings.Split(c, "\n") {
		if strings.TrimSpace(l) == "" {
			f.b.WriteString("\n")
			continue
		}
		f.b.WriteString(indent + strings.TrimSpace(l) + "\n")
	}
}

// lineEnd ends a line with the line comments of nodes, if any.
func (f *formatter) lineEnd(nodes ...*yaml.Node) {
	for _, n := range nodes {
		if n != nil && n.LineComment != "" {
			f.b.WriteString(" " + strings.TrimSpace(n.LineComment))
		}
	}
	f.b.WriteString("\n")
}

// pairs returns the key/value pairs of a mapping in the order of k's
// fields; fields k does not know follow in their own order.
func pairs(n *yaml.Node, k nodeKind) [][2]*yaml.Node {
	var known, rest [][2]*yaml.Node
	order := fieldOrder(k)
	rank := map[string]int{}
	for i, name := range order {
		rank[name] = i
	}
	slots := make([][][2]*yaml.Node, len(order))
	for i := 0; i+1 < len(n.Content); i += 2 {
		p := [2]*yaml.Node{n.Content[i], n.Content[i+1]}
		if r, ok := rank[p[0].Value]; ok && p[0].Kind == yaml.ScalarNode {
			slots[r] = append(slots[r], p)
			continue
		}
		rest = append(rest, p)
	}
	for _, s := range slots {
		known = append(known, s...)
	}
	return append(known, rest...)
}

// mapping writes a block mapping whose keys start at indent. In a list
// item (inItem), the item's "- " is already written, and so is the head
// comment of the first key, before it.
func (f *formatter) mapping(n *yaml.Node, indent string, k nodeKind, inItem bool) {
	ps := pairs(n, k)
	// A comment below the last field belongs to the end of the mapping,
	// wherever that field moves.
	var tail []string
	if len(n.Content) >= 2 {
		lastKey, lastVal := n.Content[len(n.Content)-2], n.Content[len(n.Content)-1]
		if lastVal.Kind == yaml.ScalarNode || lastVal.Kind == yaml.AliasNode || len(lastVal.Content) == 0 {
			tail = append(tail, lastVal.FootComment)
			lastVal.FootComment = ""
		}
		tail = append(tail, lastKey.FootComment)
		lastKey.FootComment = ""
	}
	defer func() {
		for _, c := range tail {
			f.comment(indent, c)
		}
	}()
	for i, p := range ps {
		key, v := p[0], p[1]
		if k == kindTop && i > 0 {
			f.b.WriteString("\n")
		}
		if !(inItem && i == 0) {
			f.comment(indent, key.HeadComment)
			f.b.WriteString(indent)
		}
		f.b.WriteString(keyText(key) + ":")
		f.value(v, indent, childKind(k, key.Value), key.LineComment)
		f.comment(indent, key.FootComment)
	}
}

// value writes the value of a mapping field whose key was just written at
// indent, from the colon on. keyLine is the key's line comment.
func (f *formatter) value(v *yaml.Node, indent string, k nodeKind, keyLine string) {
	keyc := &yaml.Node{LineComment: keyLine}
	props := properties(v)
	switch {
	case v.Kind == yaml.ScalarNode || v.Kind == yaml.AliasNode:
		f.b.WriteString(" " + props + scalarText(v))
		f.lineEnd(keyc, v)
		f.comment(indent, v.FootComment)
		return
	case len(v.Content) == 0:
		empty := "[]"
		if v.Kind == yaml.MappingNode {
			empty = "{}"
		}
		f.b.WriteString(" " + props + empty)
		f.lineEnd(keyc, v)
		f.comment(indent, v.FootComment)
		return
	case k == kindFlowList && v.Kind == yaml.SequenceNode && props == "":
		if s, ok := flowSeq(v); ok {
			f.b.WriteString(" " + s)
			f.lineEnd(keyc, v)
			f.comment(indent, v.FootComment)
			return
		}
	}
	if props != "" {
		f.b.WriteString(" " + strings.TrimSpace(props))
	}
	f.lineEnd(keyc, v)
	f.comment(indent+"  ", v.HeadComment)
	if v.Kind == yaml.MappingNode {
		f.mapping(v, indent+"  ", k, false)
		f.comment(indent+"  ", v.FootComment)
		return
	}
	// A comment below a list's last item ends the list: it is written at
	// the field's indent, where YAML reads it back as the end of the field
	// whatever follows. At the items' indent, YAML gives it to the last
	// item when a field follows and to the field when a blank line does
	// (the layout adds one between sections): a second run would move it.
	last := v.Content[len(v.Content)-1]
	tail := []string{last.FootComment, v.FootComment}
	last.FootComment, v.FootComment = "", ""
	f.sequence(v, indent+"  ", k)
	for _, c := range tail {
		f.comment(indent, c)
	}
}

// sequence writes a block list whose "- " start at indent.
func (f *formatter) sequence(n *yaml.Node, indent string, k nodeKind) {
	ik := itemKind(k)
	var wName, wType int
	if k == kindAttributes {
		for _, it := range n.Content {
			if fs, ok := flowPairs(it); ok && len(fs) >= 2 {
				wName = max(wName, len(fs[0].value)+1)
				wType = max(wType, len(fs[1].value)+1)
			}
		}
	}
	for i, it := range n.Content {
		// Extensions are set apart, and so is any item a comment
		// introduces, as a paragraph.
		if i > 0 && (k == kindExtensions || it.HeadComment != "" || it.Kind == yaml.MappingNode && len(it.Content) > 0 && pairs(it, ik)[0][0].HeadComment != "") {
			f.b.WriteString("\n")
		}
		f.comment(indent, it.HeadComment)
		if k == kindAttributes && !hasComments(it, false) {
			if fs, ok := flowPairs(it); ok && len(fs) >= 2 {
				if line := flowMapping(fs, wName, wType); len(indent)+2+len(line) <= flowWidth {
					f.b.WriteString(indent + "- " + line)
					f.lineEnd(it)
					f.comment(indent, it.FootComment)
					continue
				}
			}
		}
		props := properties(it)
		switch {
		case it.Kind == yaml.MappingNode && len(it.Content) > 0 && props == "":
			first := pairs(it, ik)[0][0]
			f.comment(indent, first.HeadComment)
			f.b.WriteString(indent + "- ")
			f.mapping(it, indent+"  ", ik, true)
			if it.LineComment != "" {
				f.comment(indent+"  ", it.LineComment)
			}
		case it.Kind == yaml.SequenceNode && len(it.Content) > 0:
			if s, ok := flowSeq(it); ok && props == "" {
				f.b.WriteString(indent + "- " + s)
				f.lineEnd(it)
				break
			}
			f.b.WriteString(indent + "-")
			if props != "" {
				f.b.WriteString(" " + strings.TrimSpace(props))
			}
			f.lineEnd(it)
			f.sequence(it, indent+"  ", kindOther)
		case it.Kind == yaml.MappingNode && len(it.Content) > 0:
			f.b.WriteString(indent + "- " + strings.TrimSpace(props))
			f.lineEnd(it)
			f.mapping(it, indent+"  ", ik, false)
		default:
			f.b.WriteString(indent + "-")
			f.value(it, indent, kindOther, "")
			continue // value wrote the foot comment
		}
		f.comment(indent, it.FootComment)
	}
}

// flowPairs returns the fields of an attribute mapping, in order, each
// value written for a flow mapping; ok is false when the mapping cannot be
// one (a value that is not a scalar, an anchor, a tag).
func flowPairs(n *yaml.Node) ([]pair, bool) {
	if n.Kind != yaml.MappingNode || n.Anchor != "" || n.Style&yaml.TaggedStyle != 0 {
		return nil, false
	}
	var fs []pair
	for _, p := range pairs(n, kindAttribute) {
		key, v := p[0], p[1]
		if key.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode || properties(key) != "" || properties(v) != "" {
			return nil, false
		}
		kt, vt := keyText(key), scalarText(v)
		if !flowSafe(kt) || !flowSafe(vt) {
			return nil, false
		}
		fs = append(fs, pair{kt, vt})
	}
	return fs, true
}

// flowSeq writes a list of scalars, or of lists of scalars, as
// "[A, [B, C]]"; ok is false when it holds anything else or comments.
func flowSeq(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.SequenceNode || n.Anchor != "" || n.Style&yaml.TaggedStyle != 0 || n.HeadComment != "" {
		return "", false
	}
	items := make([]string, len(n.Content))
	for i, it := range n.Content {
		if hasComments(it, true) || properties(it) != "" {
			return "", false
		}
		switch it.Kind {
		case yaml.ScalarNode:
			items[i] = scalarText(it)
			if !flowSafe(items[i]) {
				return "", false
			}
		case yaml.SequenceNode:
			s, ok := flowSeq(it)
			if !ok {
				return "", false
			}
			items[i] = s
		default:
			return "", false
		}
	}
	return "[" + strings.Join(items, ", ") + "]", true
}

// hasComments reports whether a node's children (and, with self, the node
// itself) carry comments.
func hasComments(n *yaml.Node, self bool) bool {
	if self && (n.HeadComment != "" || n.LineComment != "" || n.FootComment != "") {
		return true
	}
	for _, c := range n.Content {
		if hasComments(c, true) {
			return true
		}
	}
	return false
}

// properties writes a node's anchor and explicit tag, with a trailing
// space, or "". A string's explicit tag is left to scalarText.
func properties(n *yaml.Node) string {
	var s string
	if n.Anchor != "" {
		s += "&" + n.Anchor + " "
	}
	if n.Style&yaml.TaggedStyle != 0 && n.Kind != yaml.AliasNode && !(n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str") {
		s += n.Tag + " "
	}
	return s
}

// keyText writes a mapping key. A key that is a collection (which no
// schema file has, and the loader refuses) is written as a flow
// collection, or as "" when it holds comments: Format then keeps the file.
func keyText(k *yaml.Node) string {
	switch k.Kind {
	case yaml.SequenceNode:
		s, _ := flowSeq(k)
		return s
	case yaml.MappingNode:
		if hasComments(k, true) || properties(k) != "" {
			return ""
		}
		items := make([]string, 0, len(k.Content)/2)
		for i := 0; i+1 < len(k.Content); i += 2 {
			kk, v := keyText(k.Content[i]), keyText(k.Content[i+1])
			if kk == "" || v == "" || !flowSafe(kk) || !flowSafe(v) {
				return ""
			}
			items = append(items, kk+": "+v)
		}
		return "{" + strings.Join(items, ", ") + "}"
	}
	return properties(k) + scalarText(k)
}

// scalarText writes a scalar so that YAML reads back the same value with
// the same type: strings as Write writes names (plain when safe,
// double-quoted otherwise); other values (numbers, booleans, null,
// timestamps) as they were written, plain, which reads them back as they
// were read; with an explicit tag (properties writes it), quoted unless
// plain is safe.
func scalarText(n *yaml.Node) string {
	if n.Kind == yaml.AliasNode {
		return "*" + n.Value
	}
	tag, v := n.ShortTag(), n.Value
	switch {
	case tag == "!!str":
		return scalar(v)
	case tag == "!!null" && v == "":
		return "null"
	case n.Style&yaml.TaggedStyle != 0 && !plainFlowSafe(v):
		return strconv.Quote(v)
	}
	return v
}

// flowSafe reports whether text, written by scalarText, may stand inside a
// flow collection.
func flowSafe(text string) bool {
	return strings.HasPrefix(text, `"`) || plainFlowSafe(text)
}

// plainFlowSafe reports whether s may be written plain inside a flow
// collection: no flow indicators, no ": " or " #", no leading indicator.
func plainFlowSafe(s string) bool {
	if s == "" || strings.ContainsAny(s, ",[]{}\n\t\"'") || strings.Contains(s, ": ") || strings.Contains(s, " #") ||
		strings.HasSuffix(s, ":") || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		return false
	}
	return !strings.ContainsAny(s[:1], "-?:,[]{}#&*!|>'\"%@`") || (s[0] == '-' && len(s) > 1 && s[1] != ' ')
}

// resolvesTo reports whether s, written plain, reads as tag.
func resolvesTo(s, tag string) bool {
	var n yaml.Node
	if yaml.Unmarshal([]byte(s), &n) != nil || len(n.Content) != 1 {
		return false
	}
	c := n.Content[0]
	return c.Kind == yaml.ScalarNode && c.ShortTag() == tag && c.Value == s
}
