package catalog

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ctxschema/ctxschema/internal/model"
)

func ptr(s string) *string { return &s }

// testSchemas are schemas whose encodings decodeDocument must read itself.
func testSchemas() []*model.Schema {
	big := &model.Schema{Profile: []model.Attribute{{Name: "Name", Type: model.String, Length: 64, Mandatory: true}}}
	for i := range 20 {
		e := model.Extension{Name: fmt.Sprintf("E%02d", i), Type: model.MultiValued}
		for j := range 5 {
			e.Attributes = append(e.Attributes, model.Attribute{Name: fmt.Sprintf("A%d", j), Type: model.Integer, Default: ptr("-1"), Encrypt: j == 2})
		}
		if i%2 == 0 {
			e.Unique = [][]string{{"A0", "A1"}, {"A2"}}
			big.Keys = append(big.Keys, model.Key{Name: "K" + e.Name, Source: e.Name, Attributes: []string{"A3"}, Unique: true})
		}
		big.Extensions = append(big.Extensions, e)
	}
	return []*model.Schema{
		{},
		{Profile: []model.Attribute{{Name: "Title", Type: model.String, Default: ptr(""), Length: 10}, {Name: "Été", Type: model.Double, Default: ptr("0.5")}}},
		{Extensions: []model.Extension{{Name: "Empty", Type: model.SingleValued}}, Keys: []model.Key{{Name: "K", Source: model.ProfileSource, Attributes: []string{}}}},
		{Extensions: []model.Extension{{Name: "U", Type: model.MultiValued, Unique: [][]string{}}}},
		big,
	}
}

// decodeJSON is the document as json.Unmarshal reads it.
func decodeJSON(b []byte) (document, error) {
	var d document
	err := json.Unmarshal(b, &d)
	return d, err
}

func TestDecodeDocument(t *testing.T) {
	for i, s := range testSchemas() {
		b, err := Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := decodeDocument(b)
		if !ok {
			t.Errorf("schema %d: decodeDocument gave up on %s", i, b)
			continue
		}
		want, err := decodeJSON(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(want, got) {
			t.Errorf("schema %d: decodeDocument(%s) = %+v; json.Unmarshal gives %+v", i, b, got, want)
		}
	}
}

// TestDecodeDocumentGivesUp lists documents that json.Unmarshal reads
// differently from how they look, or not at all: decodeDocument must
// leave them to it.
func TestDecodeDocumentGivesUp(t *testing.T) {
	for _, b := range []string{
		` {"profile":[]}`,
		`{"profile":[]} `,
		`{"Profile":[]}`,
		`{"profile":null}`,
		`{"profile":[],"profile":[]}`,
		`{"profile":[{"name":"a\u0062"}]}`,
		`{"profile":[{"name":"a` + "\xff" + `"}]}`,
		`{"profile":[{"name":"a","length":1e2}]}`,
		`{"profile":[{"name":"a","length":01}]}`,
		`{"profile":[{"name":"a","length":1234567890123456789}]}`,
		`{"profile":[{"name":"a","default":null}]}`,
		`{"profile":[{"name":"a","other":1}]}`,
		`{"extensions":[{"name":"e","unique":[["a"],]}]}`,
		`{"keys":[{"unique":tru}]}`,
		`{"keys":[{"unique":true`,
	} {
		if d, ok := decodeDocument([]byte(b)); ok {
			t.Errorf("decodeDocument(%s) = %+v; want it to give up", b, d)
		}
	}
}

// FuzzDecodeDocument checks that whatever decodeDocument reads,
// json.Unmarshal reads the same:
//
//	go test ./internal/catalog -run '^$' -fuzz FuzzDecodeDocument -fuzztime 1m
func FuzzDecodeDocument(f *testing.F) {
	for _, s := range testSchemas() {
		b, err := Encode(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := decodeDocument(b)
		if !ok {
			return
		}
		want, err := decodeJSON(b)
		if err != nil {
			t.Fatalf("decodeDocument read %q, which json.Unmarshal refuses: %v", b, err)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("decodeDocument(%q) = %+v; json.Unmarshal gives %+v", b, got, want)
		}
	})
}

// TestDecodeRoundTrip checks that Decode gives back what Encode was
// given (an empty list and none encode alike).
func TestDecodeRoundTrip(t *testing.T) {
	for i, s := range testSchemas() {
		s.Sort()
		b, err := Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("schema %d: Decode(Encode(s)) differs from s (-want +got):\n%s", i, diff)
		}
	}
}

// BenchmarkDecode decodes the document of 500 extensions of 12 attributes:
// decodeDocument against json.Unmarshal, which it stands in for.
func BenchmarkDecode(b *testing.B) {
	s := &model.Schema{}
	for i := range 500 {
		e := model.Extension{Name: fmt.Sprintf("E%03d", i), Type: model.MultiValued, Unique: [][]string{{"A00", "A01"}}}
		for j := range 12 {
			e.Attributes = append(e.Attributes, model.Attribute{Name: fmt.Sprintf("A%02d", j), Type: model.String, Length: 64, Default: ptr("x")})
		}
		s.Extensions = append(s.Extensions, e)
	}
	doc, err := Encode(s)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decodeDocument", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, ok := decodeDocument(doc); !ok {
				b.Fatal("decodeDocument gave up")
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := decodeJSON(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
