package plan

import (
	"testing"

	"github.com/ctxschema/ctxschema/internal/model"
)

// TestSchemaHash: the hash ignores positions and the order of extensions
// and keys, and sees every declared field, renamed_from included.
func TestSchemaHash(t *testing.T) {
	h := SchemaHash(base())
	same := base()
	same.Profile[0].Pos = model.Pos{File: "a.yaml", Line: 1, Col: 2}
	same.Keys[0], same.Keys[1] = same.Keys[1], same.Keys[0]
	if SchemaHash(same) != h {
		t.Error("positions or key order changed the hash")
	}
	edits := map[string]func(s *model.Schema){
		"attribute name":   func(s *model.Schema) { s.Profile[0].Name = "Given" },
		"attribute type":   func(s *model.Schema) { s.Profile[0].Type = model.Date },
		"length":           func(s *model.Schema) { s.Profile[0].Length = 12 },
		"default":          func(s *model.Schema) { s.Profile[0].Default = str("") },
		"mandatory":        func(s *model.Schema) { s.Profile[0].Mandatory = true },
		"encrypt":          func(s *model.Schema) { s.Profile[0].Encrypt = true },
		"attribute order":  func(s *model.Schema) { s.Profile[0], s.Profile[1] = s.Profile[1], s.Profile[0] },
		"extension type":   func(s *model.Schema) { s.Extensions[0].Type = model.SingleValued },
		"unique item":      func(s *model.Schema) { s.Extensions[0].Unique = [][]string{{"PhoneType", "PhoneNumber"}} },
		"no unique item":   func(s *model.Schema) { s.Extensions[0].Unique = nil },
		"key source":       func(s *model.Schema) { s.Keys[1].Source = "profile" },
		"key attributes":   func(s *model.Schema) { s.Keys[0].Attributes = []string{"FirstName"} },
		"key uniqueness":   func(s *model.Schema) { s.Keys[0].Unique = false },
		"extension gone":   func(s *model.Schema) { s.Extensions = nil },
		"extension rename": func(s *model.Schema) { s.Extensions[0].RenamedFrom = "Old" },
		"attribute rename": func(s *model.Schema) { s.Profile[0].RenamedFrom = "Forename" },
		"names run across": func(s *model.Schema) { s.Profile[0].Name, s.Profile[0].Type = "FirstNamestring", "" },
	}
	for name, edit := range edits {
		s := base()
		edit(s)
		if SchemaHash(s) == h {
			t.Errorf("%s: the hash did not change", name)
		}
	}
}

func TestPhysicalHash(t *testing.T) {
	p := func() Physical {
		return Physical{Tables: []PhysicalTable{{
			Name:    "profile",
			Columns: []PhysicalColumn{{Name: "a", Definition: "TEXT"}},
			Indexes: []PhysicalIndex{{Name: "ik_a", Definition: "(a)", Valid: true}},
		}}}
	}
	h := physicalHash(p())
	if physicalHash(p()) != h {
		t.Fatal("not deterministic")
	}
	edits := []func(p *Physical){
		func(p *Physical) { p.Tables[0].Columns[0].Definition = "INTEGER" },
		func(p *Physical) { p.Tables[0].Indexes[0].Valid = false },
		func(p *Physical) { p.Tables[0].Indexes = nil },
		func(p *Physical) { p.Tables = append(p.Tables, PhysicalTable{Name: "x"}) },
	}
	for i, edit := range edits {
		q := p()
		edit(&q)
		if physicalHash(q) == h {
			t.Errorf("edit %d did not change the hash", i)
		}
	}
}
