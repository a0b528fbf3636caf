package schemafile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ctxschema/ctxschema/internal/dialect/dialecttest"
	"github.com/ctxschema/ctxschema/internal/model"
)

func ptr(s string) *string { return &s }

// writeCases are schemas that exercise the writer's choices: defaults that
// need quotes, long attributes, composite unique items, names that YAML
// would read as other types, empty parts.
func writeCases() map[string]*model.Schema {
	return map[string]*model.Schema{
		"empty": {},
		"profile only": {Profile: []model.Attribute{
			{Name: "FirstName", Type: model.String, Length: 64},
			{Name: "Email", Type: model.String, Length: 255, Mandatory: true, Encrypt: true},
		}},
		"awkward defaults": {Profile: []model.Attribute{
			{Name: "prefix", Type: model.String, Length: 3, Default: ptr("555")},
			{Name: "yes_no", Type: model.String, Length: 5, Default: ptr("true")},
			{Name: "nothing", Type: model.String, Length: 4, Default: ptr("null")},
			{Name: "empty", Type: model.String, Length: 10, Default: ptr("")},
			{Name: "spaces", Type: model.String, Length: 10, Default: ptr(" a b ")},
			{Name: "punct", Type: model.String, Length: 40, Default: ptr(`a: b, [c] {d} #e "f" \g`)},
			{Name: "lines", Type: model.String, Length: 40, Default: ptr("one\ntwo\tthree\x01")},
			{Name: "unicode", Type: model.String, Length: 10, Default: ptr("café ☕")},
			{Name: "negative", Type: model.Integer, Default: ptr("-5")},
			{Name: "big", Type: model.Long, Default: ptr("9223372036854775807")},
			{Name: "ratio", Type: model.Double, Default: ptr("1e+21")},
			{Name: "small", Type: model.Double, Default: ptr("-0.25")},
			{Name: "price", Type: model.Currency, Default: ptr("-12.5")},
			{Name: "flag", Type: model.Boolean, Default: ptr("false")},
			{Name: "born", Type: model.Date, Default: ptr("1981-03-17")},
			{Name: "seen", Type: model.DateTime, Default: ptr("1981-03-17T02:00:00.000Z")},
			{Name: "long_text", Type: model.String, Length: 4000, Default: ptr(strings.Repeat("x", 120)), Mandatory: true},
		}},
		"names YAML would misread": {
			Profile:    []model.Attribute{{Name: "True", Type: model.Boolean}, {Name: "No", Type: model.Integer}},
			Extensions: []model.Extension{{Name: "Y", Type: model.Classifier}},
			Keys:       []model.Key{{Name: "False", Source: model.ProfileSource, Attributes: []string{"No"}}},
		},
		"extensions and keys": {
			Profile: []model.Attribute{{Name: "LastName", Type: model.String, Length: 64}},
			Extensions: []model.Extension{
				{Name: "Contacts", Type: model.MultiValued, Attributes: []model.Attribute{
					{Name: "Channel", Type: model.String, Length: 16},
					{Name: "Value", Type: model.String, Length: 255},
					{Name: "Rank", Type: model.Integer},
				}, Unique: [][]string{{"Value", "Channel"}, {"Rank"}}},
				{Name: "empty_single", Type: model.SingleValued},
				{Name: "Vip", Type: model.Classifier},
			},
			Keys: []model.Key{
				{Name: "idContact", Source: "Contacts", Attributes: []string{"Value", "Channel"}, Unique: true},
				{Name: "idLast", Source: model.ProfileSource, Attributes: []string{"LastName"}},
			},
		},
	}
}

// roundTrip writes s both ways, loads the output back and checks that it
// gives s again (positions and rename instructions aside) without errors.
func roundTrip(t *testing.T, s *model.Schema) {
	t.Helper()
	want := s.Stripped()
	want.Sort()
	opts := cmp.Options{cmpopts.EquateEmpty()}

	one := Write(s)
	res, err := Parse(map[string][]byte{"schema.yaml": one})
	if err != nil {
		t.Fatalf("Write output does not load:\n%v\n--- output:\n%s", err, one)
	}
	if diff := cmp.Diff(want, res.Schema.Stripped(), opts); diff != "" {
		t.Errorf("Write then Parse changed the schema (-want +got):\n%s--- output:\n%s", diff, one)
	}

	files := WriteFiles(s)
	res, err = Parse(files)
	if err != nil {
		t.Fatalf("WriteFiles output does not load:\n%v", err)
	}
	if diff := cmp.Diff(want, res.Schema.Stripped(), opts); diff != "" {
		t.Errorf("WriteFiles then Parse changed the schema (-want +got):\n%s", diff)
	}

	// Writing is deterministic, and writing what was read gives the same
	// bytes: the output is a fixed point.
	if again := Write(res.Schema); string(again) != string(one) {
		t.Errorf("Write is not a fixed point:\n--- first:\n%s--- second:\n%s", one, again)
	}
}

