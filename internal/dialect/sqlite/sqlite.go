// Package sqlite is the SQLite dialect of ctxschema, on
// github.com/mattn/go-sqlite3 through sqlx.
//
// Connections opened by Open run with foreign key enforcement OFF. ctxschema
// only changes the schema, and SQLite changes most of a table's definition
// by rebuilding it (create a new table, copy the rows, drop the old one,
// rename the new one). With enforcement on, dropping the old "profile" table
// would run an implicit DELETE FROM "profile" and cascade into every
// extension table. With it off, the rebuild copies every customer_id
// unchanged, so the references stay valid by construction; CheckForeignKeys
// verifies that inside the transaction when a caller wants proof.
//
// Foreign keys cannot be switched inside a transaction (PRAGMA foreign_keys
// is a no-op there), so the setting is part of the connection string and
// applies to every connection of the pool before any transaction starts.
package sqlite

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
)

// Scheme is the URL scheme of the SQLite dialect.
const Scheme = "sqlite"

// DriverName is the database/sql driver the dialect uses.
const DriverName = "sqlite3"

// defaultBusyTimeout is how long, in milliseconds, a connection waits for
// another one's write lock before it fails with SQLITE_BUSY.
const defaultBusyTimeout = "10000"

// readOnlyCacheSize is the page cache of a read-only connection (PRAGMA
// cache_size; negative: in KiB), unless the URL sets _cache_size. SQLite's
// default is 2000 KiB, which a plan fills with the pages of sqlite_master
// that it reads once to parse the schema and once per inspection query,
// for nothing: at 2000 extensions SQLite's memory peaks at 6.6 MB with the
// default and at 4.5 MB with this cache (sqlite3 .stats of the columns
// query), and the inspection is not slower, since those pages come from
// the operating system's cache. It also bounds the memory of a GROUP BY
// before it spills to a temporary file (a data check on a large table).
const readOnlyCacheSize = "-512"

// Dialect is the SQLite dialect. Its zero value is ready to use.
type Dialect struct{}

// The contract, and the optional capabilities apply looks for.
var (
	_ dialect.Dialect           = (*Dialect)(nil)
	_ dialect.ForeignKeyChecker = (*Dialect)(nil)
	_ dialect.CatalogProber     = (*Dialect)(nil)
	_ dialect.PlanRenderer      = (*Dialect)(nil)
	_ dialect.PathResolver      = (*Dialect)(nil)
	_ dialect.Stamper           = (*Dialect)(nil)
)

// New returns the SQLite dialect.
func New() *Dialect { return &Dialect{} }

// Scheme implements dialect.Dialect.
func (*Dialect) Scheme() string { return Scheme }

// ResolveRelative implements dialect.PathResolver: the path of
// sqlite://relative/path.db is joined to base; an absolute path, an
// in-memory database and any URL of another scheme are kept as written.
func (*Dialect) ResolveRelative(rawURL, base string) string {
	rest, ok := strings.CutPrefix(rawURL, Scheme+"://")
	if !ok {
		return rawURL
	}
	path, query, hasQuery := strings.Cut(rest, "?")
	if path == "" || strings.HasPrefix(path, "/") || filepath.IsAbs(path) || path == ":memory:" {
		return rawURL
	}
	out := Scheme + "://" + filepath.ToSlash(filepath.Join(base, path))
	if hasQuery {
		out += "?" + query
	}
	return out
}

// Location is a parsed sqlite:// URL.
type Location struct {
	// Path is the database file as written in the URL: relative to the
	// working directory, or absolute.
	Path string
	// Query holds the URL's query parameters, passed to the driver.
	Query url.Values
}

// ParseURL parses sqlite://relative/path.db and sqlite:///absolute/path.db.
// It does not use url.Parse, which would take the first element of a
// relative path for a host name. It refuses the query parameters that would
// break what ctxschema promises (see checkSettings).
func ParseURL(rawURL string) (Location, error) {
	rest, ok := strings.CutPrefix(rawURL, Scheme+"://")
	if !ok {
		return Location{}, fmt.Errorf("%w %q: want sqlite://relative/path.db or sqlite:///absolute/path.db", dialect.ErrBadURL, dialect.Redact(rawURL))
	}
	path, rawQuery, _ := strings.Cut(rest, "?")
	if path == "" || path == "/" {
		return Location{}, fmt.Errorf("%w %q: no database file named", dialect.ErrBadURL, dialect.Redact(rawURL))
	}
	p, err := url.PathUnescape(path)
	if err != nil {
		return Location{}, fmt.Errorf("%w %q: %w", dialect.ErrBadURL, dialect.Redact(rawURL), err)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return Location{}, fmt.Errorf("%w %q: bad query: %w", dialect.ErrBadURL, dialect.Redact(rawURL), err)
	}
	if err := checkSettings(q); err != nil {
		return Location{}, fmt.Errorf("%w %q: %w", dialect.ErrBadURL, rawURL, err)
	}
	return Location{Path: p, Query: q}, nil
}

