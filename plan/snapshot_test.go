package plan

import (
	"context"
	"testing"
)

// The RenameExtension step keeps the unique items the extension had when it
// was renamed; a later attribute rename must not rewrite them.
func TestBuildStepsKeepTheirOwnState(t *testing.T) {
	desired := base()
	e := &desired.Extensions[0]
	e.Name, e.RenamedFrom = "Phones", "Phone"
	e.Attributes[1].Name, e.Attributes[1].RenamedFrom = "Num", "PhoneNumber"
	e.Unique = [][]string{{"Num"}}
	desired.Keys[1].Source, desired.Keys[1].Attributes = "Phones", []string{"Num"}
	p, err := Build(context.Background(), live(base()), desired, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Steps {
		if c, ok := s.Change.(RenameExtension); ok {
			t.Logf("From.Unique=%v Before.Unique=%v", c.From.Unique, c.Before.Extension.Unique)
			if c.From.Unique[0][0] != "PhoneNumber" {
				t.Errorf("RenameExtension.From.Unique = %v, want [[PhoneNumber]] (the items as they were when renamed)", c.From.Unique)
			}
		}
	}
}
