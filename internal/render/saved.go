package render

import (
	"fmt"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// savedChange is a change read back from a plan document: what the views
// show of it, no more.
type savedChange struct {
	action   plan.Action
	object   plan.Object
	describe string
}

func (c savedChange) Action() plan.Action { return c.action }
func (c savedChange) Object() plan.Object { return c.object }
func (c savedChange) Describe() string    { return c.describe }

// actions lists every action, for reading one back by name.
var actions = []plan.Action{plan.Create, plan.Update, plan.Delete, plan.Replace, plan.Rename, plan.Repair}

// ViewOf rebuilds, from a plan document (a saved plan's), the plan and the
// options that the views render it with, so that `ctxschema show` prints a
// saved plan as `plan` printed it. The plan is for views only: its changes
// are not the typed changes a dialect renders, and it cannot be applied.
// The caller sets the format, colour and verbosity.
func ViewOf(d Document) (*plan.Plan, Options, error) {
	p := &plan.Plan{Mode: model.Mode(d.Mode)}
	for i, c := range d.Changes {
		a, ok := actionNamed(c.Action)
		if !ok {
			return nil, Options{}, fmt.Errorf("change %d of the plan has an unknown action %q", i+1, c.Action)
		}
		s := plan.Step{
			Change: savedChange{a, plan.Object{Kind: plan.ObjectKind(c.Object.Kind), Name: c.Object.Name}, c.Description},
			SQL:    c.SQL,
			After:  c.After,
		}
		for _, h := range c.Hazards {
			s.Hazards = append(s.Hazards, plan.Hazard{
				Kind: plan.HazardKind(h.Kind), Message: h.Message,
				Rows: unmeasured(h.Rows), Values: unmeasured(h.Values),
				Groups: unmeasured(h.Groups), Customers: unmeasured(h.Customers),
				CustomerIDs: h.CustomerIDs,
			})
		}
		p.Steps = append(p.Steps, s)
	}
	for _, u := range d.Unmanaged {
		p.Unmanaged = append(p.Unmanaged, plan.Drift{Kind: plan.DriftKind(u.Kind), Table: u.Table, Name: u.Name})
	}
	o := Options{Database: d.Database, Dialect: d.Dialect, Calls: d.Calls}
	if d.Refusal != nil {
		r := &plan.Refusal{Reason: plan.RefusalReason(d.Refusal.Reason)}
		switch r.Reason {
		case plan.RefusedDataCheck:
			r.Steps = p.Blocked()
		case plan.RefusedInexpressible:
			r.Steps = p.Inexpressible()
		case plan.RefusedDestructive:
			r.Steps = p.Destructive()
		}
		o.Refusal = r
	}
	return p, o, nil
}

func actionNamed(name string) (plan.Action, bool) {
	for _, a := range actions {
		if a.String() == name {
			return a, true
		}
	}
	return 0, false
}

// unmeasured is *n, or -1 when n is nil (not measured): the inverse of
// measured.
func unmeasured(n *int64) int64 {
	if n == nil {
		return -1
	}
	return *n
}
