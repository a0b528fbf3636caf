package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/plan"
)

// Server errors whose own message does not say what to do.
const (
	// lockNotAvailable: a statement waited longer than lock_timeout.
	lockNotAvailable = "55P03"
	// outOfMemory: "out of shared memory", the lock table is full.
	outOfMemory = "53200"
)

// explainedError puts a sentence before a server error and unwraps to it.
type explainedError struct {
	msg string
	err error
}

func (e *explainedError) Error() string { return e.msg + ": " + e.err.Error() }
func (e *explainedError) Unwrap() error { return e.err }

// explain adds to a lock timeout what was waited for, how long (timeout,
// as the server shows lock_timeout; "" when unknown) and how to wait
// longer; other errors, and errors explained already, are returned as they
// are.
func explain(err error, timeout string) error {
	var pg *pgconn.PgError
	var done *explainedError
	if !errors.As(err, &pg) || pg.Code != lockNotAvailable || errors.As(err, &done) {
		return err
	}
	if timeout == "" {
		timeout = "default 10s"
	}
	return &explainedError{err: err, msg: fmt.Sprintf("another session holds a lock on the table (an open transaction or a long query that uses it), and the apply waited for it longer than the lock_timeout of the database URL (%s); "+
		"let that session finish or end it (see pg_stat_activity), or wait longer with the URL parameter lock_timeout, e.g. ?lock_timeout=60s (0 waits forever)", timeout)}
}

// urlLockTimeout is the lock_timeout the URL gave the connections of db,
// as the server shows it (10s, 200ms), or "" when it cannot be read.
func urlLockTimeout(ctx context.Context, q dialect.Querier) string {
	var ms sql.NullInt64
	if q.QueryRowxContext(ctx, "SELECT current_setting($1, true)::bigint", lockTimeoutSetting).Scan(&ms) != nil || !ms.Valid {
		return ""
	}
	return (time.Duration(ms.Int64) * time.Millisecond).String()
}

// locksPerTable is how many entries of the server's lock table the apply's
// transaction takes for each table it creates or changes: the table, its
// indexes, identity sequence, TOAST table and index, and the objects
// behind its constraints (measured on PostgreSQL 15: 1,010 for a
// transaction creating 101 extension tables).
const locksPerTable = 10

// ExplainError implements dialect.ErrorExplainer. A lock timeout names
// what was waited for and the URL parameter that waits longer. "Out of
// shared memory" names max_locks_per_transaction and the value that lets
// the apply's one transaction lock every table of p: all changes run in
// one transaction, and the server's lock table holds
// max_locks_per_transaction × (max_connections + max_prepared_transactions)
// entries for all sessions together.
func (*Dialect) ExplainError(ctx context.Context, q dialect.Querier, p *plan.Plan, err error) error {
	var pg *pgconn.PgError
	var done *explainedError
	if !errors.As(err, &pg) || errors.As(err, &done) {
		return err
	}
	switch pg.Code {
	case lockNotAvailable:
		return explain(err, urlLockTimeout(ctx, q))
	case outOfMemory:
		if !strings.Contains(pg.Message, "shared memory") {
			return err
		}
	default:
		return err
	}
	tables := map[string]bool{}
	for _, s := range planSteps(p) {
		if len(s.SQL) > 0 {
			tables[plan.TableOf(s.Change)] = true
		}
	}
	need := int64(locksPerTable*len(tables) + 64)
	var perTx, backends int64
	settings := `SELECT current_setting('max_locks_per_transaction')::bigint,
	             current_setting('max_connections')::bigint + current_setting('max_prepared_transactions')::bigint`
	if q.QueryRowxContext(ctx, settings).Scan(&perTx, &backends) != nil || backends <= 0 {
		return &explainedError{err: err, msg: fmt.Sprintf("the apply's one transaction locks about %d tables, indexes and sequences (%d tables), more than the server's lock table holds; raise the server setting max_locks_per_transaction in postgresql.conf and restart the server, or apply the schema in smaller parts", need, len(tables))}
	}
	want := (need + backends - 1) / backends
	want = (want + 63) / 64 * 64 // a round number, and room to spare
	if want <= perTx {
		want = perTx * 2
	}
	return &explainedError{err: err, msg: fmt.Sprintf("the apply's one transaction locks about %d tables, indexes and sequences (%d tables), more than the server's lock table holds (max_locks_per_transaction %d × %d connections); raise the server setting max_locks_per_transaction to at least %d in postgresql.conf and restart the server, or apply the schema in smaller parts", need, len(tables), perTx, backends, want)}
}

var _ dialect.ErrorExplainer = (*Dialect)(nil)

func planSteps(p *plan.Plan) []plan.Step {
	if p == nil {
		return nil
	}
	return p.Steps
}
