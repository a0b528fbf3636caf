package apply

import (
	"slices"

	"github.com/ctxschema/ctxschema/plan"
)

// moved names what changed since the plan o.Expect was made, or "" when
// nothing did. With o.AsShown, a plan p made under the lock from tables or
// indexes that changed since (the fingerprints differ in Physical alone)
// is still the plan shown, and moved is "", when it is o.Planned as the
// user saw it (samePlan): an index that an online build left invalid and
// the server finished meanwhile changes the state, not the plan.
func (o Options) moved(p *plan.Plan) string {
	if o.Expect == nil {
		return ""
	}
	what := o.Expect.Diff(p.Fingerprint)
	if what == "" || !o.AsShown || o.Planned == nil || o.Planned.Fingerprint != *o.Expect {
		return what
	}
	same := *o.Expect
	same.Physical = p.Fingerprint.Physical
	if same == p.Fingerprint && samePlan(o.Planned, p) {
		return ""
	}
	return what
}

// samePlan reports whether p, made under the lock from the same catalog,
// mode and desired schema as shown, is the plan shown: the same steps in
// the same order, each with the same description, hazards and SQL (see
// sameStep), and the same unmanaged objects (a DROP COLUMN takes the
// indexes made by hand over the column with it). Measured counts (rows,
// values) are not compared: the fingerprint never held them.
func samePlan(shown, p *plan.Plan) bool {
	return shown.Mode == p.Mode &&
		slices.EqualFunc(shown.Steps, p.Steps, sameStep) &&
		slices.Equal(shown.Unmanaged, p.Unmanaged)
}

// sameStep reports whether step b is step a as shown: the same change,
// hazards (kind, message and table) and SQL, in and after the transaction.
// One difference in SQL is the step as shown: a step that builds an index
// (a ready but not yet valid one left by an online build, dropped first,
// or none) which b adopts, since the index is now there, valid and exactly
// what the step builds (apply.Render's leftovers). b then runs nothing,
// and ends where a did.
func sameStep(a, b plan.Step) bool {
	if a.Change.Action() != b.Change.Action() || a.Change.Object() != b.Change.Object() ||
		a.Change.Describe() != b.Change.Describe() {
		return false
	}
	if !slices.EqualFunc(a.Hazards, b.Hazards, func(x, y plan.Hazard) bool {
		return x.Kind == y.Kind && x.Message == y.Message && x.Table == y.Table
	}) {
		return false
	}
	if slices.Equal(a.SQL, b.SQL) && slices.Equal(a.After, b.After) {
		return true
	}
	return adopts(b) && (a.Existing == nil || !a.Existing.Valid) && len(a.SQL)+len(a.After) > 0
}

// adopts reports whether s records the key of an index already in place
// (plan.Step's Existing, valid) and builds nothing.
func adopts(s plan.Step) bool {
	return s.Existing != nil && s.Existing.Valid && len(s.SQL) == 0 && len(s.After) == 0
}
