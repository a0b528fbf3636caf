package project

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveURL(t *testing.T) {
	base := filepath.FromSlash("/p/proj")
	for in, want := range map[string]string{
		"sqlite://dev.db":                    "sqlite:///p/proj/dev.db",
		"sqlite://data/dev.db?_timeout=5":    "sqlite:///p/proj/data/dev.db?_timeout=5",
		"sqlite://../shared.db":              "sqlite:///p/shared.db",
		"sqlite:///abs/dev.db":               "sqlite:///abs/dev.db",
		"postgres://u@h:5432/db?sslmode=off": "postgres://u@h:5432/db?sslmode=off",
	} {
		if got := ResolveURL(base, in); got != want {
			t.Errorf("ResolveURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	f, err := Parse([]byte("environments:\n  dev:\n    db: sqlite://dev.db\n    dir: schemas\n    tenants: t.yaml\n  prod:\n    db: postgres://x/y\n"), "/p/.ctxschema.yaml", ".ctxschema.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dev, err := f.Env("dev")
	if err != nil {
		t.Fatal(err)
	}
	if dev.DB != "sqlite:///p/dev.db" || dev.Dir != filepath.FromSlash("/p/schemas") || dev.Tenants != filepath.FromSlash("/p/t.yaml") {
		t.Errorf("dev = %+v", dev)
	}
	if _, err := f.Env("qa"); err == nil || !strings.Contains(err.Error(), "known environments: dev, prod") {
		t.Errorf("unknown environment: %v", err)
	}

	for src, want := range map[string]string{
		"environments:\n  dev:\n    db: x\n    bd: y\n":    ".ctxschema.yaml:4:5: unknown key \"bd\" in environment \"dev\"; known keys: db, dir, tenants",
		"environments:\n  dev: postgres://u:secret@h/db\n": ".ctxschema.yaml:2:8: environment \"dev\" must be a mapping, not a single value",
		"environments:\n  dev:\n    db: \"\"\n":            ".ctxschema.yaml:3:9: db must be a non-empty string, not an empty value",
		"envs: {}\n":                                       ".ctxschema.yaml:1:1: unknown key \"envs\" in the project file; known keys: environments",
		"environments:\n  a: {db: x}\n  a: {db: y}\n":      ".ctxschema.yaml:3:3: duplicate key \"a\" in environments (first given at .ctxschema.yaml:2:3); keep one",
		"": ".ctxschema.yaml:1:1: the project file is empty",
		"environments:\n  dev: {db: x}\n---\nenvironments:\n  prod: {db: y}\n": ".ctxschema.yaml:3:1: the project file holds a second YAML document; keep one",
		"environments:\n  dev: {db: x}\n---\n[":                                ".ctxschema.yaml:4:",
	} {
		_, err := Parse([]byte(src), "/p/.ctxschema.yaml", ".ctxschema.yaml")
		var pe *Error
		if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %s", src, err, want)
		}
	}
}

func TestFind(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Find(deep); !errors.Is(err, ErrNotFound) && err != nil {
		// a project file above the temporary directory would be found: fine
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, FileName), []byte("environments: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := Find(deep); err != nil || got != filepath.Join(root, FileName) {
		t.Fatalf("Find = %q, %v", got, err)
	}
	if err := os.WriteFile(filepath.Join(root, "a", FileName), []byte("environments: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := Find(deep); got != filepath.Join(root, "a", FileName) {
		t.Fatalf("the nearest parent's file wins, got %q", got)
	}
}

// TestParseTrailingDocumentMarker: a "---" with nothing after it is no
// second document.
func TestParseTrailingDocumentMarker(t *testing.T) {
	for _, src := range []string{"environments:\n  dev: {db: x}\n---\n", "---\nenvironments:\n  dev: {db: x}\n", "environments:\n  dev: {db: x}\n...\n"} {
		f, err := Parse([]byte(src), "/p/.ctxschema.yaml", ".ctxschema.yaml")
		if err != nil {
			t.Errorf("Parse(%q): %v", src, err)
			continue
		}
		if _, err := f.Env("dev"); err != nil {
			t.Errorf("Parse(%q): %v", src, err)
		}
	}
}

// A project file that never ends (a link to /dev/zero) is an error once
// MaxSize is read, not an exhausted machine.
func TestReadBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	if err := os.Symlink("/dev/zero", path); err != nil {
		t.Skip(err)
	}
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip(err)
	}
	_, err := Read(context.Background(), path, FileName)
	if err == nil || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Errorf("got %v, want the size limit", err)
	}
}
