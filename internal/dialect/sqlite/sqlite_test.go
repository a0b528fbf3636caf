package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url, path, query string
	}{
		{"sqlite://ctxschema.db", "ctxschema.db", ""},
		{"sqlite://relative/path.db", "relative/path.db", ""},
		{"sqlite:///absolute/path.db", "/absolute/path.db", ""},
		{"sqlite://./x%20y.db?mode=ro&_busy_timeout=5", "./x y.db", "_busy_timeout=5&mode=ro"},
	}
	for _, tt := range tests {
		loc, err := ParseURL(tt.url)
		if err != nil {
			t.Errorf("%s: %v", tt.url, err)
			continue
		}
		if loc.Path != tt.path || loc.Query.Encode() != tt.query {
			t.Errorf("%s: path %q, query %q; want %q, %q", tt.url, loc.Path, loc.Query.Encode(), tt.path, tt.query)
		}
	}
	for _, bad := range []string{"sqlite://", "sqlite:///", "postgres://h/db", "ctxschema.db", "sqlite://x.db?a=%zz"} {
		if _, err := ParseURL(bad); !errors.Is(err, dialect.ErrBadURL) {
			t.Errorf("%s: err = %v; want ErrBadURL", bad, err)
		}
	}
}

func TestDSN(t *testing.T) {
	loc, err := ParseURL("sqlite:///d/a%3Fb%23c%25.db?_foreign_keys=1&_fk=1&_txlock=deferred&_busy_timeout=7")
	if err != nil {
		t.Fatal(err)
	}
	want := "file:/d/a%3fb%23c%25.db?_busy_timeout=7&_foreign_keys=0&_journal_mode=WAL&_txlock=immediate"
	if got := loc.DSN(dialect.ReadWrite, true); got != want {
		t.Errorf("DSN = %q; want %q", got, want)
	}
	// An existing database keeps its journal mode; a read-only one sets
	// none (that would write it) and opens with mode=ro.
	want = "file:/d/a%3fb%23c%25.db?_busy_timeout=7&_foreign_keys=0&_txlock=immediate"
	if got := loc.DSN(dialect.ReadWrite, false); got != want {
		t.Errorf("DSN of an existing database = %q; want %q", got, want)
	}
	loc, err = ParseURL("sqlite://a.db?_journal_mode=WAL&mode=rwc&_txlock=deferred&_locking_mode=EXCLUSIVE")
	if err != nil {
		t.Fatal(err)
	}
	want = "file:a.db?_busy_timeout=10000&_cache_size=-512&_foreign_keys=0&mode=ro"
	if got := loc.DSN(dialect.ReadOnly, false); got != want {
		t.Errorf("read-only DSN = %q; want %q", got, want)
	}
	// A cache size in the URL is kept.
	loc, err = ParseURL("sqlite://a.db?_cache_size=-4000")
	if err != nil {
		t.Fatal(err)
	}
	want = "file:a.db?_busy_timeout=10000&_cache_size=-4000&_foreign_keys=0&mode=ro"
	if got := loc.DSN(dialect.ReadOnly, false); got != want {
		t.Errorf("read-only DSN with a cache size = %q; want %q", got, want)
	}
}

