package schemafile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/internal/model"
)

// streamExtraCases add to streamCases what a stream could read otherwise
// than a file alone: comments and "---" lines at the edges, flow and
// complex keys, block scalars that hold "---", an anchor used by the next
// file, lone CR line breaks that end in LF.
var streamExtraCases = []string{
	"   \n", "\t\n", "--- \n", "---\t\n", "# c\n---\n", "a: 1 # c\n", "--- # c\nextensions: []\n",
	"extensions:\n  - name: Q\n    type: classifier\n    colour: \"a\n      b\"\n",
	"--- !!map\nextensions:\n  - {name: T, type: classifier, colour: red}\n",
	"? extensions\n: - {name: C, type: classifier, colour: red}\n",
	"\n\n\nextensions:\n  - name: Blank\n    type: classifier\n    colour: red\n",
	"extensions:\n  - name: H\n    type: classifier\n    colour: |\n      x\n      ---\n",
	"extensions:\n  - name: W\n    type: classifier\n    colour: red\n---\n# trailing\n",
	"x: [a,\n  b]\n",
	"extensions:\n  - name: Last\n    type: classifier\n    colour: red\n  # c\n",
	"foo\n",
	"- a\n",
	"extensions:\n  - name: K\n    type: classifier\n    colour: >+\n      x\n\n",
	"extensions:\n  - &elsewhere\n    name: Def\n    type: classifier\n",
	"extensions:\r  - name: Cr\r    type: classifier\r    colour: red\r\n",
	"extensions:\n  - name: F\n    type: classifier\n    colour: 'a\n\n      b'\n",
}

// TestLoadBatchPairs sends every pair and triple of the cases through
// loadBatch (one YAML stream when they are streamable) and requires what
// decoding each file alone gives, errors and positions included.
func TestLoadBatchPairs(t *testing.T) {
	cases := append(append([]string{}, streamCases...), streamExtraCases...)
	dir := t.TempDir()
	paths := make([]string, len(cases))
	data := make([][]byte, len(cases))
	for i, c := range cases {
		paths[i], data[i] = filepath.Join(dir, fmt.Sprintf("c%02d.yaml", i)), []byte(c)
		if err := os.WriteFile(paths[i], data[i], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fails := 0
	for i := range cases {
		for j := range cases {
			for _, idx := range [][]int{{i, j}, {i, 5, j}, {j, i, j}} {
				if msg := batchDiffers(paths, data, idx); msg != "" {
					if fails++; fails < 5 {
						t.Error(msg)
					}
				}
			}
		}
	}
}

// batchDiffers loads the files idx names (paths[k], holding data[k]) as
// one batch (loadBatch) and says how the result differs from decoding each
// file alone; "" when it does not.
func batchDiffers(paths []string, data [][]byte, idx []int) string {
	f := &Files{}
	var ds [][]byte
	for _, k := range idx {
		f.Paths = append(f.Paths, paths[k])
		f.Names = append(f.Names, fmt.Sprintf("n%d.yaml", len(f.Names)))
		ds = append(ds, data[k])
	}
	n := len(idx)
	decls := make([]fileDecl, n)
	probs := make([][]model.Problem, n)
	errs := make([]error, n)
	loadBatch(context.Background(), f, 0, n, decls, probs, errs)
	got, gerr := merge(f.Names, decls, probs)
	want, werr := parse(f.Names, ds)
	if fmt.Sprint(gerr) != fmt.Sprint(werr) || !cmp.Equal(got, want) {
		return fmt.Sprintf("%v: stream\n%v\nalone\n%v\n%s", idx, gerr, werr, cmp.Diff(want, got))
	}
	return ""
}
