// Package pgtest gives tests a PostgreSQL database of their own. The server
// is named by the environment variable CTXSCHEMA_TEST_POSTGRES (a URL such
// as postgres://postgres@127.0.0.1:5432/test?sslmode=disable whose user may
// create databases); tests skip with a message when it is unset.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	// The pgx driver, registered as "pgx".
	_ "github.com/jackc/pgx/v5/stdlib"
)

// EnvVar is the environment variable that names the test server.
const EnvVar = "CTXSCHEMA_TEST_POSTGRES"

// ServerURL returns the URL of the test server, skipping t when EnvVar is
// unset.
func ServerURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvVar)
	if u == "" {
		t.Skipf("PostgreSQL tests skipped: set %s to a server URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", EnvVar)
	}
	return u
}

// NewDatabase creates an empty database called ctxschema_test_<random> on
// the test server, drops it (WITH (FORCE), ending leftover sessions) when
// the test ends, and returns its URL: the server URL with the database
// replaced. It skips t when EnvVar is unset.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := ServerURL(t)
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s is not a URL", EnvVar)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "ctxschema_test_" + hex.EncodeToString(b[:])
	exec(t, server, "CREATE DATABASE "+name)
	t.Cleanup(func() { exec(t, server, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u.Path = "/" + name
	return u.String()
}

// Exec runs statements on the database at dbURL with a connection of its
// own, failing t on error.
func Exec(t testing.TB, dbURL string, stmts ...string) {
	t.Helper()
	exec(t, dbURL, stmts...)
}

func exec(t testing.TB, dbURL string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatalf("opening the test server: %v", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}
