package apply_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// tableLocks is the SQLite dialect as a dialect.TableLocker, which lets
// other sessions write during the transaction until it locks a table (as
// PostgreSQL does): apply then checks convergence after the commit.
type tableLocks struct{ *sqlite.Dialect }

func (tableLocks) LockTables(context.Context, *sqlx.Tx, []string) error { return nil }

// counting is the SQLite dialect counting its inspections.
type counting struct {
	*sqlite.Dialect
	inspections *int
}

func (c counting) Inspect(ctx context.Context, q dialect.Querier) (*plan.State, error) {
	*c.inspections++
	return c.Dialect.Inspect(ctx, q)
}

// preRead is what the command line does before Run: read the state, plan
// from it, show the plan.
func preRead(t *testing.T, tg apply.Target, desired *model.Schema) (*plan.State, *plan.Plan) {
	t.Helper()
	ctx := context.Background()
	st, err := tg.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := apply.PrepareInspected(ctx, tg, st, desired, true)
	if err != nil {
		t.Fatal(err)
	}
	return st, p
}

func withAttr(s *model.Schema, name string) *model.Schema {
	s.Profile = append(s.Profile, model.Attribute{Name: name, Type: model.String, Length: 16})
	return s
}

func withExt(s *model.Schema, name string) *model.Schema {
	s.Extensions = append(s.Extensions, model.Extension{Name: name, Type: model.MultiValued,
		Attributes: []model.Attribute{{Name: "Code", Type: model.String, Length: 8}}})
	return s
}

// TestRunReusesUnchangedState: given the state read before it and the plan
// made from it, Run under the lock inspects nothing more when the stamp
// says the database did not change, runs that plan when it asked the
// database nothing, and still checks convergence (one inspection, inside
// the transaction).
func TestRunReusesUnchangedState(t *testing.T) {
	ctx := context.Background()
	n := 0
	tg := newTarget(t)
	tg.Dialect = counting{tg.Dialect.(*sqlite.Dialect), &n}
	for _, desired := range []*model.Schema{schema(), withExt(schema(), "Visit")} {
		st, p := preRead(t, tg, desired)
		if p.Asked {
			t.Fatalf("a plan of new tables asked the database: %v", p.Steps)
		}
		n = 0
		res, err := apply.Run(ctx, tg, desired, apply.Options{Expect: &p.Fingerprint, Inspected: st, Planned: p})
		if err != nil {
			t.Fatal(err)
		}
		if res.Plan != p {
			t.Errorf("Run made its plan again from an unchanged state")
		}
		if n != 1 {
			t.Errorf("Run inspected %d times; want once, for the convergence check", n)
		}
	}
	// A plan that counted rows is made again under the lock, from the
	// same state.
	desired := withAttr(withExt(schema(), "Visit"), "Title")
	st, p := preRead(t, tg, desired)
	if !p.Asked {
		t.Fatalf("a plan that changes a table asked the database nothing")
	}
	n = 0
	res, err := apply.Run(ctx, tg, desired, apply.Options{Expect: &p.Fingerprint, Inspected: st, Planned: p})
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan == p || n != 1 {
		t.Errorf("Run reused the plan that asked the database (%v), or inspected %d times; want a new plan, one inspection", res.Plan == p, n)
	}
}

// TestRunSeesChangeBeforeLock: a change made between the read before Run
// and its lock is seen under the lock, whatever it changed: the plan
// shown is then stale (or refused, for the mode), never applied.
func TestRunSeesChangeBeforeLock(t *testing.T) {
	ctx := context.Background()
	tests := map[string]struct {
		change func(t *testing.T, tg apply.Target)
		want   any
	}{
		"a table created by hand": {func(t *testing.T, tg apply.Target) {
			mustExec(t, tg.DB, `CREATE TABLE ext_visit (customer_id TEXT)`)
		}, new(*apply.UnsafeError)},
		"an index created by hand": {func(t *testing.T, tg apply.Target) {
			mustExec(t, tg.DB, `CREATE INDEX by_hand ON profile (email)`)
		}, new(*apply.StaleError)},
		"another apply": {func(t *testing.T, tg apply.Target) {
			if _, err := apply.Run(ctx, tg, withAttr(schema(), "Other"), apply.Options{}); err != nil {
				t.Fatal(err)
			}
		}, new(*apply.StaleError)},
		"the catalog edited": {func(t *testing.T, tg apply.Target) {
			if err := catalog.Write(ctx, tg.DB, withAttr(schema(), "Other")); err != nil {
				t.Fatal(err)
			}
		}, new(*apply.StaleError)},
		"a mode switch": {func(t *testing.T, tg apply.Target) {
			if err := catalog.SetMode(ctx, tg.DB, model.Production); err != nil {
				t.Fatal(err)
			}
		}, new(*apply.ModeError)},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			tg := newTarget(t)
			if _, err := apply.Run(ctx, tg, schema(), apply.Options{}); err != nil {
				t.Fatal(err)
			}
			desired := withExt(schema(), "Visit")
			st, p := preRead(t, tg, desired)
			tt.change(t, tg)
			// Run's own look at the mode, before the lock, is the
			// command's: it is left out here so that only the stamp can
			// catch the switch.
			b := modeBlind{tg}
			_, err := apply.Run(ctx, b, desired, apply.Options{Expect: &p.Fingerprint, Inspected: st, Planned: p})
			if err == nil || !errors.As(err, tt.want) {
				t.Fatalf("Run = %v; want a %T", err, tt.want)
			}
		})
	}
}

