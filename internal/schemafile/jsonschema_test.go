package schemafile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/ctxschema/ctxschema/internal/dialect/dialecttest"
	"github.com/ctxschema/ctxschema/internal/model"
)

// These tests keep ctxschema.schema.json, the JSON Schema that editors use
// to check schema files as they are typed, honest against the loader: what
// the loader accepts the JSON Schema accepts, and the invalid files of
// testdata/jsonschema/invalid are refused by both. The JSON Schema checks
// less than the loader (names defined twice, references between files); it
// must never refuse a file the loader accepts.

const jsonSchemaFile = "../../schemas/ctxschema.schema.json"

// compileJSONSchema compiles ctxschema.schema.json.
func compileJSONSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(jsonSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s is not JSON: %v", jsonSchemaFile, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(jsonSchemaFile, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(jsonSchemaFile)
	if err != nil {
		t.Fatalf("%s does not compile: %v", jsonSchemaFile, err)
	}
	return sch
}

// yamlDocuments converts every document of a YAML file to JSON values, as
// an editor's YAML language server does: mappings become objects, numbers,
// booleans and null keep their type, every other scalar (timestamps
// included) is its text.
func yamlDocuments(data []byte) ([]any, error) {
	var out []any
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		v, err := jsonValue(&doc)
		if err != nil {
			return nil, err
		}
		// Through JSON, so that numbers are the types the validator knows.
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		out = append(out, inst)
	}
}

func jsonValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return jsonValue(n.Content[0])
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := jsonValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			v, err := jsonValue(c)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool", "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				return nil, err
			}
			return v, nil
		}
		return n.Value, nil
	}
	return nil, fmt.Errorf("line %d: YAML aliases are not supported", n.Line)
}

// validateYAML validates every document of a YAML file against sch.
func validateYAML(sch *jsonschema.Schema, data []byte) error {
	docs, err := yamlDocuments(data)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if err := sch.Validate(d); err != nil {
			return err
		}
	}
	return nil
}

// exampleFiles lists the YAML files of examples/, the CI workflow aside.
func exampleFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, dir := range exampleDirs(t) {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && isSchemaFile(path) {
				files = append(files, path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(files)
	return files
}

func TestJSONSchemaAcceptsExamples(t *testing.T) {
	sch := compileJSONSchema(t)
	files := exampleFiles(t)
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateYAML(sch, data); err != nil {
			t.Errorf("%s: the JSON Schema refuses an example:\n%v", path, err)
		}
	}
}

// TestJSONSchemaAcceptsWrittenSchemas checks the JSON Schema against what
// the writer emits for every round-trip schema and conformance case: files
// the loader accepts, with every field and value form the writer uses.
func TestJSONSchemaAcceptsWrittenSchemas(t *testing.T) {
	sch := compileJSONSchema(t)
	all := writeCases()
	for _, c := range dialecttest.Cases() {
		all["conformance: "+c.Name] = c.To
	}
	for name, s := range all {
		files := map[string][]byte{"schema.yaml": Write(s)}
		for path, data := range WriteFiles(s) {
			files[path] = data
		}
		for path, data := range files {
			if err := validateYAML(sch, data); err != nil {
				t.Errorf("%s, %s: the JSON Schema refuses the writer's output:\n%v\n--- file:\n%s", name, path, err, data)
			}
		}
	}
}

// TestJSONSchemaAcceptsLoaderForms covers the forms the loader accepts that
// the writer never emits: strings for lengths and booleans (as the Context
// Services documents write them), nulls for empty lists, comments only.
func TestJSONSchemaAcceptsLoaderForms(t *testing.T) {
	sch := compileJSONSchema(t)
	for name, src := range map[string]string{
		"empty file":    "",
		"comments only": "# nothing yet\n",
		"null sections": "profile:\nextensions:\nidentification_keys:\n",
		"strings from the docs": `profile:
  attributes:
    - { name: Email, type: string, length: "256", mandatory: "true", encrypt: "False" }
    - { name: Age, type: integer, default: "42" }
    - { name: Rate, type: double, default: 1.5e3 }
    - { name: Born, type: date, default: 1981-03-17 }
    - { name: Seen, type: datetime, default: 1981-03-17T02:00:00.000Z }
    - { name: Ok, type: boolean, default: "TRUE", unique: false }
extensions:
  - name: Phone
    type: multi-valued
    attributes:
      - { name: Number1, type: string, unique: "true" }
      - { name: Kind, type: integer }
    unique: [[Number1, Kind]]
  - name: Vip
    type: classifier
    attributes: []
identification_keys:
  - { name: idEmail, source: Profile, attributes: [Email], unique: "true" }
  - { name: idPhone, source: Phone, attributes: [Number1] }
`,
	} {
		if _, err := Parse(map[string][]byte{"schema.yaml": []byte(src)}); err != nil {
			t.Fatalf("%s: the loader refuses the test's own input:\n%v", name, err)
		}
		if err := validateYAML(sch, []byte(src)); err != nil {
			t.Errorf("%s: the JSON Schema refuses what the loader accepts:\n%v", name, err)
		}
	}
}

// TestJSONSchemaRefusesInvalid checks that every file of
// testdata/jsonschema/invalid is refused by the JSON Schema and by the
// loader alike. Each file's first line names where in the document the
// JSON Schema must refuse it ("# refused at: '/profile/attributes/0'"), so
// that a file refused by accident does not count.
func TestJSONSchemaRefusesInvalid(t *testing.T) {
	sch := compileJSONSchema(t)
	files, err := filepath.Glob(filepath.Join("testdata", "jsonschema", "invalid", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found %d invalid files, want at least 10", len(files))
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(data), "\n")
			at, ok := strings.CutPrefix(first, "# refused at: ")
			if !ok {
				t.Fatalf("%s does not start with # refused at: '<instance location>'", path)
			}
			err = validateYAML(sch, data)
			switch {
			case err == nil:
				t.Errorf("the JSON Schema accepts %s\n--- file:\n%s", path, data)
			case !strings.Contains(err.Error(), "- at "+at+":"):
				t.Errorf("the JSON Schema refuses %s, but not at %s:\n%v", path, at, err)
			}
			if _, err := Parse(map[string][]byte{path: data}); err == nil {
				t.Errorf("the loader accepts %s\n--- file:\n%s", path, data)
			}
		})
	}
}

