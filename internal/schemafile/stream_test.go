package schemafile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// streamCases are files that a YAML stream could read otherwise than
// alone: documents and their markers, a last line without a line break,
// block scalars kept to the end, encodings, other line breaks, anchors,
// directives, and syntax errors at the end of a file or in its middle.
var streamCases = []string{
	"",
	"# only a comment\n",
	"---\n",
	"---\n---\n",
	"...\n",
	"---\nextensions:\n  - name: Lead\n    type: classifier\n",
	"extensions:\n  - name: One\n    type: classifier\n---\nextensions:\n  - name: Two\n    type: multi-valued\n    attributes:\n      - {name: A, type: string}\n",
	"extensions:\n  - name: Ended\n    type: classifier\n...\n",
	"extensions:\n  - name: Ended\n    type: classifier\n...\nfoo: 1\n",
	"extensions:\n  - name: NoBreak\n    type: classifier",
	"extensions:\n  - name: Kept\n    type: single-valued\n    attributes:\n      - name: S\n        type: string\n        default: |+\n          x\n\n\n",
	"extensions:\n  - name: Kept\n    type: single-valued\n    attributes:\n      - name: S\n        type: string\n        default: |+\n          x",
	"extensions:\n  - name: Folded\n    type: single-valued\n    attributes:\n      - name: S\n        type: string\n        default: >-\n          x\n          y\n",
	"extensions:\n  - name: Plain\n    type: single-\n      valued\n",
	"extensions:\r\n  - name: Crlf\r\n    type: clasifier\r\n",
	"extensions:\r  - name: Cr\r    type: clasifier\r",
	"\ufeffextensions:\n  - name: Bom\n    type: clasifier\n",
	"extensions:\n  - name: Nel\u0085    type: clasifier\n",
	"extensions:\n  - &e\n    name: Anchored\n    type: classifier\n  - *e\n",
	"extensions:\n  - *elsewhere\n",
	"extensions:\n  - &orphan\n    name: Orphan\n    type: clasifier\n",
	"%YAML 1.2\n---\nextensions:\n  - name: Directive\n    type: clasifier\n",
	"%TAG !x! tag:example.com,2000:\n---\nextensions:\n  - name: Tagged\n    type: !x!t classifier\n",
	"extensions:\n  - name: \"Unterminated\n",
	"extensions:\n  - name: 'Unterminated\n",
	"extensions: [\n",
	"extensions:\n  - {name: Open, type: classifier\n",
	"extensions:\n  - name: A\n   type: x\n: :\n",
	"extensions:\n\t- name: Tab\n",
	"extensions:\n  - name: Nul\x00\n",
	"extensions:\n  - name: Bad\xff\n",
	"--- |\n  a top-level block scalar\n",
	"--- |+\n  kept\n\n",
	"extensions:\n  - name: Late\n    type: classifier\n    colour: red\n",
	"profile:\n  attributes:\n    - {name: Email, type: string}\n---\nidentification_keys:\n  - {name: idEmail, attributes: [Email], unique: true}\n",
}

