package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ctxschema/ctxschema/internal/dialect"
)

// Online index builds (CREATE INDEX CONCURRENTLY) run after the apply's
// transaction, because PostgreSQL refuses them inside a transaction block:
// the build commits several times while it waits for older transactions to
// finish, so that writers are never blocked. When such a build fails (a
// duplicate value for a unique index, a deadlock, a cancelled statement),
// it leaves an INVALID index behind: never used by queries, yet still
// updated on every write and, for a unique index, still rejecting duplicates
// among new rows. It also holds the name, so a rerun could not build it
// again. The apply therefore drops it, with the helpers below.

const invalidIndexesQuery = `
SELECT i.relname
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
WHERE n.nspname = current_schema() AND NOT x.indisvalid`

// DropInvalidIndex drops index name of the connection's schema if it is
// invalid, and does nothing when it is valid or missing. It runs DROP INDEX
// CONCURRENTLY, so q must not be a transaction (pass the *sqlx.DB): like the
// build, the concurrent drop cannot run in a transaction block, and it
// avoids locking the table against writers.
func (*Dialect) DropInvalidIndex(ctx context.Context, q dialect.Querier, name string) error {
	var n int
	err := q.QueryRowxContext(ctx, "SELECT count(*) FROM ("+invalidIndexesQuery+") v WHERE relname = $1", name).Scan(&n)
	if err != nil {
		return fmt.Errorf("checking index %q: %w", name, err)
	}
	if n == 0 {
		return nil
	}
	if _, err := q.ExecContext(ctx, "DROP INDEX CONCURRENTLY IF EXISTS "+quoteIdent(name)); err != nil {
		return fmt.Errorf("dropping the invalid index %q: %w", name, err)
	}
	return nil
}

// cleanupWait bounds how long DropInvalidIndexes waits for the builds of
// other sessions to end.
const cleanupWait = 30 * time.Second

// DropInvalidIndexes drops every invalid ik_ or ux_ index of the
// connection's schema (see DropInvalidIndex; q must not be a transaction).
// It implements dialect.IndexCleaner. Invalid indexes with other names
// were not made by ctxschema and are left alone.
func (d *Dialect) DropInvalidIndexes(ctx context.Context, q dialect.Querier) error {
	// A build cancelled by the client (Ctrl-C, SIGTERM) may still be
	// aborting in its server session: its index cannot be dropped until
	// that session let go of it.
	if err := waitForBuilds(ctx, q, time.Now().Add(cleanupWait), cleanupWait); err != nil {
		return err
	}
	var names []string
	if err := sqlxSelect(ctx, q, &names, invalidIndexesQuery+" ORDER BY 1"); err != nil {
		return fmt.Errorf("listing invalid indexes: %w", err)
	}
	var errs []error
	for _, n := range names {
		if strings.HasPrefix(n, "ik_") || strings.HasPrefix(n, "ux_") {
			errs = append(errs, d.DropInvalidIndex(ctx, q, n))
		}
	}
	return errors.Join(errs...)
}

func sqlxSelect(ctx context.Context, q dialect.Querier, dest *[]string, query string, args ...any) error {
	rows, err := q.QueryxContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		*dest = append(*dest, s)
	}
	return rows.Err()
}

// progressQuery reads the build of an index of the connection's schema
// (or of any, for ""), the oldest first. Its units depend on the phase:
// blocks while scanning the table, lockers while waiting for older
// transactions, tuples otherwise.
const progressQuery = `
SELECT p.phase,
       CASE WHEN p.phase LIKE 'waiting%' THEN p.lockers_done
            WHEN p.phase LIKE '%scanning table%' THEN p.blocks_done
            ELSE p.tuples_done END,
       CASE WHEN p.phase LIKE 'waiting%' THEN p.lockers_total
            WHEN p.phase LIKE '%scanning table%' THEN p.blocks_total
            ELSE p.tuples_total END
FROM pg_stat_progress_create_index p
LEFT JOIN pg_class i ON i.oid = p.index_relid
LEFT JOIN pg_namespace n ON n.oid = i.relnamespace
WHERE p.datname = current_database()
  AND ($1 = '' OR (i.relname = $1 AND n.nspname = current_schema()))
ORDER BY p.pid
LIMIT 1`

// Progress reports how far a running CREATE INDEX of index (or of any index
// of the database, for "") has come: the phase as PostgreSQL names it
// ("building index: scanning table", "waiting for old snapshots", ...) and
// done out of total units of that phase. It returns "" when no build runs.
// Call it on a connection other than the one building the index.
func (*Dialect) Progress(ctx context.Context, q dialect.Querier, index string) (phase string, done, total int64, err error) {
	err = q.QueryRowxContext(ctx, progressQuery, index).Scan(&phase, &done, &total)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, 0, nil
	}
	if err != nil {
		return "", 0, 0, fmt.Errorf("reading the progress of index builds: %w", err)
	}
	return phase, done, total, nil
}