// domainReserved are the reserved words of DOMAIN.md.
var domainReserved = strings.Fields(`
	extension none profile service state task
	alter by comment constraint create cursor database delete from having
	identity index inner insert is join left null order outer prepare
	primary procedure return right select set size table truncate union
	update when where
	bigint binary bit blob boolean char clob currency date datetime
	decimal double float int integer long longvarbinary money nchar
	number numeric real smalldatetime smallint smallmoney string time
	timestamp tinyint varbinary varchar varchar2`)

// TestJSONSchemaReservedWords checks the JSON Schema's name rule against
// the model's: the JSON Schema lists exactly the reserved words of
// DOMAIN.md, which the model refuses too; each is refused in any case,
// names close to them are not.
func TestJSONSchemaReservedWords(t *testing.T) {
	sch := compileJSONSchema(t)
	words := jsonSchemaReservedWords(t)
	want := append([]string(nil), domainReserved...)
	sort.Strings(want)
	got := append([]string(nil), words...)
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("the JSON Schema's reserved words differ from DOMAIN.md's:\n got %v\nwant %v", got, want)
	}
	check := func(name string) error {
		return validateYAML(sch, []byte(fmt.Sprintf("profile:\n  attributes:\n    - { name: %q, type: string }\n", name)))
	}
	for _, w := range words {
		if !model.Reserved(w) {
			t.Errorf("%q is a reserved word of the JSON Schema but not of the model", w)
		}
		for _, name := range []string{w, strings.ToUpper(w), strings.ToUpper(w[:1]) + w[1:]} {
			if check(name) == nil {
				t.Errorf("the JSON Schema accepts the reserved word %q as a name", name)
			}
		}
		if err := check(w + "_x"); err != nil {
			t.Errorf("the JSON Schema refuses %q, which is not reserved:\n%v", w+"_x", err)
		}
	}
}

