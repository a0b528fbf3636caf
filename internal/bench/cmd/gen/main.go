// Command gen writes a generated benchmark schema as YAML schema files:
//
//	go run ./internal/bench/cmd/gen -n 100 -out DIR
//
// writes DIR/profile.yaml (20 attributes), DIR/keys.yaml (n/2
// identification keys) and one DIR/extensions/<name>.yaml per extension,
// the schema the benchmarks of internal/bench measure (see BENCHMARKS.md).
// With -db URL and -rows R it also applies the schema to the database and
// fills the profile table with R rows.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/bench/gen"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("n", 100, "number of extensions")
	out := flag.String("out", "", "directory to write the schema files to (required)")
	seed := flag.Uint64("seed", gen.DefaultSeed, "seed of the generator")
	db := flag.String("db", "", "optional sqlite:// URL: apply the schema there and fill the profile table")
	rows := flag.Int("rows", 0, "profile rows to insert with -db")
	versions := flag.Bool("sqlite-version", false, "print the version of the SQLite library ctxschema is built with, and exit")
	flag.Parse()
	if *versions {
		return printSQLiteVersion()
	}
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		return fmt.Errorf("-out DIR is required and no arguments are taken")
	}
	s := gen.Schema(*n, *seed)
	if err := gen.WriteFiles(s, *out); err != nil {
		return err
	}
	fmt.Printf("wrote %d extensions, %d keys and %d profile attributes to %s\n", len(s.Extensions), len(s.Keys), len(s.Profile), *out)
	if *db == "" {
		return nil
	}
	ctx := context.Background()
	d := sqlite.New()
	conn, err := d.Open(ctx, *db, dialect.ReadWrite)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := apply.Run(ctx, apply.Target{Dialect: d, DB: conn, URL: *db}, s, apply.Options{}); err != nil {
		return fmt.Errorf("applying the schema: %w", err)
	}
	if err := gen.FillProfile(ctx, conn, s, *rows, *seed); err != nil {
		return err
	}
	fmt.Printf("applied the schema to %s and inserted %d profile rows\n", *db, *rows)
	return nil
}

func printSQLiteVersion() error {
	ctx := context.Background()
	db, err := sqlite.New().Open(ctx, "sqlite://:memory:", dialect.ReadOnly)
	if err != nil {
		return err
	}
	defer db.Close()
	var v string
	if err := db.GetContext(ctx, &v, "SELECT sqlite_version()"); err != nil {
		return fmt.Errorf("reading the SQLite version: %w", err)
	}
	fmt.Println(v)
	return nil
}
