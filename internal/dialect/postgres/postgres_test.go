package postgres

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/pgtest"
)

func TestParseURL(t *testing.T) {
	c, err := parseURL("postgresql://u:p@h:5/db?sslmode=disable&schema=Tenant&lock_timeout=250ms")
	if err != nil {
		t.Fatal(err)
	}
	if c.schema != "Tenant" || c.lockTimeout != 250*time.Millisecond || c.pgURL != "postgresql://u:p@h:5/db?sslmode=disable" {
		t.Errorf("got %+v", c)
	}
	c, err = parseURL("postgres://h/db")
	if err != nil || c.schema != DefaultSchema || c.lockTimeout != DefaultLockTimeout {
		t.Errorf("defaults: got %+v, %v", c, err)
	}
	for _, bad := range []string{
		"postgres://u:S3cretPw@h/db?lock_timeout=soon",
		"postgres://u:S3cretPw@h/db?lock_timeout=-1s",
		"postgres://u:S3cretPw@h/db?schema=",
		"mysql://u:S3cretPw@h/db",
		"postgres://u:S3cretPw@h:port/db",
		"postgres://u:S3cretPw@h/db%zz",
		"postgres://u@h/db?PASSWORD=S3cretPw",
		"postgres://u@h/db?sslPassword=S3cretPw",
	} {
		_, err := parseURL(bad)
		if err == nil {
			t.Errorf("%s: no error", dialect.Redact(bad))
			continue
		}
		if strings.Contains(err.Error(), "S3cretPw") || !errors.Is(err, dialect.ErrBadURL) {
			t.Errorf("%s: error %q leaks the password or is no ErrBadURL", dialect.Redact(bad), err)
		}
	}
}

// TestOpenErrors checks that connection errors are clear and never show a
// password, from the URL or echoed by the driver.
func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	d := New()
	for _, u := range []string{
		"postgres://user:S3cretPw@127.0.0.1:1/db?sslmode=disable",
		"postgres://user@127.0.0.1:1/db?sslmode=disable&password=S3cretPw",
		"postgres://user:S3cretPw@127.0.0.1:1/db?sslmode=bogus",
		"postgres://user:S3cretPw@127.0.0.1:1/db?connect_timeout=x",
	} {
		_, err := d.Open(ctx, u, dialect.ReadWrite)
		if err == nil {
			t.Fatalf("%s: connected", dialect.Redact(u))
		}
		if msg := err.Error(); strings.Contains(msg, "S3cretPw") || !strings.Contains(msg, "xxxxx") {
			t.Errorf("error leaks the password or hides the URL: %s", msg)
		}
	}
	if _, err := d.Open(ctx, "postgres://user:S3cretPw@127.0.0.1:1/db?sslmode=bogus", dialect.ReadWrite); !errors.Is(err, dialect.ErrBadURL) {
		t.Errorf("a URL pgx refuses: got %v, want ErrBadURL", err)
	}
	_, err := d.Open(ctx, "postgres://user:S3cretPw@127.0.0.1:1/db?sslmode=disable", dialect.ReadWrite)
	if !strings.Contains(err.Error(), "cannot connect to") || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("unreachable server: unclear error %q", err)
	}
}

func TestOpenServerErrors(t *testing.T) {
	server := pgtest.ServerURL(t)
	u, _ := url.Parse(server)
	u.User = url.UserPassword(u.User.Username(), "S3cretPw")
	u.Path = "/ctxschema_no_such_database"
	_, err := New().Open(context.Background(), u.String(), dialect.ReadWrite)
	if err == nil || strings.Contains(err.Error(), "S3cretPw") || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing database: got %v", err)
	}
}

// TestOpenReadOnly: every transaction of a read-only connection is
// read-only, so the server refuses a write of a read-only command; a
// read-write connection writes.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	ro, err := New().Open(ctx, dbURL, dialect.ReadOnly)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := New().EnsureCatalog(ctx, ro); err == nil || !strings.Contains(err.Error(), "read-only transaction") {
		t.Errorf("creating the catalog read-only: err = %v; want the server's read-only refusal", err)
	}
	if _, err := New().Inspect(ctx, ro); err != nil {
		t.Errorf("inspecting read-only: %v", err)
	}
	rw, err := New().Open(ctx, dbURL, dialect.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	if err := New().EnsureCatalog(ctx, rw); err != nil {
		t.Errorf("creating the catalog read-write: %v", err)
	}
}

