package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/plan"
)

// TestJSONRoundTrip checks NewDocument → Write → ReadDocument gives the
// same document back, and that writing it again gives the same bytes.
func TestJSONRoundTrip(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			doc := NewDocument(c.plan(), c.opts)
			var buf bytes.Buffer
			if err := doc.Write(&buf); err != nil {
				t.Fatal(err)
			}
			first := buf.String()
			got, err := ReadDocument(strings.NewReader(first))
			if err != nil {
				t.Fatalf("ReadDocument: %v", err)
			}
			if diff := cmp.Diff(doc, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			buf.Reset()
			if err := got.Write(&buf); err != nil {
				t.Fatal(err)
			}
			if buf.String() != first {
				t.Errorf("second encoding differs:\n%s\nvs\n%s", first, buf.String())
			}
		})
	}
}

// TestJSONView checks that the json format writes exactly the document.
func TestJSONView(t *testing.T) {
	o := Options{Format: JSON, Database: postgresURL, Dialect: "postgres"}
	var view, doc bytes.Buffer
	if err := Plan(&view, mixedPlan(), o); err != nil {
		t.Fatal(err)
	}
	if err := NewDocument(mixedPlan(), o).Write(&doc); err != nil {
		t.Fatal(err)
	}
	if view.String() != doc.String() {
		t.Errorf("the json view is not the document")
	}
	if strings.Contains(view.String(), `\u003c`) || !strings.Contains(view.String(), `<> ''`) {
		t.Errorf("HTML characters escaped in the JSON view")
	}
}

// TestJSONKeys pins the document's keys: renaming a Go field must not
// change them, and arrays are never null.
func TestJSONKeys(t *testing.T) {
	var buf bytes.Buffer
	if err := Plan(&buf, dataCheckPlan(), Options{Format: JSON, Refusal: refusalOf(dataCheckPlan(), plan.RefusedDataCheck)}); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, "document", raw, "format_version", "database", "dialect", "mode", "changes", "summary", "unmanaged", "refusal")
	wantKeys(t, "summary", raw["summary"].(map[string]any), "create", "update", "delete")
	wantKeys(t, "refusal", raw["refusal"].(map[string]any), "reason", "message", "flag")
	change := raw["changes"].([]any)[1].(map[string]any)
	wantKeys(t, "change", change, "action", "object", "description", "risk", "hazards", "sql", "after")
	wantKeys(t, "object", change["object"].(map[string]any), "kind", "name")
	hazard := change["hazards"].([]any)[0].(map[string]any)
	wantKeys(t, "hazard", hazard, "kind", "message", "rows", "values", "groups", "customers", "customer_ids")
	if hazard["kind"] != "data-check" || hazard["customers"] != float64(40) {
		t.Errorf("hazard = %v", hazard)
	}
}

// TestJSONArraysNeverNull checks every golden plan: arrays are [], never
// null; only the refusal and unmeasured counts may be null.
func TestJSONArraysNeverNull(t *testing.T) {
	for _, c := range goldenCases {
		var buf bytes.Buffer
		o := c.opts
		o.Format = JSON
		if err := Plan(&buf, c.plan(), o); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"changes", "unmanaged", "hazards", "sql", "after", "customer_ids"} {
			if strings.Contains(buf.String(), `"`+key+`": null`) {
				t.Errorf("%s: %q is null", c.name, key)
			}
		}
	}
}

func wantKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	var got []string
	for k := range m {
		got = append(got, k)
	}
	if diff := cmp.Diff(keys, got, cmpSorted); diff != "" {
		t.Errorf("%s keys (-want +got):\n%s", what, diff)
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

func TestReadDocumentRejects(t *testing.T) {
	for name, in := range map[string]string{
		"future version": `{"format_version": "2", "changes": []}`,
		"no version":     `{"changes": []}`,
		"not json":       `Plan: 1 to create`,
		"trailing data":  `{"format_version": "1"} {}`,
		"empty":          ``,
	} {
		if _, err := ReadDocument(strings.NewReader(in)); err == nil {
			t.Errorf("%s: ReadDocument accepted %q", name, in)
		}
	}
	_, err := ReadDocument(strings.NewReader(`{"format_version": "2"}`))
	if err == nil || !strings.Contains(err.Error(), `format_version "2" is not supported`) {
		t.Errorf("error = %v", err)
	}
	d, err := ReadDocument(strings.NewReader(`{"format_version": "1", "changes": [{"action": "create"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if d.Unmanaged == nil || d.Changes[0].Hazards == nil || d.Changes[0].SQL == nil || d.Changes[0].After == nil {
		t.Errorf("absent arrays came back nil: %+v", d)
	}
}
