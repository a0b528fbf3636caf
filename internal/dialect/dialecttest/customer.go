package dialecttest

import "github.com/ctxschema/ctxschema/internal/model"

// noItems is Base with Phone, multi-valued, stripped of its unique items:
// its table needs an index over customer_id alone (cx_phone).
func noItems() *model.Schema {
	return edit(func(s *model.Schema) { ext(s, "Phone").Unique = nil })
}

// customerIndex lists the transitions that create, keep, rename or drop the
// index over customer_id alone of a multi-valued extension without unique
// items (model.Table.CustomerIndex). Each ends with an empty plan only if
// the index is there exactly when the layout wants it.
func customerIndex() []Case {
	return []Case{
		{Name: "customer index: create multi-valued extension without unique items", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			s.Extensions = append(s.Extensions, model.Extension{Name: "Notes", Type: model.MultiValued,
				Attributes: []model.Attribute{a("Text", model.String)}})
		}), Want: []string{"+ extension Notes"}, Rows: rows(map[string]int{"ext_notes": 0})},
		{Name: "customer index: last unique item dropped", From: Base(), Seed: seed, To: noItems(),
			Want: []string{"- extension unique Phone(PhoneNumber)"}, Rows: seededRows},
		{Name: "customer index: first unique item added", From: noItems(), Seed: seed, To: Base(),
			Want: []string{"+ extension unique Phone(PhoneNumber)"}, Rows: seededRows},
		{Name: "customer index: last unique item dropped and extension renamed", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			e := ext(s, "Phone")
			e.Name, e.RenamedFrom, e.Unique = "Phones", "Phone", nil
			s.Keys[2].Source = "Phones"
		}), Want: []string{"- extension unique Phone(PhoneNumber)", "-> extension Phones"}, Rows: rows(map[string]int{"ext_phone": -1, "ext_phones": 4})},
		{Name: "customer index: extension renamed", From: noItems(), Seed: seed, To: edit(func(s *model.Schema) {
			e := ext(s, "Phone")
			e.Name, e.RenamedFrom, e.Unique = "Phones", "Phone", nil
			s.Keys[2].Source = "Phones"
		}), Want: []string{"-> extension Phones"}, Rows: rows(map[string]int{"ext_phone": -1, "ext_phones": 4})},
		{Name: "customer index: unique item replaced", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			ext(s, "Phone").Unique = [][]string{{"PhoneType", "PhoneNumber"}}
		}), Want: []string{"- extension unique Phone(PhoneNumber)", "+ extension unique Phone(PhoneType, PhoneNumber)"}, Rows: seededRows},
		{Name: "customer index: single-valued to multi-valued without unique items", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			ext(s, "Address").Type = model.MultiValued
		}), Want: []string{"~ extension Address"}, Rows: seededRows},
		{Name: "customer index: multi-valued without unique items to single-valued", From: noItems(), Seed: append(append([]string(nil), seed...), `DELETE FROM "ext_phone" WHERE "phonetype" = 2`), To: edit(func(s *model.Schema) {
			e := ext(s, "Phone")
			e.Type, e.Unique = model.SingleValued, nil
		}), Want: []string{"~ extension Phone"}, Rows: rows(map[string]int{"ext_phone": 3})},
		{Name: "drift: customer index dropped by hand", From: noItems(), Seed: seed, To: noItems(),
			Break: []string{`DROP INDEX "cx_phone"`}, Want: []string{"! drift ext_phone"}, Rows: seededRows},
	}
}
