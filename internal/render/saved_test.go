package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/plan"
)

// TestViewOfRendersTheSame: a plan read back from its JSON document (as
// `ctxschema show` reads a saved plan) renders exactly as the plan did, in
// every view and for every golden case.
func TestViewOfRendersTheSame(t *testing.T) {
	for _, c := range goldenCases {
		formats := c.formats
		if formats == nil {
			formats = Formats()
		}
		for _, f := range formats {
			t.Run(c.name+extensions[f], func(t *testing.T) {
				o := c.opts
				o.Refusal = refusalOf(c.plan(), c.refusal)
				var doc bytes.Buffer
				if err := NewDocument(c.plan(), o).Write(&doc); err != nil {
					t.Fatal(err)
				}
				read, err := ReadDocument(&doc)
				if err != nil {
					t.Fatal(err)
				}
				p, ro, err := ViewOf(read)
				if err != nil {
					t.Fatal(err)
				}
				if c.refusal == plan.RefusedStalePlan {
					// What moved is not part of the document.
					o.Refusal.Moved = ""
				}
				o.Format, ro.Format = f, f
				ro.Verbose, ro.Color = o.Verbose, o.Color
				var want, got bytes.Buffer
				if err := Plan(&want, c.plan(), o); err != nil {
					t.Fatal(err)
				}
				if err := Plan(&got, p, ro); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want.String(), got.String()); diff != "" {
					t.Errorf("read back (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestViewOfUnknownAction(t *testing.T) {
	d := NewDocument(createPlan(), Options{})
	d.Changes[0].Action = "explode"
	if _, _, err := ViewOf(d); err == nil || !strings.Contains(err.Error(), `"explode"`) {
		t.Errorf("ViewOf = %v, want an error naming the action", err)
	}
}

// TestRefusalAlone: a refusal shown without its plan lists each refused
// change with its counts and customer ids, in every format.
func TestRefusalAlone(t *testing.T) {
	r := refusalOf(dataCheckPlan(), plan.RefusedDataCheck)
	want := map[Format][]string{
		Text:     {"Refused (data check): 2 changes cannot succeed", "customers, e.g. "},
		Markdown: {"> **Refused (data check):**", "customers, e.g. "},
		JSON:     {`"format_version": "1"`, `"reason": "data-check"`},
		SQL:      {"-- Refused (data check)"},
	}
	for f, subs := range want {
		var buf bytes.Buffer
		if err := Refusal(&buf, *r, Options{Format: f}); err != nil {
			t.Fatal(err)
		}
		for _, s := range subs {
			if !strings.Contains(buf.String(), s) {
				t.Errorf("%s: %q not in\n%s", f, s, buf.String())
			}
		}
		checkLines(t, buf.String())
	}
}
