package httptarget

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ctxschema/ctxschema/internal/model"
)

// The shapes the server answers with, decoded leniently: what real servers
// send differs from the documented request bodies (DOMAIN.md, "What a real
// server answers"), and every difference is normalised here, in one place.

// flexBool is a boolean sent as true/false or as "true"/"false".
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case bool:
		*b = flexBool(x)
	case string:
		val, ok := model.ParseBool(x)
		if !ok {
			return fmt.Errorf("%q is not a boolean", x)
		}
		*b = flexBool(val)
	case nil:
		*b = false
	default:
		return fmt.Errorf("%s is not a boolean", data)
	}
	return nil
}

// flexInt is a number sent as a number or as a numeric string.
type flexInt int

func (n *flexInt) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case float64:
		*n = flexInt(int(x))
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil {
			return fmt.Errorf("%q is not a number", x)
		}
		*n = flexInt(i)
	case nil:
		*n = 0
	default:
		return fmt.Errorf("%s is not a number", data)
	}
	return nil
}

// flexText is a default value sent as a string, a number or a boolean.
type flexText struct {
	set  bool
	text string
}

func (t *flexText) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*t = flexText{}
	case string:
		*t = flexText{true, x}
	case bool:
		*t = flexText{true, strconv.FormatBool(x)}
	case float64:
		*t = flexText{true, strings.TrimSpace(string(data))}
	default:
		return fmt.Errorf("%s is not a default value", data)
	}
	return nil
}

// uniqueItem is one item of an extension's unique list: a name or a list
// of names.
type uniqueItem []string

func (u *uniqueItem) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*u = uniqueItem{strings.TrimSpace(one)}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return fmt.Errorf("%s is not an attribute name or a list of them", data)
	}
	for i := range many {
		many[i] = strings.TrimSpace(many[i])
	}
	*u = many
	return nil
}

type attributeDoc struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Length    flexInt  `json:"length"`
	Default   flexText `json:"default"`
	Mandatory flexBool `json:"mandatory"`
	Encrypt   flexBool `json:"encrypt"`
	// Unique is the per-attribute flag some servers list instead of the
	// extension's unique list.
	Unique flexBool `json:"unique"`
}

type extensionDoc struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Attributes []attributeDoc `json:"attributes"`
	Unique     []uniqueItem   `json:"unique"`
	// Required is listed by real servers and not explained by the docs;
	// it is read and ignored.
	Required flexBool `json:"required"`
}

type keyDoc struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	// Extension is the seed page's synonym of source.
	Extension  string   `json:"extension"`
	Attributes []string `json:"attributes"`
	Unique     flexBool `json:"unique"`
}

type statusDoc struct {
	Mode string `json:"mode"`
}

// attributeOf normalises one attribute: trimmed name, lower-case type,
// a length on strings only (the default length when none is listed), the
// default in its canonical text.
func attributeOf(where string, d attributeDoc) (model.Attribute, error) {
	a := model.Attribute{
		Name:      strings.TrimSpace(d.Name),
		Type:      model.Type(strings.ToLower(strings.TrimSpace(d.Type))),
		Mandatory: bool(d.Mandatory),
		Encrypt:   bool(d.Encrypt),
	}
	if !a.Type.Valid() {
		return a, fmt.Errorf("%s attribute %q: unknown type %q", where, a.Name, d.Type)
	}
	if a.Type == model.String {
		a.Length = int(d.Length)
		if a.Length <= 0 {
			a.Length = model.DefaultStringLength
		}
	}
	if d.Default.set {
		text, err := model.CanonicalDefault(a.Type, a.Length, d.Default.text)
		if err != nil {
			return a, fmt.Errorf("%s attribute %q: %v", where, a.Name, err)
		}
		a.Default = &text
	}
	return a, nil
}

