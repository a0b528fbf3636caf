// Package tenant runs one schema over many tenant databases: the tenants
// file, which maps each Context Services tenant (X-Genesys-TenantId) to its
// own database URL, and the fan-out that runs a command on every tenant, a
// bounded number at a time, each tenant's output kept whole.
package tenant

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/input"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/schemafile"
)

// Tenant is one tenant of a tenants file.
type Tenant struct {
	// ID is the tenant's X-Genesys-TenantId, a positive integer.
	ID int64
	// Name is unique in the file, for people.
	Name string
	// DB is the database URL as written: a relative file path in it is
	// relative to File.Dir (dialect.Registry.ResolveRelative resolves it).
	DB string
	// Pos is where the tenant is declared.
	Pos model.Pos
}

// String names the tenant as messages do: "101 (acme)".
func (t Tenant) String() string { return fmt.Sprintf("%d (%s)", t.ID, t.Name) }

// File is a valid tenants file.
type File struct {
	// Path is the file's name in messages.
	Path string
	// Dir is the folder of the file, which relative paths are relative to.
	Dir string
	// Tenants are in the order the file lists them.
	Tenants []Tenant
}

// tenantFields are the keys of a tenant, in documentation order.
var tenantFields = []string{"id", "name", "db"}

// MaxSize bounds the tenants file: tens of thousands of tenants.
const MaxSize = 8 << 20

// Read reads and validates the tenants file at path; display names it in
// messages. An invalid file gives a *model.Problems with every
// problem at its file:line:col. The read is bounded by MaxSize and stops
// when ctx is cancelled.
func Read(ctx context.Context, path, display string) (*File, error) {
	data, err := input.ReadFile(ctx, path, MaxSize)
	if err != nil {
		return nil, fmt.Errorf("reading the tenants file: %w; check --tenants (or CTXSCHEMA_TENANTS)", err)
	}
	return Parse(data, path, display)
}

// Parse validates the bytes of a tenants file. path locates the file, so
// that relative SQLite paths resolve against its folder; display names it
// in messages. It reports, all at once: unknown and repeated keys, a
// missing field, an id that is not a positive integer, and a duplicate id
// or name (citing the first one's place). Values are never echoed: a db
// may hold a password.
func Parse(data []byte, path, display string) (*File, error) {
	// Values are never echoed: a db may hold a password.
	w := schemafile.NewWalker(display, schemafile.WalkerOptions{Kind: "tenants files", Secret: true})
	f := &File{Path: display, Dir: filepath.Dir(path)}
	root := w.Decode(data)
	if root == nil {
		if err := w.Problems(); err != nil {
			return nil, err
		}
		w.Errorf(model.Pos{File: display, Line: 1, Col: 1}, "the tenants file is empty; it needs tenants: a list of {id: ID, name: NAME, db: URL}")
		return nil, w.Problems()
	}
	ids := map[int64]model.Pos{}
	names := map[string]model.Pos{}
	listed := false
	w.Mapping(root, "tenants file", []string{"tenants"}, func(_ string, list *yaml.Node) {
		listed = true
		w.Each(list, "tenants", "a list of tenants, each {id: ID, name: NAME, db: URL}", func(n *yaml.Node) {
			t, ok := decodeTenant(w, n)
			if !ok {
				return
			}
			bad := false
			if first, dup := ids[t.ID]; dup {
				w.Errorf(t.Pos, "duplicate tenant id %d (first given at %s); every tenant needs its own id", t.ID, first)
				bad = true
			} else {
				ids[t.ID] = t.Pos
			}
			key := strings.ToLower(t.Name)
			if first, dup := names[key]; dup {
				w.Errorf(t.Pos, "duplicate tenant name %q (first given at %s); names are unique, whatever their case", t.Name, first)
				bad = true
			} else {
				names[key] = t.Pos
			}
			if !bad {
				f.Tenants = append(f.Tenants, t)
			}
		})
	})
	if root.Kind == yaml.MappingNode && !listed {
		w.Errorf(w.Pos(root), "the tenants file has no tenants key; list the tenants under tenants:")
	}
	if err := w.Problems(); err != nil {
		return nil, err
	}
	if len(f.Tenants) == 0 {
		w.Errorf(w.Pos(root), "the tenants file lists no tenant; add at least one {id: ID, name: NAME, db: URL}")
		return nil, w.Problems()
	}
	return f, nil
}

// decodeTenant decodes one tenant; ok is false when it was reported.
func decodeTenant(w *schemafile.Walker, n *yaml.Node) (Tenant, bool) {
	t := Tenant{Pos: w.Pos(n)}
	set := map[string]bool{}
	ok := true
	w.Mapping(n, "tenant", tenantFields, func(key string, v *yaml.Node) {
		set[key] = true
		switch key {
		case "id":
			id, good := parseID(w, v)
			t.ID, ok = id, ok && good
		case "name":
			s, good := w.Str(v, "name")
			t.Name, ok = s, ok && good
		case "db":
			s, good := w.Str(v, "db")
			t.DB, ok = s, ok && good
		}
	})
	if n.Kind != yaml.MappingNode {
		return t, false
	}
	for _, k := range tenantFields {
		if !set[k] {
			w.Errorf(t.Pos, "a tenant needs %s; give each tenant id, name and db", k)
			ok = false
		}
	}
	return t, ok
}

// parseID reads a tenant id: a positive integer, as X-Genesys-TenantId
// carries it.
func parseID(w *schemafile.Walker, v *yaml.Node) (int64, bool) {
	if v.Kind == yaml.ScalarNode && (v.ShortTag() == "!!int" || v.ShortTag() == "!!str") {
		if id, err := strconv.ParseInt(strings.TrimSpace(v.Value), 10, 64); err == nil && id > 0 {
			return id, true
		}
	}
	what := "a list or a mapping"
	if v.Kind == yaml.ScalarNode {
		what = strconv.Quote(dialect.Redact(v.Value))
	}
	w.Errorf(w.Pos(v), "id must be a positive integer (the X-Genesys-TenantId), not %s", what)
	return 0, false
}

// UnknownError is returned by Select for a tenant the file does not list.
type UnknownError struct {
	// Given is the id or name asked for.
	Given string
	// File is the tenants file's name.
	File string
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("invalid tenant specified: %q is neither an id nor a name in %s; give one the file lists", e.Given, e.File)
}

// Select returns the tenant whose id or name (any case) is sel, or an
// *UnknownError.
func (f *File) Select(sel string) (Tenant, error) {
	sel = strings.TrimSpace(sel)
	if id, err := strconv.ParseInt(sel, 10, 64); err == nil {
		for _, t := range f.Tenants {
			if t.ID == id {
				return t, nil
			}
		}
	}
	for _, t := range f.Tenants {
		if strings.EqualFold(t.Name, sel) {
			return t, nil
		}
	}
	return Tenant{}, &UnknownError{Given: sel, File: f.Path}
}
