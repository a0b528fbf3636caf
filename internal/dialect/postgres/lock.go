package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/dialect"
)

// lockClass is the first half of the advisory lock's key ("ctxs"); the
// second is a hash of the schema, so that applies to different schemas of
// one database do not wait for each other.
const lockClass = 0x63747873

// lockPoll is how often a waiting apply tries the lock again.
const lockPoll = 250 * time.Millisecond

// Lock implements dialect.Dialect with a session-level advisory lock held
// on a connection taken out of the pool until Release. Being bound to the
// session, the lock is freed by the server when the holder's connection
// ends, so a crashed or killed apply never leaves it behind. The lock is
// a dialect.SessionLock: the apply runs its transaction, its online
// builds and their records on the lock's connection, which takes no other
// from the pool (each new one is a new backend), and a cancelled
// statement there is cancelled on the server, keeping the session and the
// lock. The holder is named from pg_locks and pg_stat_activity: its
// application_name (ctxschema, host and pid), client address, backend pid
// and times.
func (*Dialect) Lock(ctx context.Context, db *sqlx.DB, rawURL string, opts dialect.LockOptions) (dialect.Lock, error) {
	conn, err := db.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("taking the apply lock: %w", err)
	}
	schema, err := currentSchema(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("taking the apply lock: %w", err)
	}
	key := lockKey(schema)
	timeout := opts.Timeout
	deadline := time.Now().Add(timeout)
	waiting := opts.Waiting
	for {
		var ok bool
		if err := conn.GetContext(ctx, &ok, "SELECT pg_try_advisory_lock("+lockArgs(key)+")", once); err != nil {
			conn.Close()
			return nil, fmt.Errorf("taking the apply lock: %w", err)
		}
		if ok {
			setHolder(conn, true)
			l := &lock{conn: conn, key: key}
			if err := waitForBuilds(ctx, conn, deadline, timeout); err != nil {
				l.Release() //nolint:errcheck // the wait's error says more
				return nil, err
			}
			return l, nil
		}
		if waiting != nil {
			waiting(holderOf(ctx, conn, key))
			waiting = nil
		}
		if !time.Now().Before(deadline) {
			holder := holderOf(ctx, conn, key)
			conn.Close()
			return nil, &dialect.LockTimeoutError{Holder: holder, Timeout: timeout}
		}
		wait := min(lockPoll, time.Until(deadline))
		select {
		case <-ctx.Done():
			conn.Close()
			return nil, fmt.Errorf("waiting for the apply lock: %w", ctx.Err())
		case <-time.After(wait):
		}
	}
}

// currentSchema is the schema of conn: as Open read it on that
// connection (schemaKnown), or else as the server says.
func currentSchema(ctx context.Context, conn *sqlx.Conn) (string, error) {
	var schema string
	conn.Raw(func(dc any) error { //nolint:errcheck // it returns nil
		if pc, ok := pgConnOf(dc); ok {
			schema, _ = pc.CustomData()[schemaKnown].(string)
		}
		return nil
	})
	if schema != "" {
		return schema, nil
	}
	err := conn.GetContext(ctx, &schema, "SELECT current_schema()", once)
	return schema, err
}

// buildsQuery finds an index build running on a table of the connection's
// schema in another session: in the progress of CREATE INDEX, and, as that
// row goes before the statement ends (the index is not valid yet then), an
// active CREATE INDEX CONCURRENTLY of the database among the backends whose
// table is in the schema. Such a statement holds a SHARE UPDATE EXCLUSIVE
// lock on its table (or waits for it) from its start until just before its
// progress row goes; in the moments left, until it commits, it holds no
// lock on a relation, but the row of pg_index that marks its index valid
// is its uncommitted update, whose xmax is the backend's xid. Builds in
// other schemas are not waited for: applies to them do not wait for each
// other either (see lockKey). It calls the functions under
// pg_stat_progress_create_index, pg_stat_activity and pg_locks rather than
// the views, whose planning costs a new backend twice as much (param7 is
// the progress' index_relid); the second branch looks at pg_class, locks
// and pg_index only for an active CREATE INDEX CONCURRENTLY.
const buildsQuery = `
SELECT p.pid, coalesce(a.application_name, ''), coalesce(i.relname, ''), t.relname
FROM pg_stat_get_progress_info('CREATE INDEX') p
JOIN pg_class t ON t.oid = p.relid
LEFT JOIN pg_class i ON i.oid = p.param7::oid
LEFT JOIN LATERAL pg_stat_get_activity(p.pid) a ON true
WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND t.relnamespace = (SELECT quote_ident(current_schema())::regnamespace) AND p.pid <> pg_backend_pid()
UNION ALL
SELECT a.pid, coalesce(a.application_name, ''), '', ''
FROM pg_stat_get_activity(NULL) a
WHERE a.datid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND a.pid <> pg_backend_pid() AND a.state = 'active'
  AND a.query ~* '^\s*create\s+(unique\s+)?index\s+concurrently\s'
  AND EXISTS (SELECT FROM pg_class c
              WHERE c.relnamespace = (SELECT quote_ident(current_schema())::regnamespace)
                AND (c.oid IN (SELECT l.relation FROM pg_lock_status() l WHERE l.pid = a.pid AND l.locktype = 'relation' AND l.mode = 'ShareUpdateExclusiveLock')
                  OR c.oid IN (SELECT x.indexrelid FROM pg_index x WHERE x.xmax = a.backend_xid AND NOT x.indisvalid)))
ORDER BY 1
LIMIT 1`

