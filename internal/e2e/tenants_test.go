package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/ctxschema/ctxschema/internal/pgtest"
)

// killTenants kills apply --all-tenants over 20 tenants at runs random
// points, with SIGKILL and SIGTERM in turn: every tenant's database is
// either before or after the apply, never in between, and rerunning the
// fan-out converges every tenant. fresh returns the tenants file of 20
// tenant databases in the before state; snap describes one database.
func killTenants(t *testing.T, runs int, v2dir string, fresh func(run int) (file string, dbs []string), snap func(db string) string) {
	t.Helper()
	args := func(file string) []string {
		return []string{"apply", "--tenants", file, "--all-tenants", "--dir", v2dir, "--auto-approve", "--allow-destructive", "--parallel", "4"}
	}

	// A reference run gives the before and after states and the fan-out's
	// duration.
	refFile, refDBs := fresh(-1)
	before := snap(refDBs[0])
	start := time.Now()
	if code, out := ctx(t, args(refFile)...); code != 0 {
		t.Fatalf("reference apply: exit %d\n%s", code, out)
	}
	took := time.Since(start)
	after := snap(refDBs[0])
	if before == after {
		t.Fatal("v2 changes nothing")
	}
	for _, db := range refDBs[1:] {
		if got := snap(db); got != after {
			t.Fatalf("reference run: %s differs from the first tenant:\n%s", db, got)
		}
	}

	seed := time.Now().UnixNano()
	rnd := rand.New(rand.NewSource(seed))
	t.Logf("seed %d; the reference fan-out took %v", seed, took)
	var sawBefore, sawAfter, mixed int
	for i := 0; i < runs; i++ {
		sig, name := syscall.SIGKILL, "SIGKILL"
		if i%2 == 1 {
			sig, name = syscall.SIGTERM, "SIGTERM"
		}
		delay := time.Duration(rnd.Int63n(int64(took)*6/5 + 1))
		file, dbs := fresh(i)
		cmd := exec.Command(bin, args(file)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		_ = cmd.Process.Signal(sig)
		_ = cmd.Wait()
		// SIGTERM, once the process handles it (not in its first
		// milliseconds), starts no new tenant and reports which were done.
		if sig == syscall.SIGTERM && cmd.ProcessState.Exited() {
			if !strings.Contains(stdout.String(), fmt.Sprintf("Summary of apply over %d tenants", tenantCount)) {
				t.Errorf("run %d: SIGTERM after %v: no summary of the tenants done:\n%s\n%s", i, delay, stdout.String(), stderr.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != 0 && !strings.Contains(stderr.String(), "interrupted: ") {
				t.Errorf("run %d: SIGTERM after %v: exit %d without saying it was interrupted:\n%s", i, delay, code, stderr.String())
			}
		}

		nb, na := 0, 0
		for _, db := range dbs {
			switch got := snap(db); got {
			case before:
				nb++
			case after:
				na++
			default:
				t.Fatalf("run %d (%s after %v): %s is neither before nor after the apply:\n%s", i, name, delay, db, got)
			}
		}
		sawBefore += nb
		sawAfter += na
		if nb > 0 && na > 0 {
			mixed++
		}
		t.Logf("run %d: %s after %v: %d tenants before, %d after", i, name, delay, nb, na)

		if code, out := ctx(t, args(file)...); code != 0 {
			t.Fatalf("run %d: rerunning the fan-out: exit %d\n%s", i, code, out)
		}
		for _, db := range dbs {
			if got := snap(db); got != after {
				t.Fatalf("run %d: rerunning did not converge %s:\n%s", i, db, got)
			}
		}
	}
	t.Logf("%d kills: %d tenant databases left before, %d after, %d runs stopped halfway through the tenants; every rerun converged", runs, sawBefore, sawAfter, mixed)
	if sawBefore == 0 || sawAfter == 0 {
		t.Errorf("the kill points missed the fan-out: %d tenant databases before, %d after", sawBefore, sawAfter)
	}
}

// tenantsFile writes a tenants file listing dbs, tenant ids from 100.
func tenantsFile(t *testing.T, path string, dbs []string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("tenants:\n")
	for i, db := range dbs {
		fmt.Fprintf(&b, "  - {id: %d, name: t%02d, db: %q}\n", 100+i, i, db)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const tenantCount = 20

// TestTenantsCrashSafety: 12 kills of a fan-out apply over 20 seeded SQLite
// tenants.
func TestTenantsCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills 12 fan-out applies; skipped with -short")
	}
	dir := t.TempDir()
	v2dir := writeSchema(t, filepath.Join(dir, "v2"), v2)
	seeded := prepared(t, dir, 300)
	fresh := func(run int) (string, []string) {
		runDir := filepath.Join(dir, fmt.Sprintf("run%02d", run+1))
		if err := os.MkdirAll(runDir, 0o755); err != nil {
			t.Fatal(err)
		}
		urls, paths := make([]string, tenantCount), make([]string, tenantCount)
		for i := range paths {
			paths[i] = filepath.Join(runDir, fmt.Sprintf("t%02d.db", i))
			copyFile(t, seeded, paths[i])
			urls[i] = fmt.Sprintf("sqlite://t%02d.db", i) // relative to the tenants file
		}
		return tenantsFile(t, filepath.Join(runDir, "tenants.yaml"), urls), paths
	}
	killTenants(t, 12, v2dir, fresh, func(path string) string { return snapshot(t, path) })
}

// TestTenantsCrashSafetyPostgres: 10 kills of a fan-out apply over 20
// PostgreSQL tenant databases, each made from a template at v1. The tables
// hold no rows, so that every index is built inside the transaction: an
// online build (CREATE INDEX CONCURRENTLY, on tables with rows) runs after
// the commit, and an apply killed during one converges on rerun without
// being "before or after" (the single-database kill test of the PostgreSQL
// dialect covers that case).
func TestTenantsCrashSafetyPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("kills 10 fan-out applies; skipped with -short")
	}
	template := pgtest.NewDatabase(t)
	server := pgtest.ServerURL(t)
	dir := t.TempDir()
	v1dir := writeSchema(t, filepath.Join(dir, "v1"), v1)
	v2dir := writeSchema(t, filepath.Join(dir, "v2"), v2)
	if code, out := ctx(t, "apply", "--db", template, "--dir", v1dir, "--auto-approve"); code != 0 {
		t.Fatalf("apply v1: exit %d\n%s", code, out)
	}
	tu, err := url.Parse(template)
	if err != nil {
		t.Fatal(err)
	}
	templateName := strings.TrimPrefix(tu.Path, "/")
	fresh := func(run int) (string, []string) {
		dbs := make([]string, tenantCount)
		for i := range dbs {
			name := fmt.Sprintf("%s_r%02d_t%02d", templateName, run+1, i)
			pgtest.Exec(t, server, "CREATE DATABASE "+name+" TEMPLATE "+templateName)
			t.Cleanup(func() { pgtest.Exec(t, server, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
			u := *tu
			u.Path = "/" + name
			dbs[i] = u.String()
		}
		return tenantsFile(t, filepath.Join(dir, fmt.Sprintf("tenants%02d.yaml", run+1)), dbs), dbs
	}
	killTenants(t, 10, v2dir, fresh, func(db string) string { return pgSnapshot(t, db) })
}

// pgSnapshot describes everything an apply changes in a PostgreSQL
// database: the columns and indexes of every table, the catalog's schema
// and mode, and the length of the history.
func pgSnapshot(t *testing.T, dbURL string) string {
	t.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var b strings.Builder
	dump := func(query string) {
		rows, err := db.QueryContext(c, query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				fmt.Fprintf(&b, "%s|", v.String)
			}
			b.WriteString("\n")
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	dump(`SELECT table_name, column_name, data_type, character_maximum_length::text, is_nullable, column_default
		FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, column_name`)
	dump(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY tablename, indexname`)
	dump(`SELECT definition FROM cs_schema`)
	dump(`SELECT count(*)::text FROM cs_history`)
	return b.String()
}
