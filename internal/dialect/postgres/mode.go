package postgres

import (
	"context"
	"fmt"

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
)

// CatalogExists implements dialect.CatalogProber: whether cs_meta and
// cs_history exist in the connection's schema (EnsureCatalog creates them
// together).
func (d *Dialect) CatalogExists(ctx context.Context, q dialect.Querier) (bool, error) {
	var exists bool
	err := q.QueryRowxContext(ctx, `SELECT to_regclass(quote_ident(current_schema()) || '.' || `+quoteLiteral(catalog.MetaTable)+`) IS NOT NULL
		AND to_regclass(quote_ident(current_schema()) || '.' || `+quoteLiteral(catalog.HistoryTable)+`) IS NOT NULL`, once).Scan(&exists)
	if err != nil {
		return false, fmt.Errorf("looking for the catalog: %w", err)
	}
	return exists, nil
}
