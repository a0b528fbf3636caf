package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/postgres"
	"github.com/ctxschema/ctxschema/internal/pgtest"
	"github.com/ctxschema/ctxschema/internal/tenant"
)

// TestTenantOneConnection: a POST that fails on a PostgreSQL tenant whose
// pool holds one connection (serve --tenant-connections 1) answers, with
// the status it has with more connections: the apply holds that
// connection (the lock's session), and its failure is explained on it,
// not on the pool. The failures: a unique key over duplicate values
// (409), and one whose index, built in the transaction, waits for a
// writer past lock_timeout.
func TestTenantOneConnection(t *testing.T) {
	pgtest.ServerURL(t)
	for _, c := range []struct {
		name   string
		writer string // run in an open transaction during the POST
		rows   string // committed before it
	}{
		{name: "duplicates", rows: `INSERT INTO "profile" ("customer_id", "lastname") VALUES ('c1', 'Smith'), ('c2', 'Smith')`},
		{name: "lock timeout", writer: `INSERT INTO "profile" ("customer_id", "lastname") VALUES ('c1', 'Smith')`},
	} {
		t.Run(c.name, func(t *testing.T) {
			status := map[int]int{}
			for _, conns := range []int{4, 1} {
				url := pgtest.NewDatabase(t) + "&lock_timeout=200ms"
				tg := open(t, url)
				applyYAML(t, tg, fixture)
				if c.rows != "" {
					pgtest.Exec(t, url, c.rows)
				}
				if c.writer != "" {
					w, err := tg.DB.BeginTxx(context.Background(), nil)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := w.Exec(c.writer); err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { w.Rollback() }) //nolint:errcheck
				}
				base, closeDBs := pgTenantServer(t, tenant.Tenant{ID: 101, Name: "t", DB: url}, conns)
				code, out, err := post(base+"/metadata/identification-keys", "101", `{"name": "idLast", "attributes": ["LastName"], "unique": true}`)
				if err != nil {
					closeDBs() // lets the request end, and the test with it
					t.Fatalf("%d connections: no answer: %v", conns, err)
				}
				t.Logf("%d connections: %d %s", conns, code, out)
				status[conns] = code
			}
			if status[1] != status[4] || (c.name == "duplicates" && status[1] != http.StatusConflict) {
				t.Errorf("status with 1 connection %d, with 4 %d", status[1], status[4])
			}
		})
	}
}

// pgTenantServer serves the PostgreSQL tenant tn with a pool of conns
// connections. closeDBs closes the tenant's open pools, which ends a
// request waiting for one of their connections.
func pgTenantServer(t *testing.T, tn tenant.Tenant, conns int) (base string, closeDBs func()) {
	t.Helper()
	var mu sync.Mutex
	var dbs []io.Closer
	openDB := func(ctx context.Context, url string) (apply.Target, func(), error) {
		d := postgres.New()
		db, err := d.Open(ctx, url, dialect.ReadWrite)
		if err != nil {
			return apply.Target{}, nil, err
		}
		mu.Lock()
		dbs = append(dbs, db)
		mu.Unlock()
		return apply.Target{Dialect: d, DB: db, URL: url}, func() { db.Close() }, nil
	}
	ts := NewTenants([]tenant.Tenant{tn}, openDB, TenantLimits{PerTenant: conns, Total: conns, Wait: 10 * time.Second})
	t.Cleanup(ts.Close)
	base, _ = serve(t, Config{Resolver: ts, Ready: ts.Ready, Version: "test"})
	return base, func() {
		mu.Lock()
		defer mu.Unlock()
		for _, db := range dbs {
			db.Close()
		}
	}
}

// post is a POST whose answer takes at most 30 seconds.
func post(url, tenantID, body string) (int, string, error) {
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(tenantHeader, tenantID)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}