// jsonSchemaReservedWords reads the reserved words from the JSON Schema's own
// pattern, so that the test sees exactly the list editors do.
func jsonSchemaReservedWords(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(jsonSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Defs struct {
			Name struct {
				Not struct {
					Pattern string `json:"pattern"`
				} `json:"not"`
			} `json:"name"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	p := strings.TrimSuffix(strings.TrimPrefix(doc.Defs.Name.Not.Pattern, "^("), ")$")
	var words []string
	for _, alt := range strings.Split(p, "|") {
		// [Ss][Ee][Ll]… → sel…
		var w strings.Builder
		sc := bufio.NewScanner(strings.NewReader(alt))
		sc.Split(bufio.ScanRunes)
		for sc.Scan() {
			switch r := sc.Text(); {
			case r == "[":
				sc.Scan()
				w.WriteString(strings.ToLower(sc.Text()))
				sc.Scan() // the other case
				sc.Scan() // ]
			default:
				w.WriteString(r)
			}
		}
		words = append(words, w.String())
	}
	if len(words) < 70 {
		t.Fatalf("read %d reserved words from %s, want the 72 of DOMAIN.md", len(words), jsonSchemaFile)
	}
	return words
}

// TestJSONSchemaDocumentsItself: the JSON Schema has an $id, and describes
// every top-level key, for the editors that show descriptions on hover.
func TestJSONSchemaDocumentsItself(t *testing.T) {
	data, err := os.ReadFile(jsonSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ID         string `json:"$id"`
		Properties map[string]struct {
			Description string `json:"description"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.ID, "https://") || !strings.HasSuffix(doc.ID, "/ctxschema.schema.json") {
		t.Errorf("$id = %q; want an https URL of ctxschema.schema.json", doc.ID)
	}
	for _, k := range []string{"profile", "extensions", "identification_keys"} {
		if doc.Properties[k].Description == "" {
			t.Errorf("top-level key %s has no description", k)
		}
	}
}

// TestJSONSchemaAgreesOnIntegerRanges: an integer or long default, written
// as a YAML number or as a string, is accepted by the JSON Schema exactly
// when the loader accepts it, at the edges of 32 and 64 bits.
func TestJSONSchemaAgreesOnIntegerRanges(t *testing.T) {
	sch := compileJSONSchema(t)
	values := []string{"0", "-0", "+7", "007", "-007", "42"}
	for _, edge := range []string{"2147483647", "2147483648", "9223372036854775807", "9223372036854775808"} {
		n := len(edge)
		values = append(values, edge, "-"+edge, "+"+edge, "00"+edge,
			edge[:n-1]+string(edge[n-1]-1), edge[:n-1]+string(edge[n-1]+1), "-"+edge[:n-1]+string(edge[n-1]+1),
			"1"+edge, edge[:n-1])
	}
	for _, typ := range []string{"integer", "long"} {
		for _, v := range values {
			for _, written := range []string{v, fmt.Sprintf("%q", v), fmt.Sprintf("%q", " "+v+" ")} {
				if written == v && strings.HasPrefix(v, "00") && len(v) > 17 {
					// YAML reads an unquoted 00… as a float, which loses
					// the digits beyond 2^53 before any schema sees it.
					continue
				}
				src := fmt.Sprintf("profile:\n  attributes:\n    - { name: N, type: %s, default: %s }\n", typ, written)
				_, lerr := Parse(map[string][]byte{"a.yaml": []byte(src)})
				jerr := validateYAML(sch, []byte(src))
				if (lerr == nil) != (jerr == nil) {
					t.Errorf("%s default %s: loader error %v, JSON Schema error %v; want them to agree", typ, written, lerr, jerr)
				}
			}
		}
	}
}

// TestJSONSchemaAgreesOnAttributeNames: the JSON Schema refuses an
// attribute name exactly when the model does, for the names that become
// columns the layout or an engine owns and names close to them.
func TestJSONSchemaAgreesOnAttributeNames(t *testing.T) {
	sch := compileJSONSchema(t)
	for _, name := range []string{"customer_id", "Customer_ID", "record_id", "RECORD_ID", "ctid", "XMin", "xmax", "cmin", "cmax",
		"tableoid", "oid", "OID", "rowid", "RowId", "cs_flag", "CS_x", "customer_ids", "record_idx", "ctid2", "oids", "rowid_", "cs", "csx", "xcs_"} {
		src := fmt.Sprintf("profile:\n  attributes:\n    - { name: %s, type: string }\n", name)
		jerr := validateYAML(sch, []byte(src))
		merr := model.CheckAttributeName(name)
		if (merr == nil) != (jerr == nil) {
			t.Errorf("attribute name %q: model error %v, JSON Schema error %v; want them to agree", name, merr, jerr)
		}
	}
}

// TestJSONSchemaAgreesOnDates: a date or datetime default the loader
// accepts is accepted by the JSON Schema, and the days no month has, and
// year 0, are refused by both. (The JSON Schema accepts February 29 of
// every year; the loader knows the leap years.)
func TestJSONSchemaAgreesOnDates(t *testing.T) {
	sch := compileJSONSchema(t)
	for _, date := range []string{"0001-01-01", "9999-12-31", "2024-02-29", "2024-01-31", "2024-03-31", "2024-04-30", "2024-05-31",
		"2024-06-30", "2024-07-31", "2024-08-31", "2024-09-30", "2024-10-31", "2024-11-30", "2024-12-31",
		"0000-01-01", "2024-00-10", "2024-13-01", "2024-01-00", "2024-01-32", "2024-02-30", "2024-04-31", "2024-06-31", "2024-09-31", "2024-11-31"} {
		for typ, value := range map[string]string{"date": date, "datetime": date + "T12:00:00.000Z"} {
			src := fmt.Sprintf("profile:\n  attributes:\n    - { name: D, type: %s, default: %q }\n", typ, value)
			_, lerr := Parse(map[string][]byte{"a.yaml": []byte(src)})
			jerr := validateYAML(sch, []byte(src))
			if (lerr == nil) != (jerr == nil) {
				t.Errorf("%s default %s: loader error %v, JSON Schema error %v; want them to agree", typ, value, lerr, jerr)
			}
		}
	}
}