func TestWriteRoundTrip(t *testing.T) {
	for name, s := range writeCases() {
		t.Run(name, func(t *testing.T) { roundTrip(t, s) })
	}
}

// TestWriteRoundTripConformance round-trips the desired schema of every
// conformance case, the schemas the dialects are known to apply.
func TestWriteRoundTripConformance(t *testing.T) {
	for _, c := range dialecttest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			roundTrip(t, c.From)
			roundTrip(t, c.To)
		})
	}
}

// TestWriteRoundTripExamples round-trips every example project.
func TestWriteRoundTripExamples(t *testing.T) {
	for _, dir := range exampleDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			res, err := Load(dir)
			if err != nil {
				t.Fatalf("%s is invalid:\n%v", dir, err)
			}
			roundTrip(t, res.Schema)
		})
	}
}

// exampleDirs lists the example projects: the directories under examples/
// that hold schema files (examples/ci holds a workflow, not a schema).
func exampleDirs(t testing.TB) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("..", "..", "examples", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || filepath.Base(dir) == "ci" {
			continue
		}
		out = append(out, dir)
	}
	return out
}

// TestWriteFormat pins the layout of the output: the format of SPEC
// section 2, flow mappings aligned within a list, implicit values left out.
func TestWriteFormat(t *testing.T) {
	s := &model.Schema{
		Profile: []model.Attribute{
			{Name: "FirstName", Type: model.String, Length: 64},
			{Name: "EmailAddress", Type: model.String, Length: 256, Mandatory: true},
			{Name: "Title", Type: model.String, Length: 255},
		},
		Extensions: []model.Extension{
			{Name: "Phone", Type: model.MultiValued, Attributes: []model.Attribute{
				{Name: "PhoneType", Type: model.Integer, Default: ptr("0"), Mandatory: true},
				{Name: "prefix", Type: model.String, Length: 3, Default: ptr("555")},
				{Name: "PhoneNumber", Type: model.String, Length: 15, Mandatory: true},
				{Name: "start_availability", Type: model.DateTime},
			}, Unique: [][]string{{"PhoneNumber"}, {"PhoneType", "prefix"}}},
			{Name: "Vip", Type: model.Classifier},
		},
		Keys: []model.Key{
			{Name: "idEmail", Source: model.ProfileSource, Attributes: []string{"EmailAddress"}, Unique: true},
			{Name: "idPhone", Source: "Phone", Attributes: []string{"PhoneNumber"}},
		},
	}
	want := `profile:
  attributes:
    - { name: FirstName,    type: string, length: 64 }
    - { name: EmailAddress, type: string, length: 256, mandatory: true }
    - { name: Title,        type: string }

extensions:
  - name: Phone
    type: multi-valued
    attributes:
      - { name: PhoneType,          type: integer,  default: 0, mandatory: true }
      - { name: prefix,             type: string,   length: 3, default: "555" }
      - { name: PhoneNumber,        type: string,   length: 15, mandatory: true }
      - { name: start_availability, type: datetime }
    unique: [PhoneNumber, [PhoneType, prefix]]

  - name: Vip
    type: classifier

identification_keys:
  - name: idEmail
    attributes: [EmailAddress]
    unique: true
  - name: idPhone
    source: Phone
    attributes: [PhoneNumber]
`
	if got := string(Write(s)); got != want {
		t.Errorf("Write:\n%s\nwant:\n%s\ndiff (-want +got):\n%s", got, want, cmp.Diff(want, got))
	}

	files := WriteFiles(s)
	var names []string
	for n := range files {
		names = append(names, n)
	}
	if diff := cmp.Diff([]string{"extensions/phone.yaml", "extensions/vip.yaml", "keys.yaml", "profile.yaml"}, names, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("WriteFiles names (-want +got):\n%s", diff)
	}
	if got, want := string(files["extensions/vip.yaml"]), "extensions:\n  - name: Vip\n    type: classifier\n"; got != want {
		t.Errorf("extensions/vip.yaml = %q, want %q", got, want)
	}
	if got, want := string(Write(&model.Schema{})), "profile:\n  attributes: []\n"; got != want {
		t.Errorf("Write(empty) = %q, want %q", got, want)
	}
}
