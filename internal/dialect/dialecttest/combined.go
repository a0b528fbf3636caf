package dialecttest

import "github.com/ctxschema/ctxschema/internal/model"

// combined lists transitions that change several related objects at once:
// renames with type or unique changes, type changes of extensions with
// their items, keys that move between sources.
func combined() []Case {
	return []Case{
		{Name: "rename and type change on one attribute", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			e := ext(s, "Phone")
			e.Attributes[2] = a("PhoneNo", model.Long)
			e.Attributes[2].RenamedFrom = "PhoneNumber"
			e.Unique = [][]string{{"PhoneNo"}}
			s.Keys[2].Attributes = []string{"PhoneNo"}
		}), Want: []string{"-> extension attribute Phone.PhoneNo", "~ extension attribute Phone.PhoneNo"}, Rows: seededRows,
			Query: `SELECT "phoneno" FROM "ext_phone" WHERE "phonetype" = 2`, Result: "5555678"},
		{Name: "rename extension and add unique item", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			e := ext(s, "Phone")
			e.Name, e.RenamedFrom = "Phones", "Phone"
			e.Unique = append(e.Unique, []string{"PhoneType", "prefix", "PhoneNumber"})
			s.Keys[2].Source = "Phones"
		}), Want: []string{"-> extension Phones", "+ extension unique Phones(PhoneType, prefix, PhoneNumber)"}, Rows: rows(map[string]int{"ext_phone": -1, "ext_phones": 4})},
		{Name: "rename extension and rename attribute in unique and key", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			e := ext(s, "Phone")
			e.Name, e.RenamedFrom = "Phones", "Phone"
			e.Attributes[2].Name, e.Attributes[2].RenamedFrom = "Num", "PhoneNumber"
			e.Unique = [][]string{{"Num"}}
			s.Keys[2].Source = "Phones"
			s.Keys[2].Attributes = []string{"Num"}
		}), Want: []string{"-> extension Phones", "-> extension attribute Phones.Num"}, Rows: rows(map[string]int{"ext_phone": -1, "ext_phones": 4})},
		{Name: "multi to single with unique dropped", From: Base(), Seed: append(append([]string(nil), seed...), `DELETE FROM "ext_phone" WHERE "phonetype" = 2`), To: edit(func(s *model.Schema) {
			e := ext(s, "Phone")
			e.Type = model.SingleValued
			e.Unique = nil
		}), Want: []string{"- extension unique Phone(PhoneNumber)", "~ extension Phone"}, Rows: rows(map[string]int{"ext_phone": 3})},
		{Name: "single to multi with renamed unique attribute", From: edit(func(s *model.Schema) {
			ext(s, "Address").Unique = [][]string{{"City"}}
		}), Seed: seed, To: edit(func(s *model.Schema) {
			e := ext(s, "Address")
			e.Type = model.MultiValued
			e.Attributes[0].Name, e.Attributes[0].RenamedFrom = "Town", "City"
			e.Unique = [][]string{{"Town"}}
		}), Want: []string{"-> extension attribute Address.Town", "~ extension Address"}, Rows: seededRows},
		{Name: "case-only renames", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			e := ext(s, "Phone")
			e.Name = "PHONE"
			e.Attributes[2].Name = "phonenumber"
			e.Unique = [][]string{{"phonenumber"}}
			s.Keys[2].Source = "PHONE"
			s.Keys[2].Attributes = []string{"phonenumber"}
			s.Profile[1].Name = "lastname"
			s.Keys[1].Attributes = []string{"lastname", "FirstName"}
		}), Want: []string{"~ extension PHONE", "~ profile attribute lastname", "~ extension attribute PHONE.phonenumber", "~ identification key idName", "~ identification key idPhone"}, Rows: seededRows},
		{Name: "key moves from deleted extension to profile", From: Base(), Seed: seed, AllowDestructive: true, To: edit(func(s *model.Schema) {
			s.Extensions = s.Extensions[1:]
			s.Keys[2].Source = "profile"
			s.Keys[2].Attributes = []string{"FirstName"}
		}), Want: []string{"- extension Phone", "-/+ identification key idPhone"}, Rows: rows(map[string]int{"ext_phone": -1})},
		{Name: "classifier to multi-valued", From: Base(), Seed: append(append([]string(nil), seed...), `INSERT INTO "ext_vip" ("customer_id") VALUES ('c1')`), To: edit(func(s *model.Schema) {
			e := ext(s, "Vip")
			e.Type = model.MultiValued
			e.Attributes = []model.Attribute{a("Level", model.Integer)}
			e.Unique = [][]string{{"Level"}}
		}), Want: []string{"~ extension Vip", "+ extension attribute Vip.Level", "+ extension unique Vip(Level)"}, Rows: rows(map[string]int{"ext_vip": 1})},
		{Name: "multi-valued to classifier", From: Base(), Seed: append(append([]string(nil), seed...), `DELETE FROM "ext_phone" WHERE "phonetype" = 2`), AllowDestructive: true, To: edit(func(s *model.Schema) {
			e := ext(s, "Phone")
			e.Type = model.Classifier
			e.Attributes = nil
			e.Unique = nil
			s.Keys = s.Keys[:2]
		}), Want: []string{"- identification key idPhone", "- extension unique Phone(PhoneNumber)", "~ extension Phone", "- extension attribute Phone.PhoneType", "- extension attribute Phone.prefix", "- extension attribute Phone.PhoneNumber", "- extension attribute Phone.start_availability"}, Rows: rows(map[string]int{"ext_phone": 3})},
		{Name: "type change under unique item", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			ext(s, "Phone").Attributes[2] = a("PhoneNumber", model.Long)
			ext(s, "Phone").Attributes[0].Type = model.Long
		}), Want: []string{"~ extension attribute Phone.PhoneType", "~ extension attribute Phone.PhoneNumber"}, Rows: seededRows},
		{Name: "delete attribute of replaced key, and rename other", From: Base(), Seed: seed, AllowDestructive: true, To: edit(func(s *model.Schema) {
			s.Profile = append(s.Profile[:1], s.Profile[2:]...)
			s.Profile[0].Name, s.Profile[0].RenamedFrom = "Given", "FirstName"
			s.Keys[1].Attributes = []string{"Given"}
			s.Keys[1].Unique = false
		}), Want: []string{"-> profile attribute Given", "- profile attribute LastName", "-/+ identification key idName"}, Rows: seededRows},
	}
}
