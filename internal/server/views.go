package server

import (
	"github.com/ctxschema/ctxschema/internal/model"
)

// The JSON views of the schema objects: the shapes a POST takes (so that
// what a GET answers can be sent back), with booleans as booleans and
// defaults as their canonical text. Their field names are part of the API.

type keyView struct {
	Name       string   `json:"name"`
	Source     string   `json:"source"`
	Attributes []string `json:"attributes"`
	Unique     bool     `json:"unique"`
}

type attributeView struct {
	Name      string  `json:"name"`
	Type      string  `json:"type"`
	Length    int     `json:"length,omitempty"`
	Default   *string `json:"default,omitempty"`
	Mandatory bool    `json:"mandatory"`
	Encrypt   bool    `json:"encrypt"`
}

type extensionView struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Attributes []attributeView `json:"attributes"`
	// Unique holds each unique item as a name, or a list of names for a
	// composite, as schema files write them.
	Unique []any `json:"unique"`
}

type profileView struct {
	Attributes []attributeView `json:"attributes"`
}

type createdView struct {
	Name string `json:"name"`
}

type modeView struct {
	Changed string `json:"server changed"`
}

type statusView struct {
	Mode        string `json:"mode"`
	Version     string `json:"version"`
	Database    string `json:"database"`
	Started     string `json:"started"`
	SystemTime  string `json:"system_time"`
	LastRequest string `json:"last_request,omitempty"`
	Requests    int64  `json:"requests"`
}

func keyOf(k model.Key) keyView {
	src := k.Source
	if src == "" {
		src = model.ProfileSource
	}
	return keyView{Name: k.Name, Source: src, Attributes: append([]string{}, k.Attributes...), Unique: k.Unique}
}

func attributesOf(as []model.Attribute) []attributeView {
	out := make([]attributeView, 0, len(as))
	for _, a := range as {
		v := attributeView{Name: a.Name, Type: string(a.Type), Default: a.Default, Mandatory: a.Mandatory, Encrypt: a.Encrypt}
		if a.Type == model.String {
			v.Length = a.Length
		}
		out = append(out, v)
	}
	return out
}

func extensionOf(e model.Extension) extensionView {
	v := extensionView{Name: e.Name, Type: string(e.Type), Attributes: attributesOf(e.Attributes), Unique: []any{}}
	for _, item := range e.Unique {
		if len(item) == 1 {
			v.Unique = append(v.Unique, item[0])
		} else {
			v.Unique = append(v.Unique, append([]string{}, item...))
		}
	}
	return v
}
