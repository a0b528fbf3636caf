package dialecttest

import (
	"github.com/ctxschema/ctxschema/internal/model"
)

func str(s string) *string { return &s }

func a(name string, t model.Type) model.Attribute {
	at := model.Attribute{Name: name, Type: t}
	if t == model.String {
		at.Length = 255
	}
	return at
}

func sized(name string, n int) model.Attribute {
	return model.Attribute{Name: name, Type: model.String, Length: n}
}

// Base is the schema most cases start from: a profile, a multi-valued Phone
// with a unique number, a single-valued Address, a classifier, and keys on
// the profile and on Phone. Every call returns a fresh copy.
func Base() *model.Schema {
	mandatory := a("EmailAddress", model.String)
	mandatory.Mandatory = true
	mandatory.Default = str("none@example.com")
	phoneType := a("PhoneType", model.Integer)
	phoneType.Default = str("0")
	phoneType.Mandatory = true
	return &model.Schema{
		Profile: []model.Attribute{
			sized("FirstName", 64), sized("LastName", 64), mandatory,
			a("Birthday", model.Date), a("Score", model.Double),
		},
		Extensions: []model.Extension{
			{Name: "Phone", Type: model.MultiValued, Attributes: []model.Attribute{
				phoneType, {Name: "prefix", Type: model.String, Length: 3, Default: str("555")},
				sized("PhoneNumber", 15), a("start_availability", model.DateTime),
			}, Unique: [][]string{{"PhoneNumber"}}},
			{Name: "Address", Type: model.SingleValued, Attributes: []model.Attribute{
				a("City", model.String), sized("PostCode", 10), a("Balance", model.Currency), a("Active", model.Boolean),
			}},
			{Name: "Vip", Type: model.Classifier},
		},
		Keys: []model.Key{
			{Name: "idEmail", Source: "profile", Attributes: []string{"EmailAddress"}, Unique: true},
			{Name: "idName", Source: "profile", Attributes: []string{"LastName", "FirstName"}},
			{Name: "idPhone", Source: "Phone", Attributes: []string{"PhoneNumber"}},
		},
	}
}

// bigBalance is Base with the largest negative currency as the default of
// Address.Balance.
func bigBalance() *model.Schema {
	return edit(func(s *model.Schema) { ext(s, "Address").Attributes[2].Default = str("-999999999999999.9999") })
}

func edit(f func(s *model.Schema)) *model.Schema {
	s := Base()
	f(s)
	return s
}

func ext(s *model.Schema, name string) *model.Extension {
	for i := range s.Extensions {
		if s.Extensions[i].Name == name {
			return &s.Extensions[i]
		}
	}
	panic("dialecttest: no extension " + name)
}

// seed fills the base schema with three customers, four phones and two
// addresses.
var seed = []string{
	`INSERT INTO "profile" ("customer_id", "firstname", "lastname", "emailaddress", "score") VALUES ('c1', 'Ann', 'Lee', 'ann@example.com', 1.5)`,
	`INSERT INTO "profile" ("customer_id", "firstname", "lastname", "emailaddress") VALUES ('c2', 'Bob', 'Lee', 'bob@example.com')`,
	`INSERT INTO "profile" ("customer_id", "firstname", "emailaddress") VALUES ('c3', 'Cy', 'cy@example.com')`,
	`INSERT INTO "ext_phone" ("customer_id", "phonetype", "phonenumber") VALUES ('c1', 1, '5551234')`,
	`INSERT INTO "ext_phone" ("customer_id", "phonetype", "phonenumber") VALUES ('c1', 2, '5555678')`,
	`INSERT INTO "ext_phone" ("customer_id", "phonetype", "phonenumber") VALUES ('c2', 1, '5551234')`,
	`INSERT INTO "ext_phone" ("customer_id", "phonenumber") VALUES ('c3', '5550000')`,
	`INSERT INTO "ext_address" ("customer_id", "city", "postcode") VALUES ('c1', 'Paris', '75001')`,
	`INSERT INTO "ext_address" ("customer_id", "city") VALUES ('c2', 'Lyon')`,
}

