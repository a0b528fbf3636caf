package planfile

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/render"
	"github.com/ctxschema/ctxschema/plan"
)

func sample() *plan.Plan {
	desired := &model.Schema{
		Profile: []model.Attribute{{Name: "FirstName", Type: model.String, Length: 64}},
		Keys:    []model.Key{{Name: "idFirst", Source: "profile", Attributes: []string{"FirstName"}}},
	}
	return &plan.Plan{
		Steps: []plan.Step{
			{Change: plan.CreateKey{Key: desired.Keys[0]}, Hazards: []plan.Hazard{{Kind: plan.Destructive, Rows: -1, Values: 3}}, SQL: []string{`CREATE INDEX "ik_idfirst" ON "profile" ("firstname")`}},
		},
		Current:     &model.Schema{},
		Desired:     desired,
		Mode:        model.Maintenance,
		Fingerprint: plan.Fingerprint{Catalog: "c", Physical: "p", Mode: "maintenance", Desired: "d"},
	}
}

func TestRoundTrip(t *testing.T) {
	p := sample()
	var buf bytes.Buffer
	doc := render.NewDocument(p, render.Options{Dialect: "sqlite", Database: "sqlite://x.db"})
	if err := Write(&buf, p, p.Desired, doc, false, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	f, desired, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p.Desired, desired); diff != "" {
		t.Errorf("desired (-want +got):\n%s", diff)
	}
	if f.Fingerprint != p.Fingerprint {
		t.Errorf("fingerprint %+v", f.Fingerprint)
	}
	if diff := cmp.Diff(doc, f.Plan); diff != "" {
		t.Errorf("document (-want +got):\n%s", diff)
	}
	if f.Database != "sqlite://x.db" || f.DatabaseRedacted {
		t.Errorf("database %q (redacted %v)", f.Database, f.DatabaseRedacted)
	}
}

// TestDatabaseRedacted: a plan made for a URL with a password keeps the
// redacted URL and says that it cannot be reopened from it.
func TestDatabaseRedacted(t *testing.T) {
	p := sample()
	var buf bytes.Buffer
	doc := render.NewDocument(p, render.Options{Dialect: "postgres", Database: "postgres://u:xxxxx@h/db"})
	if err := Write(&buf, p, p.Desired, doc, true, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	f, _, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if f.Database != "postgres://u:xxxxx@h/db" || !f.DatabaseRedacted {
		t.Errorf("database %q (redacted %v)", f.Database, f.DatabaseRedacted)
	}
}

func TestRefused(t *testing.T) {
	p := sample()
	var buf bytes.Buffer
	if err := Write(&buf, p, p.Desired, render.NewDocument(p, render.Options{}), false, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	for name, text := range map[string]string{
		"edited SQL":       strings.Replace(good, `ik_idfirst`, `ik_other`, 1),
		"edited desired":   strings.Replace(good, `name: FirstName`, `name: LastName`, 1),
		"not json":         "hello",
		"another document": `{"format_version": "1", "changes": []}`,
		"other version":    strings.Replace(good, `"format_version": "2",`, `"format_version": "9",`, 1),
		"version 1":        strings.Replace(good, `"format_version": "2",`, `"format_version": "1",`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			if text == good {
				t.Fatal("the edit did not change the file")
			}
			if _, _, err := Read(strings.NewReader(text)); !errors.Is(err, ErrNotPlan) {
				t.Errorf("Read = %v, want ErrNotPlan", err)
			}
		})
	}
}
