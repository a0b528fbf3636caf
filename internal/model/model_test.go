package model

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTables: the profile first, extensions and their keys in name order,
// whatever the order of s, which stays as it was.
func TestTables(t *testing.T) {
	s := &Schema{
		Profile: []Attribute{{Name: "Email", Type: String, Length: 64}},
		Extensions: []Extension{
			{Name: "phone", Type: MultiValued, Attributes: []Attribute{{Name: "Number", Type: String, Length: 15}}, Unique: [][]string{{"Number"}}},
			{Name: "Address", Type: SingleValued, Attributes: []Attribute{{Name: "City", Type: String, Length: 32}}},
		},
		Keys: []Key{
			{Name: "idZ", Source: "Phone", Attributes: []string{"Number"}},
			{Name: "idEmail", Source: ProfileSource, Attributes: []string{"Email"}, Unique: true},
			{Name: "idA", Source: "PHONE", Attributes: []string{"Number"}},
		},
	}
	before := s.Clone()
	var got []string
	for _, tb := range s.Tables() {
		line := tb.Name + ":"
		for _, k := range tb.Keys {
			line += " " + k.Name
		}
		if tb.Extension != nil && tb.Extension.Table() != tb.Name {
			t.Errorf("table %s holds extension %s", tb.Name, tb.Extension.Name)
		}
		got = append(got, line)
	}
	want := []string{"profile: idEmail", "ext_address:", "ext_phone: idA idZ"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, s); diff != "" {
		t.Errorf("Tables changed s (-before +after):\n%s", diff)
	}
}

// TestCanonicalDefaultDoubleExact: a double default is stored exactly or
// refused, never rounded or flushed to zero. Negative zero is the default
// 0: it equals 0, and no dialect keeps its sign through a DEFAULT.
func TestCanonicalDefaultDoubleExact(t *testing.T) {
	for raw, want := range map[string]string{
		"0.1": "0.1", "1.50": "1.5", "1e3": "1000", "0.30000000000000004": "0.30000000000000004", "-0": "0", "-0.0": "0",
		"1e-400": "", "9007199254740993": "", "0.1000000000000000000001": "",
	} {
		got, err := CanonicalDefault(Double, 0, raw)
		switch {
		case want == "" && err == nil:
			t.Errorf("CanonicalDefault(double, %q) = %q, want an error", raw, got)
		case want != "" && (err != nil || got != want):
			t.Errorf("CanonicalDefault(double, %q) = %q, %v; want %q", raw, got, err, want)
		}
	}
}

// TestCanonicalDefaultDateTimeExact: a datetime default finer than a
// millisecond is refused, not truncated.
func TestCanonicalDefaultDateTimeExact(t *testing.T) {
	if got, err := CanonicalDefault(DateTime, 0, "1981-03-17T02:00:00.1230Z"); err != nil || got != "1981-03-17T02:00:00.123Z" {
		t.Errorf("CanonicalDefault(datetime, .1230) = %q, %v; want 1981-03-17T02:00:00.123Z", got, err)
	}
	if got, err := CanonicalDefault(DateTime, 0, "1981-03-17T02:00:00.123456Z"); err == nil {
		t.Errorf("CanonicalDefault(datetime, .123456) = %q, want an error", got)
	}
}

// TestPlainNameMatchesPattern holds plainName to the pattern it replaced,
// ^[A-Za-z][A-Za-z0-9_]*$, and Reserved to case-insensitive lookup.
func TestPlainNameMatchesPattern(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	for _, n := range []string{"", "a", "Z", "a1", "a_b", "_a", "1a", "a-b", "a b", "é", "aé", "A_9z", "a\n", "zZ09__", "[", "`a", "a{", "@", "a/"} {
		if got, want := plainName(n), re.MatchString(n); got != want {
			t.Errorf("plainName(%q) = %v, want %v", n, got, want)
		}
	}
	for n, want := range map[string]bool{"Select": true, "VARCHAR2": true, "selects": false, "SmallDateTime": true, "averyveryverylongname": false, "": false} {
		if got := Reserved(n); got != want {
			t.Errorf("Reserved(%q) = %v, want %v", n, got, want)
		}
	}
}

// TestLessFold checks LessFold and SameLower against what they stand for,
// strings.ToLower(a) < (==) strings.ToLower(b), on ASCII and non-ASCII
// names.
func TestLessFold(t *testing.T) {
	names := []string{"", "a", "A", "ab", "aB", "Ab", "b", "B", "a_b", "a1", "Z", "z", "[", "_", "`",
		"Ä", "ä", "aÄ", "AÄ", "aä", "Straße", "STRASSE", "İ", "i", "ı", "I", "\xff", "a\xff", "ab\xff"}
	for _, a := range names {
		for _, b := range names {
			if got, want := LessFold(a, b), strings.ToLower(a) < strings.ToLower(b); got != want {
				t.Errorf("LessFold(%q, %q) = %v, want %v", a, b, got, want)
			}
			if got, want := SameLower(a, b), strings.ToLower(a) == strings.ToLower(b); got != want {
				t.Errorf("SameLower(%q, %q) = %v, want %v", a, b, got, want)
			}
		}
	}
}

