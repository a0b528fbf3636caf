package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/tenant"
)

// codeInvalidTenant is the code of a request whose X-Genesys-TenantId is
// missing, not an integer, or not a tenant of a multi-tenant server.
const codeInvalidTenant = "invalid_tenant"

// OpenFunc opens the database at url for a tenant; the returned function
// closes it.
type OpenFunc func(ctx context.Context, url string) (apply.Target, func(), error)

// TenantLimits bound the connections of a multi-tenant server.
type TenantLimits struct {
	// PerTenant is the most connections one tenant's database holds.
	PerTenant int
	// Total is the most connections all tenants' databases hold together:
	// at most Total/PerTenant tenant databases are open at once.
	Total int
	// Wait is how long a request for a tenant whose database is not open
	// waits for another to close when every open one is busy; then 503.
	Wait time.Duration
}

// Tenants is the Resolver of a server over the databases of a tenants file
// (serve --tenants FILE): each request goes to the database of the tenant
// its X-Genesys-TenantId names, and a request without the header, or with
// one that is not an integer or not a tenant of the file, is answered 400
// as Context Services words it. A tenant's database is opened on its first
// request, with a pool of at most PerTenant connections; to open one more
// than the limits allow, the least recently used open database that serves
// no request is closed.
type Tenants struct {
	byID    map[int64]tenant.Tenant
	open    OpenFunc
	limits  TenantLimits
	maxOpen int

	mu   sync.Mutex
	dbs  map[int64]*tenantDB
	tick uint64
	// freed is closed (and replaced) whenever a request releases a tenant,
	// to wake the requests waiting for room.
	freed chan struct{}
}

// tenantDB is one tenant's database, open or opening.
type tenantDB struct {
	db    *Database
	close func()
	// ready is closed once the database is open or failed to open (err).
	ready chan struct{}
	err   error
	// inflight counts the requests using it; used is when it was last
	// asked for (a tick of Tenants).
	inflight int
	used     uint64
}

// NewTenants returns the Resolver of the tenants of list, whose databases
// open opens on demand within limits.
func NewTenants(list []tenant.Tenant, open OpenFunc, limits TenantLimits) *Tenants {
	if limits.PerTenant < 1 {
		limits.PerTenant = 1
	}
	if limits.Total < limits.PerTenant {
		limits.Total = limits.PerTenant
	}
	ts := &Tenants{
		byID: map[int64]tenant.Tenant{}, open: open, limits: limits,
		maxOpen: limits.Total / limits.PerTenant,
		dbs:     map[int64]*tenantDB{}, freed: make(chan struct{}),
	}
	for _, t := range list {
		ts.byID[t.ID] = t
	}
	return ts
}

// Resolve implements Resolver. The tenant's database stays in use until
// the request's context ends (when its handler returns).
func (ts *Tenants) Resolve(r *http.Request) (*Database, error) {
	v := strings.TrimSpace(r.Header.Get(tenantHeader))
	if v == "" {
		return nil, errorf(http.StatusBadRequest, codeInvalidTenant,
			"Invalid tenant specified: the request has no %s header; this server serves %d tenants: send the tenant's numeric id", tenantHeader, len(ts.byID))
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, codeInvalidTenant,
			"Invalid tenant specified: %s %q is not an integer; send the tenant's numeric id", tenantHeader, v)
	}
	t, ok := ts.byID[id]
	if !ok {
		return nil, errorf(http.StatusBadRequest, codeInvalidTenant,
			"Invalid tenant specified: %d is not a tenant of this server", id)
	}
	db, err := ts.acquire(r.Context(), t)
	if err != nil {
		return nil, err
	}
	context.AfterFunc(r.Context(), func() { ts.release(db) })
	return db.db, nil
}

