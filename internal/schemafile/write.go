package schemafile

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/ctxschema/ctxschema/internal/model"
)

// This file is the inverse of Load: it writes a model as schema files in
// the format of SPEC section 2, so that `inspect` can hand the live schema
// back as code. Writing is pure and deterministic: the same schema always
// gives the same bytes, so the output can be committed and diffed.
//
// The writer keeps the declared spelling of every name and the order of
// attributes, unique items and key attributes, and leaves out what the
// loader supplies anyway: length 255, source profile and false booleans.
// Each attribute is one flow mapping ({ name: …, type: … }) when it fits on
// a line, with the name and type columns aligned within its list. Fields
// come in the documentation order of decode.go's field lists, which fmt
// (format.go) follows too: a file Write wrote is already formatted.

// flowWidth is the widest line an attribute may take as a flow mapping;
// wider attributes (long defaults) are written as block mappings.
const flowWidth = 100

// Write returns the schema as one schema file: the profile, then the
// extensions, then the identification keys, each in name order
// (model.Schema.Sort). The profile section is always present, so that even
// an empty schema is a valid, non-empty file.
func Write(s *model.Schema) []byte {
	s = sorted(s)
	var b bytes.Buffer
	writeProfile(&b, s.Profile)
	if len(s.Extensions) > 0 {
		b.WriteString("\n")
		writeExtensions(&b, s.Extensions)
	}
	if len(s.Keys) > 0 {
		b.WriteString("\n")
		writeKeys(&b, s.Keys)
	}
	return b.Bytes()
}

// WriteFiles returns the schema as a directory of schema files, keyed by
// slash-separated path: profile.yaml (always), extensions/<name>.yaml for
// each extension (the name lower-cased, as its table is, so that a change of
// case never renames a file) and keys.yaml when there are keys. Loading the
// directory gives back the schema.
func WriteFiles(s *model.Schema) map[string][]byte {
	s = sorted(s)
	files := map[string][]byte{}
	var b bytes.Buffer
	writeProfile(&b, s.Profile)
	files["profile.yaml"] = bytes.Clone(b.Bytes())
	for _, e := range s.Extensions {
		b.Reset()
		writeExtensions(&b, []model.Extension{e})
		files["extensions/"+strings.ToLower(e.Name)+".yaml"] = bytes.Clone(b.Bytes())
	}
	if len(s.Keys) > 0 {
		b.Reset()
		writeKeys(&b, s.Keys)
		files["keys.yaml"] = bytes.Clone(b.Bytes())
	}
	return files
}

// sorted returns a copy of s with extensions and keys in name order, so
// that the output does not depend on the order s was built in.
func sorted(s *model.Schema) *model.Schema {
	c := s.Clone()
	c.Sort()
	return c
}

func writeProfile(b *bytes.Buffer, attrs []model.Attribute) {
	b.WriteString("profile:\n")
	writeAttributes(b, "  ", attrs)
	if len(attrs) == 0 {
		// An empty list rather than no key: the file still says what it is.
		b.WriteString("  attributes: []\n")
	}
}

func writeExtensions(b *bytes.Buffer, exts []model.Extension) {
	b.WriteString("extensions:\n")
	for i, e := range exts {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(b, "  - name: %s\n", scalar(e.Name))
		fmt.Fprintf(b, "    type: %s\n", scalar(string(e.Type)))
		writeAttributes(b, "    ", e.Attributes)
		if len(e.Unique) > 0 {
			items := make([]string, len(e.Unique))
			for j, it := range e.Unique {
				if len(it) == 1 {
					items[j] = scalar(it[0])
				} else {
					items[j] = flowList(it)
				}
			}
			fmt.Fprintf(b, "    unique: [%s]\n", strings.Join(items, ", "))
		}
		if e.RenamedFrom != "" {
			fmt.Fprintf(b, "    renamed_from: %s\n", scalar(e.RenamedFrom))
		}
	}
}

func writeKeys(b *bytes.Buffer, keys []model.Key) {
	b.WriteString("identification_keys:\n")
	for _, k := range keys {
		fmt.Fprintf(b, "  - name: %s\n", scalar(k.Name))
		if !k.OnProfile() {
			fmt.Fprintf(b, "    source: %s\n", scalar(k.Source))
		}
		fmt.Fprintf(b, "    attributes: %s\n", flowList(k.Attributes))
		if k.Unique {
			b.WriteString("    unique: true\n")
		}
	}
}

// pair is one "key: value" pair of an attribute, the value already
// written as YAML.
type pair struct{ key, value string }

