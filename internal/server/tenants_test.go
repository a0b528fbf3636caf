package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/postgres"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
	"github.com/ctxschema/ctxschema/internal/tenant"
)

// tenantServer serves n SQLite tenants (ids 101…), each at the fixture
// schema, and returns the server's URL, the tenants and how many times a
// tenant database was opened.
func tenantServer(t *testing.T, n int, limits TenantLimits) (string, []tenant.Tenant, *atomic.Int32) {
	t.Helper()
	dir := t.TempDir()
	list := make([]tenant.Tenant, n)
	for i := range list {
		list[i] = tenant.Tenant{ID: int64(101 + i), Name: fmt.Sprintf("t%d", i), DB: "sqlite://" + filepath.Join(dir, fmt.Sprintf("t%d.db", i))}
		applyYAML(t, open(t, list[i].DB), fixture)
	}
	opened := &atomic.Int32{}
	reg := dialect.NewRegistry(sqlite.New(), postgres.New())
	openDB := func(ctx context.Context, url string) (apply.Target, func(), error) {
		opened.Add(1)
		d, err := reg.Lookup(url)
		if err != nil {
			return apply.Target{}, nil, err
		}
		db, err := d.Open(ctx, url, dialect.ReadWrite)
		if err != nil {
			return apply.Target{}, nil, err
		}
		return apply.Target{Dialect: d, DB: db, URL: url}, func() { db.Close() }, nil
	}
	if limits.Wait == 0 {
		limits.Wait = 10 * time.Second
	}
	ts := NewTenants(list, openDB, limits)
	t.Cleanup(ts.Close)
	base, _ := serve(t, Config{Resolver: ts, Ready: ts.Ready, Version: "test"})
	return base, list, opened
}

func call(t *testing.T, method, url, tenantID, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tenantID != "" {
		req.Header.Set(tenantHeader, tenantID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Keys created concurrently for different tenants each land in their own
// tenant's database only.
func TestTenantsRouteWrites(t *testing.T) {
	base, list, _ := tenantServer(t, 3, TenantLimits{PerTenant: 2, Total: 6})
	var wg sync.WaitGroup
	for _, tn := range list {
		for j := 0; j < 3; j++ {
			wg.Add(1)
			go func(tn tenant.Tenant, j int) {
				defer wg.Done()
				body := fmt.Sprintf(`{"name": "id%s_%d", "attributes": ["LastName"]}`, tn.Name, j)
				if code, out := call(t, "POST", base+"/metadata/identification-keys", fmt.Sprint(tn.ID), body); code != http.StatusCreated {
					t.Errorf("tenant %d, key %d: %d %s", tn.ID, j, code, out)
				}
			}(tn, j)
		}
	}
	wg.Wait()
	for _, tn := range list {
		target := open(t, tn.DB)
		s, _, err := apply.Declared(context.Background(), target)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, k := range s.Keys {
			keys = append(keys, k.Name)
		}
		sort.Strings(keys)
		want := fmt.Sprintf("[idEmail id%[1]s_0 id%[1]s_1 id%[1]s_2]", tn.Name)
		if got := fmt.Sprint(keys); got != want {
			t.Errorf("tenant %d holds keys %s, want %s", tn.ID, got, want)
		}
	}
}

// A missing, non-integer or unknown tenant is 400, worded as Context
// Services words it; status and mode are per tenant.
func TestTenantsHeaderAndMode(t *testing.T) {
	base, _, _ := tenantServer(t, 2, TenantLimits{PerTenant: 1, Total: 2})
	for _, c := range []struct{ tenant, want string }{
		{"", `"message":"Invalid tenant specified: the request has no X-Genesys-TenantId header; this server serves 2 tenants`},
		{"acme", `"message":"Invalid tenant specified: X-Genesys-TenantId \"acme\" is not an integer`},
		{"999", `"message":"Invalid tenant specified: 999 is not a tenant of this server"`},
	} {
		code, out := call(t, "GET", base+"/metadata/identification-keys", c.tenant, "")
		if code != http.StatusBadRequest || !strings.Contains(out, c.want) || !strings.Contains(out, `"code":"invalid_tenant"`) {
			t.Errorf("tenant %q: %d %s, want 400 with %s", c.tenant, code, out, c.want)
		}
	}
	if code, out := call(t, "POST", base+"/server/mode", "102", `{"mode": "production"}`); code != http.StatusOK {
		t.Fatalf("switching tenant 102: %d %s", code, out)
	}
	for id, want := range map[string]string{"101": `"mode":"maintenance"`, "102": `"mode":"production"`} {
		if code, out := call(t, "GET", base+"/server/status", id, ""); code != http.StatusOK || !strings.Contains(out, want) {
			t.Errorf("status of tenant %s: %d %s, want %s", id, code, out, want)
		}
	}
	if code, out := call(t, "POST", base+"/metadata/identification-keys", "102", `{"name": "idLast", "attributes": ["LastName"]}`); code != http.StatusForbidden {
		t.Errorf("a key for tenant 102 in production: %d %s, want 403", code, out)
	}
	if code, out := call(t, "POST", base+"/metadata/identification-keys", "101", `{"name": "idLast", "attributes": ["LastName"]}`); code != http.StatusCreated {
		t.Errorf("a key for tenant 101 in maintenance: %d %s, want 201", code, out)
	}
}

// Databases open on their first request, and no more are open than the
// total bound allows: the least recently used idle one is closed.
func TestTenantsOpenLazilyWithinBound(t *testing.T) {
	base, _, opened := tenantServer(t, 3, TenantLimits{PerTenant: 2, Total: 4})
	if n := opened.Load(); n != 0 {
		t.Fatalf("%d databases opened before any request", n)
	}
	get := func(id string) {
		t.Helper()
		if code, out := call(t, "GET", base+"/metadata/identification-keys", id, ""); code != http.StatusOK {
			t.Fatalf("tenant %s: %d %s", id, code, out)
		}
	}
	get("101")
	get("101")
	get("102")
	if n := opened.Load(); n != 2 {
		t.Fatalf("opened %d databases for two tenants, want 2", n)
	}
	get("103") // two may be open: 101, the least recently used, is closed
	get("102")
	get("101")
	if n := opened.Load(); n != 4 {
		t.Errorf("opened %d databases, want 4 (101 again after it was closed)", n)
	}
}