// acquire returns t's database, opening it when it is not open yet, and
// counts the request in.
func (ts *Tenants) acquire(ctx context.Context, t tenant.Tenant) (*tenantDB, error) {
	deadline := time.NewTimer(ts.limits.Wait)
	defer deadline.Stop()
	for {
		ts.mu.Lock()
		ts.tick++
		if db, ok := ts.dbs[t.ID]; ok {
			db.inflight++
			db.used = ts.tick
			ts.mu.Unlock()
			return ts.await(ctx, t, db)
		}
		evicted, room := ts.makeRoom()
		if room {
			db := &tenantDB{ready: make(chan struct{}), inflight: 1, used: ts.tick}
			ts.dbs[t.ID] = db
			ts.mu.Unlock()
			if evicted != nil {
				evicted()
			}
			ts.openDB(ctx, t, db)
			return ts.await(ctx, t, db)
		}
		freed := ts.freed
		ts.mu.Unlock()
		select {
		case <-freed:
		case <-deadline.C:
			return nil, &httpError{status: http.StatusServiceUnavailable, code: codeUnavailable,
				message: fmt.Sprintf("every one of the %d tenant databases this server keeps open is busy; retry later", ts.maxOpen)}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// makeRoom makes room for one more open database, closing the least
// recently used one that serves no request; it returns that database's
// close function, to call once ts.mu is released. Called with ts.mu held.
func (ts *Tenants) makeRoom() (closeFn func(), ok bool) {
	if len(ts.dbs) < ts.maxOpen {
		return nil, true
	}
	var lru int64
	var oldest *tenantDB
	for id, db := range ts.dbs {
		if db.inflight > 0 {
			continue
		}
		if oldest == nil || db.used < oldest.used {
			lru, oldest = id, db
		}
	}
	if oldest == nil {
		return nil, false
	}
	delete(ts.dbs, lru)
	return oldest.close, true
}

// openDB opens t's database for db. It is not bound to the request that
// asked first, since it serves the requests after it too.
func (ts *Tenants) openDB(ctx context.Context, t tenant.Tenant, db *tenantDB) {
	defer close(db.ready)
	octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	target, closeFn, err := ts.open(octx, t.DB)
	if err != nil {
		db.err = err
		ts.mu.Lock()
		if ts.dbs[t.ID] == db {
			delete(ts.dbs, t.ID) // the next request tries again
		}
		ts.mu.Unlock()
		return
	}
	target.DB.SetMaxOpenConns(ts.limits.PerTenant)
	target.DB.SetMaxIdleConns(ts.limits.PerTenant)
	d := NewDatabase(target)
	db.db, db.close = d, func() { d.Close(); closeFn() }
}

// await waits until db is open; a database that failed to open is 503.
func (ts *Tenants) await(ctx context.Context, t tenant.Tenant, db *tenantDB) (*tenantDB, error) {
	select {
	case <-db.ready:
	case <-ctx.Done():
		ts.release(db)
		return nil, ctx.Err()
	}
	if db.err != nil {
		ts.release(db)
		return nil, &httpError{status: http.StatusServiceUnavailable, code: codeUnavailable,
			message: fmt.Sprintf("the database of tenant %d is unreachable; retry later", t.ID)}
	}
	return db, nil
}

// release counts a request out of db and wakes the requests waiting for
// room.
func (ts *Tenants) release(db *tenantDB) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	db.inflight--
	close(ts.freed)
	ts.freed = make(chan struct{})
}

// Ready reports whether every tenant database open now answers; with none
// open, the server is ready (each tenant's database opens on demand).
func (ts *Tenants) Ready(ctx context.Context) error {
	ts.mu.Lock()
	var open []*Database
	for _, db := range ts.dbs {
		select {
		case <-db.ready:
			if db.err == nil {
				open = append(open, db.db)
			}
		default:
		}
	}
	ts.mu.Unlock()
	var errs []error
	for _, db := range open {
		if err := db.Target.DB.PingContext(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close closes every open tenant database.
func (ts *Tenants) Close() {
	ts.mu.Lock()
	dbs := ts.dbs
	ts.dbs = map[int64]*tenantDB{}
	ts.mu.Unlock()
	for _, db := range dbs {
		<-db.ready
		if db.close != nil {
			db.close()
		}
	}
}

// Open reports how many tenant databases are open or opening, for tests
// and the status.
func (ts *Tenants) Open() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.dbs)
}
