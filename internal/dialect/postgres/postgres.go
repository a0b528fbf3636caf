// Package postgres is the PostgreSQL dialect of ctxschema, through pgx's
// database/sql driver and sqlx.
//
// URLs have the form postgres://user:pass@host:port/db?sslmode=disable
// (postgresql:// works too). Two query parameters belong to ctxschema and
// are removed before the URL reaches pgx:
//
//   - schema: the PostgreSQL schema that holds the managed tables and the
//     cs_ catalog (default public). It becomes the connection's search_path,
//     so rendered SQL names tables without a schema, and every catalog query
//     filters on current_schema().
//   - lock_timeout: how long one statement of the apply's transaction waits
//     for a table lock before the apply fails (a Go duration such as 10s or
//     500ms; default 10s; 0 waits forever). A bounded wait keeps an apply
//     from queueing behind a long transaction while every later query on the
//     table queues behind the apply.
//
// Every other parameter goes to pgx unchanged. The connection's TimeZone is
// UTC and its DateStyle ISO unless the URL says otherwise, so that defaults
// and conversions read the same wherever ctxschema runs.
package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
)

// Dialect is the PostgreSQL dialect. Its zero value is ready to use; it
// holds no state, everything it needs travels with the connection.
type Dialect struct{}

// The contract, and the optional capabilities apply looks for.
var (
	_ dialect.Dialect          = (*Dialect)(nil)
	_ dialect.IndexCleaner     = (*Dialect)(nil)
	_ dialect.ProgressReporter = (*Dialect)(nil)
	_ dialect.CatalogProber    = (*Dialect)(nil)
	_ dialect.TableLocker      = (*Dialect)(nil)
	_ dialect.ChangeDetector   = (*Dialect)(nil)
	_ dialect.QuietOpener      = (*Dialect)(nil)
)

// New returns the PostgreSQL dialect.
func New() *Dialect { return &Dialect{} }

// DriverName is the database/sql driver name of pgx, which sqlx maps to $n
// placeholders.
const DriverName = "pgx"

// DefaultSchema is the schema used when the URL names none.
const DefaultSchema = "public"

// DefaultLockTimeout bounds each statement's wait for a lock inside the
// apply's transaction when the URL sets no lock_timeout.
const DefaultLockTimeout = 10 * time.Second

// lockTimeoutSetting is a custom server setting that carries the URL's
// lock_timeout on every connection, so that Begin, which only sees the
// *sqlx.DB, can apply it with SET LOCAL to the transaction alone. It is not
// set session-wide because CREATE INDEX CONCURRENTLY, which runs after the
// transaction, must be free to wait for older transactions.
const lockTimeoutSetting = "ctxschema.lock_timeout"

// defaultConnectTimeout bounds a connection attempt when the URL sets no
// connect_timeout, so that an unreachable host fails fast.
const defaultConnectTimeout = 10 * time.Second

// Scheme implements dialect.Dialect.
func (*Dialect) Scheme() string { return "postgres" }

// config is what Open takes from a URL.
type config struct {
	// pgURL is the URL without ctxschema's parameters.
	pgURL       string
	schema      string
	lockTimeout time.Duration
}

// parseURL splits ctxschema's parameters off rawURL. Its errors never quote
// the URL unredacted.
func parseURL(rawURL string) (config, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return config{}, fmt.Errorf("%w %q: not a valid URL; want postgres://user:pass@host:port/db", dialect.ErrBadURL, dialect.Redact(rawURL))
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return config{}, fmt.Errorf("%w %q: scheme %q is not postgres", dialect.ErrBadURL, dialect.Redact(rawURL), u.Scheme)
	}
	c := config{schema: DefaultSchema, lockTimeout: DefaultLockTimeout}
	q := u.Query()
	for k := range q {
		// pgx reads only the lower-case names; any other goes to the server
		// as a setting, which would carry the password in clear into the
		// server's error and its log.
		if l := strings.ToLower(k); (l == "password" || l == "sslpassword") && k != l {
			return config{}, fmt.Errorf("%w %q: parameter %q is not %q; parameter names are lower-case", dialect.ErrBadURL, dialect.Redact(rawURL), k, l)
		}
	}
	if s, ok := q["schema"]; ok {
		c.schema = s[0]
		if c.schema == "" {
			return config{}, fmt.Errorf("%w %q: the schema parameter is empty", dialect.ErrBadURL, dialect.Redact(rawURL))
		}
		q.Del("schema")
	}
	if s, ok := q["lock_timeout"]; ok {
		d, err := time.ParseDuration(s[0])
		if err != nil || d < 0 {
			return config{}, fmt.Errorf("%w %q: lock_timeout %q is not a duration such as 10s or 500ms", dialect.ErrBadURL, dialect.Redact(rawURL), s[0])
		}
		c.lockTimeout = d
		q.Del("lock_timeout")
	}
	u.RawQuery = q.Encode()
	c.pgURL = u.String()
	return c, nil
}