// modeBlind is a target whose mode, read before the lock, is always
// maintenance: what the database says under the lock alone decides.
type modeBlind struct{ apply.Target }

func (modeBlind) Mode(context.Context) (model.Mode, error) { return model.Maintenance, nil }

// TestRunFirstApplyReuses: the state of a database that does not exist yet
// (the empty stamp) is still the database's under the lock once the file
// is created, so the plan shown is the one applied; a file that another
// process filled meanwhile is not.
func TestRunFirstApplyReuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, filled := range []bool{false, true} {
		url := "sqlite://" + filepath.Join(dir, map[bool]string{false: "a.db", true: "b.db"}[filled])
		missing := apply.Target{Dialect: sqlite.New(), URL: url}
		st, p := preRead(t, missing, schema())
		db, err := sqlite.New().Open(ctx, url, dialect.ReadWrite)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if filled {
			mustExec(t, db, `CREATE TABLE profile (customer_id TEXT PRIMARY KEY)`)
		}
		tg := apply.Target{Dialect: sqlite.New(), DB: db, URL: url}
		res, err := apply.Run(ctx, tg, schema(), apply.Options{Expect: &p.Fingerprint, Inspected: st, Planned: p})
		switch {
		case !filled && (err != nil || res.Plan != p):
			t.Errorf("first apply: Run = %v, reused %v; want the plan shown applied", err, err == nil && res.Plan == p)
		case filled && !errors.As(err, new(*apply.StaleError)) && !errors.As(err, new(*apply.UnsafeError)):
			t.Errorf("first apply to a file filled meanwhile: Run = %v; want it refused before any change", err)
		}
	}
}

// renderLess is the SQLite dialect leaving out the SQL of every new
// identification key: a dialect that rendered too little.
type renderLess struct{ *sqlite.Dialect }

func (d renderLess) RenderPlan(p *plan.Plan) ([]dialect.Rendered, error) {
	rs, err := d.Dialect.RenderPlan(p)
	for i, s := range p.Steps {
		if _, ok := s.Change.(plan.CreateKey); ok && i < len(rs) {
			rs[i] = dialect.Rendered{}
		}
	}
	return rs, err
}

// renderLessLocks is renderLess as a dialect.TableLocker (see tableLocks).
type renderLessLocks struct{ renderLess }

func (renderLessLocks) LockTables(context.Context, *sqlx.Tx, []string) error { return nil }

// TestRunNotConvergedRollsBack: on SQLite the convergence check runs
// inside the transaction, so a database that did not converge is
// reported and rolled back; with per-table locks it runs after the
// commit and is still reported.
func TestRunNotConvergedRollsBack(t *testing.T) {
	ctx := context.Background()
	desired := schema()
	desired.Keys = []model.Key{{Name: "idEmail", Source: "profile", Attributes: []string{"Email"}}}
	for _, after := range []bool{false, true} {
		tg := newTarget(t)
		var d dialect.Dialect = renderLess{tg.Dialect.(*sqlite.Dialect)}
		if after {
			d = renderLessLocks{renderLess{tg.Dialect.(*sqlite.Dialect)}}
		}
		tg.Dialect = d
		_, err := apply.Run(ctx, tg, desired, apply.Options{})
		var nc *apply.NotConvergedError
		if !errors.As(err, &nc) || nc.RolledBack == after {
			t.Fatalf("after the commit %v: Run = %v; want a *NotConvergedError, rolled back %v", after, err, !after)
		}
		var tables int
		if err := tg.DB.Get(&tables, `SELECT count(*) FROM sqlite_master WHERE name = 'profile'`); err != nil {
			t.Fatal(err)
		}
		if got := tables == 1; got != after {
			t.Errorf("after the commit %v: profile table exists %v; want %v", after, got, after)
		}
	}
}

func mustExec(t *testing.T, db *sqlx.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatal(err)
	}
}
