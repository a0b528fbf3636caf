package apply

import (
	"context"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// PrepareDrift plans the repairs of drift alone, like Terraform's
// refresh-only plan: the desired schema is the one the catalog records, so
// the plan holds no unapplied change of the schema files, only what the
// database lost or changed outside ctxschema (an index dropped by hand, a
// column altered) and the unmanaged objects it lists. A database without a
// catalog has no recorded schema and so no drift: its plan is empty.
func PrepareDrift(ctx context.Context, t Target) (*plan.Plan, error) {
	if t.DB == nil {
		// A database that does not exist yet has nothing to drift.
		return &plan.Plan{Current: &model.Schema{}, Desired: &model.Schema{}, Mode: model.Maintenance}, nil
	}
	st, err := t.Dialect.Inspect(ctx, t.DB)
	if err != nil {
		return nil, err
	}
	if st.New || st.Catalog == nil {
		return &plan.Plan{Current: &model.Schema{}, Desired: &model.Schema{}, Mode: st.Mode}, nil
	}
	p, err := plan.Build(ctx, st, st.Catalog, t.Dialect.Data(t.DB))
	if err != nil {
		return nil, err
	}
	if err := Render(t.Dialect, p); err != nil {
		return nil, err
	}
	return p, nil
}