// TestClone: a deep copy, nil and empty kept as they were, whose pieces
// (cut from shared slices) do not overwrite each other when appended to.
func TestClone(t *testing.T) {
	def := "x"
	s := &Schema{
		Profile: []Attribute{{Name: "Email", Type: String, Length: 64, Default: &def}},
		Extensions: []Extension{
			{Name: "A", Type: MultiValued, Attributes: []Attribute{{Name: "N", Type: String, Default: &def}, {Name: "M", Type: Integer}}, Unique: [][]string{{"N"}, {"N", "M"}}},
			{Name: "B", Type: SingleValued, Attributes: []Attribute{}, Unique: [][]string{{}}},
			{Name: "C", Type: SingleValued, Attributes: []Attribute{{Name: "O", Type: Boolean}}},
		},
		Keys: []Key{{Name: "k", Source: "A", Attributes: []string{"N"}}, {Name: "e", Attributes: []string{}}},
	}
	c := s.Clone()
	// Unique item {} and key attributes [] come back nil, as they always did.
	want := &Schema{Profile: s.Profile, Extensions: []Extension{s.Extensions[0],
		{Name: "B", Type: SingleValued, Attributes: []Attribute{}, Unique: [][]string{nil}}, s.Extensions[2]},
		Keys: []Key{s.Keys[0], {Name: "e"}}}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Fatalf("Clone (-want +got):\n%s", diff)
	}
	if c.Extensions[1].Attributes == nil || c.Extensions[2].Unique != nil {
		t.Errorf("Clone changed nil or empty: %#v", c.Extensions[1:])
	}
	c.Extensions[0].Attributes = append(c.Extensions[0].Attributes, Attribute{Name: "New"})
	c.Extensions[0].Unique[0] = append(c.Extensions[0].Unique[0], "M")
	*c.Extensions[0].Attributes[0].Default = "changed"
	c.Keys[0].Attributes[0] = "changed"
	if c.Extensions[1].Name != "B" || c.Extensions[0].Unique[1][0] != "N" || len(c.Extensions[1].Attributes) != 0 ||
		*c.Profile[0].Default != "x" || def != "x" || s.Keys[0].Attributes[0] != "N" || c.Extensions[2].Attributes[0].Name != "O" {
		t.Errorf("the copy's pieces overlap each other or the original: %#v", c)
	}
}

// TestByName: the extensions and keys in name order, s's own slices when
// in order already, else sorted copies that leave s as it was.
func TestByName(t *testing.T) {
	s := &Schema{Extensions: []Extension{{Name: "b"}, {Name: "A"}, {Name: "B"}}, Keys: []Key{{Name: "k1"}, {Name: "K2"}}}
	exts, keys := s.ByName()
	if got := []string{exts[0].Name, exts[1].Name, exts[2].Name}; !cmp.Equal(got, []string{"A", "b", "B"}) {
		t.Errorf("ByName extensions = %v, want [A b B] (stable)", got)
	}
	if s.Extensions[0].Name != "b" {
		t.Errorf("ByName changed s: %v", s.Extensions)
	}
	if &keys[0] != &s.Keys[0] {
		t.Errorf("ByName copied keys already in order")
	}
	s.Sort()
	if exts, _ := s.ByName(); &exts[0] != &s.Extensions[0] || s.Extensions[1].Name != "b" {
		t.Errorf("after Sort, ByName = %v, want s's own slice in order", exts)
	}
}

// TestCheckAttributeNameAllocs: every attribute of the schema files is
// checked; a valid name costs no allocation (it was lowered with
// strings.ToLower, one string per name).
func TestCheckAttributeNameAllocs(t *testing.T) {
	for _, name := range []string{"UpdatedAt", "code", "A_26_characters_long_name1"} {
		if n := testing.AllocsPerRun(100, func() {
			if err := CheckAttributeName(name); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("CheckAttributeName(%q) allocates %v times, want 0", name, n)
		}
	}
	for name, want := range map[string]string{
		"Customer_ID": `name "Customer_ID" is the column customer_id, the column that holds the customer id in every table`,
		"CS_Thing":    `name "CS_Thing" starts with cs_, which ctxschema reserves for its own names`,
	} {
		if err := CheckAttributeName(name); err == nil || err.Error() != want {
			t.Errorf("CheckAttributeName(%q) = %v, want %s", name, err, want)
		}
	}
}
