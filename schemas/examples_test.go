package schemas

import (
	"os"
	"path/filepath"
	"testing"
)

// TestExamples validates every example project under examples/ (examples/ci
// aside): each must load without errors or warnings and have a README.
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "examples", "*"))
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
			res, err := Load(dir)
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