// rowQuerier is a connection, a pool or a transaction.
type rowQuerier interface {
	QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row
}

// waitForBuilds waits, until deadline, for the index builds that other
// sessions run on the schema's tables to end. An apply killed during an
// online build (kill -9, a lost client) frees the apply lock at once, as
// its lock's session ends; but the server runs the build's statement to
// its end before it notices the client is gone. That build is still part
// of the killed apply: the next one must see the index it leaves (valid,
// adopted; or invalid, rebuilt) and not race it, for DROP INDEX and a
// build finishing on the same index fail with "tuple concurrently
// updated".
func waitForBuilds(ctx context.Context, conn rowQuerier, deadline time.Time, timeout time.Duration) error {
	for {
		var pid int
		var app, index, table string
		err := conn.QueryRowxContext(ctx, buildsQuery, once).Scan(&pid, &app, &index, &table)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("looking for running index builds: %w", err)
		}
		if !time.Now().Before(deadline) {
			holder := fmt.Sprintf("the build of index %q on table %q (server pid %d", index, table, pid)
			if table == "" { // seen in pg_stat_activity only: its last moments
				holder = fmt.Sprintf("an index build (server pid %d", pid)
			}
			if app != "" {
				holder += fmt.Sprintf(", %q", app)
			}
			holder += "), which an apply that was killed or lost its connection may have left running"
			return &dialect.LockTimeoutError{Holder: holder, Timeout: timeout}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for a running index build: %w", ctx.Err())
		case <-time.After(min(lockPoll, time.Until(deadline))):
		}
	}
}

// lockArgs are the two keys of the lock, as SQL.
func lockArgs(key int32) string {
	return strconv.Itoa(lockClass) + ", " + strconv.Itoa(int(key))
}

// lockKey hashes the schema name into the lock's second key (FNV-1a).
func lockKey(schema string) int32 {
	h := uint32(2166136261)
	for i := 0; i < len(schema); i++ {
		h ^= uint32(schema[i])
		h *= 16777619
	}
	return int32(h)
}

// holderQuery finds the session holding the lock, and whether it runs an
// online index build: the apply runs its builds on the lock's session, and
// the server runs the build of an apply that was killed on to its end,
// holding the lock until then. The two-key form of an advisory lock shows
// in pg_locks as classid, objid and objsubid 2.
const holderQuery = `
SELECT a.pid,
       coalesce(a.application_name, ''),
       coalesce(host(a.client_addr), ''),
       coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
       coalesce(a.state, ''),
       coalesce(to_char(a.state_change AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
       a.state = 'active' AND a.query ~* '^\s*create\s+(unique\s+)?index\s+concurrently\s'
FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid = $1::int::oid AND l.objid = $2::int::oid AND l.objsubid = 2
LIMIT 1`

// holderOf describes the holder of the lock, or says it is unknown.
func holderOf(ctx context.Context, conn *sqlx.Conn, key int32) string {
	var pid int
	var app, addr, started, state, since string
	var building sql.NullBool
	err := conn.QueryRowxContext(ctx, holderQuery, lockClass, key).Scan(&pid, &app, &addr, &started, &state, &since, &building)
	if err != nil {
		return "another session (it could not be identified)"
	}
	var b strings.Builder
	if app != "" {
		fmt.Fprintf(&b, "%q ", app)
	}
	fmt.Fprintf(&b, "(server pid %d", pid)
	if addr != "" {
		fmt.Fprintf(&b, ", client %s", addr)
	}
	if started != "" {
		fmt.Fprintf(&b, ", connected %s", started)
	}
	if state != "" {
		fmt.Fprintf(&b, ", %s", state)
		if since != "" {
			fmt.Fprintf(&b, " since %s", since)
		}
	}
	b.WriteString(")")
	if building.Bool {
		b.WriteString(", running an online index build (the server runs the build of an apply that was killed or lost its connection on to its end)")
	}
	return b.String()
}

// lock is a held advisory lock and the connection that holds it.
type lock struct {
	once sync.Once
	conn *sqlx.Conn
	key  int32
	err  error
}

var _ dialect.SessionLock = (*lock)(nil)

// Begin implements dialect.SessionLock: the apply's transaction, as
// Dialect.Begin starts it, on the lock's connection. A session-level
// advisory lock is not transactional: the transaction's commit or
// rollback leaves it held.
func (l *lock) Begin(ctx context.Context) (*sqlx.Tx, error) {
	return begin(ctx, l.conn)
}

