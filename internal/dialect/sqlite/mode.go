package sqlite

import (
	"context"
	"fmt"

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
)

// CatalogExists implements dialect.CatalogProber: whether cs_meta and
// cs_history exist (EnsureCatalog creates them together).
func (d *Dialect) CatalogExists(ctx context.Context, q dialect.Querier) (bool, error) {
	var n int
	err := q.QueryRowxContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)`, catalog.MetaTable, catalog.HistoryTable).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("looking for the catalog: %w", err)
	}
	return n == 2, nil
}
