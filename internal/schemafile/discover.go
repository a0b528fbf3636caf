package schemafile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ctxschema/ctxschema/internal/model"

	"github.com/ctxschema/ctxschema/internal/quote"
)

// discover returns the schema files below dir: every regular file (or
// symbolic link to one) whose name ends in .yaml or .yml, in any case,
// recursively, sorted by path. Files and directories whose name starts with
// a dot (.git, editor backups) are skipped.
func discover(dir string) ([]string, error) {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, problem(fmt.Sprintf("schema directory %s does not exist; create it or point --dir (env CTXSCHEMA_DIR) at your schema files", quote.Value(dir)))
	case err != nil:
		return nil, fmt.Errorf("read schema directory %s: %w", quote.Value(dir), err)
	case !info.IsDir():
		return nil, problem(fmt.Sprintf("%s is not a directory; point --dir (env CTXSCHEMA_DIR) at the directory that holds your schema files", quote.Value(dir)))
	}
	var files []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read schema directory: %w", err)
		}
		if path != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !isSchemaFile(d.Name()) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Stat(path)
			if err != nil {
				return fmt.Errorf("read schema file %s: %w", quote.Value(path), err)
			}
			if !target.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, problem(fmt.Sprintf("no schema files (*.yaml, *.yml) found in %s; add some or point --dir (env CTXSCHEMA_DIR) at your schema files", quote.Value(dir)))
	}
	sort.Strings(files)
	return files, nil
}

func isSchemaFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// problem returns a *model.Problems with one error that has no position.
func problem(msg string) *model.Problems {
	return &model.Problems{List: []model.Problem{{Severity: model.SeverityError, Message: msg}}}
}

// displayPath writes path relative to the working directory when it lies
// below it, so that messages stay short; otherwise it is kept as given.
func displayPath(path, cwd string) string {
	if !filepath.IsAbs(path) || cwd == "" {
		return filepath.Clean(path)
	}
	rel, err := filepath.Rel(cwd, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}

// Discover returns the schema files below dir as Load reads them (every
// *.yaml and *.yml, recursively, dot-files and dot-directories skipped,
// sorted), or a *model.Problems when dir is missing, not a directory or holds no
// schema file.
func Discover(dir string) ([]string, error) { return discover(dir) }
