package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
)

// Database is one database the server answers for, with the queue its
// writes wait in and what its reads keep of the declared schema.
type Database struct {
	Target apply.Target
	// writes holds one token: the writes of this process queue for it, in
	// order, before they take the database's apply lock, which then only
	// waits for other processes. (The SQLite and PostgreSQL locks poll, so
	// many writers of one process polling them would be served in no order.)
	writes chan struct{}

	mu sync.Mutex
	// exists is set once the catalog tables were seen: a read then needs
	// no probe for them (one is made again when a read fails), and runs
	// stmt, catalog.DefinitionQuery prepared.
	exists bool
	stmt   *sqlx.Stmt
	// doc is the catalog document last read and schema its decoding:
	// reads decode the document only when it changed, since decoding costs
	// more than the query.
	doc    []byte
	schema *model.Schema
	// views are the JSON answers made from viewsOf, by name.
	viewsOf *model.Schema
	views   map[string][]byte

	// With a dialect.CatalogWatcher, a read is answered from cached, with
	// no query, while the watch is on: the watcher listens (listening) and
	// the catalog notifies its changes (watched), and no change was
	// reported since cached was read (cachedGen == gen). Every change
	// reported, every write of this server and every change of the watch's
	// state increments gen.
	watchOnce sync.Once
	stopWatch context.CancelFunc
	watchDone sync.WaitGroup
	listening bool
	watched   bool
	gen       uint64
	cached    *model.Schema
	cachedGen uint64
}

// watchPoll is how often the watcher checks that the catalog notifies its
// changes: the longest a read may miss a catalog dropped by hand, or its
// trigger. watchRetry is the wait before listening again after the
// listener's connection failed; reads ask the database meanwhile.
var (
	watchPoll  = time.Second
	watchRetry = time.Second
)

// invalidate forgets the cached schema: the next read asks the database.
func (d *Database) invalidate() {
	d.mu.Lock()
	d.gen++
	d.mu.Unlock()
}

// setWatch records a change of the watch's state, which invalidates.
func (d *Database) setWatch(listening, watched *bool) {
	d.mu.Lock()
	if listening != nil {
		d.listening = *listening
	}
	if watched != nil {
		d.watched = *watched
	}
	d.gen++
	d.mu.Unlock()
}

// watch starts, once, the goroutines that keep the cache honest: one
// listens for the catalog's notifications, reconnecting after a failure;
// one checks every watchPoll that the catalog notifies.
func (d *Database) watch(w dialect.CatalogWatcher) {
	d.watchOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		d.mu.Lock()
		d.stopWatch = cancel
		d.mu.Unlock()
		yes, no := true, false
		d.watchDone.Add(2)
		go func() {
			defer d.watchDone.Done()
			for ctx.Err() == nil {
				// An error ends this connection: reads ask the database
				// until the next one listens.
				_ = w.WatchCatalog(ctx, d.Target.DB, func() { d.setWatch(&yes, nil) }, d.invalidate)
				d.setWatch(&no, nil)
				select {
				case <-ctx.Done():
				case <-time.After(watchRetry):
				}
			}
		}()
		go func() {
			defer d.watchDone.Done()
			t := time.NewTicker(watchPoll)
			defer t.Stop()
			for {
				ok, err := w.CatalogWatched(ctx, d.Target.DB)
				ok = ok && err == nil
				d.mu.Lock()
				changed := ok != d.watched
				d.mu.Unlock()
				if changed {
					d.setWatch(nil, &ok)
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	})
}

// Close stops the watch of the catalog, if any, and waits for it. It does
// not close the database.
func (d *Database) Close() {
	d.watchOnce.Do(func() {}) // no watch starts after Close
	d.mu.Lock()
	stop := d.stopWatch
	d.mu.Unlock()
	if stop != nil {
		stop()
	}
	d.watchDone.Wait()
}

// view returns the JSON of build's answer for schema s, made once per
// schema read from the catalog.
func (d *Database) view(s *model.Schema, name string, build func() any) ([]byte, error) {
	d.mu.Lock()
	if b, ok := d.views[name]; ok && d.viewsOf == s {
		d.mu.Unlock()
		return b, nil
	}
	d.mu.Unlock()
	b, err := json.Marshal(build())
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	if d.viewsOf != s {
		d.viewsOf, d.views = s, map[string][]byte{}
	}
	d.views[name] = b
	d.mu.Unlock()
	return b, nil
}

// declared reads the declared schema, as apply.Declared does, with one
// query once the catalog is known to exist, or none while a watched
// catalog reported no change (see Database). The schema it returns is
// shared by the reads: never change it.
func (d *Database) declared(ctx context.Context) (*model.Schema, error) {
	prober, ok := d.Target.Dialect.(dialect.CatalogProber)
	if !ok {
		s, _, err := apply.Declared(ctx, d.Target)
		return s, err
	}
	w, watching := d.Target.Dialect.(dialect.CatalogWatcher)
	if watching {
		d.watch(w)
	}
	d.mu.Lock()
	if d.listening && d.watched && d.cached != nil && d.cachedGen == d.gen {
		s := d.cached
		d.mu.Unlock()
		return s, nil
	}
	// What is read now is cached for the reads to come unless a change is
	// reported meanwhile (gen moves on).
	gen := d.gen
	exists, stmt := d.exists, d.stmt
	d.mu.Unlock()
	s, err := d.read(ctx, prober, exists, stmt)
	if err == nil && watching {
		d.mu.Lock()
		d.cached, d.cachedGen = s, gen
		d.mu.Unlock()
	}
	return s, err
}

// read reads the declared schema from the database: with stmt when the
// catalog is known to exist, else after probing for it.
func (d *Database) read(ctx context.Context, prober dialect.CatalogProber, exists bool, stmt *sqlx.Stmt) (*model.Schema, error) {
	if exists {
		if def, found, err := catalog.ReadDefinitionWith(ctx, stmt); err == nil {
			return d.decode(def, found)
		}
		// The catalog may be gone (dropped by hand): probe again.
	}
	exists, err := prober.CatalogExists(ctx, d.Target.DB)
	if err != nil || !exists {
		return &model.Schema{}, err
	}
	def, found, err := catalog.ReadDefinition(ctx, d.Target.DB)
	if err != nil {
		return nil, err
	}
	// Later reads run the query prepared, on each connection of the pool.
	if stmt, err := d.Target.DB.PreparexContext(ctx, catalog.DefinitionQuery); err == nil {
		d.mu.Lock()
		if d.stmt != nil {
			d.stmt.Close()
		}
		d.stmt, d.exists = stmt, true
		d.mu.Unlock()
	}
	return d.decode(def, found)
}

// decode returns the schema of the catalog document def, decoding it only
// when it differs from the last one.
func (d *Database) decode(def []byte, found bool) (*model.Schema, error) {
	if !found {
		return &model.Schema{}, nil
	}
	d.mu.Lock()
	if d.schema != nil && bytes.Equal(def, d.doc) {
		s := d.schema
		d.mu.Unlock()
		return s, nil
	}
	d.mu.Unlock()
	s, err := catalog.Decode(def)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.doc, d.schema = def, s
	d.mu.Unlock()
	return s, nil
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
