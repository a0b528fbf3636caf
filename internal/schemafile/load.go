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
// when they are below it. Reading stops when ctx is cancelled.
func Load(ctx context.Context, dir string) (*Result, error) {
	files, err := found(dir)
	if err != nil {
		return nil, err
	}
	// Each file is decoded as soon as it is read, on the goroutine that
	// read it: the reads (system calls) spread over the cores with the
	// decoding instead of running alone before it. Its bytes and its
	// yaml.Node tree are garbage once it is decoded (its extensions
	// checked into the model): what is held until the merge is the model
	// and the few declarations that span files, never the files.
	decls := make([]fileDecl, len(files.Paths))
	probs := make([][]model.Problem, len(files.Paths))
	errs := make([]error, len(files.Paths))
	inParallel(len(files.Paths), func(i int) {
		sc := getScratch()
		defer putScratch(sc)
		data, err := readFileInto(ctx, files.Paths[i], files.Names[i], sc.data)
		if err != nil {
			errs[i] = err
			return
		}
		sc.data = data[:0] // the next file read on this goroutine reuses it
		decls[i], probs[i] = decodeWith(files.Names[i], data, sc)
	})
	if err := readErrors(errs); err != nil {
		return nil, err
	}
	return merge(files.Names, decls, probs)
}

// Files are the schema files of a directory, read: the same index in each
// slice is the same file.
type Files struct {
	// Paths are the files as found below the directory.
	Paths []string
	// Names name the files in messages: relative to the working directory
	// when they are below it.
	Names []string
	// Data are the files' contents.
	Data [][]byte
}

// ReadAll reads the schema files below dir, as Load and fmt read them
// (Discover), each up to MaxFileSize. A directory that is missing or holds
// no schema file, and files that are too large (every one of them), give a
// *model.Problems; other errors (I/O, a cancelled ctx) are wrapped.
func ReadAll(ctx context.Context, dir string) (*Files, error) {
	files, err := found(dir)
	if err != nil {
		return nil, err
	}
	if err := files.read(ctx, nil); err != nil {
		return nil, err
	}
	return files, nil
}

// found returns the schema files below dir, named, not yet read.
func found(dir string) (*Files, error) {
	paths, err := discover(dir)
	if err != nil {
		return nil, err
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("read schema files: finding the working directory: %w", err)
	}
	files := &Files{Paths: paths, Names: make([]string, len(paths)), Data: make([][]byte, len(paths))}
	for i, p := range paths {
		files.Names[i] = displayPath(p, cwd)
	}
	return files, nil
}

// read reads the files in parallel (inParallel) and, when then is not nil,
// calls then(i) on the goroutine that read file i, once it is read. It
// fails as reading the files one by one in order would: with the first
// error that is not a file too large, else with every file too large.
func (f *Files) read(ctx context.Context, then func(i int)) error {
	errs := make([]error, len(f.Paths))
	inParallel(len(f.Paths), func(i int) {
		if f.Data[i], errs[i] = ReadFile(ctx, f.Paths[i], f.Names[i]); errs[i] == nil && then != nil {
			then(i)
		}
	})
	return readErrors(errs)
}

// readErrors is the error of reading files whose errors are errs, as
// reading them one by one in order would give: the first error that is
// not a file too large, else every file too large.
func readErrors(errs []error) error {
	var tooLarge []model.Problem
	for _, err := range errs {
		var probs *model.Problems
		switch {
		case errors.As(err, &probs):
			tooLarge = append(tooLarge, probs.List...)
		case err != nil:
			return err
		}
	}
	if len(tooLarge) > 0 {
		return &model.Problems{List: tooLarge}
	}
	return nil
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
	sc := getScratch()
	defer putScratch(sc)
	return decodeWith(name, data, sc)
}

// decodeWith decodes one file with a reporter of its own and storage from sc.
func decodeWith(name string, data []byte, sc *scratch) (fileDecl, []model.Problem) {
	r := &reporter{}
	d := decodeFile(name, data, r, sc)
	return d, r.list
}

// ReadFile reads the schema file at path, which messages call name, up to
// MaxFileSize: a larger file gives a *model.Problems at the file; other errors
// (I/O) are wrapped.
func ReadFile(ctx context.Context, path, name string) ([]byte, error) {
	return readFileInto(ctx, path, name, nil)
}

// readFileInto is ReadFile reading into buf's storage when it is large
// enough (input.ReadFileInto).
func readFileInto(ctx context.Context, path, name string, buf []byte) ([]byte, error) {
	b, err := input.ReadFileInto(ctx, path, MaxFileSize, buf)
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