// TestParseURLRefusesUnsafeSettings: the settings that would take away
// crash safety or isolation are refused with the parameter named; the safe
// values of the same parameters pass.
func TestParseURLRefusesUnsafeSettings(t *testing.T) {
	for _, q := range []string{"_journal_mode=OFF", "_journal_mode=memory", "_journal=Off", "_journal=MEMORY",
		"_synchronous=OFF", "_sync=0", "nolock=1", "nolock=true", "_ignore_check_constraints=1", "vfs=unix-none", "vfs=Win32-None"} {
		_, err := ParseURL("sqlite://x.db?" + q)
		name, _, _ := strings.Cut(q, "=")
		if !errors.Is(err, dialect.ErrBadURL) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v; want ErrBadURL naming %s", q, err, name)
		}
	}
	for _, q := range []string{"_journal_mode=WAL", "_journal_mode=delete", "_journal=TRUNCATE", "_journal_mode=PERSIST",
		"_synchronous=NORMAL", "_sync=FULL", "_sync=2", "nolock=0", "_ignore_check_constraints=0", "vfs=unix", "vfs=unix-excl"} {
		if _, err := ParseURL("sqlite://x.db?" + q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("sub", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{"sqlite://sub/rel.db?_busy_timeout=1234&_foreign_keys=1", "sqlite://" + filepath.Join(dir, "abs.db") + "?_busy_timeout=1234"} {
		db, err := New().Open(ctx, url, dialect.ReadWrite)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		var fk, busy int
		var journal string
		if err := db.QueryRow(`SELECT (SELECT foreign_keys FROM pragma_foreign_keys), (SELECT timeout FROM pragma_busy_timeout), (SELECT journal_mode FROM pragma_journal_mode)`).Scan(&fk, &busy, &journal); err != nil {
			t.Fatal(err)
		}
		if fk != 0 || busy != 1234 || journal != "wal" {
			t.Errorf("%s: foreign_keys %d, busy_timeout %d, journal_mode %s; want 0, 1234, wal", url, fk, busy, journal)
		}
		db.Close()
	}
	if _, err := os.Stat(filepath.Join(dir, "sub", "rel.db")); err != nil {
		t.Errorf("relative URL did not create sub/rel.db: %v", err)
	}

	_, err := New().Open(ctx, "sqlite://missing/dir/x.db", dialect.ReadWrite)
	if err == nil || !strings.Contains(err.Error(), `"missing/dir/x.db"`) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing directory: err = %v; want one naming the path", err)
	}
}

func TestBeginImmediate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	url := "sqlite://" + filepath.Join(dir, "x.db") + "?_busy_timeout=50"
	a, err := New().Open(ctx, url, dialect.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := New().Open(ctx, url, dialect.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tx, err := New().Begin(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	// BEGIN IMMEDIATE takes the write lock at once: a second one waits
	// for busy_timeout and fails, although the first wrote nothing yet.
	if _, err := New().Begin(ctx, b); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("second Begin: err = %v; want database is locked", err)
	}

	// A connection with foreign keys on is refused.
	fkdb, err := sqlx.Open(DriverName, "file:"+filepath.Join(dir, "y.db")+"?_foreign_keys=1")
	if err != nil {
		t.Fatal(err)
	}
	defer fkdb.Close()
	if _, err := New().Begin(ctx, fkdb); err == nil || !strings.Contains(err.Error(), "foreign key") {
		t.Errorf("Begin with foreign keys on: err = %v; want a refusal", err)
	}
}

func TestEnsureCatalog(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	d := New()
	for range 2 {
		if err := d.EnsureCatalog(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	var version string
	if err := db.Get(&version, `SELECT value FROM cs_meta WHERE key = 'format_version'`); err != nil || version != catalog.FormatVersion {
		t.Errorf("format_version = %q, %v", version, err)
	}
	s := contactCenter()
	if err := catalog.Write(ctx, db, s); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := catalog.Append(ctx, db, catalog.Entry{Kind: "apply", Actor: "me", Summary: "s", Detail: "d"}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := catalog.History(ctx, db)
	if err != nil || len(h) != 2 || h[1].ID != 2 {
		t.Errorf("history = %v, %v", h, err)
	}
	got, mode, err := catalog.Read(ctx, db)
	if err != nil || mode != model.Maintenance {
		t.Fatal(mode, err)
	}
	if diff := cmp.Diff(s, got); diff != "" {
		t.Errorf("catalog round trip (-want +got):\n%s", diff)
	}
	if _, err := db.Exec(`INSERT INTO cs_schema (id, definition) VALUES (2, '{}')`); err == nil {
		t.Errorf("cs_schema accepted a second row")
	}
}

// TestOpenReadOnly: a read-only open creates no file, refuses a missing
// one with a *dialect.NotExistError, leaves a rollback-journal database's
// journal mode alone and cannot write; a read-write open of an existing
// database keeps its journal mode too, and gives a new one WAL.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	_, err := New().Open(ctx, "sqlite://"+missing, dialect.ReadOnly)
	var ne *dialect.NotExistError
	if !errors.As(err, &ne) || ne.Database != missing || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing file: err = %v; want a *dialect.NotExistError naming %s", err, missing)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a read-only open created %s: %v", missing, err)
	}

	// A database its owner keeps in rollback-journal mode.
	path := filepath.Join(dir, "rollback.db")
	raw, err := sqlx.Open(DriverName, "file:"+path+"?_journal_mode=DELETE")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	journal := func(db *sqlx.DB) string {
		t.Helper()
		var mode string
		if err := db.Get(&mode, `PRAGMA journal_mode`); err != nil {
			t.Fatal(err)
		}
		return mode
	}
	for _, access := range []dialect.Access{dialect.ReadOnly, dialect.ReadWrite} {
		db, err := New().Open(ctx, "sqlite://"+path, access)
		if err != nil {
			t.Fatalf("%s: %v", access, err)
		}
		if got := journal(db); got != "delete" {
			t.Errorf("%s open: journal_mode %s; want delete, as the owner left it", access, got)
		}
		// A read-only connection keeps a small page cache; a read-write
		// one SQLite's default (-2000: 2000 KiB), for the rebuilds.
		var cache int
		if err := db.Get(&cache, `PRAGMA cache_size`); err != nil {
			t.Fatal(err)
		}
		if want := map[dialect.Access]int{dialect.ReadOnly: -512, dialect.ReadWrite: -2000}[access]; cache != want {
			t.Errorf("%s open: cache_size %d; want %d", access, cache, want)
		}
		_, err = db.Exec(`INSERT INTO t VALUES (1)`)
		if access == dialect.ReadOnly && (err == nil || !strings.Contains(err.Error(), "readonly")) {
			t.Errorf("read-only open: insert err = %v; want a read-only refusal", err)
		}
		if access == dialect.ReadWrite && err != nil {
			t.Errorf("read-write open: insert: %v", err)
		}
		db.Close()
	}

	fresh, err := New().Open(ctx, "sqlite://"+filepath.Join(dir, "new.db"), dialect.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if got := journal(fresh); got != "wal" {
		t.Errorf("new database: journal_mode %s; want wal", got)
	}
}

// A relative sqlite:// path is relative to base, through the registry's
// PathResolver capability; other dialects' URLs and unknown schemes are
// kept as written.
func TestResolveRelative(t *testing.T) {
	base := filepath.FromSlash("/p/proj")
	r := dialect.NewRegistry(New())
	for in, want := range map[string]string{
		"sqlite://dev.db":                    "sqlite:///p/proj/dev.db",
		"sqlite://data/dev.db?_timeout=5":    "sqlite:///p/proj/data/dev.db?_timeout=5",
		"sqlite://../shared.db":              "sqlite:///p/shared.db",
		"sqlite:///abs/dev.db":               "sqlite:///abs/dev.db",
		"sqlite://:memory:":                  "sqlite://:memory:",
		"postgres://u@h:5432/db?sslmode=off": "postgres://u@h:5432/db?sslmode=off",
		"nonsense":                           "nonsense",
	} {
		if got := r.ResolveRelative(in, base); got != want {
			t.Errorf("ResolveRelative(%q) = %q, want %q", in, got, want)
		}
	}
}
