package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ctxschema/ctxschema/internal/dialect/postgres"
	"github.com/ctxschema/ctxschema/internal/pgtest"
)

// postgresBackend is PostgreSQL at CTXSCHEMA_TEST_POSTGRES. Each database
// is created for the benchmarks (ctxschema_bench_<tag>_<random>) and
// dropped WITH (FORCE) when the process ends or the benchmark is done
// with it.
func postgresBackend() backend {
	be := backend{name: "postgres", dialect: postgres.New()}
	server := os.Getenv(pgtest.EnvVar)
	if server == "" {
		be.skip = "PostgreSQL benchmarks skipped: set " + pgtest.EnvVar + " to a server URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		return be
	}
	be.create = func(tag string) (string, error) {
		u, err := url.Parse(server)
		if err != nil {
			return "", fmt.Errorf("%s is not a URL", pgtest.EnvVar)
		}
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		tag = fileName(tag)
		if len(tag) > 30 {
			tag = tag[:30]
		}
		name := "ctxschema_bench_" + tag + "_" + hex.EncodeToString(b[:])
		if err := pgExec(server, "CREATE DATABASE "+name); err != nil {
			return "", err
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	be.remove = func(dbURL string) error {
		u, err := url.Parse(dbURL)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(u.Path, "/")
		if !strings.HasPrefix(name, "ctxschema_bench_") {
			return fmt.Errorf("refusing to drop %q: not a benchmark database", name)
		}
		return pgExec(server, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	return be
}

// pgExec runs one statement on the database at dbURL with a connection of
// its own.
func pgExec(dbURL, stmt string) error {
	db, err := sql.Open(postgres.DriverName, dbURL)
	if err != nil {
		return fmt.Errorf("opening %s: %w", pgtest.EnvVar, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}