// TestSchemaParameter keeps everything in the URL's schema.
func TestSchemaParameter(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	pgtest.Exec(t, dbURL, `CREATE SCHEMA "Tenant"`, `CREATE TABLE public.profile (customer_id text)`)
	if _, err := New().Open(context.Background(), withParam(dbURL, "schema", "nope"), dialect.ReadWrite); err == nil || !strings.Contains(err.Error(), `schema "nope" does not exist`) {
		t.Errorf("missing schema: got %v", err)
	}
	e := openEnv(t, withParam(dbURL, "schema", "Tenant"))
	if st := e.inspect(); len(st.Physical.Tables) != 0 {
		t.Fatalf("the public schema's tables leak into Tenant: %+v", st.Physical)
	}
	s := richSchema()
	e.bootstrap(s)
	st := e.inspect()
	if st.New || len(st.Physical.Tables) != 4 {
		t.Fatalf("Tenant after bootstrap: New=%t, %d tables", st.New, len(st.Physical.Tables))
	}
	if n := e.count(`SELECT count(*) FROM pg_tables WHERE schemaname = 'Tenant'`); n != 7 {
		t.Errorf("Tenant holds %d tables, want 4 and the catalog's 3", n)
	}
	// The public schema is still empty of ctxschema's tables.
	if n := e.count(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`); n != 1 {
		t.Errorf("public holds %d tables, want 1", n)
	}
}

func TestApplicationName(t *testing.T) {
	e := newEnv(t)
	var name, tz string
	if err := e.db.QueryRowxContext(e.ctx, `SELECT current_setting('application_name'), current_setting('TimeZone')`).Scan(&name, &tz); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(name, "ctxschema ") || !strings.Contains(name, " pid ") || tz != "UTC" {
		t.Errorf("application_name %q, TimeZone %q", name, tz)
	}
}

// TestBeginLockTimeout checks that a statement of the transaction waits at
// most lock_timeout for a lock, and that the bound ends with it.
func TestBeginLockTimeout(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	e := openEnv(t, withParam(dbURL, "lock_timeout", "300ms"))
	e.bootstrap(&model.Schema{})
	holder, err := e.db.BeginTxx(e.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback() //nolint:errcheck
	if _, err := holder.ExecContext(e.ctx, `LOCK TABLE profile IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	tx, err := e.d.Begin(e.ctx, e.db)
	if err != nil {
		t.Fatal(err)
	}
	var setting string
	if err := tx.GetContext(e.ctx, &setting, `SHOW lock_timeout`); err != nil || setting != "300ms" {
		t.Errorf("lock_timeout in the transaction = %q, %v", setting, err)
	}
	start := time.Now()
	_, err = tx.ExecContext(e.ctx, `ALTER TABLE profile ADD COLUMN x integer`)
	if !isSQLState(err, "55P03") || time.Since(start) > 5*time.Second {
		t.Errorf("blocked ALTER: got %v after %s, want a lock timeout", err, time.Since(start))
	}
	tx.Rollback() //nolint:errcheck
	if err := e.db.GetContext(e.ctx, &setting, `SHOW lock_timeout`); err != nil || setting != "0" {
		t.Errorf("lock_timeout outside the transaction = %q, %v", setting, err)
	}
}

func TestLock(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	a, b := openEnv(t, dbURL), openEnv(t, dbURL)
	held, err := a.d.Lock(a.ctx, a.db, dbURL, dialect.LockOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var waited []string
	_, err = b.d.Lock(b.ctx, b.db, dbURL, dialect.LockOptions{Timeout: 600 * time.Millisecond,
		Waiting: func(holder string) { waited = append(waited, holder) }})
	var timeout *dialect.LockTimeoutError
	if !errors.As(err, &timeout) {
		t.Fatalf("second lock: got %v, want a timeout", err)
	}
	if waited := time.Since(start); waited < 600*time.Millisecond || waited > 5*time.Second {
		t.Errorf("waited %s for a 600ms timeout", waited)
	}
	if !strings.Contains(timeout.Holder, "ctxschema ") || !strings.Contains(timeout.Holder, "server pid ") || !strings.Contains(timeout.Error(), "600ms") {
		t.Errorf("holder not named: %q", timeout.Error())
	}
	if len(waited) != 1 || waited[0] != timeout.Holder {
		t.Errorf("Waiting got %q; want one call with the holder %q", waited, timeout.Holder)
	}
	// Another schema has a lock of its own.
	pgtest.Exec(t, dbURL, `CREATE SCHEMA other`)
	c := openEnv(t, withParam(dbURL, "schema", "other"))
	other, err := c.d.Lock(c.ctx, c.db, dbURL, dialect.LockOptions{Timeout: time.Second})
	if err != nil {
		t.Fatalf("lock of another schema: %v", err)
	}
	if err := other.Release(); err != nil {
		t.Fatal(err)
	}
	// Killing the holder's session frees the lock.
	b.exec(`SELECT pg_terminate_backend(l.pid) FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
	second, err := b.d.Lock(b.ctx, b.db, dbURL, dialect.LockOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("lock after the holder died: %v", err)
	}
	held.Release() //nolint:errcheck // its session is gone
	held.Release() //nolint:errcheck // safe twice
	if err := second.Release(); err != nil {
		t.Fatal(err)
	}
	if err := second.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	third, err := a.d.Lock(a.ctx, a.db, dbURL, dialect.LockOptions{Timeout: time.Second})
	if err != nil {
		t.Fatalf("lock after Release: %v", err)
	}
	third.Release() //nolint:errcheck
}

// withParam sets a query parameter of a URL.
func withParam(rawURL, key, value string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}
