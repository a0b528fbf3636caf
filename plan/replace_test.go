package plan

import (
	"context"
	"strings"
	"testing"

	"github.com/ctxschema/ctxschema/internal/model"
)

// noUpdate is the state of a target without an update (the Context
// Services API) holding live.
func noUpdate(live *model.Schema) *State {
	return &State{Catalog: live, Mode: model.Maintenance, Limits: Limits{NoUpdate: true, FixedProfile: true}}
}

// stepList renders steps as "symbol kind name [hazard kinds]".
func stepList(p *Plan) string {
	var out []string
	for _, s := range p.Steps {
		o := s.Change.Object()
		line := s.Change.Action().Symbol() + " " + string(o.Kind) + " " + o.Name
		for _, h := range s.Hazards {
			line += " [" + string(h.Kind) + "]"
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func TestBuildNoUpdate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(s *model.Schema)
		want string
	}{
		{"nothing", func(*model.Schema) {}, ""},
		{"attribute added: the extension is replaced with its key", func(s *model.Schema) {
			s.Extensions[0].Attributes = append(s.Extensions[0].Attributes, attr("Note", model.String))
		}, "-/+ extension Phone [destructive]"},
		{"unique item changed", func(s *model.Schema) {
			s.Extensions[0].Unique = nil
		}, "-/+ extension Phone [destructive]"},
		{"key changed: replaced, not destructive", func(s *model.Schema) {
			s.Keys[0].Unique = false
		}, "-/+ identification key idEmail"},
		{"extension deleted: its key goes first", func(s *model.Schema) {
			s.Extensions = nil
			s.Keys = s.Keys[:1]
		}, "- identification key idPhone\n- extension Phone [destructive]"},
		{"key moved off a deleted extension: deleted before, created after", func(s *model.Schema) {
			s.Extensions = nil
			s.Keys[1] = model.Key{Name: "idPhone", Source: "profile", Attributes: []string{"FirstName"}}
		}, "- identification key idPhone\n- extension Phone [destructive]\n+ identification key idPhone"},
		{"key moved onto a new extension: created after it", func(s *model.Schema) {
			s.Extensions = append(s.Extensions, model.Extension{Name: "Fax", Type: model.SingleValued, Attributes: []model.Attribute{attr("Number", model.String)}})
			s.Keys[0] = model.Key{Name: "idEmail", Source: "Fax", Attributes: []string{"Number"}}
		}, "+ extension Fax\n-/+ identification key idEmail"},
		{"renamed extension: replaced", func(s *model.Schema) {
			s.Extensions[0].Name, s.Extensions[0].RenamedFrom = "Phones", "Phone"
			s.Keys[1].Source = "Phones"
		}, "-/+ extension Phones [destructive]"},
		{"profile changed: named and inexpressible", func(s *model.Schema) {
			s.Profile = append(s.Profile, attr("Title", model.String))
			s.Profile[0].Length = 64
		}, "~ profile attribute FirstName [inexpressible]\n+ profile attribute Title [inexpressible]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			desired := base()
			tc.edit(desired)
			p, err := Build(context.Background(), noUpdate(base()), desired, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := stepList(p); got != tc.want {
				t.Fatalf("steps:\n%s\nwant:\n%s", got, tc.want)
			}
			for _, s := range p.Steps {
				if s.HasHazard(Destructive) && !s.NeedsAllowDestructive() {
					t.Errorf("%s: the records lost were not measured, yet it needs no --allow-destructive", stepList(&Plan{Steps: []Step{s}}))
				}
			}
		})
	}
}

func TestBuildNoUpdateRenamedFromNothing(t *testing.T) {
	desired := base()
	desired.Extensions[0].RenamedFrom = "Phones"
	desired.Extensions = append(desired.Extensions, model.Extension{Name: "Fax", Type: model.SingleValued, RenamedFrom: "Telefax", Attributes: []model.Attribute{attr("Number", model.String)}})
	if _, err := Build(context.Background(), noUpdate(base()), desired, nil); err == nil || !strings.Contains(err.Error(), `"Fax" is renamed_from "Telefax", but the server has no extension "Telefax"`) {
		t.Fatalf("err = %v", err)
	}
	// On a server with no extension yet, it bootstraps.
	empty := base()
	empty.Extensions, empty.Keys = nil, empty.Keys[:1]
	if _, err := Build(context.Background(), noUpdate(empty), desired, nil); err != nil {
		t.Fatal(err)
	}
}

func TestBuildNoUpdateReplaceCarriesKeys(t *testing.T) {
	desired := base()
	desired.Extensions[0].Attributes[0].Mandatory = true
	p, err := Build(context.Background(), noUpdate(base()), desired, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := p.Steps[0].Change.(ReplaceExtension)
	if !ok || len(r.Keys) != 1 || r.Keys[0].Name != "idPhone" || len(r.NewKeys) != 1 || r.NewKeys[0].Name != "idPhone" {
		t.Fatalf("the replace does not delete and create the key on it: %+v", p.Steps[0].Change)
	}
	if len(p.Inexpressible()) != 0 || len(p.Destructive()) != 1 {
		t.Fatalf("inexpressible %d, destructive %d", len(p.Inexpressible()), len(p.Destructive()))
	}
}
