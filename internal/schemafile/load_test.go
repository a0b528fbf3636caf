package schemafile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/internal/model"
)

func str(s string) *string { return &s }

// TestParseModel checks the model a valid schema produces: merged profile,
// defaults and lengths filled in, canonical defaults and names, folded
// unique items, sorted extensions and keys, positions.
func TestParseModel(t *testing.T) {
	files := map[string][]byte{
		"b.yaml": []byte(`
extensions:
  - name: Phone
    type: multi-valued
    renamed_from: Phones
    attributes:
      - {name: PhoneType, type: integer, default: "007", mandatory: "true"}
      - {name: PhoneNumber, type: string, length: "15", unique: true}
      - {name: Since, type: datetime, default: "2020-01-01T00:00:00Z", encrypt: true}
      - {name: Rate, type: currency, default: 12.50}
    unique: [[phonetype, phonenumber]]
  - name: Address
    type: single-valued
    attributes:
      - {name: Ok, type: boolean, default: "TRUE"}
      - {name: Weight, type: double, default: 1e3, renamed_from: Mass}
      - {name: Born, type: date, default: 1981-03-17}
  - name: VIP
    type: classifier
identification_keys:
  - {name: idPhone, source: phone, attributes: [phonenumber]}
  - {name: idEmail, attributes: [emailaddress], unique: true}
  - {name: idName, source: PROFILE, attributes: [LastName, FirstName]}
`),
		"a.yaml": []byte(`
profile:
  attributes:
    - name: FirstName
      type: string
    - name: LastName
      type: string
      length: 64
`),
		"c/d.yml": []byte(`
profile:
  attributes:
    - {name: EmailAddress, type: string, length: 256, mandatory: true}
    - {name: Age, type: long}
`),
	}
	res, err := Parse(files)
	if err != nil {
		t.Fatal(err)
	}
	pos := func(f string, l, c int) model.Pos { return model.Pos{File: f, Line: l, Col: c} }
	want := &model.Schema{
		Profile: []model.Attribute{
			{Name: "FirstName", Type: model.String, Length: 255, Pos: pos("a.yaml", 4, 7)},
			{Name: "LastName", Type: model.String, Length: 64, Pos: pos("a.yaml", 6, 7)},
			{Name: "EmailAddress", Type: model.String, Length: 256, Mandatory: true, Pos: pos("c/d.yml", 4, 7)},
			{Name: "Age", Type: model.Long, Pos: pos("c/d.yml", 5, 7)},
		},
		Extensions: []model.Extension{
			{
				Name: "Address", Type: model.SingleValued, Pos: pos("b.yaml", 12, 5),
				Attributes: []model.Attribute{
					{Name: "Ok", Type: model.Boolean, Default: str("true"), Pos: pos("b.yaml", 15, 9)},
					{Name: "Weight", Type: model.Double, Default: str("1000"), RenamedFrom: "Mass", Pos: pos("b.yaml", 16, 9)},
					{Name: "Born", Type: model.Date, Default: str("1981-03-17"), Pos: pos("b.yaml", 17, 9)},
				},
			},
			{
				Name: "Phone", Type: model.MultiValued, RenamedFrom: "Phones", Pos: pos("b.yaml", 3, 5),
				Attributes: []model.Attribute{
					{Name: "PhoneType", Type: model.Integer, Default: str("7"), Mandatory: true, Pos: pos("b.yaml", 7, 9)},
					{Name: "PhoneNumber", Type: model.String, Length: 15, Pos: pos("b.yaml", 8, 9)},
					{Name: "Since", Type: model.DateTime, Default: str("2020-01-01T00:00:00.000Z"), Encrypt: true, Pos: pos("b.yaml", 9, 9)},
					{Name: "Rate", Type: model.Currency, Default: str("12.5"), Pos: pos("b.yaml", 10, 9)},
				},
				// In declared order: the attribute's unique: true comes first.
				Unique: [][]string{{"PhoneNumber"}, {"PhoneType", "PhoneNumber"}},
			},
			{Name: "VIP", Type: model.Classifier, Pos: pos("b.yaml", 18, 5)},
		},
		Keys: []model.Key{
			{Name: "idEmail", Source: model.ProfileSource, Attributes: []string{"EmailAddress"}, Unique: true, Pos: pos("b.yaml", 22, 5)},
			{Name: "idName", Source: model.ProfileSource, Attributes: []string{"LastName", "FirstName"}, Pos: pos("b.yaml", 23, 5)},
			{Name: "idPhone", Source: "Phone", Attributes: []string{"PhoneNumber"}, Pos: pos("b.yaml", 21, 5)},
		},
	}
	if diff := cmp.Diff(want, res.Schema); diff != "" {
		t.Errorf("schema (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a.yaml", "b.yaml", "c/d.yml"}, res.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %v", res.Warnings)
	}
}

