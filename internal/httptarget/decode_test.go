package httptarget

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/internal/model"
)

func str(s string) *string { return &s }

// The documented real-server shapes normalise to the model the schema
// files give (DOMAIN.md, "What a real server answers").
func TestDecodeRealShapes(t *testing.T) {
	exts, err := decodeExtensions([]byte(`[
	 {"name":"Phone","type":"Multi-Valued","required":"false","attributes":[
	  {"name":"PhoneType","type":"integer","default":0,"mandatory":"true"},
	  {"name":"prefix","type":"string","length":"3","default":"555"},
	  {"name":"PhoneNumber","type":"integer","length":15,"mandatory":"true","unique":"true"},
	  {"name":"description","type":"string","mandatory":false},
	  {"name":"start_availabilty","type":"datetime"}]},
	 {"name":"Address","type":"single-valued","required":true,"unique":[["City","PostCode"]],"attributes":[
	  {"name":"City","type":"string","length":32},{"name":"PostCode","type":"string","length":"10"}]}]`))
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Extension{
		{Name: "Phone", Type: model.MultiValued, Unique: [][]string{{"PhoneNumber"}}, Attributes: []model.Attribute{
			{Name: "PhoneType", Type: model.Integer, Default: str("0"), Mandatory: true},
			{Name: "prefix", Type: model.String, Length: 3, Default: str("555")},
			{Name: "PhoneNumber", Type: model.Integer, Mandatory: true},
			{Name: "description", Type: model.String, Length: model.DefaultStringLength},
			{Name: "start_availabilty", Type: model.DateTime},
		}},
		{Name: "Address", Type: model.SingleValued, Unique: [][]string{{"City", "PostCode"}}, Attributes: []model.Attribute{
			{Name: "City", Type: model.String, Length: 32},
			{Name: "PostCode", Type: model.String, Length: 10},
		}},
	}
	if d := cmp.Diff(want, exts); d != "" {
		t.Fatalf("extensions (-want +got):\n%s", d)
	}
	keys, err := decodeKeys([]byte(`[
	 {"name":"idPhone","attributes":["phone.PhoneNumber"]},
	 {"name":"idBirth","unique":"true","attributes":["LastName"," birthdate"]},
	 {"name":"idSeed","extension":"Address","attributes":["City"]}]`), exts)
	if err != nil {
		t.Fatal(err)
	}
	wantKeys := []model.Key{
		{Name: "idPhone", Source: "Phone", Attributes: []string{"PhoneNumber"}},
		{Name: "idBirth", Source: "profile", Attributes: []string{"LastName", "birthdate"}, Unique: true},
		{Name: "idSeed", Source: "Address", Attributes: []string{"City"}},
	}
	if d := cmp.Diff(wantKeys, keys); d != "" {
		t.Fatalf("keys (-want +got):\n%s", d)
	}
}

func TestDecodeRefusesNonsense(t *testing.T) {
	for _, body := range []string{
		`[{"name":"X","type":"single-valued","attributes":[{"name":"a","type":"float"}]}]`,
		`[{"name":"X","type":"single-valued","attributes":[{"name":"a","type":"string","mandatory":"yes"}]}]`,
		`[{"name":"X","type":"single-valued","attributes":[{"name":"a","type":"string","length":"long"}]}]`,
		`[{"name":"X","type":"many","attributes":[]}]`,
		`{"name":"X"}`,
	} {
		if _, err := decodeExtensions([]byte(body)); err == nil {
			t.Errorf("%s: no error", body)
		}
	}
	if _, err := modeOf([]byte(`{"mode":"sleeping"}`)); err == nil {
		t.Error("an unknown mode was accepted")
	}
	if m, err := modeOf([]byte(`{"mode":"Production","version":"8.5"}`)); err != nil || m != model.Production {
		t.Errorf("mode %q, %v", m, err)
	}
}
