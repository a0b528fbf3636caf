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
func PrepareDrift(ctx context.Context, b Backend) (*plan.Plan, error) {
	st, err := b.State(ctx)
	if err != nil {
		return nil, err
	}
	if st.New || st.Catalog == nil {
		return &plan.Plan{Current: &model.Schema{}, Desired: &model.Schema{}, Mode: st.Mode}, nil
	}
	// The backend plans from a fresh read of its state (and, for a SQL
	// database, with its data checks and SQL); a target that shows no
	// physical layout (the Context Services API) has no drift.
	return b.Plan(ctx, st.Catalog, false)
}