// attributePairs lists the fields of a that differ from the implicit
// values, in documentation order.
func attributePairs(a model.Attribute) []pair {
	fs := []pair{{"name", scalar(a.Name)}, {"type", scalar(string(a.Type))}}
	if a.Type == model.String && a.Length != 0 && a.Length != model.DefaultStringLength {
		fs = append(fs, pair{"length", strconv.Itoa(a.Length)})
	}
	if a.Default != nil {
		fs = append(fs, pair{"default", defaultValue(a.Type, *a.Default)})
	}
	if a.Mandatory {
		fs = append(fs, pair{"mandatory", "true"})
	}
	if a.Encrypt {
		fs = append(fs, pair{"encrypt", "true"})
	}
	if a.RenamedFrom != "" {
		fs = append(fs, pair{"renamed_from", scalar(a.RenamedFrom)})
	}
	return fs
}

// writeAttributes writes an attributes list at indent. Attributes that fit
// are flow mappings with their name and type values padded to a common
// width; the others are block mappings.
func writeAttributes(b *bytes.Buffer, indent string, attrs []model.Attribute) {
	if len(attrs) == 0 {
		return
	}
	fmt.Fprintf(b, "%sattributes:\n", indent)
	all := make([][]pair, len(attrs))
	var wName, wType int
	for i, a := range attrs {
		all[i] = attributePairs(a)
		wName = max(wName, len(all[i][0].value)+1) // with its comma
		wType = max(wType, len(all[i][1].value)+1)
	}
	for _, fs := range all {
		if line := flowMapping(fs, wName, wType); len(indent)+4+len(line) <= flowWidth {
			fmt.Fprintf(b, "%s  - %s\n", indent, line)
			continue
		}
		for j, f := range fs {
			lead := "    "
			if j == 0 {
				lead = "  - "
			}
			fmt.Fprintf(b, "%s%s%s: %s\n", indent, lead, f.key, f.value)
		}
	}
}

// flowMapping writes fields as "{ name: A,  type: string, length: 3 }",
// padding the name and type entries to wName and wType columns (comma
// included) when other fields follow them.
func flowMapping(fs []pair, wName, wType int) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i, f := range fs {
		entry := f.value
		if i < len(fs)-1 {
			entry += ","
			switch i {
			case 0:
				entry = padRight(entry, wName)
			case 1:
				entry = padRight(entry, wType)
			}
			entry += " "
		}
		b.WriteString(f.key + ": " + entry)
	}
	b.WriteString(" }")
	return b.String()
}

func padRight(s string, w int) string {
	if n := w - len(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// flowList writes names as "[A, B]".
func flowList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = scalar(n)
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// defaultValue writes a canonical default so that YAML reads it back as
// the same text: numbers and booleans plain (default: 0), the other types
// as text, quoted when YAML would take them for something else
// (default: "555", default: "2024-01-31").
func defaultValue(t model.Type, canon string) string {
	switch t {
	case model.Integer, model.Long, model.Double, model.Currency, model.Boolean:
		if plainScalar(canon) {
			return canon
		}
	}
	return scalar(canon)
}

// safePlain matches text that can be written without quotes in both block
// and flow context: no indicator, no ", " or ": ", no leading or trailing
// space. It is compiled on first use, not at every start-up.
var safePlain = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9_](?:[A-Za-z0-9_@./+-]| [A-Za-z0-9_@./+-])*$`)
})

// yaml11Bools are the words YAML 1.1 reads as booleans. yaml.v3 reads them
// as strings, but editors and other tools may not, so they are quoted.
var yaml11Bools = map[string]bool{
	"y": true, "yes": true, "n": true, "no": true, "on": true, "off": true,
}

// scalar writes s as a YAML scalar that reads back as the string s: plain when
// that is safe and YAML would not resolve it to another type (true, null,
// 12, 2024-01-31, and YAML 1.1's yes and no), double-quoted otherwise.
func scalar(s string) string {
	if safePlain().MatchString(s) && resolvesToString(s) && !yaml11Bools[strings.ToLower(s)] {
		return s
	}
	return strconv.Quote(s)
}

// numberLike matches the canonical text of numbers and booleans. It is
// compiled on first use.
var numberLike = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^-?[0-9A-Za-z.+-]+$`) })

// plainScalar reports whether s, written plain, reads back as the same
// text and as a YAML number or boolean: canonical defaults of the numeric
// and boolean types do.
func plainScalar(s string) bool {
	var n yaml.Node
	if !numberLike().MatchString(s) || yaml.Unmarshal([]byte(s), &n) != nil || len(n.Content) != 1 {
		return false
	}
	c := n.Content[0]
	switch c.ShortTag() {
	case "!!int", "!!float", "!!bool":
		return c.Kind == yaml.ScalarNode && c.Value == s
	}
	return false
}

// resolvesToString reports whether s, written plain, is a YAML string
// rather than a number, boolean, null or timestamp.
func resolvesToString(s string) bool {
	var n yaml.Node
	if yaml.Unmarshal([]byte(s), &n) != nil || len(n.Content) != 1 {
		return false
	}
	c := n.Content[0]
	return c.Kind == yaml.ScalarNode && c.ShortTag() == "!!str" && c.Value == s
}
