package render

import (
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// The plans of the golden tests, built by hand as plan.Build would.

func str(s string) *string { return &s }

func attr(name string, t model.Type, length int) model.Attribute {
	return model.Attribute{Name: name, Type: t, Length: length}
}

func mandatory(a model.Attribute) model.Attribute { a.Mandatory = true; return a }

func withDefault(a model.Attribute, d string) model.Attribute { a.Default = str(d); return a }

var (
	firstName    = attr("FirstName", model.String, 64)
	lastName     = attr("LastName", model.String, 64)
	emailAddress = mandatory(attr("EmailAddress", model.String, 256))

	phoneType   = withDefault(mandatory(attr("PhoneType", model.Integer, 0)), "0")
	prefix      = withDefault(attr("prefix", model.String, 3), "555")
	phoneNumber = mandatory(attr("PhoneNumber", model.String, 15))
	startAvail  = attr("start_availability", model.DateTime, 0)

	phone = model.Extension{
		Name:       "Phone",
		Type:       model.MultiValued,
		Attributes: []model.Attribute{phoneType, prefix, phoneNumber, startAvail},
		Unique:     [][]string{{"PhoneNumber"}},
	}
	fax = model.Extension{
		Name:       "Fax",
		Type:       model.MultiValued,
		Attributes: []model.Attribute{attr("Number", model.String, 20), attr("Note", model.String, 255)},
	}

	idEmail = model.Key{Name: "idEmail", Source: "profile", Attributes: []string{"EmailAddress"}, Unique: true}
	idPhone = model.Key{Name: "idPhone", Source: "Phone", Attributes: []string{"PhoneNumber"}}
)

func profileTable(as ...model.Attribute) model.Table {
	return model.Table{Name: model.ProfileTable, Attributes: as}
}

func extTable(e model.Extension) model.Table {
	return model.Table{Name: e.Table(), Extension: &e, Attributes: e.Attributes}
}

// emptyPlan is a database that matches its files.
func emptyPlan() *plan.Plan { return &plan.Plan{Mode: model.Maintenance} }

// createPlan bootstraps a fresh SQLite database.
func createPlan() *plan.Plan {
	return &plan.Plan{
		Mode: model.Maintenance,
		Steps: []plan.Step{
			{
				Change: plan.CreateProfile{Table: profileTable(firstName, lastName, emailAddress)},
				SQL: []string{`CREATE TABLE "profile" (
  "customer_id" TEXT NOT NULL PRIMARY KEY CHECK (length("customer_id") <= 16),
  "firstname" TEXT CHECK (length("firstname") <= 64),
  "lastname" TEXT CHECK (length("lastname") <= 64),
  "emailaddress" TEXT NOT NULL CHECK (length("emailaddress") <= 256)
)`},
			},
			{
				Change: plan.CreateExtension{Extension: phone, Table: extTable(phone)},
				SQL: []string{`CREATE TABLE "ext_phone" (
  "record_id" INTEGER PRIMARY KEY,
  "customer_id" TEXT NOT NULL REFERENCES "profile" ("customer_id") ON DELETE CASCADE,
  "phonetype" INTEGER NOT NULL DEFAULT 0,
  "prefix" TEXT DEFAULT '555' CHECK (length("prefix") <= 3),
  "phonenumber" TEXT NOT NULL CHECK (length("phonenumber") <= 15),
  "start_availability" TEXT
);`,
					`CREATE UNIQUE INDEX "` + model.UniqueIndex("Phone", []string{"PhoneNumber"}) + `" ON "ext_phone" ("customer_id", "phonenumber");`},
			},
			{
				Change: plan.CreateKey{Key: idEmail},
				SQL:    []string{`CREATE UNIQUE INDEX "ik_idemail" ON "profile" ("emailaddress")`},
			},
			{
				Change: plan.CreateKey{Key: idPhone},
				SQL:    []string{`CREATE INDEX "ik_idphone" ON "ext_phone" ("phonenumber")`},
			},
		},
	}
}

// mixedPlan has every action and every kind of hazard, on PostgreSQL.
func mixedPlan() *plan.Plan {
	middleName := attr("MiddleName", model.String, 64)
	points := attr("LoyaltyPoints", model.Integer, 0)
	pointsLong := points
	pointsLong.Type = model.Long
	label := withDefault(attr("label", model.String, 32), "home|work")
	address := model.Extension{Name: "Address", Type: model.MultiValued, Attributes: []model.Attribute{attr("City", model.String, 32)}}
	addressSingle := address
	addressSingle.Type = model.SingleValued
	contacts := model.Extension{Name: "Contacts", Type: model.SingleValued}
	contact := contacts
	contact.Name = "Contact"
	idFax := model.Key{Name: "idFax", Source: "Fax", Attributes: []string{"Number"}}
	idPhoneNew := model.Key{Name: "idPhone", Source: "Phone", Attributes: []string{"prefix", "PhoneNumber"}, Unique: true}
	idLastName := model.Key{Name: "idLastName", Source: "profile", Attributes: []string{"LastName"}}
	idEmailLower := idEmail
	idEmailLower.Name = "idemail"
	item := []string{"PhoneNumber", "PhoneType"}
	uxName := model.UniqueIndex("Phone", item)

	return &plan.Plan{
		Mode: model.Maintenance,
		Steps: []plan.Step{
			{Change: plan.DeleteKey{Key: idFax}, SQL: []string{`DROP INDEX "ik_idfax"`}},
			{
				Change:  plan.DeleteExtension{Extension: fax, Table: extTable(fax)},
				Hazards: []plan.Hazard{{Kind: plan.Destructive, Message: "drops table ext_fax and its records", Rows: 1204, Values: 3310}},
				SQL:     []string{`DROP TABLE "ext_fax"`},
			},
			{
				Change:  plan.DeleteAttribute{Attribute: middleName},
				Hazards: []plan.Hazard{{Kind: plan.Destructive, Message: "drops column profile.middlename", Rows: 0, Values: 0}},
				SQL:     []string{`ALTER TABLE "profile" DROP COLUMN "middlename"`},
			},
			{
				Change: plan.RenameExtension{From: contacts, To: contact, Before: extTable(contacts), After: extTable(contact)},
				SQL:    []string{`ALTER TABLE "ext_contacts" RENAME TO "ext_contact"`},
			},
			{
				Change: plan.RenameAttribute{From: attr("Email", model.String, 256), To: emailAddress},
				SQL:    []string{`ALTER TABLE "profile" RENAME COLUMN "email" TO "emailaddress"`},
			},
			{
				Change: plan.AddAttribute{Extension: "Phone", Attribute: label},
				SQL:    []string{`ALTER TABLE "ext_phone" ADD COLUMN "label" varchar(32) DEFAULT 'home|work'`},
			},
			{
				Change:  plan.UpdateAttribute{From: points, To: pointsLong},
				Hazards: []plan.Hazard{{Kind: plan.Blocking, Message: "rewrites table profile", Rows: 12000, Values: -1, Groups: -1, Customers: -1}},
				SQL:     []string{`ALTER TABLE "profile" ALTER COLUMN "loyaltypoints" TYPE bigint`},
			},
			{
				Change: plan.UpdateAttribute{From: lastName, To: mandatory(lastName)},
				Hazards: []plan.Hazard{{
					Kind: plan.DataCheck, Message: "mandatory without a default, but some profiles have no value",
					Rows: 40, Customers: 40, CustomerIDs: []string{"c010", "c011", "c012", "c013", "c014"},
				}},
				SQL: []string{`ALTER TABLE "profile" ALTER COLUMN "lastname" SET NOT NULL`},
			},
			{
				Change: plan.UpdateExtension{From: address, To: addressSingle, Before: extTable(address), After: extTable(addressSingle)},
				Hazards: []plan.Hazard{
					{Kind: plan.DataCheck, Message: "single-valued, but customers hold several records", Customers: 3, CustomerIDs: []string{"c107", "c242", "c999"}},
					{Kind: plan.Blocking, Message: "rewrites table ext_address", Rows: 2500},
				},
				SQL: []string{`ALTER TABLE "ext_address" DROP COLUMN "record_id"`, `ALTER TABLE "ext_address" ADD PRIMARY KEY ("customer_id")`},
			},
			{
				Change: plan.AddUnique{Extension: "Phone", Item: item, Table: extTable(phone)},
				After:  []string{`CREATE UNIQUE INDEX CONCURRENTLY "` + uxName + `" ON "ext_phone" ("customer_id", "phonenumber", "phonetype")`},
			},
			{
				Change: plan.ReplaceKey{From: idPhone, To: idPhoneNew},
				Hazards: []plan.Hazard{{
					Kind: plan.DataCheck, Message: "unique key over duplicated values",
					Groups: 12, Customers: 31, CustomerIDs: []string{"c001", "c002", "c003", "c004", "c005"},
				}},
				SQL:   []string{`DROP INDEX "ik_idphone"`},
				After: []string{`CREATE UNIQUE INDEX CONCURRENTLY "ik_idphone" ON "ext_phone" ("prefix", "phonenumber")`},
			},
			{
				Change: plan.CreateKey{Key: idLastName},
				After:  []string{`CREATE INDEX CONCURRENTLY "ik_idlastname" ON "profile" ("lastname")`},
			},
			{Change: plan.UpdateKey{From: idEmailLower, To: idEmail}},
			{
				Change: plan.RepairTable{
					Table: extTable(address),
					Drift: []plan.Drift{
						{Kind: plan.MissingIndex, Table: "ext_address", Name: "ik_idcity", Want: `index ("city")`},
						{Kind: plan.ChangedColumn, Table: "ext_address", Name: "city", Want: "varchar(32)", Got: `text CHECK ("a" || "b" <> '')`},
					},
				},
				SQL: []string{`ALTER TABLE "ext_address" ALTER COLUMN "city" TYPE varchar(32)`, `CREATE INDEX "ik_idcity" ON "ext_address" ("city")`},
			},
		},
		Unmanaged: []plan.Drift{
			{Kind: plan.UnmanagedTable, Table: "audit_log"},
			{Kind: plan.UnmanagedTable, Table: "legacy_customers"},
		},
	}
}

// offlinePlan is a diff of two schema directories: nothing measured, no SQL.
func offlinePlan() *plan.Plan {
	return &plan.Plan{
		Steps: []plan.Step{
			{Change: plan.CreateExtension{Extension: phone, Table: extTable(phone)}},
			{
				Change:  plan.DeleteExtension{Extension: fax, Table: extTable(fax)},
				Hazards: []plan.Hazard{{Kind: plan.Destructive, Message: "drops table ext_fax and its records", Rows: -1, Values: -1, Groups: -1, Customers: -1}},
			},
			{Change: plan.CreateKey{Key: idPhone}},
		},
	}
}

// destructivePlan loses data in one step and nothing in another.
func destructivePlan() *plan.Plan {
	p := mixedPlan()
	p.Steps = append(p.Steps[1:3:3], p.Steps[5])
	p.Unmanaged = nil
	return p
}

// dataCheckPlan has steps whose data checks fail.
func dataCheckPlan() *plan.Plan {
	p := mixedPlan()
	p.Steps = []plan.Step{p.Steps[5], p.Steps[7], p.Steps[10]}
	p.Unmanaged = nil
	return p
}

// productionPlan is createPlan on a database in production mode.
func productionPlan() *plan.Plan {
	p := createPlan()
	p.Mode = model.Production
	return p
}
