// Package schemafile reads the YAML schema files of a directory and turns them
// into the domain model (internal/model) that the planner consumes,
// enforcing every rule of the schema file format (SPEC section 2). Every
// problem is reported at once, each at its file, line and column.
package schemafile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"gopkg.in/yaml.v3"

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
	// Each batch of files is decoded as soon as it is read, on the
	// goroutine that read it (loadBatch): the reads (system calls) spread
	// over the cores with the decoding instead of running alone before
	// it. A file's bytes and each of its documents' yaml.Node tree are
	// garbage once decoded (its extensions checked into the model): what
	// is held until the merge is the model and the few declarations that
	// span files, never the files.
	n := len(files.Paths)
	decls := make([]fileDecl, n)
	probs := make([][]model.Problem, n)
	errs := make([]error, n)
	inBatches(n, func(lo, hi int) { loadBatch(ctx, files, lo, hi, decls, probs, errs) })
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
	onWorkers(workers, n, f)
}

// onWorkers calls f(0) … f(n-1) on workers goroutines (on the caller's
// when workers is 1 or less), each taking the next index.
func onWorkers(workers, n int, f func(i int)) {
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

// maxBatch is the most files decoded as one YAML stream (loadBatch).
const maxBatch = 16

// inBatches calls f(lo, hi) for batches of consecutive files of 0 … n-1,
// in parallel as inParallel does: batches of up to maxBatch files, small
// enough that each goroutine has several.
func inBatches(n int, f func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n/minFilesPerWorker)
	size := min(maxBatch, max(1, n/(4*max(workers, 1))))
	onWorkers(workers, (n+size-1)/size, func(b int) { f(b*size, min(n, (b+1)*size)) })
}

// streamPart is one file in the YAML stream of a batch.
type streamPart struct {
	i          int // in the Files
	start, end int // in the stream, after the "---" line before it
	line       int // of the "---" line before it, from 1
}

// loadBatch reads files lo … hi-1 and decodes them, into decls[i] and
// probs[i], or errs[i] for a file that cannot be read.
//
// yaml.v3 allocates several kilobytes to set up a parser, about a third
// of what it allocates for a file of one extension, as inspect --out
// writes them: the files of a batch are parsed as one stream, each after
// a "---" line of its own, and each document is decoded as the file it
// starts in, its lines counted from that file's first. Only files that
// the stream reads exactly as they read alone go into it (streamable);
// the others, and every file of a stream that fails to parse (the
// problem is then found file by file, at its place), are decoded alone.
func loadBatch(ctx context.Context, files *Files, lo, hi int, decls []fileDecl, probs [][]model.Problem, errs []error) {
	sc := getScratch()
	defer putScratch(sc)
	stream, parts := sc.data[:0], sc.parts[:0]
	line := 1
	for i := lo; i < hi; i++ {
		stream = append(stream, "---\n"...)
		// Read in place after the "---" line when the buffer has room.
		data, err := readFileInto(ctx, files.Paths[i], files.Names[i], stream[len(stream):])
		switch {
		case err != nil:
			errs[i] = err
			stream = stream[:len(stream)-4]
		case !streamable(data):
			stream = stream[:len(stream)-4]
			decls[i], probs[i] = decodeWith(files.Names[i], data, sc)
		default:
			start := len(stream)
			stream = append(stream, data...)
			parts = append(parts, streamPart{i: i, start: start, end: len(stream), line: line})
			line += 1 + bytes.Count(data, []byte("\n"))
		}
	}
	decodeStream(files.Names, stream, parts, decls, probs, sc)
	sc.data, sc.parts = stream[:0], parts[:0]
}

// streamable reports whether a file reads the same in a stream, after a
// "---" line and before another, as alone: it ends with a line break (a
// block scalar kept to the end would take one more), holds no anchor or
// alias (anchors outlive a document in yaml.v3's parser), no directive,
// no document end marker, no byte-order mark or other encoding to
// detect, and no line break other than "\n" (lines are counted by "\n").
func streamable(data []byte) bool {
	if len(data) == 0 {
		return true
	}
	if data[len(data)-1] != '\n' || data[0] == '%' || data[0] == 0 || data[0] >= 0x80 {
		return false
	}
	if bytes.ContainsAny(data, "\r&*") || bytes.Contains(data, []byte("\n%")) {
		return false
	}
	// "..." before a file's first document is an error alone, and ends
	// the empty document of the "---" line in a stream.
	if bytes.HasPrefix(data, []byte("...")) || bytes.Contains(data, []byte("\n...")) {
		return false
	}
	// NEL, LS and PS are line breaks to YAML.
	return !bytes.Contains(data, []byte("\u0085")) && !bytes.Contains(data, []byte("\u2028")) && !bytes.Contains(data, []byte("\u2029"))
}

// decodeStream decodes the files of a batch's stream (loadBatch), or
// each file alone when the stream does not parse.
func decodeStream(names []string, stream []byte, parts []streamPart, decls []fileDecl, probs [][]model.Problem, sc *scratch) {
	if len(parts) == 0 {
		return
	}
	alone := func() {
		for _, p := range parts {
			decls[p.i], probs[p.i] = decodeWith(names[p.i], stream[p.start:p.end], sc)
		}
	}
	if len(parts) == 1 {
		alone()
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(stream))
	var d *decoder
	start := func(k int) {
		decls[parts[k].i], probs[parts[k].i] = fileDecl{}, nil
		d = newDecoder(names[parts[k].i], &reporter{}, sc)
		d.lineBase = parts[k].line
	}
	k := 0
	start(k)
	for {
		doc := new(yaml.Node)
		err := dec.Decode(doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			alone()
			return
		}
		for k+1 < len(parts) && doc.Line >= parts[k+1].line {
			probs[parts[k].i] = d.r.list
			k++
			start(k)
		}
		d.document(doc, &decls[parts[k].i])
	}
	probs[parts[k].i] = d.r.list
	// Every file starts a document with its "---" line: none is left
	// without one, but one would declare nothing.
	for k++; k < len(parts); k++ {
		decls[parts[k].i], probs[parts[k].i] = fileDecl{}, nil
	}
}

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