// checkSettings refuses the URL parameters that would silently take away
// a promise of ctxschema: that an apply is one transaction, which a crash
// or a failed statement rolls back whole, and that no other process sees
// it half done. Each parameter has two spellings in go-sqlite3.
//
//   - _journal_mode (_journal) OFF keeps no rollback journal: a failed
//     statement cannot be rolled back and a crash corrupts the database.
//     MEMORY keeps it in memory only: a crash in the middle of a
//     transaction corrupts the database.
//   - _synchronous (_sync) OFF hands writes to the operating system without
//     waiting for them: an OS crash or a power loss can corrupt the
//     database. NORMAL, the WAL default, loses at most the last
//     transactions, whole.
//   - nolock=1 takes no file locks, so readers see an apply half done and
//     two writers can corrupt the file; so does a VFS that takes none
//     (vfs=unix-none, win32-none).
//   - _ignore_check_constraints=1 lets a table rebuild copy values that
//     the layout's CHECK constraints (length, boolean) refuse.
func checkSettings(q url.Values) error {
	for _, k := range []string{"_journal_mode", "_journal"} {
		switch v := strings.ToUpper(q.Get(k)); v {
		case "OFF", "MEMORY":
			return fmt.Errorf("%s=%s would let a crash or a failed statement leave the database half changed; remove it (a new database gets WAL) or use DELETE, TRUNCATE, PERSIST or WAL", k, v)
		}
	}
	for _, k := range []string{"_synchronous", "_sync"} {
		if v := strings.ToUpper(q.Get(k)); v == "OFF" || v == "0" {
			return fmt.Errorf("%s=%s would let an OS crash or a power loss corrupt the database; remove it or use NORMAL, FULL or EXTRA", k, q.Get(k))
		}
	}
	if truthy(q.Get("nolock")) {
		return errors.New("nolock would let other processes read or write the database in the middle of an apply; remove it")
	}
	if v := q.Get("vfs"); strings.HasSuffix(strings.ToLower(v), "-none") {
		return fmt.Errorf("vfs=%s takes no file locks, which would let other processes read or write the database in the middle of an apply; remove it", v)
	}
	if truthy(q.Get("_ignore_check_constraints")) {
		return errors.New("_ignore_check_constraints would let a table rebuild store values that the layout's CHECK constraints refuse; remove it")
	}
	return nil
}

// truthy reads a boolean URL parameter as SQLite and go-sqlite3 do.
func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// memory reports whether the location is an in-memory database, which has
// no file and so no lock file.
func (l Location) memory() bool {
	return l.Path == ":memory:" || l.Query.Get("mode") == "memory"
}

// DSN is the go-sqlite3 data source name that opens the location with
// access. Query parameters of the URL pass through (SQLite URI parameters
// and the driver's _-prefixed ones) but for the ones below, and
// busy_timeout gets a default.
//
// Read-write: _journal_mode gets WAL when fresh is true (a database that
// does not exist yet or is empty); an existing database keeps the journal
// mode its owner chose, which is part of the file. Two settings are forced
// because the dialect depends on them:
//   - _foreign_keys=0: see the package comment;
//   - _txlock=immediate: every transaction starts with BEGIN IMMEDIATE and
//     so takes the write lock at once. A DEFERRED transaction that reads
//     first and writes later can fail with SQLITE_BUSY at its first write
//     without waiting, since SQLite cannot upgrade a reader safely.
//
// Read-only: mode=ro, so that SQLite neither creates the file nor writes
// to it, no journal mode, since setting one writes it to the file, no
// locking mode, so that a reader never holds a lock after its read, and
// a smaller page cache (readOnlyCacheSize) unless the URL sets one.
func (l Location) DSN(access dialect.Access, fresh bool) string {
	q := url.Values{}
	for k, v := range l.Query {
		q[k] = append([]string(nil), v...)
	}
	if q.Get("_busy_timeout") == "" && q.Get("_timeout") == "" {
		q.Set("_busy_timeout", defaultBusyTimeout)
	}
	q.Del("_fk")
	q.Set("_foreign_keys", "0")
	if access == dialect.ReadOnly {
		q.Del("_journal_mode")
		q.Del("_journal")
		q.Del("_txlock")
		// EXCLUSIVE locking mode would have a reader hold its lock until
		// it closes, and fails on a WAL database opened read-only.
		q.Del("_locking_mode")
		q.Del("_locking")
		if !l.memory() {
			q.Set("mode", "ro")
		}
		if q.Get("_cache_size") == "" {
			q.Set("_cache_size", readOnlyCacheSize)
		}
	} else {
		if fresh && q.Get("_journal_mode") == "" && q.Get("_journal") == "" && !l.memory() {
			q.Set("_journal_mode", "WAL")
		}
		q.Set("_txlock", "immediate")
	}
	// In a file: URI, SQLite decodes %HH escapes and stops the path at ?
	// or #, so those three characters are escaped.
	path := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(l.Path)
	return "file:" + path + "?" + q.Encode()
}

