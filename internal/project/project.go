// Package project reads the project file, .ctxschema.yaml: named
// environments, each with a database URL, a schema directory and optionally
// a tenants file, like the environments of atlas.hcl. The CLI finds the
// file in the working directory or the nearest parent that has one, and
// applies the environment chosen with --env (env CTXSCHEMA_ENV) below the
// flags and environment variables.
package project

import (
	"context"
	"errors"
	"fmt"
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
	// DB is the database URL as written: a relative file path in it is
	// relative to File.Dir (dialect.Registry.ResolveRelative resolves it).
	DB string
	// Dir is the schema directory.
	Dir string
	// Tenants is the tenants file.
	Tenants string
}

// File is a parsed project file.
type File struct {
	// Path is where the file was found, as messages name it.
	Path string
	// Dir is the folder of the file, which relative paths are relative to.
	Dir          string
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

// InvalidError is the error of an invalid project file. It unwraps to the
// *model.Problems that list every problem, each at its file:line:col, so
// that they are reported like any schema-input problems; main maps it to
// exit code 1 (an invalid project file is not an invalid schema).
type InvalidError struct {
	Problems *model.Problems
}

func (e *InvalidError) Error() string { return e.Problems.Error() }

// Unwrap returns the problems.
func (e *InvalidError) Unwrap() error { return e.Problems }

// invalid wraps the walker's problems (a *model.Problems).
func invalid(err error) error {
	var ps *model.Problems
	if !errors.As(err, &ps) {
		return err
	}
	return &InvalidError{Problems: ps}
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
// messages. Unknown keys are errors, like in schema files. An invalid file
// gives an *InvalidError. Database URLs are kept as written: File.Dir is
// the folder their relative paths are relative to.
func Parse(data []byte, path, display string) (*File, error) {
	// Values are never echoed: a database URL may hold its password.
	w := schemafile.NewWalker(display, schemafile.WalkerOptions{Kind: "project files", Secret: true})
	f := &File{Path: display, Dir: filepath.Dir(path), Environments: map[string]Environment{}}
	root := w.Decode(data)
	if root == nil {
		if err := w.Problems(); err != nil {
			return nil, invalid(err)
		}
		w.Errorf(model.Pos{File: display, Line: 1, Col: 1}, "the project file is empty; it needs environments: NAME: {db: URL, dir: DIR}")
		return nil, invalid(w.Problems())
	}
	w.Mapping(root, "the project file", []string{"environments"}, func(_ string, v *yaml.Node) {
		w.Mapping(v, "environments", nil, func(name string, ev *yaml.Node) {
			if strings.TrimSpace(name) == "" {
				w.Errorf(w.Pos(ev), "an environment needs a name")
				return
			}
			e := Environment{Name: name}
			w.Mapping(ev, fmt.Sprintf("environment %q", name), []string{"db", "dir", "tenants"}, func(key string, v *yaml.Node) {
				s, ok := w.Str(v, key)
				if !ok {
					return
				}
				if strings.TrimSpace(s) == "" {
					w.Errorf(w.Pos(v), "%s is empty; give one or remove the field", key)
					return
				}
				switch key {
				case "db":
					e.DB = s
				case "dir":
					e.Dir = resolvePath(f.Dir, s)
				case "tenants":
					e.Tenants = resolvePath(f.Dir, s)
				}
			})
			f.Environments[name] = e
		})
	})
	if err := w.Problems(); err != nil {
		return nil, invalid(err)
	}
	return f, nil
}

// resolvePath makes a relative path relative to base.
func resolvePath(base, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}