// write creates files (relative path → content) below dir.
func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadDiscovery(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"schemas/b.yaml":          "profile:\n  attributes: [{name: B, type: string}]\n",
		"schemas/a.yml":           "profile:\n  attributes: [{name: A, type: string}]\n",
		"schemas/a/z.YAML":        "profile:\n  attributes: [{name: Z, type: string}]\n",
		"schemas/empty.yaml":      "",
		"schemas/notes.md":        "not: [yaml",
		"schemas/schema.yaml.bak": "not: [yaml",
		"schemas/.hidden.yaml":    "not: [yaml",
		"schemas/.git/x.yaml":     "not: [yaml",
	})
	if err := os.Symlink(filepath.Join(root, "schemas", "a"), filepath.Join(root, "schemas", "link.yaml")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)

	for _, dir := range []string{"schemas", "./schemas/", filepath.Join(root, "schemas")} {
		res, err := Load(context.Background(), dir)
		if err != nil {
			t.Fatalf("Load(%q): %v", dir, err)
		}
		// Path order: "a.yml" sorts before "a/z.YAML" ('.' < '/'). Paths
		// are relative to the working directory, even for an absolute dir.
		wantFiles := []string{"schemas/a.yml", "schemas/a/z.YAML", "schemas/b.yaml", "schemas/empty.yaml"}
		if diff := cmp.Diff(wantFiles, res.Files); diff != "" {
			t.Errorf("Load(%q) files (-want +got):\n%s", dir, diff)
		}
		var names []string
		for _, a := range res.Schema.Profile {
			names = append(names, a.Name)
		}
		if diff := cmp.Diff([]string{"A", "Z", "B"}, names); diff != "" {
			t.Errorf("Load(%q) profile order (-want +got):\n%s", dir, diff)
		}
		if got := res.Schema.Profile[1].Pos.String(); got != "schemas/a/z.YAML:2:16" {
			t.Errorf("Load(%q) position = %q", dir, got)
		}
	}
}

