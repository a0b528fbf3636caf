package postgres

import (
	"context"
	"fmt"

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
)

// Mode reads the recorded server mode alone, in two small queries: apply's
// first look before it takes the lock, which must not cost a whole
// Inspect. A database without a catalog is in maintenance mode.
func (d *Dialect) Mode(ctx context.Context, q dialect.Querier) (model.Mode, error) {
	var exists bool
	if err := q.QueryRowxContext(ctx, `SELECT to_regclass(quote_ident(current_schema()) || '.' || $1) IS NOT NULL`, catalog.MetaTable).Scan(&exists); err != nil {
		return "", fmt.Errorf("reading the server mode: %w", err)
	}
	if !exists {
		return model.Maintenance, nil
	}
	return catalog.ReadMode(ctx, q)
}
