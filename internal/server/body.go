package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/schemafile"
)

// maxBody is the largest request body the server reads (413 beyond).
const maxBody = 1 << 20

// requestFile names the request body in the positions of the loader's
// problems; fieldPaths turns those positions into field paths.
const requestFile = "(request body)"

// readBody reads a JSON request body: 415 unless its Content-Type is
// application/json, 413 over maxBody (and the connection is closed after
// the answer, rather than reading the rest), 400 unless it is one JSON
// value.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		if ct == "" {
			ct = "none"
		}
		return nil, errorf(http.StatusUnsupportedMediaType, codeMediaType,
			"the request body must be JSON, sent with Content-Type: application/json (got %s)", ct)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			// The rest of the body is never read: close the connection
			// after the answer instead of draining it. (MaxBytesReader
			// does this itself only for the server's own writer, which
			// the access log wraps.)
			w.Header().Set("Connection", "close")
			return nil, err
		}
		return nil, errorf(http.StatusBadRequest, codeBadRequest, "reading the request body: %v", err)
	}
	if err := checkJSON(b); err != nil {
		return nil, err
	}
	return b, nil
}

// checkJSON refuses anything but one JSON value, saying where it breaks.
func checkJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	var v json.RawMessage
	err := dec.Decode(&v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			return errorf(http.StatusBadRequest, codeBadRequest, "the request body holds more than one JSON value; send one object")
		}
		return nil
	}
	var syntax *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, codeBadRequest, "the request body is empty; send a JSON object")
	case errors.As(err, &syntax):
		return errorf(http.StatusBadRequest, codeBadRequest, "the request body is not valid JSON: %v (at byte %d)", syntax, syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(http.StatusBadRequest, codeBadRequest, "the request body is not valid JSON: it ends too early")
	}
	return errorf(http.StatusBadRequest, codeBadRequest, "the request body is not valid JSON: %v", err)
}

// objectBody is a schema object sent as a request body, as the YAML node
// the schema-file loader checks (a JSON document is YAML), with the field
// path of every position in it.
type objectBody struct {
	node  *yaml.Node
	paths fieldPaths
}

// parseObject reads the body of a POST of a key or an extension.
func parseObject(w http.ResponseWriter, r *http.Request, kind schemafile.ObjectKind) (*objectBody, error) {
	b, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, errorf(http.StatusBadRequest, codeBadRequest, "the request body could not be read: %v", err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	body := &objectBody{node: root, paths: fieldPaths{}}
	body.paths.walk(root, "")
	if kind == schemafile.KeyObject {
		if err := sourceSynonym(root); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// name is the "name" the body gives, or "" when it gives none as text.
func (b *objectBody) name() string {
	if v := field(b.node, "name"); v != nil && v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" {
		return v.Value
	}
	return ""
}

// sourceSynonym reads an identification key's "extension" as its "source":
// the seed page's request sample writes {"extension": "contacts"} where its
// field table says source. Given both, they must agree.
func sourceSynonym(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return nil // the loader says what the body must be
	}
	var ext, src *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "extension":
			ext = n.Content[i]
		case "source":
			src = n.Content[i]
		}
	}
	if ext == nil {
		return nil
	}
	if src == nil {
		ext.Value = "source"
		return nil
	}
	ev, sv := field(n, "extension"), field(n, "source")
	if ev.Kind != yaml.ScalarNode || sv.Kind != yaml.ScalarNode || !strings.EqualFold(ev.Value, sv.Value) {
		return &httpError{status: http.StatusBadRequest, code: codeInvalidSchema,
			message: "the request body is not a valid schema object: 1 problem",
			problems: []Problem{{Field: "extension", Message: fmt.Sprintf(
				"extension %s and source %s disagree; extension is a synonym of source: give one of them", describeValue(ev), describeValue(sv))}}}
	}
	// The same source twice: keep source, drop extension.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i] == ext {
			n.Content = append(n.Content[:i:i], n.Content[i+2:]...)
			break
		}
	}
	return nil
}

func describeValue(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return fmt.Sprintf("%q", n.Value)
	}
	return "(not a name)"
}

// field returns the value of key in mapping n, or nil.
func field(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// fieldPaths maps the line and column of every node of a request body to
// its field path, so that the loader's problems, positioned as in a schema
// file, are addressed as API.md asks: "attributes[1].name".
type fieldPaths map[[2]int]string

func (p fieldPaths) walk(n *yaml.Node, path string) {
	at := [2]int{n.Line, n.Column}
	if _, seen := p[at]; !seen {
		p[at] = path
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			sub := k.Value
			if path != "" {
				sub = path + "." + k.Value
			}
			p.walk(k, sub)
			p.walk(n.Content[i+1], sub)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			p.walk(item, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

// problems turns the loader's problems into the API's, in order.
func (p fieldPaths) problems(ps *model.Problems) []Problem {
	var out []Problem
	for _, pr := range ps.List {
		if pr.Severity != model.SeverityError {
			continue
		}
		if pr.Pos.File != requestFile {
			// A problem of the declared schema the object joins.
			out = append(out, Problem{Message: pr.String()})
			continue
		}
		out = append(out, Problem{Field: p[[2]int{pr.Pos.Line, pr.Pos.Col}], Message: pr.Message})
	}
	return out
}
