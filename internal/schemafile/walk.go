package schemafile

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ctxschema/ctxschema/internal/model"
)

// Walker walks the yaml.Node tree of one YAML file and reports problems at
// the position of each node: the one walk of schema files, the project
// file and any other YAML input ctxschema reads. yaml.v3 drops KnownFields
// strictness inside custom unmarshalers, so files are decoded into a
// yaml.Node tree and walked by hand.
type Walker struct {
	file string
	// kind names the files in messages ("schema files").
	kind string
	// secret keeps scalar values out of messages.
	secret bool
	r      *reporter
	// lineBase is the line before the file's first in the YAML stream
	// its nodes were parsed from: 0, unless the stream holds several
	// files (loadBatch).
	lineBase int
}

// WalkerOptions configure a Walker.
type WalkerOptions struct {
	// Kind names the kind of file in messages, plural: "schema files",
	// "project files".
	Kind string
	// Secret keeps every scalar value out of messages ("a single value"
	// instead of the value quoted): the values may be database URLs with
	// their password.
	Secret bool
}

// NewWalker returns a walker of the file that messages call file.
func NewWalker(file string, o WalkerOptions) *Walker {
	return &Walker{file: file, kind: o.Kind, secret: o.Secret, r: &reporter{}}
}

// Problems returns every problem reported, sorted, as the *model.Problems
// the schema loader returns, or nil when none is an error.
func (w *Walker) Problems() error {
	if !w.r.failed() {
		return nil
	}
	model.SortProblems(w.r.list)
	return &model.Problems{List: w.r.list}
}

// Decode parses data, the walker's file, as one YAML document and returns
// its root node, or nil for an empty file (nothing, comments, null), an
// alias, or a syntax error (reported). A second document (after "---")
// that is not empty is refused: nobody would read it, and what it declares
// would silently not exist.
func (w *Walker) Decode(data []byte) *yaml.Node {
	docs, err := Documents(w.file, data)
	var syntax *model.Problems
	if errors.As(err, &syntax) {
		w.r.list = append(w.r.list, syntax.List...)
		return nil
	}
	if len(docs) > 1 && !EmptyDocument(docs[1]) {
		w.r.errorf(w.Pos(docs[1]), "the file holds a second YAML document (after ---); keep one, with everything in it")
		return nil
	}
	if len(docs) == 0 || EmptyDocument(docs[0]) || !w.Usable(docs[0].Content[0]) {
		return nil
	}
	return docs[0].Content[0]
}

// Pos is the position of n in the file.
func (w *Walker) Pos(n *yaml.Node) model.Pos {
	return model.Pos{File: w.file, Line: n.Line - w.lineBase, Col: n.Column}
}

// Errorf reports an error at pos. String arguments are quoted as values
// (quote.Args).
func (w *Walker) Errorf(pos model.Pos, format string, args ...any) {
	w.r.errorf(pos, format, args...)
}

// Mapping walks the pairs of a mapping node in order, which it reports
// when it is not one, as what. It reports keys that are not plain scalars,
// keys given twice, aliases and, when known is not nil, keys not in known
// (suggesting the closest known one), and calls fn for the others.
func (w *Walker) Mapping(n *yaml.Node, what string, known []string, fn func(key string, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		w.r.errorf(w.Pos(n), "%s must be a mapping, not %s", what, w.Describe(n))
		return
	}
	seen := map[string]model.Pos{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !w.Usable(k) {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			w.r.errorf(w.Pos(k), "a key of %s must be a plain word, not %s", article(what), w.Describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			w.r.errorf(w.Pos(k), "duplicate field %q in %s (first given at %s); keep one", k.Value, what, first)
			continue
		}
		seen[k.Value] = w.Pos(k)
		if known != nil && !contains(known, k.Value) {
			w.r.errorf(w.Pos(k), "%s", unknownField(k.Value, what, known))
			continue
		}
		if !w.Usable(v) {
			continue
		}
		fn(k.Value, v)
	}
}

// Each walks a list node, calling fn for every usable item. A null node is
// an empty list. It reports other kinds (name must be want) and returns
// false for them.
func (w *Walker) Each(n *yaml.Node, name, want string, fn func(*yaml.Node)) bool {
	if isNull(n) {
		return true
	}
	if n.Kind != yaml.SequenceNode {
		w.r.errorf(w.Pos(n), "%s must be %s, not %s", name, want, w.Describe(n))
		return false
	}
	for _, item := range n.Content {
		if w.Usable(item) {
			fn(item)
		}
	}
	return true
}

// Usable reports whether n can be decoded: aliases are refused, so that
// every value has exactly one place in the files to report.
func (w *Walker) Usable(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		w.r.errorf(w.Pos(n), "YAML aliases (*%s) are not supported in %s; write the value out", n.Value, w.kind)
		return false
	}
	return true
}

// Str reads a scalar as text. Any scalar but null is accepted; other
// nodes and null are reported, as name.
func (w *Walker) Str(n *yaml.Node, name string) (string, bool) {
	switch {
	case n.Kind != yaml.ScalarNode:
		w.r.errorf(w.Pos(n), "%s must be a single value, not %s", name, w.Describe(n))
	case isNull(n):
		w.r.errorf(w.Pos(n), "%s has no value; give one or remove the field", name)
	default:
		return n.Value, true
	}
	return "", false
}

// Describe names what a node is, for "must be X, not Y" messages: a
// scalar by its value (cut to 40 characters), or as "a single value" when
// the walker keeps values secret.
func (w *Walker) Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if isNull(n) || (w.secret && n.Value == "") {
			return "an empty value"
		}
		if w.secret {
			return "a single value"
		}
		v := n.Value
		if r := []rune(v); len(r) > 40 {
			v = string(r[:40]) + "…"
		}
		return strconv.Quote(v)
	}
	return "an empty document"
}

// Documents decodes every YAML document of data, the file that messages
// call file. On a syntax error it returns the documents before it and the
// error as a *model.Problems at its position.
func Documents(file string, data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, &model.Problems{List: []model.Problem{syntaxProblem(file, data, err)}}
		}
		docs = append(docs, &doc)
	}
}

// EmptyDocument reports whether a document holds nothing, or only
// comments, or a null, as a "---" at the end of a file gives.
func EmptyDocument(doc *yaml.Node) bool {
	return len(doc.Content) == 0 || (len(doc.Content) == 1 && isNull(doc.Content[0]) && doc.Content[0].Value == "")
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// article puts "a" or "an" before a word.
func article(w string) string {
	if w != "" && strings.ContainsRune("aeiou", rune(w[0])) {
		return "an " + w
	}
	return "a " + w
}
