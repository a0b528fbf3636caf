package schemafile

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/internal/model"
)

// run parses files (name → YAML) and returns every problem line, errors and
// warnings, and whether the files were valid.
func run(t *testing.T, files map[string]string) (lines []string, ok bool) {
	t.Helper()
	in := map[string][]byte{}
	for n, s := range files {
		in[n] = []byte(s)
	}
	res, err := Parse(in)
	if err != nil {
		var probs *model.Problems
		if !errors.As(err, &probs) {
			t.Fatalf("Parse: %v is not a *model.Problems", err)
		}
		for _, p := range probs.List {
			lines = append(lines, p.String())
		}
		return lines, false
	}
	for _, p := range res.Warnings {
		lines = append(lines, p.String())
	}
	return lines, true
}

// one wraps a single file called a.yaml.
func one(s string) map[string]string { return map[string]string{"a.yaml": s} }

// ruleTest is one case of TestRules: schema files and the exact problems
// they give. The inputs also seed FuzzLoad.
type ruleTest struct {
	name  string
	files map[string]string
	want  []string
	valid bool // only warnings expected
}

// ruleTests cover every rule of SPEC section 2 with a failing input and the
// exact problems, positions included.
var ruleTests = []ruleTest{
	// Names.
	{
		name: "extension name pattern",
		files: one(`
extensions:
  - name: 1Phone
    type: single-valued
`),
		want: []string{
			`a.yaml:3:11: extension name "1Phone" must start with a letter and hold only letters, digits and underscores`,
		},
	},
	{
		name: "attribute name pattern",
		files: one(`
profile:
  attributes:
    - {name: first-name, type: string}
`),
		want: []string{`a.yaml:4:14: attribute name "first-name" must start with a letter and hold only letters, digits and underscores`},
	},
	{
		name: "key name pattern",
		files: one(`
profile:
  attributes: [{name: A, type: string}]
identification_keys:
  - {name: "id key", attributes: [A]}
`),
		want: []string{
			`a.yaml:5:12: identification key name "id key" must start with a letter and hold only letters, digits and underscores`,
		},
	},
	{
		name: "name longer than 26",
		files: one(`
extensions:
  - name: abcdefghijklmnopqrstuvwxyz1
    type: classifier
`),
		want: []string{
			`a.yaml:3:11: extension name "abcdefghijklmnopqrstuvwxyz1" is 27 characters, longer than 26; shorten it`,
		},
	},
	{
		name: "name of 26 is fine",
		files: one(`
extensions:
  - name: abcdefghijklmnopqrstuvwxyz
    type: classifier
`),
		valid: true,
	},
	{
		name: "empty name",
		files: one(`
profile:
  attributes:
    - {name: "", type: string}
`),
		want: []string{`a.yaml:4:14: attribute name is empty`},
	},
	{
		name: "reserved words, case-insensitively",
		files: one(`
profile:
  attributes:
    - {name: ORDER, type: string}
extensions:
  - name: Profile
    type: classifier
identification_keys:
  - {name: Index, attributes: [ORDER]}
`),
		want: []string{
			`a.yaml:4:14: attribute name "ORDER" is a reserved word; choose another name`,
			`a.yaml:6:11: extension name "Profile" is a reserved word; choose another name`,
			`a.yaml:9:12: identification key name "Index" is a reserved word; choose another name`,
		},
	},
	{
		name: "column names the layout or an engine owns, case-insensitively",
		files: one(`
profile:
  attributes:
    - {name: Customer_ID, type: string}
    - {name: ctid, type: string}
    - {name: XMin, type: string}
    - {name: xmax, type: string}
    - {name: cmin, type: string}
    - {name: cmax, type: string}
    - {name: tableoid, type: string}
    - {name: OID, type: string}
    - {name: RowID, type: string}
    - {name: cs_flag, type: string}
    - {name: customer_ids, type: string}
extensions:
  - name: Phone
    type: multi-valued
    attributes:
      - {name: record_id, type: integer}
      - {name: customer_id, type: string}
    unique: [record_id]
  - name: Fax
    type: single-valued
    attributes:
      - {name: Record_Id, type: integer}
`),
		want: []string{
			`a.yaml:4:14: attribute name "Customer_ID" is the column customer_id, the column that holds the customer id in every table; choose another name`,
			`a.yaml:5:14: attribute name "ctid" is the column ctid, a PostgreSQL system column; choose another name`,
			`a.yaml:6:14: attribute name "XMin" is the column xmin, a PostgreSQL system column; choose another name`,
			`a.yaml:7:14: attribute name "xmax" is the column xmax, a PostgreSQL system column; choose another name`,
			`a.yaml:8:14: attribute name "cmin" is the column cmin, a PostgreSQL system column; choose another name`,
			`a.yaml:9:14: attribute name "cmax" is the column cmax, a PostgreSQL system column; choose another name`,
			`a.yaml:10:14: attribute name "tableoid" is the column tableoid, a PostgreSQL system column; choose another name`,
			`a.yaml:11:14: attribute name "OID" is the column oid, a name of SQLite's row key, and a system column of PostgreSQL before version 12; choose another name`,
			`a.yaml:12:14: attribute name "RowID" is the column rowid, SQLite's name for the row key, which a column so named would hide; choose another name`,
			`a.yaml:13:14: attribute name "cs_flag" starts with cs_, which ctxschema reserves for its own names; choose another name`,
			`a.yaml:19:16: attribute name "record_id" is the column record_id, the record key of multi-valued extensions (any extension may become one); choose another name`,
			`a.yaml:20:16: attribute name "customer_id" is the column customer_id, the column that holds the customer id in every table; choose another name`,
			`a.yaml:25:16: attribute name "Record_Id" is the column record_id, the record key of multi-valued extensions (any extension may become one); choose another name`,
		},
	},
	{
		name: "defaults no database can store",
		files: one(`
profile:
  attributes:
    - {name: Born, type: date, default: "0000-01-01"}
    - {name: Seen, type: datetime, default: "0000-12-31T23:59:59Z"}
    - {name: Note, type: string, default: "a\0b"}
    - {name: First, type: date, default: "0001-01-01"}
    - {name: Last, type: datetime, default: "9999-12-31T23:59:59.999Z"}
    - {name: Ctl, type: string, default: "a\x01b"}
`),
		want: []string{
			`a.yaml:4:41: attribute "Born": default "0000-01-01" is in year 0, which no calendar of the databases has; use a date from 0001-01-01 to 9999-12-31`,
			`a.yaml:5:45: attribute "Seen": default "0000-12-31T23:59:59Z" is in year 0, which no calendar of the databases has; use a datetime from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z`,
			`a.yaml:6:43: attribute "Note": default "a\x00b" holds a NUL character, which PostgreSQL cannot store; remove it`,
		},
	},
	{
		name: "missing names",
		files: one(`
profile:
  attributes:
    - type: string
extensions:
  - type: classifier
identification_keys:
  - attributes: [A]
`),
		want: []string{
			`a.yaml:4:7: an attribute of the profile has no name; add name: <Name>`,
			`a.yaml:6:5: an extension has no name; add name: <Name>`,
			`a.yaml:8:5: an identification key has no name; add name: <Name>`,
		},
	},

	// Duplicates, case-insensitive, within and across files.
	{
		name: "duplicate extension across files",
		files: map[string]string{
			"a.yaml": "extensions:\n  - name: x\n    type: classifier\n  - name: Phone\n    type: classifier\n",
			"b.yaml": "extensions:\n  - name: Phone\n    type: classifier\n  - name: PHONE\n    type: classifier\n",
		},
		want: []string{
			`b.yaml:2:5: duplicate extension "Phone" (first defined at a.yaml:4:5)`,
			`b.yaml:4:5: duplicate extension "PHONE" (first defined as "Phone" at a.yaml:4:5; names are case-insensitive)`,
		},
	},
	{
		// Above smallScope names a scope looks them up in a map: the same
		// duplicates, before and after it is built.
		name:  "duplicate extensions in a scope of many names",
		files: map[string]string{"a.yaml": "extensions:\n" + manyExtensions(20) + "  - {name: E3, type: classifier}\n  - {name: e19, type: classifier}\n"},
		want: []string{
			`a.yaml:22:5: duplicate extension "E3" (first defined as "e3" at a.yaml:5:5; names are case-insensitive)`,
			`a.yaml:23:5: duplicate extension "e19" (first defined at a.yaml:21:5)`,
		},
	},
	{
		name: "duplicate profile attribute across files (profile merges)",
		files: map[string]string{
			"a.yaml": "profile:\n  attributes:\n    - {name: FirstName, type: string}\n",
			"b.yaml": "profile:\n  attributes:\n    - {name: LastName, type: string}\n    - {name: firstname, type: string}\n",
		},
		want: []string{`b.yaml:4:7: duplicate profile attribute "firstname" (first defined as "FirstName" at a.yaml:3:7; names are case-insensitive)`},
	},
	{
		name: "duplicate attribute in an extension",
		files: one(`
extensions:
  - name: Address
    type: single-valued
    attributes:
      - {name: City, type: string}
      - {name: City, type: string}
`),
		want: []string{`a.yaml:7:9: duplicate attribute "City" in extension "Address" (first defined at a.yaml:6:9)`},
	},
	{
		name: "duplicate key",
		files: one(`
profile:
  attributes: [{name: A, type: string}]
identification_keys:
  - {name: idA, attributes: [A]}
  - {name: IDA, attributes: [A]}
`),
		want: []string{`a.yaml:6:5: duplicate identification key "IDA" (first defined as "idA" at a.yaml:5:5; names are case-insensitive)`},
	},
	{
		name: "one name may be used in different scopes",
		files: one(`
profile:
  attributes: [{name: Phone, type: string}]
extensions:
  - name: Phone
    type: single-valued
    attributes: [{name: Phone, type: string}]
identification_keys:
  - {name: Phone, attributes: [Phone]}
`),
		valid: true,
	},

	// Attribute fields and types.
	{
		name: "attribute without type",
		files: one(`
profile:
  attributes:
    - name: A
`),
		want: []string{`a.yaml:4:7: attribute "A" has no type; add type: one of string, integer, long, double, date, datetime, currency, boolean`},
	},
	{
		name: "unknown types",
		files: one(`
profile:
  attributes:
    - {name: A, type: strng}
    - {name: B, type: float}
    - {name: C, type: blob}
`),
		want: []string{
			`a.yaml:4:23: unknown type "strng" for attribute "A"; types: string, integer, long, double, date, datetime, currency, boolean; did you mean "string"?`,
			`a.yaml:5:23: unknown type "float" for attribute "B"; types: string, integer, long, double, date, datetime, currency, boolean; use "double"`,
			`a.yaml:6:23: unknown type "blob" for attribute "C"; types: string, integer, long, double, date, datetime, currency, boolean`,
		},
	},
	{
		name: "length only on strings",
		files: one(`
profile:
  attributes:
    - {name: A, type: integer, length: 4}
`),
		want: []string{`a.yaml:4:40: length applies only to string attributes; remove it from integer attribute "A"`},
	},
	{
		name: "length bounds and shape",
		files: one(`
profile:
  attributes:
    - {name: A, type: string, length: 0}
    - {name: B, type: string, length: 4001}
    - {name: C, type: string, length: abc}
    - {name: D, type: string, length: 1.5}
    - {name: E, type: string, length: 99999999999999999999}
    - {name: F, type: string, length: [3]}
    - {name: G, type: string, length: "4000"}
    - {name: H, type: string, length: 1}
`),
		want: []string{
			`a.yaml:4:39: length 0 of attribute "A" must be at least 1`,
			`a.yaml:5:39: length 4001 of attribute "B" is more than the maximum 4000`,
			`a.yaml:6:39: length must be a whole number, not "abc"`,
			`a.yaml:7:39: length must be a whole number, not "1.5"`,
			`a.yaml:8:39: length 99999999999999999999 is too large; the maximum is 4000`,
			`a.yaml:9:39: length must be a whole number, not a list`,
		},
	},
	{
		name: "defaults must fit type and length",
		files: one(`
profile:
  attributes:
    - {name: I, type: integer, default: abc}
    - {name: I2, type: integer, default: 3000000000}
    - {name: L, type: long, default: 1.5}
    - {name: D, type: double, default: x}
    - {name: Dt, type: date, default: 2020-02-30}
    - {name: Ts, type: datetime, default: "2020-01-01T00:00:00+02:00"}
    - {name: C, type: currency, default: 1.23456}
    - {name: B, type: boolean, default: 1}
    - {name: S, type: string, length: 3, default: "5555"}
    - {name: S2, type: string, default: [a]}
    - {name: S3, type: string, default: ~}
`),
		want: []string{
			`a.yaml:4:41: attribute "I": default "abc" is not an integer (a whole number of 32 bits)`,
			`a.yaml:5:42: attribute "I2": default "3000000000" is not an integer (a whole number of 32 bits)`,
			`a.yaml:6:38: attribute "L": default "1.5" is not a long (a whole number of 64 bits)`,
			`a.yaml:7:40: attribute "D": default "x" is not a finite double`,
			`a.yaml:8:39: attribute "Dt": default "2020-02-30" is not a date (YYYY-MM-DD)`,
			`a.yaml:9:43: attribute "Ts": default "2020-01-01T00:00:00+02:00" is not an ISO 8601 UTC datetime (like 1981-03-17T02:00:00.000Z)`,
			`a.yaml:10:42: attribute "C": default "1.23456" does not fit a currency (15 digits before the point, 4 after)`,
			`a.yaml:11:41: attribute "B": default "1" is not a boolean (true or false)`,
			`a.yaml:12:51: attribute "S": default "5555" is 4 characters, longer than the length 3`,
			`a.yaml:13:41: default must be a single value, not a list`,
			`a.yaml:14:41: default has no value; give one or remove the field`,
		},
	},
	{
		name:  "string default longer than the default length 255",
		files: one("profile:\n  attributes:\n    - {name: S, type: string, default: " + strings.Repeat("x", 256) + "}\n"),
		want:  []string{`a.yaml:3:40: attribute "S": default "` + strings.Repeat("x", 80) + `…" (256 characters) is 256 characters, longer than the length 255`},
	},
	{
		name: "booleans as YAML booleans or the strings true and false",
		files: one(`
profile:
  attributes:
    - {name: A, type: string, mandatory: "true", encrypt: "false"}
    - {name: B, type: string, mandatory: True, encrypt: false}
    - {name: C, type: string, mandatory: yes}
    - {name: D, type: string, encrypt: 1}
extensions:
  - name: E
    type: single-valued
    attributes: [{name: X, type: string, unique: "yes"}]
identification_keys:
  - {name: K, attributes: [A], unique: on}
`),
		want: []string{
			`a.yaml:6:42: mandatory must be true or false, not "yes"`,
			`a.yaml:7:40: encrypt must be true or false, not "1"`,
			`a.yaml:11:50: unique must be true or false, not "yes"`,
			`a.yaml:13:40: unique must be true or false, not "on"`,
		},
	},
	{
		name: "unique: true only on extension attributes",
		files: one(`
profile:
  attributes:
    - {name: Email, type: string, unique: true}
`),
		want: []string{`a.yaml:4:43: unique: true is allowed on extension attributes only; to keep profile values unique, declare an identification key with unique: true over "Email"`},
	},

	// Extensions.
	{
		name: "extension type missing or unknown",
		files: one(`
extensions:
  - name: A
  - name: B
    type: multivalued
  - name: C
    type: list
`),
		want: []string{
			`a.yaml:3:5: extension "A" has no type; add type: one of single-valued, multi-valued, classifier`,
			`a.yaml:5:11: unknown type "multivalued" for extension "B"; types: single-valued, multi-valued, classifier; did you mean "multi-valued"?`,
			`a.yaml:7:11: unknown type "list" for extension "C"; types: single-valued, multi-valued, classifier`,
		},
	},
	{
		name: "classifier has no attributes",
		files: one(`
extensions:
  - name: VIP
    type: classifier
    attributes:
      - {name: level, type: integer}
`),
		want: []string{`a.yaml:6:7: classifier extension "VIP" has no attributes; remove them or make it single-valued`},
	},
	{
		name: "unique items name attributes of the extension",
		files: one(`
extensions:
  - name: Phone
    type: multi-valued
    attributes:
      - {name: PhoneType, type: integer}
      - {name: PhoneNumber, type: string}
    unique: [PhoneNumbr, [PhoneType], [PhoneType, PhoneType], [PhoneType, Other], {a: b}]
`),
		want: []string{
			`a.yaml:8:14: unique item names "PhoneNumbr", which is not an attribute of extension "Phone"; did you mean "PhoneNumber"?`,
			`a.yaml:8:26: a composite unique item needs 2 or more attributes; write a single attribute without brackets`,
			`a.yaml:8:51: attribute "PhoneType" appears twice in a unique item; list it once`,
			`a.yaml:8:75: unique item names "Other", which is not an attribute of extension "Phone"`,
			`a.yaml:8:83: a unique item must be an attribute name or a list of names, not a mapping`,
		},
	},
	{
		name: "duplicate unique items, in any order",
		files: one(`
extensions:
  - name: Phone
    type: multi-valued
    attributes:
      - {name: A, type: integer}
      - {name: B, type: string, unique: true}
    unique: [[A, B], [b, a], B]
`),
		want: []string{
			`a.yaml:7:41: warning: attribute "B" is marked unique: true and is also a unique item of extension "Phone" (at a.yaml:8:30); remove one`,
			`a.yaml:8:22: unique item [B, A] is listed twice in extension "Phone" (first at a.yaml:8:14); keep one`,
		},
	},
	{
		name: "unique must be a list",
		files: one(`
extensions:
  - name: Phone
    type: multi-valued
    attributes: [{name: A, type: integer}]
    unique: A
`),
		want: []string{`a.yaml:6:13: unique must be a list of attribute names or lists of names, not "A"; write unique: [A]`},
	},
	{
		name: "multi-valued extension without unique is a warning",
		files: one(`
extensions:
  - name: Notes
    type: multi-valued
    attributes: [{name: Text, type: string}]
`),
		want:  []string{`a.yaml:3:5: warning: multi-valued extension "Notes" has no unique item, so its records cannot be addressed by unique values; add unique: [<Attribute>]`},
		valid: true,
	},
	{
		name: "an empty unique list is no unique",
		files: one(`
extensions:
  - name: Notes
    type: multi-valued
    attributes: [{name: Text, type: string}]
    unique: []
`),
		want:  []string{`a.yaml:3:5: warning: multi-valued extension "Notes" has no unique item, so its records cannot be addressed by unique values; add unique: [<Attribute>]`},
		valid: true,
	},

	// Identification keys.
	{
		name: "key without attributes",
		files: one(`
identification_keys:
  - name: K1
  - name: K2
    attributes: []
`),
		want: []string{
			`a.yaml:3:5: identification key "K1" has no attributes; list at least one, in lookup order`,
			`a.yaml:5:17: identification key "K2" has no attributes; list at least one, in lookup order`,
		},
	},
	{
		name: "key attributes: repeats, unknown, mixed sources, dotted",
		files: one(`
profile:
  attributes:
    - {name: FirstName, type: string}
    - {name: LastName, type: string}
extensions:
  - name: Phone
    type: multi-valued
    attributes: [{name: PhoneNumber, type: string}]
    unique: [PhoneNumber]
identification_keys:
  - {name: K1, attributes: [FirstName, firstname]}
  - {name: K2, attributes: [FirstNam]}
  - {name: K3, attributes: [FirstName, PhoneNumber]}
  - {name: K4, source: Phone, attributes: [PhoneNumber, LastName]}
  - {name: K5, attributes: [Phone.PhoneNumber]}
`),
		want: []string{
			`a.yaml:12:40: attribute "firstname" appears twice in identification key "K1"; list each attribute once`,
			`a.yaml:13:29: attribute "FirstNam" of identification key "K2" is not an attribute of the profile; did you mean "FirstName"?`,
			`a.yaml:14:40: attribute "PhoneNumber" of identification key "K3" is not an attribute of the profile; it is in extension "Phone": set source: Phone (a key's attributes all come from its one source)`,
			`a.yaml:15:57: attribute "LastName" of identification key "K4" is not an attribute of extension "Phone"; it is a profile attribute, and a key never mixes profile and extension attributes`,
			`a.yaml:16:29: attribute "Phone.PhoneNumber" of identification key "K5": write source: Phone and the attribute alone (PhoneNumber); a key's attributes all come from its one source`,
		},
	},
	{
		name: "key source: none refused, unknown extension refused",
		files: one(`
extensions:
  - {name: contacts, type: single-valued, attributes: [{name: phone_number, type: string}]}
identification_keys:
  - {name: K1, source: none, attributes: [phone_number]}
  - {name: K2, source: contact, attributes: [phone_number]}
  - {name: K3, source: [contacts], attributes: [phone_number]}
`),
		want: []string{
			`a.yaml:5:24: source "none" of identification key "K1" is refused: manual identification tables cannot be managed declaratively; use source: profile or the name of an extension`,
			`a.yaml:6:24: source "contact" of identification key "K2" is neither profile nor a declared extension; did you mean "contacts"?`,
			`a.yaml:7:24: source must be a single value, not a list`,
		},
	},
	{
		name: "key attributes must be a list",
		files: one(`
profile:
  attributes: [{name: Email, type: string}]
identification_keys:
  - {name: K1, attributes: Email}
`),
		want: []string{
			`a.yaml:5:28: attributes of an identification key must be a list of attribute names, not "Email"; write attributes: [Email]`,
		},
	},

	// Unknown fields, at every level.
	{
		name: "unknown fields with suggestions",
		files: one(`
profiles: {}
profile:
  attribute: []
extensions:
  - name: E
    type: single-valued
    attrs: []
    attributes:
      - {name: A, type: string, lenght: 3}
identification_keys:
  - {name: K, extension: E, attributes: [A]}
`),
		want: []string{
			`a.yaml:2:1: unknown field "profiles" in schema file; known fields: profile, extensions, identification_keys; did you mean "profile"?`,
			`a.yaml:4:3: unknown field "attribute" in profile; known fields: attributes; did you mean "attributes"?`,
			`a.yaml:8:5: unknown field "attrs" in extension; known fields: name, type, attributes, unique, renamed_from`,
			`a.yaml:10:33: unknown field "lenght" in attribute; known fields: name, type, length, default, mandatory, encrypt, unique, renamed_from; did you mean "length"?`,
			`a.yaml:12:15: unknown field "extension" in identification key; known fields: name, source, attributes, unique; did you mean "source"?`,
			`a.yaml:12:42: attribute "A" of identification key "K" is not an attribute of the profile; it is in extension "E": set source: E (a key's attributes all come from its one source)`,
		},
	},
	{
		name: "field names are case-sensitive",
		files: one(`
profile:
  attributes:
    - {Name: A, type: string}
`),
		want: []string{
			`a.yaml:4:7: an attribute of the profile has no name; add name: <Name>`,
			`a.yaml:4:8: unknown field "Name" in attribute; known fields: name, type, length, default, mandatory, encrypt, unique, renamed_from; did you mean "name"?`,
		},
	},
	{
		name: "duplicate mapping keys",
		files: one(`
profile:
  attributes:
    - name: A
      type: string
      type: integer
profile:
  attributes: []
`),
		want: []string{
			`a.yaml:6:7: duplicate field "type" in attribute (first given at a.yaml:5:7); keep one`,
			`a.yaml:7:1: duplicate field "profile" in schema file (first given at a.yaml:2:1); keep one`,
		},
	},

	// renamed_from.
	{
		name: "renamed_from is a name",
		files: one(`
profile:
  attributes:
    - {name: A, type: string, renamed_from: 1a}
extensions:
  - {name: E, type: classifier, renamed_from: table}
`),
		want: []string{
			`a.yaml:4:45: renamed_from: name "1a" must start with a letter and hold only letters, digits and underscores`,
			`a.yaml:6:47: renamed_from: name "table" is a reserved word; choose another name`,
		},
	},
	{
		name: "renamed_from names a declared name, itself, or a name claimed twice",
		files: one(`
profile:
  attributes:
    - {name: A, type: string}
    - {name: B, type: string, renamed_from: a}
    - {name: C, type: string, renamed_from: C}
    - {name: D, type: string, renamed_from: Old}
    - {name: E, type: string, renamed_from: old}
    - {name: f, type: string, renamed_from: F}
extensions:
  - {name: X, type: classifier}
  - {name: Y, type: classifier, renamed_from: X}
`),
		want: []string{
			`a.yaml:5:45: profile attribute "B" is renamed from "a", but profile attribute "A" is still declared (at a.yaml:4:7); remove renamed_from or the old declaration`,
			`a.yaml:6:45: profile attribute "C" is renamed from itself; remove renamed_from`,
			`a.yaml:8:45: profile attribute "E" is renamed from "old", like profile attribute "D" (at a.yaml:7:45); only one of them can keep its data`,
			`a.yaml:12:47: extension "Y" is renamed from "X", but extension "X" is still declared (at a.yaml:11:5); remove renamed_from or the old declaration`,
		},
	},
	{
		name: "renamed_from within an extension's attributes",
		files: one(`
extensions:
  - name: E
    type: single-valued
    attributes:
      - {name: A, type: string}
      - {name: B, type: string, renamed_from: A}
`),
		want: []string{`a.yaml:7:47: attribute "B" in extension "E" is renamed from "A", but attribute "A" is still declared (at a.yaml:6:9); remove renamed_from or the old declaration`},
	},

	// Node kinds.
	{
		name:  "top level must be a mapping",
		files: one("- profile\n"),
		want:  []string{`a.yaml:1:1: a schema file must be a mapping of profile, extensions, identification_keys, not a list`},
	},
	{
		name: "wrong kinds everywhere",
		files: one(`
profile: [a]
extensions:
  name: E
identification_keys:
  - K
`),
		want: []string{
			`a.yaml:2:10: profile must be a mapping with attributes, not a list`,
			`a.yaml:4:3: extensions must be a list of extensions, not a mapping`,
			`a.yaml:6:5: an identification key must be a mapping with name and attributes, not "K"`,
		},
	},
	{
		name: "wrong kinds inside objects",
		files: one(`
profile:
  attributes:
    name: A
extensions:
  - name: [E]
    type: {a: b}
    attributes:
      - A
  - name: F
    type: single-valued
    attributes: {name: A}
`),
		want: []string{
			`a.yaml:4:5: attributes must be a list of attributes, not a mapping`,
			`a.yaml:6:11: name must be a single value, not a list`,
			`a.yaml:7:11: type must be a single value, not a mapping`,
			`a.yaml:9:9: an attribute of an extension must be a mapping with name and type, not "A"`,
			`a.yaml:12:17: attributes must be a list of attributes, not a mapping`,
		},
	},
	{
		name: "a key that is not a plain word",
		files: one(`
? [a, b]
: c
`),
		want: []string{`a.yaml:2:3: a key of a schema file must be a plain word, not a list`},
	},
	{
		name: "aliases are refused",
		files: one(`
profile:
  attributes:
    - &a {name: A, type: string}
extensions:
  - name: E
    type: single-valued
    attributes: [*a]
`),
		want: []string{`a.yaml:8:18: YAML aliases (*a) are not supported in schema files; write the value out`},
	},

	// Files.
	{
		name: "empty, comment-only and null files declare nothing",
		files: map[string]string{
			"a.yaml": "",
			"b.yaml": "# nothing yet\n",
			"c.yaml": "~\n",
			"d.yaml": "---\n---\n",
			"e.yaml": "profile:\nextensions:\nidentification_keys:\n",
		},
		valid: true,
	},
	{
		name:  "syntax error on a later line",
		files: one("profile:\n  attributes: []\nextensions: x\n  y: z\n"),
		want:  []string{`a.yaml:4:1: invalid YAML: mapping values are not allowed in this context`},
	},
	{
		name:  "parser error in a nested list",
		files: one("profile:\n  attributes: []\nextensions:\n  - name: A\n   type: classifier\n"),
		want:  []string{`a.yaml:4:1: invalid YAML: did not find expected '-' indicator`},
	},
	{
		name:  "parser error (yaml.v3 counts these lines from 0)",
		files: one("x: 1\ny: 2\n- a\n"),
		want:  []string{`a.yaml:3:1: invalid YAML: did not find expected key`},
	},
	{
		name:  "syntax error on the first line",
		files: one("profile: attributes: []\n"),
		want:  []string{`a.yaml:1:1: invalid YAML: mapping values are not allowed in this context`},
	},
	{
		name:  "control character",
		files: one("profile:\n  attributes:\n    - {name: A\x01, type: string}\n"),
		want:  []string{`a.yaml:3:15: invalid YAML: control characters are not allowed`},
	},
	{
		name:  "unknown anchor",
		files: one("profile:\n  attributes: *x\n"),
		want:  []string{`a.yaml:2:15: invalid YAML: unknown anchor 'x' referenced`},
	},
	{
		name: "a syntax error in one file, problems in another",
		files: map[string]string{
			"a.yaml": "profile: [\n",
			"b.yaml": "extensions:\n  - {name: E}\n",
		},
		want: []string{
			`a.yaml:2:1: invalid YAML: did not find expected node content`,
			`b.yaml:2:5: extension "E" has no type; add type: one of single-valued, multi-valued, classifier`,
		},
	},
}

