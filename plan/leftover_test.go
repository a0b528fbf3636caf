package plan

import (
	"context"
	"strings"
	"testing"

	"github.com/ctxschema/ctxschema/internal/model"
)

// TestLossTablesWithoutData: planned without a database, a plan names the
// live tables its destructive changes lose data of, under their live
// names, so that apply can lock them before it counts.
func TestLossTablesWithoutData(t *testing.T) {
	desired := base()
	desired.Profile = desired.Profile[:1] // deletes EmailAddress (and the key over it)
	desired.Extensions = nil              // deletes Phone
	desired.Keys = nil                    // the keys go with them
	p, err := Build(context.Background(), live(base()), desired, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.LossTables(), ","); got != "ext_phone,profile" {
		t.Errorf("LossTables() = %q, want ext_phone,profile", got)
	}
	p, err = Build(context.Background(), live(base()), base(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.LossTables(); len(got) != 0 {
		t.Errorf("a plan without losses locks %v", got)
	}
}

// TestLeftoverIndexAttached: a new key whose index name the database
// already holds, without the catalog recording it, carries that index.
func TestLeftoverIndexAttached(t *testing.T) {
	cur := base()
	cur.Keys = nil
	st := live(cur)
	st.Physical.Tables = []PhysicalTable{{Name: "profile", Indexes: []PhysicalIndex{{Name: "ik_idemail", Definition: "unique (emailaddress)"}}}}
	p, err := Build(context.Background(), st, base(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, s := range p.Steps {
		c, ok := s.Change.(CreateKey)
		if !ok {
			continue
		}
		switch {
		case c.Key.Name == "idEmail" && (s.Existing == nil || s.Existing.Name != "ik_idemail" || s.Existing.Valid):
			t.Errorf("the key's step carries %+v, want the invalid ik_idemail", s.Existing)
		case c.Key.Name == "idEmail":
			found = true
		case s.Existing != nil:
			t.Errorf("key %s carries %+v", c.Key.Name, s.Existing)
		}
	}
	if !found {
		t.Fatalf("no step creates idEmail: %v", p.Steps)
	}
}

// TestLossTablesTypeChange: a type change that can meet values that do
// not convert names its table too (it is narrowing, not destructive):
// apply locks it before the conversion check counts, so that a value
// written between the check and the change cannot escape the check.
func TestLossTablesTypeChange(t *testing.T) {
	desired := base()
	desired.Extensions[0].Attributes[0].Type = model.Boolean // PhoneType integer → boolean
	p, err := Build(context.Background(), live(base()), desired, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.LossTables(), ","); got != "ext_phone" {
		t.Errorf("LossTables() = %q, want ext_phone", got)
	}
	if len(p.Destructive()) != 0 {
		t.Errorf("a type change needs --allow-destructive: %v", p.Destructive())
	}
}
