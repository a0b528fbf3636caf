package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/ctxschema/ctxschema/apply"
)

// Database is one database the server answers for, with the queue its
// writes wait in.
type Database struct {
	Target apply.Target
	// writes holds one token: the writes of this process queue for it, in
	// order, before they take the database's apply lock, which then only
	// waits for other processes. (The SQLite and PostgreSQL locks poll, so
	// many writers of one process polling them would be served in no order.)
	writes chan struct{}
}

// NewDatabase returns the Database of target t.
func NewDatabase(t apply.Target) *Database {
	d := &Database{Target: t, writes: make(chan struct{}, 1)}
	return d
}

// queue waits for the database's write turn, up to timeout, and returns
// its release and the time left of timeout, for the apply lock.
func (d *Database) queue(ctx context.Context, timeout time.Duration) (release func(), left time.Duration, err error) {
	start := time.Now()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case d.writes <- struct{}{}:
	case <-timer.C:
		return nil, 0, errorf(http.StatusServiceUnavailable, codeLockTimeout,
			"timed out after %s waiting for the other writes of this server; retry later", timeout)
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
	return func() { <-d.writes }, max(timeout-time.Since(start), 0), nil
}

// Resolver finds the database a request is about. It is the seam of
// multi-tenant serving (a resolver per tenants file picks the database by
// X-Genesys-TenantId); its errors are answered like a handler's.
type Resolver interface {
	Resolve(r *http.Request) (*Database, error)
}

// Single is the Resolver of a server over one database. It checks that an
// X-Genesys-TenantId, when given, is an integer, as Context Services does,
// and otherwise ignores it.
type Single struct {
	DB *Database
}

// Resolve implements Resolver.
func (s Single) Resolve(r *http.Request) (*Database, error) {
	if err := checkTenantHeader(r); err != nil {
		return nil, err
	}
	return s.DB, nil
}

// tenantHeader is the header that names the tenant of a request.
const tenantHeader = "X-Genesys-TenantId"

func checkTenantHeader(r *http.Request) error {
	v := r.Header.Get(tenantHeader)
	if v == "" {
		return nil
	}
	if _, err := strconv.ParseInt(v, 10, 64); err != nil {
		return errorf(http.StatusBadRequest, codeBadRequest, "header %s %q is not an integer; send the tenant's numeric id", tenantHeader, v)
	}
	return nil
}
