// Package project reads the project file, .ctxschema.yaml: named
// environments, each with a database URL, a schema directory and optionally
// a tenants file, like the environments of atlas.hcl. The CLI finds the
// file in the working directory or the nearest parent that has one, and
// applies the environment chosen with --env (env CTXSCHEMA_ENV) below the
// flags and environment variables.
package project

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ctxschema/ctxschema/internal/input"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/schemafile"
)

// FileName is the name of the project file.
const FileName = ".ctxschema.yaml"

// Environment is one named environment. Relative paths are already
// resolved against the project file's folder; a field is "" when the
// environment does not set it.
type Environment struct {
	Name string
	// DB is the database URL; a relative sqlite:// path is resolved.
	DB string
	// Dir is the schema directory.
	Dir string
	// Tenants is the tenants file.
	Tenants string
}

// File is a parsed project file.
type File struct {
	// Path is where the file was found.
	Path         string
	Environments map[string]Environment
}

// Names lists the environment names, sorted.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.Environments))
	for n := range f.Environments {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Env returns the environment called name, or an error that lists the
// known ones.
func (f *File) Env(name string) (Environment, error) {
	if e, ok := f.Environments[name]; ok {
		return e, nil
	}
	known := "it defines none"
	if names := f.Names(); len(names) > 0 {
		known = "known environments: " + strings.Join(names, ", ")
	}
	return Environment{}, fmt.Errorf("unknown environment %q: %s does not define it; %s", name, f.Path, known)
}

// Error is the error of an invalid project file: every problem, each at
// its file:line:col.
type Error struct {
	Problems []model.Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// ErrNotFound is returned by Find when neither the directory nor any of its
// parents holds a project file.
var ErrNotFound = errors.New("no project file " + FileName + " found")

// Find returns the path of the project file in dir or the nearest parent
// directory that has one, or ErrNotFound.
func Find(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		path := filepath.Join(dir, FileName)
		fi, err := os.Stat(path)
		switch {
		case err == nil && !fi.IsDir():
			return path, nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("reading the project file: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNotFound
		}
		dir = parent
	}
}

// MaxSize bounds the project file, which names a few environments.
const MaxSize = 1 << 20

// Read reads and validates the project file at path. display is the name
// to use in messages (the path relative to the working directory). The
// read is bounded by MaxSize and stops when ctx is cancelled.
func Read(ctx context.Context, path, display string) (*File, error) {
	data, err := input.ReadFile(ctx, path, MaxSize)
	if err != nil {
		return nil, fmt.Errorf("reading the project file: %w", err)
	}
	return Parse(data, path, display)
}

// Parse validates a project file's bytes. path locates the file, so that
// relative paths resolve against its folder; display names it in
// messages. Unknown keys are errors, like in schema files.
func Parse(data []byte, path, display string) (*File, error) {
	p := &parser{file: display}
	f := &File{Path: display, Environments: map[string]Environment{}}
	// One document: a second one (after "---") would otherwise be read by
	// nobody, and the environments it names would silently not exist.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, &Error{Problems: []model.Problem{schemafile.SyntaxProblem(display, data, err)}}
	}
	var more yaml.Node
	switch err := dec.Decode(&more); {
	case err == nil && !emptyDocument(&more):
		p.errorf(p.pos(&more), "the project file holds a second YAML document; keep one, with every environment under its environments key")
		return nil, &Error{Problems: p.problems}
	case err != nil && !errors.Is(err, io.EOF):
		return nil, &Error{Problems: []model.Problem{schemafile.SyntaxProblem(display, data, err)}}
	}
	base := filepath.Dir(path)
	if len(doc.Content) == 0 {
		p.errorf(model.Pos{File: display, Line: 1, Col: 1}, "the project file is empty; it needs environments: NAME: {db: URL, dir: DIR}")
		return nil, &Error{Problems: p.problems}
	}
	root := doc.Content[0]
	p.mapping(root, "the project file", []string{"environments"}, func(_ string, v *yaml.Node) {
		p.mapping(v, "environments", nil, func(name string, ev *yaml.Node) {
			if strings.TrimSpace(name) == "" {
				p.errorf(p.pos(ev), "an environment needs a name")
				return
			}
			e := Environment{Name: name}
			p.mapping(ev, fmt.Sprintf("environment %q", name), []string{"db", "dir", "tenants"}, func(key string, v *yaml.Node) {
				s, ok := p.str(v, key)
				if !ok {
					return
				}
				switch key {
				case "db":
					e.DB = ResolveURL(base, s)
				case "dir":
					e.Dir = resolvePath(base, s)
				case "tenants":
					e.Tenants = resolvePath(base, s)
				}
			})
			f.Environments[name] = e
		})
	})
	if len(p.problems) > 0 {
		return nil, &Error{Problems: p.problems}
	}
	return f, nil
}

// resolvePath makes a relative path relative to base.
// emptyDocument reports whether a document holds nothing, as a "---" at the
// end of a file gives.
func emptyDocument(doc *yaml.Node) bool {
	if len(doc.Content) == 0 {
		return true
	}
	c := doc.Content[0]
	return len(doc.Content) == 1 && c.Kind == yaml.ScalarNode && c.ShortTag() == "!!null" && c.Value == ""
}

func resolvePath(base, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

// ResolveURL makes the path of a relative sqlite:// URL relative to base
// (the folder of the file that holds it: the project file, a tenants file);
// other URLs are kept as written.
func ResolveURL(base, u string) string {
	const scheme = "sqlite://"
	if !strings.HasPrefix(u, scheme) {
		return u
	}
	rest := strings.TrimPrefix(u, scheme)
	path, query, hasQuery := strings.Cut(rest, "?")
	if path == "" || strings.HasPrefix(path, "/") || filepath.IsAbs(path) || path == ":memory:" {
		return u
	}
	out := scheme + filepath.ToSlash(filepath.Join(base, path))
	if hasQuery {
		out += "?" + query
	}
	return out
}

type parser struct {
	file     string
	problems []model.Problem
}

func (p *parser) pos(n *yaml.Node) model.Pos {
	return model.Pos{File: p.file, Line: n.Line, Col: n.Column}
}

func (p *parser) errorf(pos model.Pos, format string, args ...any) {
	p.problems = append(p.problems, model.Problem{Pos: pos, Severity: model.SeverityError, Message: fmt.Sprintf(format, args...)})
}

// mapping walks a mapping node: keys must be plain words, given once, and
// in known when known is not nil.
func (p *parser) mapping(n *yaml.Node, what string, known []string, fn func(key string, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.errorf(p.pos(n), "%s must be a mapping, not %s", what, describe(n))
		return
	}
	seen := map[string]model.Pos{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || v.Kind == yaml.AliasNode {
			p.errorf(p.pos(k), "%s holds %s; write plain keys and values, without YAML aliases", what, describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.errorf(p.pos(k), "duplicate key %q in %s (first given at %s); keep one", k.Value, what, first)
			continue
		}
		seen[k.Value] = p.pos(k)
		if known != nil && !contains(known, k.Value) {
			p.errorf(p.pos(k), "unknown key %q in %s; known keys: %s", k.Value, what, strings.Join(known, ", "))
			continue
		}
		fn(k.Value, v)
	}
}

// str reads a non-empty string scalar.
func (p *parser) str(n *yaml.Node, name string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" || strings.TrimSpace(n.Value) == "" {
		p.errorf(p.pos(n), "%s must be a non-empty string, not %s", name, describe(n))
		return "", false
	}
	return n.Value, true
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		// The value itself is never echoed: it may be a database URL with
		// its password.
		if n.ShortTag() == "!!null" || n.Value == "" {
			return "an empty value"
		}
		return "a single value"
	}
	return "nothing"
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