// Session implements dialect.SessionLock.
func (l *lock) Session() dialect.Querier { return session{l.conn} }

// session is the lock's connection as a dialect.Querier, which a
// *sqlx.Conn is not (it lacks sqlx's binder methods). Inspect reads the
// catalog on it in one snapshot, as on a pool.
type session struct{ *sqlx.Conn }

// DriverName is that of the pool's connections.
func (session) DriverName() string { return DriverName }

// BindNamed binds a query with named arguments as the pool does.
func (session) BindNamed(query string, arg any) (string, []any, error) {
	return sqlx.BindNamed(sqlx.DOLLAR, query, arg)
}

// Release implements dialect.Lock: it unlocks and gives the connection
// back. When the unlock fails the connection is discarded instead, and the
// server frees the lock as the session ends.
func (l *lock) Release() error {
	l.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := l.conn.ExecContext(ctx, "SELECT pg_advisory_unlock("+lockArgs(l.key)+")")
		if err == nil {
			setHolder(l.conn, false)
		} else {
			// ErrBadConn makes database/sql close the connection.
			l.conn.Raw(func(any) error { return driver.ErrBadConn }) //nolint:errcheck // it returns ErrBadConn
		}
		l.conn.Close()
		if err != nil && !errors.Is(err, sql.ErrConnDone) && !errors.Is(err, driver.ErrBadConn) {
			l.err = fmt.Errorf("releasing the apply lock (its session was closed, which frees it): %w", err)
		}
	})
	return l.err
}

// holdsLock is the key, in a connection's pgconn CustomData, that marks
// the session holding the apply lock (see contextWatcher).
const holdsLock = "ctxschema.lock"

// setHolder marks conn's session as holding the apply lock, or not.
func setHolder(conn *sqlx.Conn, held bool) {
	conn.Raw(func(dc any) error { //nolint:errcheck // it returns nil
		if pc, ok := pgConnOf(dc); ok {
			if held {
				pc.CustomData()[holdsLock] = true
			} else {
				delete(pc.CustomData(), holdsLock)
			}
		}
		return nil
	})
}

// cancelWait bounds how long a statement of the lock's session whose
// context is done waits for the server to cancel it before the
// connection is closed.
const cancelWait = 5 * time.Second

// contextWatcher is how a connection answers a statement's done context
// (Ctrl-C, SIGTERM). On the session that holds the apply lock, it asks the
// server to cancel the statement, which then fails with "canceling
// statement due to user request" and leaves the session open: the lock
// stays held while the apply cleans up after a cancelled online build and
// records what it built, for the server would free it with the session.
// Only a server that does not answer within cancelWait has the connection
// closed. Every other connection is closed at once, pgx's default: no
// cancel request to send and wait for, and a wait for a notification
// (WatchCatalog) has no statement to cancel.
type contextWatcher struct {
	conn   *pgconn.PgConn
	closer pgconn.DeadlineContextWatcherHandler
	cancel pgconn.CancelRequestContextWatcherHandler
	used   ctxwatch.Handler
}

// newContextWatcher is Open's pgconn.Config.BuildContextWatcherHandler.
func newContextWatcher(c *pgconn.PgConn) ctxwatch.Handler {
	return &contextWatcher{
		conn:   c,
		closer: pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()},
		cancel: pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelWait},
	}
}

// HandleCancel implements ctxwatch.Handler. It runs while a statement
// does, after setHolder, which runs between statements.
func (w *contextWatcher) HandleCancel(ctx context.Context) {
	w.used = &w.closer
	if _, ok := w.conn.CustomData()[holdsLock]; ok {
		w.used = &w.cancel
	}
	w.used.HandleCancel(ctx)
}

// HandleUnwatchAfterCancel implements ctxwatch.Handler.
func (w *contextWatcher) HandleUnwatchAfterCancel() { w.used.HandleUnwatchAfterCancel() }

// LockTables implements dialect.TableLocker: LOCK TABLE in ACCESS
// EXCLUSIVE mode, the lock DROP TABLE and ALTER TABLE ... DROP COLUMN take,
// so that the counts that follow see every committed value and nothing is
// written until the transaction ends. Writers that hold the tables make it
// wait, as long as the URL's lock_timeout allows. Readers wait too, for the
// counts (on a refused plan as well): a weaker lock that lets them read
// (SHARE ROW EXCLUSIVE) would have to be raised to ACCESS EXCLUSIVE by the
// drop, which deadlocks with any transaction that read the table and then
// writes to it.
func (*Dialect) LockTables(ctx context.Context, tx *sqlx.Tx, tables []string) error {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = quoteIdent(t)
	}
	timeout := urlLockTimeout(ctx, tx)
	stmt := "LOCK TABLE " + strings.Join(names, ", ") + " IN ACCESS EXCLUSIVE MODE"
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("locking %s before counting what the plan deletes: %w", strings.Join(names, ", "), explain(err, timeout))
	}
	return nil
}