func TestLoadOutsideWorkingDirectory(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{"s/a.yaml": "extensions: [{name: E}]\n"})
	t.Chdir(t.TempDir())
	_, err := Load(context.Background(), filepath.Join(root, "s"))
	var probs *model.Problems
	if !errors.As(err, &probs) {
		t.Fatalf("err = %v, want *model.Problems", err)
	}
	want := filepath.Join(root, "s", "a.yaml") + `:1:14: extension "E" has no type; add type: one of single-valued, multi-valued, classifier`
	if got := probs.Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestLoadDirectoryProblems(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{"empty/notes.md": "x", "file.yaml": "profile: {}\n"})
	if err := os.Mkdir(filepath.Join(root, "none"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	tests := []struct {
		dir, want string
	}{
		{"missing", `schema directory "missing" does not exist; create it or point --dir (env CTXSCHEMA_DIR) at your schema files`},
		{"empty", `no schema files (*.yaml, *.yml) found in "empty"; add some or point --dir (env CTXSCHEMA_DIR) at your schema files`},
		{"none", `no schema files (*.yaml, *.yml) found in "none"; add some or point --dir (env CTXSCHEMA_DIR) at your schema files`},
		{"file.yaml", `"file.yaml" is not a directory; point --dir (env CTXSCHEMA_DIR) at the directory that holds your schema files`},
	}
	for _, tc := range tests {
		_, err := Load(context.Background(), tc.dir)
		var probs *model.Problems
		if !errors.As(err, &probs) {
			t.Errorf("Load(%q) = %v, want *model.Problems", tc.dir, err)
			continue
		}
		if got := probs.Error(); got != tc.want {
			t.Errorf("Load(%q):\ngot  %s\nwant %s", tc.dir, got, tc.want)
		}
	}
}

// An I/O error is not a schema problem: it is wrapped, and main maps it to
// exit code 1, not 4.
func TestLoadIOError(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{"a.yaml": "profile: {}\n"})
	if err := os.Symlink(filepath.Join(root, "gone"), filepath.Join(root, "dangling.yaml")); err != nil {
		t.Fatal(err)
	}
	_, err := Load(context.Background(), root)
	var probs *model.Problems
	if err == nil || errors.As(err, &probs) {
		t.Fatalf("err = %v, want an I/O error", err)
	}
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "dangling.yaml") {
		t.Errorf("err = %v, want it to wrap os.ErrNotExist and name the file", err)
	}
}