func TestRules(t *testing.T) {
	for _, tc := range ruleTests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := run(t, tc.files)
			if ok != tc.valid {
				t.Errorf("valid = %v, want %v; problems:\n%s", ok, tc.valid, strings.Join(got, "\n"))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTableAndIndexLimits: a table holds at most model.MaxColumns columns,
// the layout's own included (customer_id; record_id in a multi-valued
// extension), and an index at most model.MaxIndexColumns (a unique item's
// index also holds customer_id). The error is at the first attribute too
// many, or at the key's or item's list.
func TestTableAndIndexLimits(t *testing.T) {
	attrs := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "      - {name: a%d, type: integer}\n", i)
		}
		return b.String()
	}
	names := func(n int) string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("a%d", i))
		}
		return strings.Join(out, ", ")
	}
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"profile at the limit", "profile:\n  attributes:\n" + attrs(1599), nil},
		{"profile over the limit", "profile:\n  attributes:\n" + attrs(1600), []string{
			`a.yaml:1602:9: the profile has 1600 attributes, more than the 1599 its table can hold: a table has at most 1600 columns (PostgreSQL's limit), customer_id included; move attributes to an extension`}},
		{"single-valued at the limit", "extensions:\n  - name: X\n    type: single-valued\n    attributes:\n" + attrs(1599), nil},
		{"multi-valued over the limit", "extensions:\n  - name: X\n    type: multi-valued\n    unique: [a0]\n    attributes:\n" + attrs(1599), []string{
			`a.yaml:1604:9: extension "X" has 1599 attributes, more than the 1598 its table can hold: a table has at most 1600 columns (PostgreSQL's limit), customer_id and record_id included; move attributes to an extension`}},
		{"key and unique item at the limit", "extensions:\n  - name: X\n    type: multi-valued\n    unique: [[" + names(31) + "]]\n    attributes:\n" + attrs(32) +
			"identification_keys:\n  - {name: K, source: X, attributes: [" + names(32) + "]}\n", nil},
		{"key and unique item over the limit", "extensions:\n  - name: X\n    type: multi-valued\n    unique: [[" + names(32) + "]]\n    attributes:\n" + attrs(33) +
			"identification_keys:\n  - {name: K, source: X, attributes: [" + names(33) + "]}\n", []string{
			`a.yaml:4:14: unique item of extension "X" has 32 attributes, more than 31: its index also holds customer_id, and an index has at most 32 columns (PostgreSQL's limit)`,
			`a.yaml:40:38: identification key "K" has 33 attributes, more than 32: an index has at most 32 columns (PostgreSQL's limit)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := run(t, one(tc.yaml))
			if ok != (tc.want == nil) {
				t.Errorf("valid = %t, want %t", ok, tc.want == nil)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// manyExtensions declares n classifiers e0 … e(n-1), one a line.
func manyExtensions(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  - {name: e%d, type: classifier}\n", i)
	}
	return b.String()
}
