package sqlite

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
	var n int
	if err := q.QueryRowxContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, catalog.MetaTable).Scan(&n); err != nil {
		return "", fmt.Errorf("reading the server mode: %w", err)
	}
	if n == 0 {
		return model.Maintenance, nil
	}
	return catalog.ReadMode(ctx, q)
}
