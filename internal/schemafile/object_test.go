package schemafile

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestAddObject checks one object sent alone, as the API sends it, against
// the declared schema it joins: the rules of the schema files apply, with
// their messages, positioned in the object's own text.
func TestAddObject(t *testing.T) {
	cur, err := Parse(map[string][]byte{"s.yaml": []byte(`
profile:
  attributes:
    - { name: Email, type: string }
extensions:
  - name: Phone
    type: multi-valued
    attributes:
      - { name: PhoneNumber, type: string, length: 15 }
    unique: [PhoneNumber]
`)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, kind, body, want string
	}{
		{"key on an extension", "identification_keys", `{"name":"idNumber","source":"phone","attributes":["phonenumber"],"unique":"true"}`, ""},
		{"key on the profile", "identification_keys", `{"name":"idMail","attributes":["Email"]}`, ""},
		{"extension", "extensions", `{"name":"Pets","type":"single-valued","attributes":[{"name":"kind","type":"string","length":"3"}]}`, ""},
		{"attribute elsewhere", "identification_keys", `{"name":"idX","attributes":["PhoneNumber"]}`,
			`body:1:29: attribute "PhoneNumber" of identification key "idX" is not an attribute of the profile; it is in extension "Phone": set source: Phone (a key's attributes all come from its one source)`},
		{"name taken", "extensions", `{"name":"PHONE","type":"classifier"}`,
			`body:1:1: duplicate extension "PHONE" (first defined as "Phone" at (declared schema):`},
		{"not a mapping", "identification_keys", `["idX"]`, `body:1:1: an identification key must be a mapping with name and attributes, not a list`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(tc.body), &n); err != nil {
				t.Fatal(err)
			}
			res, err := AddObject(cur.Schema, ObjectKind(tc.kind), &n, "body")
			if tc.want == "" {
				if err != nil {
					t.Fatalf("AddObject: %v", err)
				}
				if len(res.Schema.Keys)+len(res.Schema.Extensions) != 2 {
					t.Errorf("the object was not added: %+v", res.Schema)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("AddObject: %v\nwant: %s", err, tc.want)
			}
		})
	}
}
