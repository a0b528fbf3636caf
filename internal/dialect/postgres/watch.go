package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
)

// The notification of catalog changes: a statement-level trigger on
// cs_schema, made by EnsureCatalog, runs a function that sends the schema
// (namespace) of the table on channel notifyChannel. A notification is
// delivered when the changing transaction commits, once per transaction.
const (
	notifyChannel  = "ctxschema_catalog"
	notifyFunction = catalog.SchemaTable + "_notify"
	notifyTrigger  = catalog.SchemaTable + "_notify"
)

var _ dialect.CatalogWatcher = (*Dialect)(nil)

// createNotify creates the trigger that notifies the changes of cs_schema.
// EnsureCatalog calls it only when the trigger does not exist: CREATE
// TRIGGER locks the table, and every apply calls EnsureCatalog.
func createNotify(ctx context.Context, q dialect.Querier) error {
	stmts := []string{
		`CREATE OR REPLACE FUNCTION "` + notifyFunction + `"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('` + notifyChannel + `', TG_TABLE_SCHEMA);
	RETURN NULL;
END
$$`,
		`CREATE TRIGGER "` + notifyTrigger + `" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "` + catalog.SchemaTable + `"
	FOR EACH STATEMENT EXECUTE FUNCTION "` + notifyFunction + `"()`,
	}
	for _, s := range stmts {
		if _, err := q.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("creating the catalog's trigger: %w", err)
		}
	}
	return nil
}

// CatalogWatched implements dialect.CatalogWatcher.
func (*Dialect) CatalogWatched(ctx context.Context, q dialect.Querier) (bool, error) {
	var ok bool
	err := q.QueryRowxContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_trigger
		WHERE tgrelid = to_regclass(quote_ident(current_schema()) || '.' || $1) AND tgname = $2 AND tgenabled IN ('O', 'A'))`,
		catalog.SchemaTable, notifyTrigger).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("looking for the catalog's trigger: %w", err)
	}
	return ok, nil
}

// WatchCatalog implements dialect.CatalogWatcher. Its connection is
// configured as db's (same server, user, search_path) but outside db's
// pool, and closed when it returns.
func (*Dialect) WatchCatalog(ctx context.Context, db *sqlx.DB, listening, changed func()) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("listening for catalog changes: %w", err)
	}
	var cfg *pgx.ConnConfig
	err = c.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("not a pgx connection")
		}
		cfg = sc.Conn().Config().Copy()
		// The copy would hand the notifications to sc's connection.
		cfg.OnNotification = nil
		return nil
	})
	c.Close()
	if err != nil {
		return fmt.Errorf("listening for catalog changes: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("listening for catalog changes: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx) //nolint:errcheck // the connection is done with either way
	}()
	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return fmt.Errorf("listening for catalog changes: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return fmt.Errorf("listening for catalog changes: %w", err)
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("listening for catalog changes: %w", err)
		}
		// Another schema's catalog, in the same database, is not ours.
		if n.Payload == schema {
			changed()
		}
	}
}