// FuzzLoadStream checks that Load, which parses the files of a batch as
// one YAML stream (loadBatch), gives exactly what decoding each file alone
// gives: the same schema, positions included, or the same problems. The
// two inputs sit among files of one extension each, in batches.
func FuzzLoadStream(f *testing.F) {
	for _, s := range streamCases {
		f.Add([]byte(s), []byte(streamCases[len(streamCases)-1]))
		f.Add([]byte(streamCases[5]), []byte(s))
	}
	for _, tc := range ruleTests {
		var in [2][]byte
		for i, name := range sortedKeys(tc.files) {
			in[i%2] = append(in[i%2], tc.files[name]...)
		}
		f.Add(in[0], in[1])
	}
	// The two inputs go into one batch, next to each other, around a file
	// that is never streamed (it ends without a newline), and in the other
	// order; then with fillers, through Load.
	f.Fuzz(func(t *testing.T, a, b []byte) {
		dir := t.TempDir()
		data := [][]byte{a, b, []byte("extensions: []")}
		paths := make([]string, len(data))
		for i := range data {
			paths[i] = filepath.Join(dir, fmt.Sprintf("b%d.yaml", i))
			if err := os.WriteFile(paths[i], data[i], 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, idx := range [][]int{{0, 1}, {0, 2, 1}, {1, 0}} {
			if msg := batchDiffers(paths, data, idx); msg != "" {
				t.Fatal(msg)
			}
		}
		files := map[string]string{"f05a.yaml": string(a), "f09b.yaml": string(b)}
		for i := range 14 {
			files[fmt.Sprintf("f%02d.yaml", i)] = fmt.Sprintf("extensions:\n  - name: Filler%02d\n    type: multi-valued\n    attributes:\n      - name: A\n        type: string\n", i)
		}
		lib := filepath.Join(dir, "lib")
		write(t, lib, files)
		res, err := Load(context.Background(), lib)
		read, rerr := ReadAll(context.Background(), lib)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if len(read.Names) != len(files) {
			t.Fatalf("read %d files, want %d", len(read.Names), len(files))
		}
		alone, aerr := parse(read.Names, read.Data)
		if fmt.Sprint(err) != fmt.Sprint(aerr) {
			t.Fatalf("Load:\n%v\nfile by file:\n%v", err, aerr)
		}
		if diff := cmp.Diff(alone, res); diff != "" {
			t.Fatalf("Load differs from decoding file by file (-alone +Load):\n%s", diff)
		}
	})
}

// TestLoadStreamPositions checks that positions in files parsed as one
// stream count from each file's own first line.
func TestLoadStreamPositions(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 32 {
		files[fmt.Sprintf("ext%02d.yaml", i)] = fmt.Sprintf("# ext %d\nextensions:\n  - name: E%02d\n    type: classifier\n    colour: red\n", i, i)
	}
	write(t, dir, files)
	_, err := Load(context.Background(), dir)
	lines := strings.Split(fmt.Sprint(err), "\n")
	if len(lines) != 32 {
		t.Fatalf("want one problem per file, got:\n%v", err)
	}
	for i, l := range lines {
		want := fmt.Sprintf("ext%02d.yaml:5:5: unknown field", i)
		if !strings.Contains(l, want) {
			t.Errorf("problem %d = %q, want %q", i, l, want)
		}
	}
}

// TestLoadAllocatedBytes bounds what loading a directory of files of one
// extension each, as inspect --out writes them, allocates per file: about
// 33 KiB when each file had a YAML parser of its own, its bytes read into
// a buffer of their own and its declarations held until the merge; about
// 17 KiB since (loadBatch).
func TestLoadAllocatedBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations")
	}
	dir := t.TempDir()
	const n = 64
	files := map[string]string{}
	for i := range n {
		files[fmt.Sprintf("ext%02d.yaml", i)] = fmt.Sprintf(`extensions:
  - name: E%02d
    type: multi-valued
    attributes:
      - {name: Code, type: string, length: 27, mandatory: true}
      - {name: Quantity, type: integer, default: 9}
      - {name: Amount, type: currency, default: 12.5}
      - {name: ValidFrom, type: date}
      - {name: Active, type: boolean, default: true}
    unique:
      - [Code, ValidFrom]
`, i)
	}
	write(t, dir, files)
	load := func() {
		if _, err := Load(context.Background(), dir); err != nil {
			t.Fatal(err)
		}
	}
	load() // the pool's buffers
	var before, after runtime.MemStats
	const runs = 10
	runtime.ReadMemStats(&before)
	for range runs {
		load()
	}
	runtime.ReadMemStats(&after)
	perFile := (after.TotalAlloc - before.TotalAlloc) / runs / n
	t.Logf("%d bytes allocated per file", perFile)
	if perFile > 24<<10 {
		t.Errorf("Load allocates %d bytes per file of one extension, want at most 24 KiB", perFile)
	}
}
