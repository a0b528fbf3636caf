package plan

import (
	"context"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/internal/bench/gen"
	"github.com/ctxschema/ctxschema/internal/model"
)

// Build reads the catalog and never writes to it: apply reuses the state
// after the plan (Stamp, the convergence check). The catalog here is out
// of name order and carries positions and renamed_from, which Build's own
// copy sorts and clears; each plan changes what its current schema holds.
func TestBuildLeavesCatalogUnchanged(t *testing.T) {
	catalog := func() *model.Schema {
		s := base()
		s.Extensions = append(s.Extensions, model.Extension{
			Name: "Address", Type: model.SingleValued, Pos: model.Pos{File: "a.yaml", Line: 1, Col: 1},
			Attributes: []model.Attribute{attr("City", model.String), {Name: "Zip", Type: model.Integer, Default: str("0"), RenamedFrom: "Postcode"}},
		})
		s.Keys = append(s.Keys, model.Key{Name: "idCity", Source: "Address", Attributes: []string{"City"}})
		s.Keys[0], s.Keys[2] = s.Keys[2], s.Keys[0]
		return s
	}
	tests := []struct {
		name string
		edit func(*model.Schema)
	}{
		{name: "no changes", edit: func(*model.Schema) {}},
		{name: "drop an extension and a key", edit: func(s *model.Schema) {
			s.Extensions, s.Keys = s.Extensions[1:], s.Keys[:2]
			s.Keys[0], s.Keys[1] = s.Keys[1], s.Keys[0]
		}},
		{name: "renames", edit: func(s *model.Schema) {
			e := &s.Extensions[0]
			e.Name, e.RenamedFrom = "Phones", "Phone"
			e.Attributes[1].Name, e.Attributes[1].RenamedFrom = "Num", "PhoneNumber"
			e.Unique = [][]string{{"Num"}}
			for i := range s.Keys {
				if s.Keys[i].Source == "Phone" {
					s.Keys[i].Source, s.Keys[i].Attributes = "Phones", []string{"Num"}
				}
			}
		}},
		{name: "updates and additions", edit: func(s *model.Schema) {
			s.Profile[0].Length = 100
			s.Profile = append(s.Profile, attr("Title", model.String))
			s.Extensions[1].Type = model.MultiValued
			s.Extensions[1].Attributes[1].Default = str("1")
			s.Extensions[1].Unique = [][]string{{"City"}}
			s.Extensions = append(s.Extensions, model.Extension{Name: "Aaa", Type: model.Classifier, Attributes: []model.Attribute{attr("X", model.Integer)}})
			s.Keys[1].Attributes = []string{"EmailAddress", "FirstName"}
			s.Keys = append(s.Keys, model.Key{Name: "idFirst", Source: "profile", Attributes: []string{"FirstName"}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desired := catalog()
			tt.edit(desired)
			for _, noUpdate := range []bool{false, true} {
				st := live(catalog())
				st.Limits.NoUpdate = noUpdate
				want := st.Catalog.Clone()
				if _, err := Build(context.Background(), st, desired, &fakeData{}); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, st.Catalog); diff != "" {
					t.Errorf("no-update %t: Build changed the catalog (-before +after):\n%s", noUpdate, diff)
				}
			}
		})
	}
}

// bytesOf returns the bytes that f allocates, the mean of runs calls.
func bytesOf(runs int, f func()) uint64 {
	f() // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

// A no-op plan copies the schemas twice (the current schema that the
// steps move on, the plan's desired schema) and builds its look-ups: a
// little over three copies' worth. It allocated six when it also copied
// the catalog a second time and every attribute list once more, and built
// every table's live columns (issue 15).
func TestBuildNoChangeAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations")
	}
	s := gen.Schema(200, gen.DefaultSeed)
	st := live(s)
	ctx := context.Background()
	build := bytesOf(10, func() {
		p, err := Build(ctx, st, s, nil)
		if err != nil || len(p.Steps) > 0 {
			t.Fatalf("Build: %d steps, error %v; want none", len(p.Steps), err)
		}
	})
	clone := bytesOf(10, func() { s.Clone() })
	if limit := clone * 4; build > limit {
		t.Errorf("a no-op Build of %d extensions allocates %d bytes, %.1f copies of the schema (%d bytes each); want at most 4", len(s.Extensions), build, float64(build)/float64(clone), clone)
	}
}
