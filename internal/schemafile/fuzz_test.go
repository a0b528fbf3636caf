package schemafile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/internal/model"
)

// FuzzLoad feeds arbitrary bytes, as two schema files, to the loader. It
// must not panic or hang; it must fail with sorted, positioned, one-line
// problems or return a schema that obeys every rule; and it must give the
// same answer twice.
//
//	go test ./schemas -run '^$' -fuzz FuzzLoad -fuzztime 5m -parallel 1
func FuzzLoad(f *testing.F) {
	var examples []string
	err := filepath.WalkDir(filepath.Join("..", "..", "examples"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && isSchemaFile(p) {
			examples = append(examples, p)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	sort.Strings(examples)
	var prev []byte
	for _, p := range examples {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, prev) // pairs of example files exercise merging
		prev = b
	}
	for _, tc := range ruleTests {
		var in [2][]byte
		i := 0
		for _, name := range sortedKeys(tc.files) {
			in[i%2] = append(in[i%2], tc.files[name]...)
			i++
		}
		f.Add(in[0], in[1])
	}

	f.Fuzz(func(t *testing.T, a, b []byte) {
		files := map[string][]byte{"a.yaml": a, "b.yaml": b}
		res, err := parseWithin(t, files, hangLimit)
		again, err2 := parseWithin(t, files, hangLimit)
		if fmt.Sprint(err) != fmt.Sprint(err2) || !cmp.Equal(res, again) {
			t.Fatalf("two runs differ:\n%v\n%v", err, err2)
		}
		if err != nil {
			checkProblems(t, err)
			return
		}
		if res == nil || res.Schema == nil {
			t.Fatal("no error and no schema")
		}
		if err := checkSchema(res.Schema); err != nil {
			t.Fatalf("invalid schema accepted: %v", err)
		}
		for _, w := range res.Warnings {
			if w.Severity != model.SeverityWarning {
				t.Fatalf("error among warnings: %v", w)
			}
		}
	})
}

// hangLimit is how long one Parse may take before the fuzz target calls it
// a hang: go test -fuzz has no per-input timeout, and a stuck worker only
// shows as a stalled exec count. Failing instead records the input under
// testdata/fuzz.
const hangLimit = 10 * time.Second

func parseWithin(t *testing.T, files map[string][]byte, limit time.Duration) (*Result, error) {
	type answer struct {
		res *Result
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := Parse(files)
		done <- answer{res, err}
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case a := <-done:
		return a.res, a.err
	case <-timer.C:
		t.Fatalf("Parse did not return within %v", limit)
		return nil, nil
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkProblems checks the shape of a failure: a *model.Problems with at least
// one error, every problem positioned in a given file on one line, sorted.
func checkProblems(t *testing.T, err error) {
	t.Helper()
	var probs *model.Problems
	if !errors.As(err, &probs) {
		t.Fatalf("error %v is not a *model.Problems", err)
	}
	if probs.Errors() == 0 {
		t.Fatalf("failure without an error: %v", err)
	}
	for _, p := range probs.List {
		if p.Pos.File != "a.yaml" && p.Pos.File != "b.yaml" || p.Pos.Line < 1 || p.Pos.Col < 1 {
			t.Fatalf("problem without a position: %#v", p)
		}
		if p.Message == "" || strings.ContainsAny(p.Message, "\r\n") {
			t.Fatalf("problem message is not one line: %q", p.Message)
		}
	}
	if !sort.SliceIsSorted(probs.List, func(i, j int) bool {
		a, b := probs.List[i].Pos, probs.List[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	}) {
		t.Fatalf("problems are not sorted:\n%v", err)
	}
}

// checkSchema checks, independently of the validator, that an accepted
// schema obeys the rules of SPEC section 2.
func checkSchema(s *model.Schema) error {
	if err := checkAttributes(s.Profile, false); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	names := map[string]bool{}
	for i, e := range s.Extensions {
		if err := model.CheckName(e.Name); err != nil {
			return err
		}
		if names[strings.ToLower(e.Name)] {
			return fmt.Errorf("duplicate extension %q", e.Name)
		}
		names[strings.ToLower(e.Name)] = true
		if i > 0 && strings.ToLower(s.Extensions[i-1].Name) > strings.ToLower(e.Name) {
			return fmt.Errorf("extensions not sorted")
		}
		if !e.Type.Valid() {
			return fmt.Errorf("extension %q: type %q", e.Name, e.Type)
		}
		if e.Type == model.Classifier && len(e.Attributes) > 0 {
			return fmt.Errorf("classifier %q has attributes", e.Name)
		}
		if err := checkAttributes(e.Attributes, true); err != nil {
			return fmt.Errorf("extension %q: %w", e.Name, err)
		}
		for i, item := range e.Unique {
			if len(item) == 0 {
				return fmt.Errorf("extension %q: empty unique item", e.Name)
			}
			for _, n := range item {
				if _, ok := e.Attribute(n); !ok {
					return fmt.Errorf("extension %q: unique item names %q", e.Name, n)
				}
			}
			for _, other := range e.Unique[:i] {
				if model.SameItem(item, other) {
					return fmt.Errorf("extension %q: unique item %v twice", e.Name, item)
				}
			}
		}
		if e.RenamedFrom != "" {
			if err := model.CheckName(e.RenamedFrom); err != nil {
				return err
			}
		}
	}
	keys := map[string]bool{}
	for _, k := range s.Keys {
		if err := model.CheckName(k.Name); err != nil {
			return err
		}
		if keys[strings.ToLower(k.Name)] {
			return fmt.Errorf("duplicate key %q", k.Name)
		}
		keys[strings.ToLower(k.Name)] = true
		if k.Source != model.ProfileSource {
			if _, ok := s.Extension(k.Source); !ok {
				return fmt.Errorf("key %q: source %q", k.Name, k.Source)
			}
		}
		if len(k.Attributes) == 0 {
			return fmt.Errorf("key %q has no attributes", k.Name)
		}
		attrs, _ := s.SourceAttributes(k.Source)
		seen := map[string]bool{}
		for _, n := range k.Attributes {
			if _, ok := findAttribute(attrs, n); !ok || seen[strings.ToLower(n)] {
				return fmt.Errorf("key %q: attribute %q", k.Name, n)
			}
			seen[strings.ToLower(n)] = true
		}
	}
	return nil
}

func checkAttributes(as []model.Attribute, inExtension bool) error {
	names := map[string]bool{}
	for _, a := range as {
		if err := model.CheckName(a.Name); err != nil {
			return err
		}
		if names[strings.ToLower(a.Name)] {
			return fmt.Errorf("duplicate attribute %q", a.Name)
		}
		names[strings.ToLower(a.Name)] = true
		if !a.Type.Valid() {
			return fmt.Errorf("attribute %q: type %q", a.Name, a.Type)
		}
		if a.Type == model.String && (a.Length < 1 || a.Length > model.MaxStringLength) ||
			a.Type != model.String && a.Length != 0 {
			return fmt.Errorf("attribute %q: %s of length %d", a.Name, a.Type, a.Length)
		}
		if a.Default != nil {
			canon, err := model.CanonicalDefault(a.Type, a.Length, *a.Default)
			if err != nil || canon != *a.Default {
				return fmt.Errorf("attribute %q: default %q is not canonical (%q, %v)", a.Name, *a.Default, canon, err)
			}
		}
		if a.RenamedFrom != "" {
			if err := model.CheckName(a.RenamedFrom); err != nil {
				return err
			}
		}
	}
	return nil
}
