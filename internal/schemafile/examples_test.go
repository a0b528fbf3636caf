package schemafile

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ctxschema/ctxschema/internal/model"
)

// TestExamples validates every example project under examples/ (examples/ci
// aside): each must load without errors or warnings and have a README.
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "examples", "*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		if filepath.Base(dir) == "ci" {
			continue // a GitHub Actions workflow, not a schema (internal/cli tests it)
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			res, err := Load(context.Background(), dir)
			if err != nil {
				t.Fatalf("%s is invalid:\n%v", dir, err)
			}
			for _, w := range res.Warnings {
				t.Errorf("%s", w)
			}
			if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
				t.Errorf("%s has no README.md", dir)
			}
		})
	}
	if n < 2 {
		t.Fatalf("found %d example directories, want at least 2", n)
	}
}

// TestDefaultDirIsContactCenter keeps the repository's schemas/ (the default
// --dir, run from the root) equal to examples/contact-center.
func TestDefaultDirIsContactCenter(t *testing.T) {
	def, err := Load(context.Background(), filepath.Join("..", "..", "schemas"))
	if err != nil {
		t.Fatalf("schemas/ is invalid:\n%v", err)
	}
	cc, err := Load(context.Background(), filepath.Join("..", "..", "examples", "contact-center"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cc.Schema, def.Schema, cmpopts.IgnoreFields(model.Pos{}, "File")); diff != "" {
		t.Errorf("schemas/ differs from examples/contact-center (-example +schemas):\n%s", diff)
	}
}
