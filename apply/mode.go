package apply

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
)

// readMode reads the server mode without the lock: the first look of Run,
// before it touches anything. With a CatalogProber it reads the mode row
// alone instead of a whole Inspect.
func readMode(ctx context.Context, d dialect.Dialect, db *sqlx.DB) (model.Mode, error) {
	if p, ok := d.(dialect.CatalogProber); ok {
		exists, err := p.CatalogExists(ctx, db)
		if err != nil || !exists {
			return model.Maintenance, err
		}
		return catalog.ReadMode(ctx, db)
	}
	st, err := d.Inspect(ctx, db)
	if err != nil {
		return "", err
	}
	return st.Mode, nil
}

// History implements Historian: the database's history, oldest first;
// none when the database has no catalog yet.
func (t Target) History(ctx context.Context) ([]catalog.Entry, error) {
	exists := true
	if p, ok := t.Dialect.(dialect.CatalogProber); ok {
		var err error
		if exists, err = p.CatalogExists(ctx, t.DB); err != nil {
			return nil, err
		}
	} else {
		st, err := t.Dialect.Inspect(ctx, t.DB)
		if err != nil {
			return nil, err
		}
		exists = !st.New || st.Mode != model.Maintenance
	}
	if !exists {
		return nil, nil
	}
	return catalog.History(ctx, t.DB)
}

// Declared returns the schema recorded by the last apply and the server
// mode, without the lock: an empty schema in maintenance mode on a database
// that has no catalog yet.
func Declared(ctx context.Context, t Target) (*model.Schema, model.Mode, error) {
	if p, ok := t.Dialect.(dialect.CatalogProber); ok {
		exists, err := p.CatalogExists(ctx, t.DB)
		if err != nil || !exists {
			return &model.Schema{}, model.Maintenance, err
		}
		return catalog.Read(ctx, t.DB)
	}
	st, err := t.Dialect.Inspect(ctx, t.DB)
	if err != nil {
		return nil, "", err
	}
	return st.Catalog, st.Mode, nil
}

// Mode implements Backend: the recorded server mode of the database.
func (t Target) Mode(ctx context.Context) (model.Mode, error) {
	return readMode(ctx, t.Dialect, t.DB)
}

// SetMode implements Backend: it switches the server mode and records the
// switch in the history, in one transaction. It takes the apply lock
// (waiting up to opts.LockTimeout, and reporting the wait to opts.Events),
// so that a switch to production never lands in the middle of an apply
// that already checked the mode, and switches on the lock's session when
// it has one (dialect.SessionLock). It returns the previous mode.
func (t Target) SetMode(ctx context.Context, m model.Mode, opts Options) (_ model.Mode, err error) {
	began := false
	defer func() { interrupted(ctx, &err, InterruptedError{Began: began}) }()
	d := t.Dialect
	lock, err := d.Lock(ctx, t.DB, t.URL, opts.lockOptions())
	if err != nil {
		return "", err
	}
	defer release(lock, &err)
	tx, err := beginUnder(ctx, t, lock)
	if err != nil {
		return "", fmt.Errorf("starting the mode switch: %w", err)
	}
	began = true
	defer rollback(tx, &err)
	if err := d.EnsureCatalog(ctx, tx); err != nil {
		return "", err
	}
	_, old, err := catalog.Read(ctx, tx)
	if err != nil {
		return "", err
	}
	if old == m {
		return old, nil
	}
	if err := catalog.SetMode(ctx, tx, m); err != nil {
		return "", err
	}
	e := catalog.Entry{Kind: "mode", Actor: opts.actor(), Summary: fmt.Sprintf("%s -> %s", old, m)}
	e.Revision, e.Run = opts.Revision, opts.Run
	if err := catalog.Append(ctx, tx, e); err != nil {
		return "", err
	}
	return old, tx.Commit()
}
