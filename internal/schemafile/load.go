// Package schemafile reads the YAML schema files of a directory and turns them
// into the domain model (internal/model) that the planner consumes,
// enforcing every rule of the schema file format (SPEC section 2). Every
// problem is reported at once, each at its file, line and column.
package schemafile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/ctxschema/ctxschema/internal/input"
	"github.com/ctxschema/ctxschema/internal/model"
)

// Result is a valid declared schema and what was learnt reading it.
type Result struct {
	// Schema is the merged, validated schema, sorted (model.Schema.Sort).
	Schema *model.Schema
	// Warnings are problems that do not make the files invalid, sorted.
	Warnings []model.Problem
	// Files are the schema files read, in the order they were merged, as
	// they appear in positions.
	Files []string
}

// Load reads every *.yaml and *.yml file below dir (recursively, in path
// order), merges and validates them. Invalid files, and a directory that
// is missing or holds no schema file, give a *model.Problems; other errors (I/O)
// are wrapped. Positions name the files relative to the working directory
// when they are below it.
func Load(dir string) (*Result, error) {
	paths, err := discover(dir)
	if err != nil {
		return nil, err
	}
	cwd, _ := os.Getwd()
	names := make([]string, len(paths))
	data := make([][]byte, len(paths))
	var tooLarge []model.Problem
	for i, p := range paths {
		names[i] = displayPath(p, cwd)
		// discover keeps regular files only, which never block: no
		// context is needed to interrupt the read.
		b, err := ReadFile(context.Background(), p, names[i])
		var probs *model.Problems
		switch {
		case errors.As(err, &probs):
			tooLarge = append(tooLarge, probs.List...)
		case err != nil:
			return nil, err
		}
		data[i] = b
	}
	if len(tooLarge) > 0 {
		return nil, &model.Problems{List: tooLarge}
	}
	return parse(names, data)
}

// inParallel calls f(0) … f(n-1) on up to GOMAXPROCS goroutines: a
// repository written by inspect --out holds one file per object, and
// files decode independently.
func inParallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/minFilesPerWorker)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// minFilesPerWorker is the fewest files worth a goroutine of their own.
const minFilesPerWorker = 8

// decodeOne decodes one file with a reporter of its own.
func decodeOne(name string, data []byte) (fileDecl, []model.Problem) {
	r := &reporter{}
	d := decodeFile(name, data, r)
	return d, r.list
}

// ReadFile reads the schema file at path, which messages call name, up to
// MaxFileSize: a larger file gives a *model.Problems at the file; other errors
// (I/O) are wrapped.
func ReadFile(ctx context.Context, path, name string) ([]byte, error) {
	b, err := input.ReadFile(ctx, path, MaxFileSize)
	var large *input.TooLargeError
	switch {
	case errors.As(err, &large):
		return nil, &model.Problems{List: []model.Problem{{Pos: model.Pos{File: name}, Severity: model.SeverityError,
			Message: fmt.Sprintf("the file is larger than %s, the limit for one schema file; split it into several files", input.Size(MaxFileSize))}}}
	case err != nil:
		return nil, fmt.Errorf("read schema file: %w", err)
	}
	return b, nil
}

// MaxFileSize bounds one schema file, far above any real one (the largest
// schema Context Services allows, 1,000 extensions of 50 attributes, takes
// about 3 MiB of YAML), so that a wrong --dir cannot exhaust memory.
const MaxFileSize = 8 << 20

// Parse validates schema files given in memory, keyed by the name to use
// in positions, merged in name order. It returns a *model.Problems for invalid
// files; no files give an empty schema.
func Parse(files map[string][]byte) (*Result, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	data := make([][]byte, len(names))
	for i, n := range names {
		data[i] = files[n]
	}
	return parse(names, data)
}

func parse(names []string, data [][]byte) (*Result, error) {
	decls := make([]fileDecl, len(names))
	probs := make([][]model.Problem, len(names))
	inParallel(len(names), func(i int) { decls[i], probs[i] = decodeOne(names[i], data[i]) })
	return merge(names, decls, probs)
}

// merge validates and merges the decoded files, with the problems found
// decoding each, in file order.
func merge(names []string, decls []fileDecl, probs [][]model.Problem) (*Result, error) {
	r := &reporter{}
	for _, ps := range probs {
		r.list = append(r.list, ps...)
	}
	s := build(decls, r)
	model.SortProblems(r.list)
	if r.failed() {
		return nil, &model.Problems{List: r.list}
	}
	return &Result{Schema: s, Warnings: r.list, Files: names}, nil
}
