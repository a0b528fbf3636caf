package server

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
)

// TestOpenAPI loads the description the server answers with an OpenAPI
// 3.1 library of its own and checks that it documents every route the
// server registers, and nothing else, and every error code toError gives.
func TestOpenAPI(t *testing.T) {
	tg := open(t, "sqlite://"+filepath.Join(t.TempDir(), "test.db"))
	cfg := singleConfig(tg)
	base, _ := serve(t, cfg)
	resp, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(b)
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetVersion(); v != "3.1.0" {
		t.Errorf("OpenAPI version %s, want 3.1.0", v)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("the description does not build (a broken $ref?): %v", err)
	}
	var documented []string
	for path, item := range m.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			documented = append(documented, strings.ToUpper(method)+" "+path)
			for code, r := range op.Responses.Codes.FromOldest() {
				if code >= "400" && (r.Content == nil || r.Content.GetOrZero("application/json") == nil) {
					t.Errorf("%s %s: answer %s has no JSON error body", method, path, code)
				}
			}
		}
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	registered := s.Routes()
	sort.Strings(documented)
	sort.Strings(registered)
	if strings.Join(documented, "\n") != strings.Join(registered, "\n") {
		t.Errorf("documented routes:\n%s\nregistered routes:\n%s", strings.Join(documented, "\n"), strings.Join(registered, "\n"))
	}

	// Every code of errors.go is in the Error schema's enum.
	src, err := os.ReadFile("errors.go")
	if err != nil {
		t.Fatal(err)
	}
	enum := map[string]bool{}
	for _, n := range m.Model.Components.Schemas.GetOrZero("Error").Schema().Properties.GetOrZero("error").Schema().Properties.GetOrZero("code").Schema().Enum {
		enum[n.Value] = true
	}
	for _, c := range regexp.MustCompile(`code\w+\s+= "(\w+)"`).FindAllStringSubmatch(string(src), -1) {
		if !enum[c[1]] {
			t.Errorf("error code %q is not in the Error schema's enum", c[1])
		}
		delete(enum, c[1])
	}
	for c := range enum {
		t.Errorf("the Error schema's enum has %q, which errors.go does not define", c)
	}
}
