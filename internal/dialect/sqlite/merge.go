package sqlite

import (
	"fmt"

	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// RenderPlan implements dialect.PlanRenderer. It renders every step as
// Render does, except that a run of attribute updates on one table that
// each need a rebuild becomes one rebuild, done by the last step of the
// run: copying a large table once instead of once per changed attribute.
// The other steps of the run keep their place in the plan, with no SQL.
func (d *Dialect) RenderPlan(p *plan.Plan) ([]dialect.Rendered, error) {
	out := make([]dialect.Rendered, len(p.Steps))
	for i := 0; i < len(p.Steps); i++ {
		j := i
		for j+1 < len(p.Steps) && rebuildsTogether(p.Steps[i].Change, p.Steps[j+1].Change) {
			j++
		}
		if j == i {
			r := at(p, i)
			if err := r.render(r.change); err != nil {
				o := p.Steps[i].Change.Object()
				return nil, fmt.Errorf("rendering %s %q: %w", o.Kind, o.Name, err)
			}
			out[i] = dialect.Rendered{SQL: r.sql, Blocking: r.blocking}
			continue
		}
		first := deref(p.Steps[i].Change).(plan.UpdateAttribute)
		last := deref(p.Steps[j].Change).(plan.UpdateAttribute)
		conv := map[string]string{}
		for k := i; k <= j; k++ {
			c := deref(p.Steps[k].Change).(plan.UpdateAttribute)
			if c.From.Type != c.To.Type {
				conv[c.To.Column()] = convert(qualified(c.After.Name, c.From.Column()), c.From, c.To)
			}
		}
		r := at(p, i)
		r.rebuild(first.Before, last.After, conv)
		for k := i; k < j; k++ {
			out[k] = dialect.Rendered{Blocking: r.blocking}
		}
		out[j] = dialect.Rendered{SQL: r.sql, Blocking: r.blocking}
		i = j
	}
	return out, nil
}

// at is the renderer of step i of p, which knows the steps before it.
func at(p *plan.Plan, i int) *renderer {
	return &renderer{p: p, change: deref(p.Steps[i].Change), earlier: p.Steps[:i], looked: true, found: true}
}

// rebuilds reports whether a change is an attribute update that rebuilds
// its table.
func rebuilds(c plan.Change) bool {
	u, ok := deref(c).(plan.UpdateAttribute)
	return ok && rebuildsFor(u.From, u.To)
}

// rebuildsFor reports whether an attribute change rebuilds the table: its
// column changes, or its values do. A date and a datetime are both TEXT
// columns, yet a date's text is not a datetime's; integer and long values
// are the same.
func rebuildsFor(from, to model.Attribute) bool {
	sameValues := from.Type == to.Type || sqlType(from.Type) == "INTEGER" && from.Type != model.Boolean && sqlType(to.Type) == "INTEGER" && to.Type != model.Boolean
	return attributeColumn(from).sql() != attributeColumn(to).sql() || !sameValues
}

// rebuildsTogether reports whether b, following a, rebuilds the same table
// (so that one rebuild serves both).
func rebuildsTogether(a, b plan.Change) bool {
	if !rebuilds(a) || !rebuilds(b) {
		return false
	}
	return deref(a).(plan.UpdateAttribute).After.Name == deref(b).(plan.UpdateAttribute).Before.Name
}
