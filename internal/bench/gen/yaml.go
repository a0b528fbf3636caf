package gen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ctxschema/ctxschema/internal/model"
)

// The YAML documents of the schema files (SPEC section 2). Field order is
// the documentation's.
type fileDoc struct {
	Profile    *profileDoc `yaml:"profile,omitempty"`
	Extensions []extDoc    `yaml:"extensions,omitempty"`
	Keys       []keyDoc    `yaml:"identification_keys,omitempty"`
}

type profileDoc struct {
	Attributes []attrDoc `yaml:"attributes"`
}

type attrDoc struct {
	Name      string     `yaml:"name"`
	Type      string     `yaml:"type"`
	Length    int        `yaml:"length,omitempty"`
	Default   *yaml.Node `yaml:"default,omitempty"`
	Mandatory bool       `yaml:"mandatory,omitempty"`
	Encrypt   bool       `yaml:"encrypt,omitempty"`
}

type extDoc struct {
	Name       string    `yaml:"name"`
	Type       string    `yaml:"type"`
	Attributes []attrDoc `yaml:"attributes,omitempty"`
	// Unique items: a single attribute is written alone, a composite as a
	// list (a one-element list is an error in the files).
	Unique []*yaml.Node `yaml:"unique,omitempty"`
}

type keyDoc struct {
	Name       string     `yaml:"name"`
	Source     string     `yaml:"source,omitempty"`
	Attributes *yaml.Node `yaml:"attributes"`
	Unique     bool       `yaml:"unique,omitempty"`
}

// WriteFiles writes s as schema files below dir, which it creates: the
// profile in profile.yaml, the keys in keys.yaml and each extension in
// extensions/<name>.yaml, the layout of examples/contact-center. Files
// that s does not need are not removed, so dir should be new or empty.
func WriteFiles(s *model.Schema, dir string) error {
	files, err := Files(s)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "extensions"), 0o755); err != nil {
		return fmt.Errorf("writing schema files: %w", err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), b, 0o644); err != nil {
			return fmt.Errorf("writing schema files: %w", err)
		}
	}
	return nil
}

// Files renders s as schema files, keyed by slash-separated path relative
// to the schema directory (see WriteFiles).
func Files(s *model.Schema) (map[string][]byte, error) {
	out := map[string][]byte{}
	add := func(name string, d fileDoc) error {
		b, err := marshal(d)
		if err != nil {
			return fmt.Errorf("rendering %s: %w", name, err)
		}
		out[name] = b
		return nil
	}
	if err := add("profile.yaml", fileDoc{Profile: &profileDoc{Attributes: attrDocs(s.Profile)}}); err != nil {
		return nil, err
	}
	if len(s.Keys) > 0 {
		var keys []keyDoc
		for _, k := range s.Keys {
			src := k.Source
			if k.OnProfile() {
				src = "" // the default
			}
			keys = append(keys, keyDoc{Name: k.Name, Source: src, Attributes: flowList(k.Attributes), Unique: k.Unique})
		}
		if err := add("keys.yaml", fileDoc{Keys: keys}); err != nil {
			return nil, err
		}
	}
	for _, e := range s.Extensions {
		d := extDoc{Name: e.Name, Type: string(e.Type), Attributes: attrDocs(e.Attributes)}
		for _, item := range e.Unique {
			if len(item) == 1 {
				d.Unique = append(d.Unique, &yaml.Node{Kind: yaml.ScalarNode, Value: item[0]})
			} else {
				d.Unique = append(d.Unique, flowList(item))
			}
		}
		if err := add("extensions/"+strings.ToLower(e.Name)+".yaml", fileDoc{Extensions: []extDoc{d}}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func marshal(d fileDoc) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func attrDocs(as []model.Attribute) []attrDoc {
	out := make([]attrDoc, len(as))
	for i, a := range as {
		out[i] = attrDoc{Name: a.Name, Type: string(a.Type), Mandatory: a.Mandatory, Encrypt: a.Encrypt}
		if a.Type == model.String && a.Length != model.DefaultStringLength {
			out[i].Length = a.Length
		}
		if a.Default != nil {
			out[i].Default = defaultNode(a.Type, *a.Default)
		}
	}
	return out
}

// defaultNode writes a canonical default as YAML: numbers and booleans
// plain, strings and dates quoted so that they stay strings.
func defaultNode(t model.Type, v string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: v}
	switch t {
	case model.Integer, model.Long, model.Double, model.Currency, model.Boolean:
	default:
		n.Tag, n.Style = "!!str", yaml.DoubleQuotedStyle
	}
	return n
}

// flowList is a list of names written [A, B].
func flowList(names []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range names {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: s})
	}
	return n
}
