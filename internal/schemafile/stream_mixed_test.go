package schemafile

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLoadStreamMixed loads 64 files (batches of 8) with every streamCase
// placed in the middle of a batch, the other files each with a problem,
// and requires what loading each file alone gives.
func TestLoadStreamMixed(t *testing.T) {
	extra := []string{
		"   \n", "\t\n", "--- \n", "---\t\n", "# c\n---\n", "a: 1 # c\n", "--- # c\nextensions: []\n",
		"extensions:\n  - name: Q\n    type: classifier\n    colour: \"a\n      b\"\n",
		"extensions:\n  - name: P\n    type: classifier\n    colour: a\n      b\n",
		"--- !!map\nextensions:\n  - {name: T, type: classifier, colour: red}\n",
		"? extensions\n: - {name: C, type: classifier, colour: red}\n",
		"extensions: !!seq\n- name: Z\n  type: classifier\n  colour: red\n",
		"\n\n\nextensions:\n  - name: Blank\n    type: classifier\n    colour: red\n",
		"extensions:\n  - name: Dup\n    type: classifier\n  - name: Dup\n    type: classifier\n",
		"{extensions: [{name: F, type: classifier, colour: red}]}\n",
		"\"extensions\":\n  - name: G\n    type: classifier\n    colour: red\n",
		"extensions:\n  - name: H\n    type: classifier\n    colour: |\n      x\n      ---\n",
		"extensions:\n  - name: I\n    type: classifier\n    colour: |\n  x\n",
		"\u00a0extensions:\n",
	}
	cases := append(append([]string{}, streamCases...), extra...)
	for ci, c := range cases {
		dir := t.TempDir()
		files := map[string]string{}
		for i := range 64 {
			files[fmt.Sprintf("f%02d.yaml", i)] = fmt.Sprintf("# f%d\nextensions:\n  - name: Filler%02d\n    type: multi-valued\n    colour: red\n    attributes:\n      - name: A\n        type: string\n", i, i)
		}
		files["f03a.yaml"] = c
		files["f04a.yaml"] = "extensions:\n  - name: Mid\n    type: classifier\n    size: 1\n"
		write(t, dir, files)
		res, err := Load(context.Background(), dir)
		read, rerr := ReadAll(context.Background(), dir)
		if rerr != nil {
			t.Fatal(rerr)
		}
		alone, aerr := parse(read.Names, read.Data)
		if fmt.Sprint(err) != fmt.Sprint(aerr) {
			t.Errorf("case %d %q: Load:\n%v\nfile by file:\n%v", ci, c, err, aerr)
			continue
		}
		if diff := cmp.Diff(alone, res); diff != "" {
			t.Errorf("case %d %q: (-alone +Load):\n%s", ci, c, diff)
		}
	}
}