// scrubbedError carries a message with the URL's passwords removed and
// unwraps to the original error (and to kind, when set) for errors.Is and
// errors.As.
type scrubbedError struct {
	msg  string
	kind error
	err  error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.err}
	}
	return []error{e.kind, e.err}
}

// connectError wraps err, naming the redacted URL; any password the driver
// echoed is scrubbed from the text.
func connectError(rawURL string, kind error, what string, err error) error {
	msg := dialect.NewScrubber(rawURL).Scrub(fmt.Sprintf("%s %q: %v", what, dialect.Redact(rawURL), err))
	return &scrubbedError{msg: msg, kind: kind, err: err}
}

// applicationName identifies this process to the server, so that a waiting
// apply can name the holder of the lock.
func applicationName() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	name := fmt.Sprintf("ctxschema %s pid %d", host, os.Getpid())
	if len(name) > 63 { // NAMEDATALEN-1: the server truncates longer names
		name = name[:63]
	}
	return name
}

// Open implements dialect.Dialect: it connects, checks that the server
// answers and that the schema exists. With dialect.ReadOnly, every
// transaction of the connection is read-only (default_transaction_read_only),
// so that the server itself refuses any write of a read-only command.
func (*Dialect) Open(ctx context.Context, rawURL string, access dialect.Access) (*sqlx.DB, error) {
	c, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	pc, err := pgx.ParseConfig(c.pgURL)
	if err != nil {
		return nil, connectError(rawURL, dialect.ErrBadURL, dialect.ErrBadURL.Error(), err)
	}
	params := pc.RuntimeParams
	setDefault := func(k, v string) {
		for have := range params {
			if strings.EqualFold(have, k) { // server settings ignore case
				return
			}
		}
		params[k] = v
	}
	setDefault("application_name", applicationName())
	setDefault("TimeZone", "UTC")
	setDefault("DateStyle", "ISO")
	params["search_path"] = quoteIdent(c.schema)
	params[lockTimeoutSetting] = strconv.FormatInt(c.lockTimeout.Milliseconds(), 10)
	if access == dialect.ReadOnly {
		params["default_transaction_read_only"] = "on"
	}
	if pc.ConnectTimeout == 0 {
		pc.ConnectTimeout = defaultConnectTimeout
	}
	pc.BuildContextWatcherHandler = newContextWatcher
	db := sqlx.NewDb(stdlib.OpenDB(*pc, stdlib.OptionAfterConnect(markConnected), stdlib.OptionShouldPing(shouldPing)), DriverName)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, connectError(rawURL, nil, "cannot connect to", err)
	}
	defer conn.Close()
	var schema sql.NullString
	var hasCatalog bool
	if err := conn.QueryRowContext(ctx, openQuery, pgx.QueryExecModeSimpleProtocol).Scan(&schema, &hasCatalog); err != nil {
		db.Close()
		return nil, connectError(rawURL, nil, "cannot query", err)
	}
	if !schema.Valid {
		db.Close()
		return nil, fmt.Errorf("schema %q does not exist in %q or is not accessible; create it (CREATE SCHEMA %s) or fix the schema parameter of the URL", c.schema, dialect.Redact(rawURL), quoteIdent(c.schema))
	}
	conn.Raw(func(dc any) error { //nolint:errcheck // it returns nil
		if pc, ok := pgConnOf(dc); ok {
			pc.CustomData()[catalogKnown] = hasCatalog
			pc.CustomData()[schemaKnown] = schema.String
		}
		return nil
	})
	return db, nil
}

// OpensQuietly implements dialect.QuietOpener: Open connects and reads,
// whatever the access; only default_transaction_read_only tells a
// ReadOnly connection from another.
func (*Dialect) OpensQuietly() bool { return true }

// schemaKnown is the key, in a connection's pgconn CustomData, of its
// current_schema() as Open read it: the apply lock's key, which Lock then
// needs no query for.
const schemaKnown = "ctxschema.schema"

// openQuery checks, in Open's one round trip after connecting, that the
// schema exists, and whether its cs_ tables do (see catalogKnown).
var openQuery = `SELECT current_schema(),
       to_regclass(quote_ident(current_schema()) || '.` + catalog.MetaTable + `') IS NOT NULL
       AND to_regclass(quote_ident(current_schema()) || '.` + catalog.SchemaTable + `') IS NOT NULL`

// connectedAt is the key, in a connection's pgconn CustomData, of when it
// was made, until its first reuse (see shouldPing).
const connectedAt = "ctxschema.connected"

// markConnected records when a connection was made.
func markConnected(_ context.Context, c *pgx.Conn) error {
	c.PgConn().CustomData()[connectedAt] = time.Now()
	return nil
}

// shouldPing decides whether stdlib pings a connection before reusing it:
// when it was idle for more than a second, as stdlib does by default. But
// stdlib counts a connection's first idle time from the zero time, and
// would ping every new connection on its first reuse, a round trip right
// after the connection proved itself; that idle time is counted from when
// the connection was made instead.
func shouldPing(_ context.Context, p stdlib.ShouldPingParams) bool {
	idle := p.IdleDuration
	data := p.Conn.PgConn().CustomData()
	if at, ok := data[connectedAt].(time.Time); ok {
		delete(data, connectedAt)
		idle = time.Since(at)
	}
	return idle > time.Second
}

