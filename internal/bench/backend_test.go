package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/bench/gen"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
	"github.com/ctxschema/ctxschema/internal/model"
)

// backend is a database engine the benchmarks run on.
type backend struct {
	name    string
	dialect dialect.Dialect
	// skip says why the backend cannot run here; "" when it can.
	skip string
	// create makes a new, empty database for tag and returns its URL.
	create func(tag string) (string, error)
	// remove deletes a database made by create.
	remove func(url string) error
}

// backends lists SQLite and, when CTXSCHEMA_TEST_POSTGRES is set,
// PostgreSQL.
func backends() []backend {
	return []backend{sqliteBackend(), postgresBackend()}
}

func sqliteBackend() backend {
	return backend{
		name:    "sqlite",
		dialect: sqlite.New(),
		create: func(tag string) (string, error) {
			return "sqlite://" + filepath.Join(tmpDir, fileName(tag)+".db"), nil
		},
		remove: func(url string) error {
			loc, err := sqlite.ParseURL(url)
			if err != nil {
				return err
			}
			var errs []error
			for _, suffix := range []string{"", "-wal", "-shm", "-journal", ".lock"} {
				if err := os.Remove(loc.Path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
					errs = append(errs, err)
				}
			}
			return errors.Join(errs...)
		},
	}
}

// forBackends runs f as one sub-benchmark per backend, skipping those that
// cannot run here with their reason.
func forBackends(b *testing.B, f func(b *testing.B, be backend)) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			if be.skip != "" {
				b.Skip(be.skip)
			}
			f(b, be)
		})
	}
}

// open creates a new database and opens it; it is closed and removed when
// the process ends unless the caller does it first with drop.
func (be backend) open(tag string) (apply.Target, error) {
	url, err := be.create(tag)
	if err != nil {
		return apply.Target{}, err
	}
	db, err := be.dialect.Open(context.Background(), url, dialect.ReadWrite)
	if err != nil {
		return apply.Target{}, err
	}
	return apply.Target{Dialect: be.dialect, DB: db, URL: url}, nil
}

// drop closes and removes a database made by open.
func (be backend) drop(t apply.Target) error {
	return errors.Join(t.DB.Close(), be.remove(t.URL))
}

// applied is a database with the generated schema of n extensions applied,
// shared by the benchmarks of the process.
func applied(b *testing.B, be backend, n int) apply.Target {
	return cached(b, fmt.Sprintf("%s/applied/N=%d", be.name, n), func() (apply.Target, error) {
		t, err := be.open(fmt.Sprintf("applied_%d", n))
		if err != nil {
			return t, err
		}
		atExit(func() { be.drop(t) })
		_, err = apply.Run(context.Background(), t, schemaFor(n), apply.Options{})
		return t, err
	})
}

// filled is a database with the generated schema of dataExtensions
// extensions applied and rowsSize() rows in its profile table, shared by
// the benchmarks of the process. Benchmarks that change it restore it.
func filled(b *testing.B, be backend) (apply.Target, *model.Schema) {
	s := schemaFor(dataExtensions)
	t := cached(b, be.name+"/filled", func() (apply.Target, error) {
		t, err := be.open(fmt.Sprintf("filled_%d", rowsSize()))
		if err != nil {
			return t, err
		}
		atExit(func() { be.drop(t) })
		ctx := context.Background()
		if _, err := apply.Run(ctx, t, s, apply.Options{}); err != nil {
			return t, err
		}
		if err := gen.FillProfile(ctx, t.DB, s, rowsSize(), gen.DefaultSeed); err != nil {
			return t, err
		}
		// Statistics, as a database in service has them.
		_, err = t.DB.ExecContext(ctx, "ANALYZE")
		return t, err
	})
	return t, s
}
