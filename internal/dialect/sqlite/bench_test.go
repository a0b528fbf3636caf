package sqlite

import (
	"context"
	"fmt"
	"testing"

	"github.com/ctxschema/ctxschema/internal/model"
)

// benchSchema is the shape of PERFORMANCE.md: a 31-column profile and n
// extensions of 12 columns, half of them with a composite unique index, and
// n/2 further indexes.
func benchSchema(n int) *model.Schema {
	s := &model.Schema{}
	for i := range 30 {
		s.Profile = append(s.Profile, str(fmt.Sprintf("P%02d", i), 64))
	}
	for i := range n {
		e := model.Extension{Name: fmt.Sprintf("E%04d", i), Type: model.MultiValued}
		for j := range 10 {
			e.Attributes = append(e.Attributes, model.Attribute{Name: fmt.Sprintf("A%02d", j), Type: model.Integer, Default: ptr("0")})
		}
		if i%2 == 0 {
			e.Unique = [][]string{{"A00", "A01"}}
			s.Keys = append(s.Keys, model.Key{Name: "K" + e.Name, Source: e.Name, Attributes: []string{"A02"}})
		}
		s.Extensions = append(s.Extensions, e)
	}
	s.Sort()
	return s
}

func BenchmarkInspect500(b *testing.B) {
	db, _ := openTemp(b)
	s := benchSchema(500)
	apply(b, db, nil, s, createSteps(s)...)
	b.ResetTimer()
	for range b.N {
		if _, err := New().Inspect(context.Background(), db); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreate500(b *testing.B) {
	s := benchSchema(500)
	steps := createSteps(s)
	for range b.N {
		db, _ := openTemp(b)
		apply(b, db, nil, s, steps...)
		db.Close()
	}
}