// Open implements dialect.Dialect. The directory of the database file must
// exist. ReadWrite, the file is created on first use. ReadOnly and
// WriteExisting, a missing file is a *dialect.NotExistError; ReadOnly, a database whose directory this
// process cannot write is read as immutable when SQLite cannot otherwise
// read it (a WAL database needs to create its -shm file; see openReadOnly).
func (d *Dialect) Open(ctx context.Context, rawURL string, access dialect.Access) (*sqlx.DB, error) {
	loc, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if loc.memory() {
		db, err := open(ctx, loc, loc.DSN(access, true))
		if err != nil {
			return nil, err
		}
		// Each connection to :memory: is its own database.
		db.SetMaxOpenConns(1)
		return db, nil
	}
	dir := filepath.Dir(loc.Path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("opening sqlite database %q: directory %q does not exist; create it first", loc.Path, dir)
	case err != nil:
		return nil, fmt.Errorf("opening sqlite database %q: %w", loc.Path, err)
	case !st.IsDir():
		return nil, fmt.Errorf("opening sqlite database %q: %q is not a directory", loc.Path, dir)
	}
	fi, err := os.Stat(loc.Path)
	missing := errors.Is(err, os.ErrNotExist)
	if err != nil && !missing {
		return nil, fmt.Errorf("opening sqlite database %q: %w", loc.Path, err)
	}
	if missing && access != dialect.ReadWrite {
		return nil, &dialect.NotExistError{Database: loc.Path}
	}
	if access == dialect.ReadOnly {
		return openReadOnly(ctx, loc)
	}
	return open(ctx, loc, loc.DSN(access, missing || fi.Size() == 0))
}

// openReadOnly opens an existing database file read-only. SQLite reads a
// WAL database through its -shm file, which it creates if missing; in a
// directory this process cannot write, it cannot, and the open fails. The
// database is then opened immutable (no locks, no -shm), which is safe
// when its -wal file is absent or empty: every committed transaction is in
// the main file, and no process writes to it, since a writer would have to
// create the -wal file.
func openReadOnly(ctx context.Context, loc Location) (*sqlx.DB, error) {
	db, err := open(ctx, loc, loc.DSN(dialect.ReadOnly, false))
	if err == nil {
		// Opening reads nothing yet: the first read is what fails.
		var n int
		if err = db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&n); err == nil {
			return db, nil
		}
		db.Close()
		err = fmt.Errorf("opening sqlite database %q: %w", loc.Path, err)
	}
	dir := filepath.Dir(loc.Path)
	if syscall.Access(dir, accessWrite) == nil {
		return nil, err
	}
	if fi, werr := os.Stat(loc.Path + "-wal"); werr == nil && fi.Size() > 0 {
		return nil, fmt.Errorf("%w; its directory %q is not writable, so SQLite cannot read the transactions in %q: make the directory writable, or checkpoint the database where it is writable", err, dir, loc.Path+"-wal")
	}
	immutable := loc
	immutable.Query = url.Values{}
	for k, v := range loc.Query {
		immutable.Query[k] = v
	}
	immutable.Query.Set("immutable", "1")
	if db, ierr := open(ctx, immutable, immutable.DSN(dialect.ReadOnly, false)); ierr == nil {
		return db, nil
	}
	return nil, err
}

