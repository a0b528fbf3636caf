package schemafile

import (
	"gopkg.in/yaml.v3"

	"github.com/ctxschema/ctxschema/internal/model"
)

// ObjectKind is a kind of schema object that can be declared on its own, as
// the body of a Context Services API request is: the name of the list that
// holds such objects in a schema file.
type ObjectKind string

// The kinds of object AddObject takes.
const (
	KeyObject       ObjectKind = "identification_keys"
	ExtensionObject ObjectKind = "extensions"
)

// catalogFile names the declared schema that AddObject adds to, in the
// unlikely problems found in it.
const catalogFile = "(declared schema)"

// AddObject checks one extension or identification key, given as the YAML
// node n (a JSON document is YAML), by every rule of the schema files, as if
// it were declared in a file beside the files that declare current, and
// returns current with it added. Problems of the object are positioned in
// file at n's lines and columns; the object's warnings come back in the
// Result, those of current are left out. Invalid objects give a *model.Problems,
// every problem at once, with the messages of Load.
func AddObject(current *model.Schema, kind ObjectKind, n *yaml.Node, file string) (*Result, error) {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	r := &reporter{}
	base := decodeFile(catalogFile, Write(current), r, &scratch{})
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{
		Kind: yaml.MappingNode, Tag: "!!map",
		Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(kind)},
			{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{n}},
		},
	}}}
	var obj fileDecl
	newDecoder(file, r, &scratch{}).document(doc, &obj)
	s := build([]fileDecl{base, obj}, r)
	model.SortProblems(r.list)
	if r.failed() {
		return nil, &model.Problems{List: r.list}
	}
	var warnings []model.Problem
	for _, p := range r.list {
		if p.Pos.File == file {
			warnings = append(warnings, p)
		}
	}
	return &Result{Schema: s, Warnings: warnings, Files: []string{file}}, nil
}
