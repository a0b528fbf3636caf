package cli

import (
	"context"
	"errors"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/plan"
)

// readAhead opens a database (read-only for plan; for an apply, as the
// apply will write it when the dialect is a dialect.QuietOpener) and
// inspects it on a goroutine of its own, while the command loads the
// schema files: the two are
// independent, and each keeps one core busy (the database, or the driver
// decoding its answers, on one; YAML on the other).
type readAhead struct {
	// access is what the database was opened for: ReadOnly, or the
	// apply's WriteExisting (see readAheadAccess).
	access  dialect.Access
	done    chan struct{}
	cancel  context.CancelFunc
	t       apply.Backend
	closeDB func()
	st      *plan.State
	err     error
}

// startReadAhead begins opening the target o names, for o.Access, and
// reading its state. Every readAhead must end with wait or abandon.
func startReadAhead(ctx context.Context, o targetOptions) *readAhead {
	ctx, cancel := context.WithCancel(ctx)
	r := &readAhead{access: o.Access, done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(r.done)
		r.t, r.closeDB, r.err = openTarget(ctx, o)
		if r.err != nil {
			return
		}
		if r.st, r.err = r.t.State(ctx); r.err != nil {
			r.closeDB()
		}
	}()
	return r
}

// wait returns the open database, its closer and its state. On error
// nothing is left open.
func (r *readAhead) wait() (apply.Backend, func(), *plan.State, error) {
	<-r.done
	if r.err != nil {
		r.cancel()
		return nil, nil, nil, r.err
	}
	return r.t, func() { r.closeDB(); r.cancel() }, r.st, nil
}

// abandon stops the read, when the schema files turned out invalid, and
// closes what it opened.
func (r *readAhead) abandon() {
	r.cancel()
	if _, closeDB, _, err := r.wait(); err == nil {
		closeDB()
	}
}

// readAheadAccess is the access to read rawURL ahead with, for a command
// that writes to it next: WriteExisting when the dialect's Open for it
// writes nothing (dialect.QuietOpener), so that the command reads and
// writes on one connection; otherwise ReadOnly.
func readAheadAccess(rawURL string) dialect.Access {
	d, err := registry().Lookup(rawURL)
	if err != nil {
		return dialect.ReadOnly
	}
	if q, ok := d.(dialect.QuietOpener); ok && q.OpensQuietly() {
		return dialect.WriteExisting
	}
	return dialect.ReadOnly
}

// notExist reports whether err says that the database does not exist.
func notExist(err error) bool {
	var missing *dialect.NotExistError
	return errors.As(err, &missing)
}
