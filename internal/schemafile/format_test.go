package schemafile

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ctxschema/ctxschema/internal/model"
)

func TestFormatLayout(t *testing.T) {
	in := `# the contact center
# schema

identification_keys:
- attributes: [ LastName,FirstName ]   # order matters
  name: idName
profile:
    attributes:
    # who they are
    - type: string
      name: FirstName
      length: 64
    - {mandatory: true, name: LastName, type: string, length: "64"}
    - name: Notes
      type: string # free text
    - name: Born
      default: 1980-01-01
      type: date
extensions:
- type: multi-valued
  name: Phone
  unique: [ PhoneNumber, [ PhoneType, prefix ] ]
  attributes:
  - {name: PhoneType, type: integer, default: 0}
  - {name: prefix, type: string, length: 3, default: '555'}
  - {name: PhoneNumber, type: string, length: 15}
- name: Fax
  type: single-valued
  attributes: []
`
	want := `# the contact center
# schema

profile:
  attributes:
    # who they are
    - { name: FirstName, type: string, length: 64 }
    - { name: LastName,  type: string, length: "64", mandatory: true }
    - name: Notes
      type: string # free text
    - { name: Born,      type: date,   default: 1980-01-01 }

extensions:
  - name: Phone
    type: multi-valued
    attributes:
      - { name: PhoneType,   type: integer, default: 0 }
      - { name: prefix,      type: string,  length: 3, default: "555" }
      - { name: PhoneNumber, type: string,  length: 15 }
    unique: [PhoneNumber, [PhoneType, prefix]]

  - name: Fax
    type: single-valued
    attributes: []

identification_keys:
  - name: idName
    attributes: [LastName, FirstName] # order matters
`
	got, err := Format("s.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("Format (-want +got):\n%s", diff)
	}
	checkFormat(t, "layout", map[string][]byte{"s.yaml": []byte(in)})
}

// TestFormatWriterFixedPoint: what Write writes (inspect's output) is
// already in the canonical layout.
func TestFormatWriterFixedPoint(t *testing.T) {
	for _, dir := range formatDirs(t) {
		res, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		for name, b := range WriteFiles(res.Schema) {
			got, err := Format(name, b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(b), string(got)); diff != "" {
				t.Errorf("%s %s: Format changes Write's output (-write +fmt):\n%s", dir, name, diff)
			}
		}
	}
}

func TestFormatInvalidYAML(t *testing.T) {
	_, err := Format("bad.yaml", []byte("profile:\n  attributes:\n    - { name: A, type: string\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "bad.yaml:") || !strings.Contains(err.Error(), "invalid YAML") {
		t.Fatalf("want a positioned syntax problem, got %v", err)
	}
}

// TestFormatCorpus runs Format over every example file and the inputs of
// the fuzz corpus (FuzzLoad's seeds): formatting is idempotent, and a file
// set that loads gives the same schema and warnings after formatting; one
// that does not load still does not.
func TestFormatCorpus(t *testing.T) {
	for _, dir := range formatDirs(t) {
		files := map[string][]byte{}
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && isSchemaFile(p) {
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				files[p] = b
			}
			return err
		})
		checkFormat(t, dir, files)
	}
	for _, tc := range ruleTests {
		files := map[string][]byte{}
		for name, src := range tc.files {
			files[name] = []byte(src)
		}
		checkFormat(t, tc.name, files)
	}
}

// formatDirs are the example projects and the repository's schemas/.
func formatDirs(t testing.TB) []string {
	return append(exampleDirs(t), filepath.Join("..", "..", "schemas"))
}

// checkFormat formats every file of a set and checks idempotence and that
// loading gives the same answer.
func checkFormat(t testing.TB, name string, files map[string][]byte) {
	t.Helper()
	formatted := map[string][]byte{}
	for f, b := range files {
		out, err := Format(f, b)
		if err != nil {
			if _, perr := Parse(map[string][]byte{f: b}); perr == nil {
				t.Errorf("%s: %s loads but Format fails: %v", name, f, err)
			}
			formatted[f] = b
			continue
		}
		again, err := Format(f, out)
		if err != nil {
			t.Errorf("%s: %s: formatted output does not parse: %v\n%s", name, f, err, out)
			continue
		}
		if string(again) != string(out) {
			t.Errorf("%s: %s: Format is not idempotent:\n%s", name, f, cmp.Diff(string(out), string(again)))
		}
		formatted[f] = out
	}
	before, errB := Parse(files)
	after, errA := Parse(formatted)
	if (errB == nil) != (errA == nil) {
		t.Errorf("%s: loading before: %v; after: %v", name, errB, errA)
		return
	}
	if errB != nil {
		return
	}
	ignore := cmpopts.IgnoreTypes(model.Pos{})
	if diff := cmp.Diff(before.Schema, after.Schema, ignore); diff != "" {
		t.Errorf("%s: Format changes the schema (-before +after):\n%s", name, diff)
	}
	if diff := cmp.Diff(messages(before.Warnings), messages(after.Warnings)); diff != "" {
		t.Errorf("%s: Format changes the warnings (-before +after):\n%s", name, diff)
	}
}

