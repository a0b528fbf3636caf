// Package gen generates ctxschema schemas and profile data at scale for the
// benchmarks in internal/bench: N extensions of 10 attributes of mixed
// types (half of them multi-valued with a composite unique item), 20
// profile attributes and N/2 identification keys, as a *model.Schema or as
// YAML schema files, and R rows of realistic profile data. Everything is
// deterministic: the same size and seed give the same schema and rows.
//
// The command in internal/bench/cmd/gen writes the files for people:
//
//	go run ./internal/bench/cmd/gen -n 100 -out DIR
package gen

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/ctxschema/ctxschema/internal/model"
)

// DefaultSeed is the seed of the benchmarks' schemas and data.
const DefaultSeed = 1

// EmailAttribute is the profile attribute whose values are unique (NULLs
// aside) in the generated data, and which no generated key covers: the
// unique-key benchmark adds UniqueEmailKey over it.
const EmailAttribute = "EmailAddress"

// AccountAttribute is the profile attribute whose values are unique (NULLs
// aside) in the generated data; the generated unique profile keys cover it.
const AccountAttribute = "AccountNumber"

// UniqueEmailKey is the unique identification key the benchmarks add to a
// generated schema: one unique index over the e-mail column of the profile.
func UniqueEmailKey() model.Key {
	return model.Key{Name: "idEmailUnique", Source: model.ProfileSource, Attributes: []string{EmailAttribute}, Unique: true}
}

// profileAttributes are the 20 attributes of the generated profile, in
// column order.
func profileAttributes() []model.Attribute {
	return []model.Attribute{
		str("FirstName", 64, false),
		str("LastName", 64, true),
		str(EmailAttribute, 256, false),
		str("PhoneNumber", 20, false),
		str("Title", 16, false),
		{Name: "BirthDate", Type: model.Date},
		{Name: "CustomerSince", Type: model.DateTime, Default: ptr("2001-01-01T00:00:00.000Z")},
		{Name: "Age", Type: model.Integer},
		{Name: "LoyaltyPoints", Type: model.Long, Default: ptr("0")},
		{Name: "Score", Type: model.Double},
		{Name: "Balance", Type: model.Currency, Default: ptr("0"), Mandatory: true},
		{Name: "VIP", Type: model.Boolean, Default: ptr("false"), Mandatory: true},
		{Name: "Newsletter", Type: model.Boolean},
		str("City", 32, false),
		str("Country", 32, false),
		str("PostCode", 10, false),
		{Name: "Language", Type: model.String, Length: 8, Default: ptr("en")},
		{Name: "Segment", Type: model.Integer, Default: ptr("0"), Mandatory: true},
		str(AccountAttribute, 32, false),
		str("Notes", 1000, false),
	}
}

// profileKeys are the shapes of the generated profile keys, cycled
// through. The unique ones cover AccountAttribute, whose data is unique.
var profileKeys = []struct {
	attrs  []string
	unique bool
}{
	{[]string{"LastName", "FirstName"}, false},
	{[]string{AccountAttribute}, true},
	{[]string{"PhoneNumber"}, false},
	{[]string{"PostCode", "City"}, false},
	{[]string{"Country", "Segment", "LastName"}, false},
}

// Schema returns the generated schema of n extensions (n >= 1) for seed,
// sorted like schemas.Load sorts. It passes every rule of the schema files.
func Schema(n int, seed uint64) *model.Schema {
	if n < 1 {
		n = 1
	}
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	s := &model.Schema{Profile: profileAttributes()}
	for i := range n {
		s.Extensions = append(s.Extensions, extension(r, i))
	}
	for j := range n / 2 {
		s.Keys = append(s.Keys, key(r, j, n))
	}
	s.Sort()
	return s
}

// ExtensionName is the name of the i-th generated extension.
func ExtensionName(i int) string { return fmt.Sprintf("Ext%04d", i) }

// extension generates the i-th extension: even ones multi-valued with a
// composite unique item, odd ones single-valued. The ten attributes cover
// every type; lengths, defaults and mandatory flags vary with r.
func extension(r *rand.Rand, i int) model.Extension {
	e := model.Extension{Name: ExtensionName(i), Type: model.SingleValued}
	e.Attributes = []model.Attribute{
		{Name: "Code", Type: model.String, Length: 8 + r.IntN(24), Mandatory: true},
		{Name: "Label", Type: model.String, Length: 32 + r.IntN(224)},
		{Name: "Quantity", Type: model.Integer, Default: maybe(r, strconv.Itoa(r.IntN(10)))},
		{Name: "Total", Type: model.Long},
		{Name: "Ratio", Type: model.Double, Default: maybe(r, "0.5")},
		{Name: "Amount", Type: model.Currency, Default: maybe(r, "12.5")},
		{Name: "ValidFrom", Type: model.Date},
		{Name: "UpdatedAt", Type: model.DateTime},
		{Name: "Active", Type: model.Boolean, Default: ptr("true"), Mandatory: r.IntN(2) == 0},
		{Name: "Remark", Type: model.String, Length: model.DefaultStringLength},
	}
	if i%2 == 0 {
		e.Type = model.MultiValued
		e.Unique = [][]string{{"Code", "ValidFrom"}}
	} else if r.IntN(3) == 0 {
		e.Unique = [][]string{{"Code"}} // catalog-only on a single-valued extension
	}
	return e
}

// key generates the j-th of the n/2 keys: every fifth on the profile, the
// others on an extension; a third of the extension keys are unique.
func key(r *rand.Rand, j, n int) model.Key {
	k := model.Key{Name: fmt.Sprintf("idKey%04d", j)}
	if j%5 == 0 {
		shape := profileKeys[(j/5)%len(profileKeys)]
		k.Source = model.ProfileSource
		k.Attributes = append([]string(nil), shape.attrs...)
		k.Unique = shape.unique
		return k
	}
	k.Source = ExtensionName((2*j + r.IntN(2)) % n)
	switch r.IntN(3) {
	case 0:
		k.Attributes = []string{"Code"}
		k.Unique = true
	case 1:
		k.Attributes = []string{"Label", "Quantity"}
	default:
		k.Attributes = []string{"Total", "UpdatedAt", "Code"}
	}
	return k
}

// Changed returns a copy of s with about 1% of its extensions changed (at
// least one): each changed extension gains one optional attribute, which
// plans as one in-place AddAttribute. It reports how many changed.
func Changed(s *model.Schema) (*model.Schema, int) {
	c := s.Clone()
	n := max(1, len(c.Extensions)/100)
	for i := range n {
		e := &c.Extensions[i*len(c.Extensions)/n]
		e.Attributes = append(e.Attributes, model.Attribute{Name: "Extra", Type: model.String, Length: 40})
	}
	return c, n
}

func str(name string, length int, mandatory bool) model.Attribute {
	return model.Attribute{Name: name, Type: model.String, Length: length, Mandatory: mandatory}
}

func ptr(s string) *string { return &s }

// maybe returns a default half of the time.
func maybe(r *rand.Rand, v string) *string {
	if r.IntN(2) == 0 {
		return nil
	}
	return &v
}
