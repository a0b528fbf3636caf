package schemafile

import (
	"gopkg.in/yaml.v3"

	"github.com/ctxschema/ctxschema/internal/model"
)

// Walker walks the yaml.Node tree of another YAML input of the CLI (the
// tenants file) with the schema loader's rules and words: keys given once
// and known, no aliases, every problem collected at its file:line:col.
// It is the loader's own decoder, exported, so that every YAML input
// reports its problems alike.
type Walker struct {
	d decoder
	r reporter
}

// NewWalker returns a walker whose problems name file.
func NewWalker(file string) *Walker {
	w := &Walker{}
	w.d = decoder{file: file, r: &w.r}
	return w
}

// Decode parses data as one YAML document and returns its root node, or
// nil for an empty document or a syntax error (reported).
func (w *Walker) Decode(data []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		w.r.list = append(w.r.list, syntaxProblem(w.d.file, data, err))
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil
	}
	root := doc.Content[0]
	if !w.d.usable(root) {
		return nil
	}
	return root
}

// Pos is the position of n.
func (w *Walker) Pos(n *yaml.Node) model.Pos { return w.d.pos(n) }

// Errorf reports a problem at pos.
func (w *Walker) Errorf(pos model.Pos, format string, args ...any) {
	w.r.errorf(pos, format, args...)
}

// Mapping walks the pairs of mapping node n in order, calling fn for each
// key in known. It reports a node that is not a mapping, keys that are
// not plain scalars, keys given twice and unknown keys (suggesting the
// closest known one), as the schema loader does; what names the object
// ("tenant").
func (w *Walker) Mapping(n *yaml.Node, what string, known []string, fn func(key string, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		w.r.errorf(w.d.pos(n), "%s must be a mapping, not %s", article(what), describe(n))
		return
	}
	w.d.mapping(n, what, known, fn)
}

// Each walks list node n, calling fn for every item; a null node is an
// empty list. It reports another kind of node ("name must be want, not
// …") and returns false for it.
func (w *Walker) Each(n *yaml.Node, name, want string, fn func(*yaml.Node)) bool {
	return w.d.each(n, name, want, fn)
}

// Str returns the text of scalar n, reporting a node that is not one or is
// empty.
func (w *Walker) Str(n *yaml.Node, name string) (string, bool) {
	f := w.d.str(n, name)
	return f.Val, f.OK
}

// Problems returns every problem reported, sorted, as the error the
// schema loader returns, or nil when there is none.
func (w *Walker) Problems() error {
	if !w.r.failed() {
		return nil
	}
	model.SortProblems(w.r.list)
	return &model.Problems{List: w.r.list}
}