func TestProblemsSortedAcrossFiles(t *testing.T) {
	_, err := Parse(map[string][]byte{
		"b.yaml":     []byte("extensions: [{name: B}]\nprofile: {attributes: [{name: X}]}\n"),
		"a/z.yaml":   []byte("bogus: 1\n"),
		"a.yaml":     []byte("\n\nextensions: [{name: A, type: multi-valued}]\n"),
		"a.yaml.bad": []byte("ignored by Load, but Parse takes what it is given: [\n"),
	})
	var probs *model.Problems
	if !errors.As(err, &probs) {
		t.Fatalf("err = %v, want *model.Problems", err)
	}
	want := []string{
		`a.yaml:3:14: warning: multi-valued extension "A" has no unique item, so its records cannot be addressed by unique values; add unique: [<Attribute>]`,
		`a.yaml.bad:2:1: invalid YAML: did not find expected node content`,
		`a/z.yaml:1:1: unknown field "bogus" in schema file; known fields: profile, extensions, identification_keys`,
		`b.yaml:1:14: extension "B" has no type; add type: one of single-valued, multi-valued, classifier`,
		`b.yaml:2:24: attribute "X" has no type; add type: one of string, integer, long, double, date, datetime, currency, boolean`,
	}
	var got []string
	for _, p := range probs.List {
		got = append(got, p.String())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if n := probs.Errors(); n != 4 {
		t.Errorf("Errors() = %d, want 4", n)
	}
}

// TestLoadManyFilesInParallel loads a directory of many files, some
// invalid, which Load decodes on several goroutines: the result and the
// problems are those of decoding one file after the other.
func TestLoadManyFilesInParallel(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 40; i++ {
		body := fmt.Sprintf("extensions:\n  - name: Ext%02d\n    type: single-valued\n    attributes:\n      - {name: A, type: string}\n", i)
		if i%7 == 3 {
			body = fmt.Sprintf("extensions:\n  - name: Ext%02d\n    type: sometimes\n    colour: red\n", i)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("ext%02d.yaml", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	load := func(procs int) string {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		_, err := Load(context.Background(), dir)
		var ps *model.Problems
		if !errors.As(err, &ps) {
			t.Fatalf("Load = %v, want problems", err)
		}
		return ps.Error()
	}
	one, many := load(1), load(4)
	if one != many {
		t.Errorf("problems in parallel differ from one file after the other:\n%s\nwant\n%s", many, one)
	}
	if n := strings.Count(one, "\n") + 1; n < 12 {
		t.Errorf("want two problems for each of the six invalid files, got %d:\n%s", n, one)
	}
}

// A schema file above MaxFileSize is a problem at the file, read no further
// than the limit; files of the limit load.
func TestLoadFileTooLarge(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	comment := func(n int) string { return "profile: {}\n#" + strings.Repeat("x", n-len("profile: {}\n#")) }
	write(t, root, map[string]string{"ok/a.yaml": comment(MaxFileSize), "big/a.yaml": "profile: {}\n", "big/b.yaml": comment(MaxFileSize + 1)})
	if _, err := Load(context.Background(), "ok"); err != nil {
		t.Errorf("a file of the limit: %v", err)
	}
	_, err := Load(context.Background(), "big")
	var probs *model.Problems
	want := filepath.Join("big", "b.yaml") + ": the file is larger than 8 MiB, the limit for one schema file; split it into several files"
	if !errors.As(err, &probs) || probs.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// Files are read in parallel (many files, as inspect --out writes them),
// and fail as if read one by one: every file too large, in file order,
// and nothing decoded is reported beside them.
func TestLoadManyFilesTooLarge(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	files := map[string]string{}
	var want []string
	for i := range 40 {
		name := fmt.Sprintf("s/f%02d.yaml", i)
		switch i {
		case 3, 17, 30:
			files[name] = "#" + strings.Repeat("x", MaxFileSize)
			want = append(want, filepath.FromSlash(name)+": the file is larger than 8 MiB, the limit for one schema file; split it into several files")
		default:
			files[name] = fmt.Sprintf("extensions:\n  - {name: E%d, type: nonsense}\n", i)
		}
	}
	write(t, root, files)
	for _, read := range []func() error{
		func() error { _, err := Load(context.Background(), "s"); return err },
		func() error { _, err := ReadAll(context.Background(), "s"); return err },
	} {
		var probs *model.Problems
		if err := read(); !errors.As(err, &probs) || probs.Error() != strings.Join(want, "\n") {
			t.Errorf("got %v, want\n%s", err, strings.Join(want, "\n"))
		}
	}
}

// Load and fmt read through ReadAll, which stops when ctx is cancelled
// and names the files as messages do.
func TestReadAll(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	write(t, root, map[string]string{"s/b.yaml": "profile: {}\n", "s/a.yml": "extensions: []\n"})
	files, err := ReadAll(context.Background(), filepath.Join(root, "s"))
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{filepath.Join("s", "a.yml"), filepath.Join("s", "b.yaml")}
	if diff := cmp.Diff(wantNames, files.Names); diff != "" || string(files.Data[1]) != "profile: {}\n" || files.Paths[0] != filepath.Join(root, "s", "a.yml") {
		t.Errorf("ReadAll = %+v (names -want +got):\n%s", files, diff)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, "s"); !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a cancelled ctx = %v, want context.Canceled", err)
	}
}

// TestParseMemoryLinear: the memory Parse allocates grows linearly with
// the schema. It grew with keys × extensions while every key listed the
// names of all extensions (for a suggestion only an error needs): at
// 1,600 extensions and keys, four times as much per extension as at 200.
func TestParseMemoryLinear(t *testing.T) {
	perExtension := func(n int) float64 {
		var b strings.Builder
		b.WriteString("profile:\n  attributes:\n    - {name: Email, type: string}\nextensions:\n")
		for i := range n {
			fmt.Fprintf(&b, "  - {name: Ext%04d, type: single-valued, attributes: [{name: Code, type: string}]}\n", i)
		}
		b.WriteString("identification_keys:\n")
		for i := range n {
			fmt.Fprintf(&b, "  - {name: key%04d, source: Ext%04d, attributes: [Code]}\n", i, i)
		}
		files := map[string][]byte{"schema.yaml": []byte(b.String())}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := Parse(files); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
	}
	small, large := perExtension(200), perExtension(1600)
	if large > 2*small {
		t.Errorf("Parse allocates %.0f bytes per extension at 1600 extensions and keys, %.0f at 200: it should grow linearly", large, small)
	}
}
