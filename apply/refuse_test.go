package apply_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// refusalPlan is a plan in mode m with a step of each hazard asked for.
func refusalPlan(m model.Mode, dataCheck, destructive bool) *plan.Plan {
	p := &plan.Plan{Mode: m, Fingerprint: plan.Fingerprint{Mode: string(m)}}
	p.Steps = append(p.Steps, plan.Step{Change: plan.CreateKey{Key: model.Key{Name: "idSafe"}}})
	if dataCheck {
		p.Steps = append(p.Steps, plan.Step{Change: plan.CreateKey{Key: model.Key{Name: "idEmail", Unique: true}},
			Hazards: []plan.Hazard{{Kind: plan.DataCheck, Rows: 2, Values: -1, Groups: 1, Customers: 2, CustomerIDs: []string{"c1", "c2"}}}})
	}
	if destructive {
		p.Steps = append(p.Steps, plan.Step{Change: plan.DeleteKey{Key: model.Key{Name: "idOld"}},
			Hazards: []plan.Hazard{{Kind: plan.Destructive, Rows: 3, Values: 3, Groups: -1, Customers: -1}}})
	}
	return p
}

// TestRefusePrecedence: when several refusals hold, Refuse returns the one
// a user must fix first: a failing data check (5) whatever the mode, then
// production mode (3), then a stale plan (5), then data loss without the
// flag (5).
func TestRefusePrecedence(t *testing.T) {
	prod, maint := model.Production, model.Maintenance
	tests := []struct {
		name                    string
		plan                    *plan.Plan
		allowDestructive, stale bool
		want                    plan.RefusalReason // "" for none
	}{
		{"data check in production", refusalPlan(prod, true, false), false, false, plan.RefusedDataCheck},
		{"data check and data loss in production", refusalPlan(prod, true, true), true, true, plan.RefusedDataCheck},
		{"data check in a stale plan", refusalPlan(maint, true, false), false, true, plan.RefusedDataCheck},
		{"data loss in production", refusalPlan(prod, false, true), false, false, plan.RefusedProduction},
		{"data loss allowed in production", refusalPlan(prod, false, true), true, false, plan.RefusedProduction},
		{"stale in production", refusalPlan(prod, false, false), false, true, plan.RefusedProduction},
		{"stale with data loss", refusalPlan(maint, false, true), false, true, plan.RefusedStalePlan},
		{"stale and empty", &plan.Plan{Mode: maint}, false, true, plan.RefusedStalePlan},
		{"data loss", refusalPlan(maint, false, true), false, false, plan.RefusedDestructive},
		{"data loss allowed", refusalPlan(maint, false, true), true, false, ""},
		{"production without changes", &plan.Plan{Mode: prod}, false, false, ""},
		{"nothing", refusalPlan(maint, false, false), false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := tt.plan.Fingerprint
			if tt.stale {
				saved.Catalog = "another"
			}
			err := apply.RefuseSaved(tt.plan, saved, tt.allowDestructive)
			r, ok := apply.RefusalOf(err)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !ok || r.Reason != tt.want {
				t.Fatalf("got %v (%q), want a %s refusal", err, r.Reason, tt.want)
			}
			if !tt.stale {
				if again := apply.Refuse(tt.plan, tt.allowDestructive); again == nil || again.Error() != err.Error() {
					t.Errorf("Refuse = %v, RefuseSaved = %v", again, err)
				}
			}
		})
	}
}

// TestRefusalCarriesCounts: a refusal error exposes the refused steps
// with their hazards, the same value the views render.
func TestRefusalCarriesCounts(t *testing.T) {
	err := apply.Refuse(refusalPlan(model.Production, true, true), true)
	var ue *apply.UnsafeError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v, want an *UnsafeError", err)
	}
	r, _ := apply.RefusalOf(err)
	if len(r.Steps) != 1 || r.Steps[0].Change.Object().Name != "idEmail" {
		t.Fatalf("steps %+v", r.Steps)
	}
	if hz := r.Hazards(r.Steps[0]); len(hz) != 1 || hz[0].Customers != 2 || len(hz[0].CustomerIDs) != 2 {
		t.Errorf("hazards %+v", hz)
	}
}

// TestRunRefusesDataCheckInProduction: Run itself, on a database in
// production mode, refuses a change that can never succeed as the data
// check it is (5), and a change that could as production mode (3).
func TestRunRefusesDataCheckInProduction(t *testing.T) {
	ctx := context.Background()
	tg := target(t, sqlite.New())
	if _, err := apply.SetMode(ctx, tg, model.Production, apply.Options{LockTimeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	desired := schema()
	desired.Keys = []model.Key{{Name: "idEmail", Source: "profile", Attributes: []string{"Email"}, Unique: true}}
	_, err := apply.Run(ctx, tg, desired, apply.Options{})
	var ue *apply.UnsafeError
	if !errors.As(err, &ue) || ue.Reason != apply.DataCheckFailed {
		t.Fatalf("got %v, want the data check's *UnsafeError", err)
	}
	if h := ue.Steps[0].Hazards; len(h) == 0 || h[len(h)-1].Customers != 2 {
		t.Errorf("hazards %+v, want the duplicates' counts", h)
	}

	desired = schema()
	desired.Keys = []model.Key{{Name: "idEmail", Source: "profile", Attributes: []string{"Email"}}}
	_, err = apply.Run(ctx, tg, desired, apply.Options{})
	var me *apply.ModeError
	if !errors.As(err, &me) {
		t.Fatalf("got %v, want *ModeError", err)
	}
}