var seededRows = map[string]int{"profile": 3, "ext_phone": 4, "ext_address": 2}

func rows(over map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range seededRows {
		out[k] = v
	}
	for k, v := range over {
		if v < 0 {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// Cases lists the conformance cases: one per kind of change, each over a
// database holding rows, then combined changes.
func Cases() []Case {
	return append(append(single(), combined()...), customerIndex()...)
}

func single() []Case {
	return []Case{
		{Name: "create from empty", From: &model.Schema{}, To: Base(),
			Want: []string{"+ profile attribute FirstName", "+ profile attribute LastName", "+ profile attribute EmailAddress", "+ profile attribute Birthday", "+ profile attribute Score", "+ extension Address", "+ extension Phone", "+ extension Vip", "+ identification key idEmail", "+ identification key idName", "+ identification key idPhone"},
		},
		{Name: "no changes", From: Base(), Seed: seed, To: Base(), Rows: seededRows},
		{Name: "create extension", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			s.Extensions = append(s.Extensions, model.Extension{Name: "Contacts", Type: model.MultiValued,
				Attributes: []model.Attribute{a("Channel", model.String), a("Value", model.String)}, Unique: [][]string{{"Channel", "Value"}}})
		}), Want: []string{"+ extension Contacts"}, Rows: rows(map[string]int{"ext_contacts": 0})},
		{Name: "delete extension", From: Base(), Seed: seed, AllowDestructive: true, To: edit(func(s *model.Schema) {
			s.Extensions = s.Extensions[1:]
			s.Keys = s.Keys[:2]
		}), Want: []string{"- identification key idPhone", "- extension Phone"}, Rows: rows(map[string]int{"ext_phone": -1})},
		{Name: "add profile attribute", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			s.Profile = append(s.Profile, a("Title", model.String))
		}), Want: []string{"+ profile attribute Title"}, Rows: seededRows,
			Query: `SELECT "firstname" FROM "profile" WHERE "customer_id" = 'c2'`, Result: "Bob"},
		{Name: "add mandatory attribute with default to extension with rows", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			at := a("Verified", model.Integer)
			at.Mandatory, at.Default = true, str("0")
			e := ext(s, "Phone")
			e.Attributes = append(e.Attributes, at)
		}), Want: []string{"+ extension attribute Phone.Verified"}, Rows: seededRows,
			Query: `SELECT count(*) FROM "ext_phone" WHERE "verified" = 0`, Result: "4"},
		{Name: "delete attribute", From: Base(), Seed: seed, AllowDestructive: true, To: edit(func(s *model.Schema) {
			s.Profile = append(s.Profile[:3], s.Profile[4])
		}), Want: []string{"- profile attribute Birthday"}, Rows: seededRows},
		{Name: "delete indexed attribute drops its key first", From: Base(), Seed: seed, AllowDestructive: true, To: edit(func(s *model.Schema) {
			s.Profile = append(s.Profile[:1], s.Profile[2:]...)
			s.Keys[1].Attributes = []string{"FirstName"}
		}), Want: []string{"- profile attribute LastName", "-/+ identification key idName"}, Rows: seededRows},
		{Name: "longer length", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			s.Profile[0].Length = 128
		}), Want: []string{"~ profile attribute FirstName"}, Rows: seededRows,
			Query: `SELECT "firstname" FROM "profile" WHERE "customer_id" = 'c1'`, Result: "Ann"},
		{Name: "shorter length that fits the data", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			s.Profile[0].Length = 10
		}), Want: []string{"~ profile attribute FirstName"}, Rows: seededRows},
		{Name: "type widened integer to long", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			ext(s, "Phone").Attributes[0].Type = model.Long
		}), Want: []string{"~ extension attribute Phone.PhoneType"}, Rows: seededRows,
			Query: `SELECT "phonetype" FROM "ext_phone" WHERE "phonenumber" = '5555678'`, Result: "2"},
		{Name: "type string to integer over convertible values", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			e := ext(s, "Phone")
			e.Attributes[2] = a("PhoneNumber", model.Long)
		}), Want: []string{"~ extension attribute Phone.PhoneNumber"}, Rows: seededRows,
			Query: `SELECT "phonenumber" FROM "ext_phone" WHERE "phonetype" = 2`, Result: "5555678"},
		{Name: "default changed", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			ext(s, "Phone").Attributes[1].Default = str("556")
		}), Want: []string{"~ extension attribute Phone.prefix"}, Rows: seededRows},
		{Name: "mandatory on where every row has a value", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			s.Profile[0].Mandatory = true
		}), Want: []string{"~ profile attribute FirstName"}, Rows: seededRows},
		{Name: "mandatory off and encrypt on", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			s.Profile[2].Mandatory = false
			s.Profile[1].Encrypt = true
		}), Want: []string{"~ profile attribute LastName", "~ profile attribute EmailAddress"}, Rows: seededRows},
		{Name: "single-valued to multi-valued", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			e := ext(s, "Address")
			e.Type = model.MultiValued
			e.Unique = [][]string{{"City"}}
		}), Want: []string{"~ extension Address", "+ extension unique Address(City)"}, Rows: seededRows,
			Query: `SELECT "city" FROM "ext_address" WHERE "customer_id" = 'c1'`, Result: "Paris"},
		{Name: "multi-valued to single-valued", From: Base(), Seed: append(append([]string(nil), seed...), `DELETE FROM "ext_phone" WHERE "phonetype" = 2`), To: edit(func(s *model.Schema) {
			ext(s, "Phone").Type = model.SingleValued
		}), Want: []string{"~ extension Phone"}, Rows: rows(map[string]int{"ext_phone": 3})},
		{Name: "classifier gains attributes", From: Base(), Seed: append(append([]string(nil), seed...), `INSERT INTO "ext_vip" ("customer_id") VALUES ('c1')`), To: edit(func(s *model.Schema) {
			e := ext(s, "Vip")
			e.Type = model.SingleValued
			e.Attributes = []model.Attribute{a("Level", model.Integer)}
		}), Want: []string{"~ extension Vip", "+ extension attribute Vip.Level"}, Rows: rows(map[string]int{"ext_vip": 1})},
		{Name: "unique item replaced", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			ext(s, "Phone").Unique = [][]string{{"PhoneType", "PhoneNumber"}}
		}), Want: []string{"- extension unique Phone(PhoneNumber)", "+ extension unique Phone(PhoneType, PhoneNumber)"}, Rows: seededRows},
		{Name: "create and delete keys", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			s.Keys = append(s.Keys[1:], model.Key{Name: "idCity", Source: "Address", Attributes: []string{"City", "PostCode"}, Unique: true})
		}), Want: []string{"- identification key idEmail", "+ identification key idCity"}, Rows: seededRows},
		{Name: "key order changed is a replace", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			s.Keys[1].Attributes = []string{"FirstName", "LastName"}
		}), Want: []string{"-/+ identification key idName"}, Rows: seededRows},
		{Name: "key made unique is a replace", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			s.Keys[1].Unique = true
			s.Keys[1].Attributes = []string{"FirstName"}
		}), Want: []string{"-/+ identification key idName"}, Rows: seededRows},
		{Name: "key source changed is a replace", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			s.Keys[1].Source = "Address"
			s.Keys[1].Attributes = []string{"City"}
		}), Want: []string{"-/+ identification key idName"}, Rows: seededRows},
		{Name: "rename attribute keeps values and keys", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			e := ext(s, "Phone")
			e.Attributes[2].Name, e.Attributes[2].RenamedFrom = "PhoneNo", "PhoneNumber"
			e.Unique = [][]string{{"PhoneNo"}}
			s.Keys[2].Attributes = []string{"PhoneNo"}
		}), Want: []string{"-> extension attribute Phone.PhoneNo"}, Rows: seededRows,
			Query: `SELECT "phoneno" FROM "ext_phone" WHERE "phonetype" = 2`, Result: "5555678"},
		{Name: "rename extension keeps records and keys", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			e := ext(s, "Phone")
			e.Name, e.RenamedFrom = "Phones", "Phone"
			s.Keys[2].Source = "Phones"
		}), Want: []string{"-> extension Phones"}, Rows: rows(map[string]int{"ext_phone": -1, "ext_phones": 4})},
		{Name: "rename profile attribute in a key", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			s.Profile[1].Name, s.Profile[1].RenamedFrom = "Surname", "LastName"
			s.Keys[1].Attributes = []string{"Surname", "FirstName"}
		}), Want: []string{"-> profile attribute Surname"}, Rows: seededRows,
			Query: `SELECT "surname" FROM "profile" WHERE "customer_id" = 'c1'`, Result: "Lee"},
		{Name: "drift: key index dropped by hand", From: Base(), Seed: seed, To: Base(),
			Break: []string{`DROP INDEX "ik_idname"`}, Want: []string{"! drift profile"}, Rows: seededRows},
		{Name: "drift: extension table dropped by hand", From: Base(), Seed: seed, To: Base(),
			Break: []string{`DROP TABLE "ext_address"`}, Want: []string{"! drift ext_address"}, Rows: rows(map[string]int{"ext_address": 0})},
		{Name: "drift: column dropped by hand", From: Base(), Seed: seed, To: Base(),
			Break: []string{`ALTER TABLE "profile" DROP COLUMN "score"`}, Want: []string{"! drift profile"}, Rows: seededRows},
		{Name: "drift: retyped column converts back", From: Base(), Seed: seed, To: Base(),
			Break: retype("profile", "score", "text"), Want: []string{"! drift profile"}, Rows: seededRows,
			Query: `SELECT CAST("score" AS TEXT) FROM "profile" WHERE "customer_id" = 'c1'`, Result: "1.5"},
		{Name: "drift: widened string column keeps trailing spaces", From: Base(), Seed: seed, To: Base(),
			Break: append(retype("ext_address", "postcode", "text"), `UPDATE "ext_address" SET "postcode" = '75001     ' WHERE "customer_id" = 'c1'`),
			Want:  []string{"! drift ext_address"}, Rows: seededRows,
			Query: `SELECT length("postcode") FROM "ext_address" WHERE "customer_id" = 'c1'`, Result: "10"},
		{Name: "currency default of 19 digits is exact", From: bigBalance(), Seed: seed, To: bigBalance(), Rows: seededRows,
			Query: `SELECT count(*) FROM "ext_address" WHERE "balance" = '-999999999999999.9999'`, Result: "2"},
		// A SQLite database made before currencies were canonical text
		// holds them in NUMERIC columns, as reals and integers.
		{Name: "drift: currency in a NUMERIC column becomes exact again", From: Base(), Seed: seed, To: Base(),
			Break: append(retype("ext_address", "balance", "NUMERIC"),
				`UPDATE "ext_address" SET "balance" = 12.5 WHERE "customer_id" = 'c1'`,
				`UPDATE "ext_address" SET "balance" = 5 WHERE "customer_id" = 'c2'`),
			Want: []string{"! drift ext_address"}, Rows: seededRows,
			Query: `SELECT count(*) FROM "ext_address" WHERE "balance" = '12.5' OR "balance" = '5'`, Result: "2"},
		{Name: "drift: unmanaged objects are left alone, even by a table rebuild", From: Base(), Seed: seed, To: edit(func(s *model.Schema) {
			s.Profile[0].Length = 128
		}), Break: []string{`CREATE TABLE "audit" ("id" integer)`, `CREATE INDEX "my_idx" ON "profile" ("score")`},
			Want: []string{"~ profile attribute FirstName"}, Rows: rows(map[string]int{"audit": 0}),
			Keep: []string{"audit", "profile.my_idx"}},
	}
}