func messages(ps []model.Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Message
	}
	sort.Strings(out)
	return out
}

// FuzzFormat: on any input, Format fails only with a positioned syntax
// problem, is idempotent, and keeps what the file declares (checkFormat).
//
//	go test ./internal/schemafile -run '^$' -fuzz FuzzFormat -fuzztime 5m -parallel 1
func FuzzFormat(f *testing.F) {
	for _, dir := range formatDirs(f) {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && isSchemaFile(p) {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
			return err
		})
	}
	for _, tc := range ruleTests {
		for _, src := range tc.files {
			f.Add([]byte(src))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkFormat(t, "fuzz", map[string][]byte{"a.yaml": b})
	})
}

// TestFormatMutations is FuzzFormat's property, deterministic, over
// mutations of the seeds (bytes changed, dropped or repeated), so that
// every test run covers more than well-formed files.
func TestFormatMutations(t *testing.T) {
	var seeds [][]byte
	for _, dir := range formatDirs(t) {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && isSchemaFile(p) {
				if b, err := os.ReadFile(p); err == nil {
					seeds = append(seeds, b)
				}
			}
			return err
		})
	}
	for _, tc := range ruleTests {
		for _, src := range tc.files {
			seeds = append(seeds, []byte(src))
		}
	}
	r := rand.New(rand.NewSource(11))
	for i := 0; i < 3000; i++ {
		b := append([]byte(nil), seeds[r.Intn(len(seeds))]...)
		for j := 0; j < 1+r.Intn(4) && len(b) > 0; j++ {
			p := r.Intn(len(b))
			switch r.Intn(3) {
			case 0:
				b[p] = "\n #:-[]{},'\"&*!|>aZ09_"[r.Intn(22)]
			case 1:
				b = append(b[:p], b[p+1:]...)
			default:
				b = append(b[:p], append([]byte{b[r.Intn(len(b))]}, b[p:]...)...)
			}
		}
		checkFormat(t, fmt.Sprintf("mutation %d %q", i, b), map[string][]byte{"a.yaml": b})
		if t.Failed() {
			return
		}
	}
}

// TestFormatWriterRenames: Write's renamed_from (extensions and
// attributes) sits where fmt puts it.
func TestFormatWriterRenames(t *testing.T) {
	s := &model.Schema{Extensions: []model.Extension{{
		Name: "Phone2", Type: model.MultiValued, RenamedFrom: "Phone",
		Attributes: []model.Attribute{{Name: "Number2", Type: model.String, Length: 15, RenamedFrom: "Number"}},
		Unique:     [][]string{{"Number2"}},
	}}}
	b := Write(s)
	got, err := Format("s.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(b), string(got)); diff != "" {
		t.Errorf("Format changes Write's output (-write +fmt):\n%s", diff)
	}
}

// TestFormatCommentAfterLastItem: a comment below a list's last item stays
// where the first run puts it, whether a field, a blank line or the next
// section follows (YAML gives such a comment to the item or to the field
// by the blank lines around it, and the layout adds blank lines).
func TestFormatCommentAfterLastItem(t *testing.T) {
	for _, in := range []string{
		"profile:\n  attributes:\n    - {name: B, # c\n       type: string}\n    # trailing\nextensions:\n  - name: E\n    type: classifier\n",
		"profile:\n  attributes:\n    - {name: B, type: string}\n    # trailing\nextensions:\n  - name: E\n    type: classifier\n",
		"extensions:\n  - name: E\n    type: multi-valued\n    attributes:\n      - {name: A, # a\n         type: string}\n      # after A\n    unique: [A]\n  - name: F\n    type: classifier\n",
		"identification_keys:\n  - name: k\n    attributes:\n      - A # a\n      - B\n      # after B\n  - name: l\n    attributes: [A]\nprofile:\n  attributes:\n    - {name: A, type: string}\n    - {name: B, type: string}\n",
	} {
		checkFormat(t, in, map[string][]byte{"a.yaml": []byte(in)})
		out, err := Format("a.yaml", []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []string{"# trailing", "# after A", "# after B"} {
			if strings.Contains(in, c) && !strings.Contains(string(out), c) {
				t.Errorf("%q: comment %q lost:\n%s", in, c, out)
			}
		}
	}
}