// decodeProfile reads GET /metadata/profiles: {"attributes": [...]}, or
// the bare list.
func decodeProfile(body []byte) ([]model.Attribute, error) {
	var doc struct {
		Attributes []attributeDoc `json:"attributes"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		var list []attributeDoc
		if err2 := json.Unmarshal(body, &list); err2 != nil {
			return nil, fmt.Errorf("the profile schema: %v", err)
		}
		doc.Attributes = list
	}
	out := make([]model.Attribute, 0, len(doc.Attributes))
	for _, d := range doc.Attributes {
		a, err := attributeOf("profile", d)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// decodeExtensions reads GET /metadata/profiles/extensions. Unique items
// come from the extension's list and from attributes flagged unique, once
// each.
func decodeExtensions(body []byte) ([]model.Extension, error) {
	var docs []extensionDoc
	if err := json.Unmarshal(body, &docs); err != nil {
		return nil, fmt.Errorf("the extensions: %v", err)
	}
	out := make([]model.Extension, 0, len(docs))
	for _, d := range docs {
		e := model.Extension{Name: strings.TrimSpace(d.Name), Type: model.ExtensionType(strings.ToLower(strings.TrimSpace(d.Type)))}
		if !e.Type.Valid() {
			return nil, fmt.Errorf("extension %q: unknown type %q", e.Name, d.Type)
		}
		where := fmt.Sprintf("extension %q", e.Name)
		for _, ad := range d.Attributes {
			a, err := attributeOf(where, ad)
			if err != nil {
				return nil, err
			}
			e.Attributes = append(e.Attributes, a)
		}
		for _, item := range d.Unique {
			e.Unique = addItem(e.Unique, item)
		}
		for _, ad := range d.Attributes {
			if ad.Unique {
				e.Unique = addItem(e.Unique, []string{strings.TrimSpace(ad.Name)})
			}
		}
		out = append(out, e)
	}
	return out, nil
}

func addItem(items [][]string, item []string) [][]string {
	for _, it := range items {
		if model.SameItem(it, item) {
			return items
		}
	}
	return append(items, append([]string(nil), item...))
}

// decodeKeys reads GET /metadata/identification-keys. Real servers list no
// source: a key on an extension lists its attributes as
// "extension.attribute", which gives the source (named as the extension
// is declared); names are trimmed.
func decodeKeys(body []byte, exts []model.Extension) ([]model.Key, error) {
	var docs []keyDoc
	if err := json.Unmarshal(body, &docs); err != nil {
		return nil, fmt.Errorf("the identification keys: %v", err)
	}
	declared := map[string]string{}
	for _, e := range exts {
		declared[strings.ToLower(e.Name)] = e.Name
	}
	out := make([]model.Key, 0, len(docs))
	for _, d := range docs {
		k := model.Key{Name: strings.TrimSpace(d.Name), Unique: bool(d.Unique), Source: strings.TrimSpace(d.Source)}
		if k.Source == "" {
			k.Source = strings.TrimSpace(d.Extension)
		}
		for _, a := range d.Attributes {
			a = strings.TrimSpace(a)
			if ext, attr, ok := strings.Cut(a, "."); ok {
				ext, attr = strings.TrimSpace(ext), strings.TrimSpace(attr)
				if k.Source != "" && !strings.EqualFold(k.Source, ext) && !strings.EqualFold(k.Source, model.ProfileSource) {
					return nil, fmt.Errorf("identification key %q: attribute %q is not on its source %q", k.Name, a, k.Source)
				}
				k.Source, a = ext, attr
			}
			k.Attributes = append(k.Attributes, a)
		}
		if k.Source == "" || strings.EqualFold(k.Source, model.ProfileSource) {
			k.Source = model.ProfileSource
		} else if name, ok := declared[strings.ToLower(k.Source)]; ok {
			k.Source = name
		}
		out = append(out, k)
	}
	return out, nil
}

// modeOf reads GET /server/status.
func modeOf(body []byte) (model.Mode, error) {
	var s statusDoc
	if err := json.Unmarshal(body, &s); err != nil {
		return "", fmt.Errorf("the server status: %v", err)
	}
	m := model.Mode(strings.ToLower(strings.TrimSpace(s.Mode)))
	if !m.Valid() {
		return "", fmt.Errorf("the server status: unknown mode %q", s.Mode)
	}
	return m, nil
}