// Begin implements dialect.Dialect: a transaction whose statements wait at
// most the URL's lock_timeout for each lock (SET LOCAL, so the bound ends
// with the transaction).
func (*Dialect) Begin(ctx context.Context, db *sqlx.DB) (*sqlx.Tx, error) {
	return begin(ctx, db)
}

// txBeginner is a pool or one connection of it.
type txBeginner interface {
	BeginTxx(ctx context.Context, opts *sql.TxOptions) (*sqlx.Tx, error)
}

// begin is Begin on b: a pool, or the apply lock's session (see lock).
func begin(ctx context.Context, b txBeginner) (*sqlx.Tx, error) {
	tx, err := b.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	// A database not opened by Open lacks the setting: use the default.
	_, err = tx.ExecContext(ctx, "SELECT set_config('lock_timeout', coalesce(current_setting("+quoteLiteral(lockTimeoutSetting)+", true), "+
		quoteLiteral(strconv.FormatInt(DefaultLockTimeout.Milliseconds(), 10))+"), true)")
	if err != nil {
		tx.Rollback() //nolint:errcheck // the transaction is unusable anyway
		return nil, fmt.Errorf("setting the lock timeout: %w", err)
	}
	return tx, nil
}

// once, as the first argument of a query, sends it in one round trip of
// the simple protocol. The dialect's queries run once on a connection:
// preparing them, pgx's default, would cost a second round trip and a
// cached statement for nothing. (A statement without arguments sent with
// ExecContext takes the simple protocol anyway; values go into the SQL as
// literals, so that no query depends on how pgx interpolates arguments.)
const once = pgx.QueryExecModeSimpleProtocol

// catalogDDL creates the catalog tables that do not exist, in one round
// trip (the simple protocol takes several statements).
var catalogDDL = strings.Join([]string{
	`CREATE TABLE IF NOT EXISTS "` + catalog.MetaTable + `" ("key" text PRIMARY KEY, "value" text)`,
	`CREATE TABLE IF NOT EXISTS "` + catalog.SchemaTable + `" ("id" integer PRIMARY KEY CHECK ("id" = 1), "definition" text NOT NULL, "updated_at" text)`,
	`CREATE TABLE IF NOT EXISTS "` + catalog.HistoryTable + `" ("id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "at" text, "kind" text, "actor" text, "summary" text, "detail" text)`,
	`INSERT INTO "` + catalog.MetaTable + `" ("key", "value") VALUES ('format_version', '` + catalog.FormatVersion + `') ON CONFLICT ("key") DO NOTHING`,
}, ";\n")

// catalogPartsQuery lists what EnsureCatalog may have to add to existing
// catalog tables: the history's columns ("column", name) and the trigger
// of cs_schema ("trigger", name), from pg_catalog (information_schema's
// views cost a new backend tens of milliseconds to plan).
var catalogPartsQuery = `SELECT 'column', attname::text FROM pg_attribute
WHERE attrelid = to_regclass(quote_ident(current_schema()) || '.' || ` + quoteLiteral(catalog.HistoryTable) + `) AND attnum > 0 AND NOT attisdropped
UNION ALL
SELECT 'trigger', tgname::text FROM pg_trigger
WHERE tgrelid = to_regclass(quote_ident(current_schema()) || '.' || ` + quoteLiteral(catalog.SchemaTable) + `) AND tgname = ` + quoteLiteral(notifyTrigger)

// EnsureCatalog implements dialect.Dialect. The history's id is an identity
// column; at is text (RFC 3339) so that internal/catalog stays portable.
// When the tables are complete it takes two round trips.
func (*Dialect) EnsureCatalog(ctx context.Context, q dialect.Querier) error {
	if _, err := q.ExecContext(ctx, catalogDDL); err != nil {
		return fmt.Errorf("creating the catalog tables: %w", err)
	}
	// A history from before a column was added gains it. The columns are
	// looked up first: ALTER TABLE locks the table even when it has nothing
	// to add, and a reader of the history would wait for the whole apply.
	// So is the trigger (see ensureNotify).
	have := map[string]bool{}
	err := queryRows(ctx, q, catalogPartsQuery, func(row [][]byte) error {
		have[string(row[0])+" "+string(row[1])] = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("upgrading the catalog tables: %w", err)
	}
	for _, c := range catalog.HistoryColumns {
		if !have["column "+c] {
			if _, err := q.ExecContext(ctx, `ALTER TABLE "`+catalog.HistoryTable+`" ADD COLUMN IF NOT EXISTS "`+c+`" text`); err != nil {
				return fmt.Errorf("upgrading the catalog tables: %w", err)
			}
		}
	}
	// Every change of cs_schema, by any writer, notifies (see watch.go).
	if have["trigger "+notifyTrigger] {
		return nil
	}
	return createNotify(ctx, q)
}