// SameDatabase implements dialect.DatabaseComparer: two URLs name the same
// database when their files have the same real path (relative paths are
// read from the working directory, symbolic links resolved), whatever
// their query parameters. In-memory databases are never the same.
func (d *Dialect) SameDatabase(a, b string) bool {
	la, err := ParseURL(a)
	if err != nil || la.memory() {
		return false
	}
	lb, err := ParseURL(b)
	if err != nil || lb.memory() {
		return false
	}
	ra, errA := realPath(la.Path)
	rb, errB := realPath(lb.Path)
	return errA == nil && errB == nil && ra == rb
}

// accessWrite is access(2)'s W_OK.
const accessWrite = 2

// open opens and pings the database at dsn.
func open(ctx context.Context, loc Location, dsn string) (*sqlx.DB, error) {
	db, err := sqlx.Open(DriverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("opening sqlite database %q: %w", loc.Path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening sqlite database %q: %w", loc.Path, err)
	}
	return db, nil
}

// Begin implements dialect.Dialect. The transaction is BEGIN IMMEDIATE
// because Open puts _txlock=immediate in the connection string; it also
// refuses a connection with foreign key enforcement on (one not opened by
// Open), on which a rebuild of "profile" would delete every extension row.
func (d *Dialect) Begin(ctx context.Context, db *sqlx.DB) (*sqlx.Tx, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("starting the apply transaction: %w", err)
	}
	var fk int
	if err := tx.GetContext(ctx, &fk, "PRAGMA foreign_keys"); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("starting the apply transaction: reading PRAGMA foreign_keys: %w", err)
	}
	// A failed rebuild may leave legacy_alter_table on for this pooled
	// connection (see rebuild); it is a connection flag, so reset it here.
	if _, err := tx.ExecContext(ctx, "PRAGMA legacy_alter_table = OFF"); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("starting the apply transaction: %w", err)
	}
	if fk != 0 {
		tx.Rollback()
		return nil, errors.New("starting the apply transaction: foreign key enforcement is on, so a table rebuild could cascade deletes; open the database with the sqlite dialect's Open")
	}
	return tx, nil
}

// CheckForeignKeys fails when a row references a customer that is not in
// "profile" (PRAGMA foreign_key_check). Apply may call it inside its
// transaction, after the last step and before committing.
func (d *Dialect) CheckForeignKeys(ctx context.Context, q dialect.Querier) error {
	var n int64
	var table, parent string
	err := q.QueryRowxContext(ctx, `SELECT count(*), coalesce(min("table"), ''), coalesce(min(parent), '') FROM pragma_foreign_key_check`).Scan(&n, &table, &parent)
	if err != nil {
		return fmt.Errorf("checking foreign keys: %w", err)
	}
	if n == 0 {
		return nil
	}
	return fmt.Errorf("checking foreign keys: %d rows reference missing rows of their parent table (in %q, referencing %q)", n, table, parent)
}

// EnsureCatalog implements dialect.Dialect.
func (d *Dialect) EnsureCatalog(ctx context.Context, q dialect.Querier) error {
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS "` + catalog.MetaTable + `" ("key" TEXT NOT NULL PRIMARY KEY, "value" TEXT)`,
		`CREATE TABLE IF NOT EXISTS "` + catalog.SchemaTable + `" ("id" INTEGER PRIMARY KEY CHECK ("id" = 1), "definition" TEXT NOT NULL, "updated_at" TEXT)`,
		`CREATE TABLE IF NOT EXISTS "` + catalog.HistoryTable + `" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "at" TEXT NOT NULL, "kind" TEXT NOT NULL, "actor" TEXT NOT NULL, "summary" TEXT NOT NULL, "detail" TEXT NOT NULL)`,
		`INSERT OR IGNORE INTO "` + catalog.MetaTable + `" ("key", "value") VALUES ('format_version', '` + catalog.FormatVersion + `')`,
	}
	for _, s := range stmts {
		if _, err := q.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("creating the catalog tables: %w", err)
		}
	}
	// A history from before a column was added gains it; SQLite has no
	// ADD COLUMN IF NOT EXISTS.
	for _, c := range catalog.HistoryColumns {
		var n int
		if err := q.QueryRowxContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, catalog.HistoryTable, c).Scan(&n); err != nil {
			return fmt.Errorf("upgrading the catalog tables: %w", err)
		}
		if n == 0 {
			if _, err := q.ExecContext(ctx, `ALTER TABLE "`+catalog.HistoryTable+`" ADD COLUMN "`+c+`" TEXT NOT NULL DEFAULT ''`); err != nil {
				return fmt.Errorf("upgrading the catalog tables: %w", err)
			}
		}
	}
	return nil
}
