package apply_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// building is the SQLite dialect reporting the index named index as not
// valid while *running is true: as PostgreSQL reports an index whose
// online build (CREATE INDEX CONCURRENTLY) has not finished.
type building struct {
	*sqlite.Dialect
	index   string
	running *bool
}

func (b building) Inspect(ctx context.Context, q dialect.Querier) (*plan.State, error) {
	st, err := b.Dialect.Inspect(ctx, q)
	if err != nil || !*b.running {
		return st, err
	}
	for i := range st.Physical.Tables {
		for j := range st.Physical.Tables[i].Indexes {
			if ix := &st.Physical.Tables[i].Indexes[j]; ix.Name == b.index {
				ix.Valid = false
			}
		}
	}
	return st, nil
}

// leftBuilt is a database where an apply of withKey() committed, but was
// killed before its build of the key's index recorded the key: the index
// is there, the catalog does not know it.
func leftBuilt(t *testing.T) (apply.Target, *bool) {
	t.Helper()
	ctx := context.Background()
	tg := newTarget(t)
	if _, err := apply.Run(ctx, tg, withKey(), apply.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := catalog.Write(ctx, tg.DB, schema()); err != nil {
		t.Fatal(err)
	}
	running := new(bool)
	tg.Dialect = building{tg.Dialect.(*sqlite.Dialect), model.KeyIndex("idEmail"), running}
	return tg, running
}

func withKey() *model.Schema {
	s := schema()
	s.Keys = []model.Key{{Name: "idEmail", Source: "profile", Attributes: []string{"Email"}}}
	return s
}

// TestRunPlanAsShown: the plan that apply shows is the one it approves.
// An index build that finishes between the read before the lock and the
// plan under it changes the state (the index is valid now) but not the
// plan: the step that would have built the index adopts it, and the apply
// runs. A plan that changes under the lock (more to build than shown, an
// index made by hand meanwhile) is refused as stale, and so is a saved
// plan whose state changed in any way.
func TestRunPlanAsShown(t *testing.T) {
	ctx := context.Background()
	tests := map[string]struct {
		// runningBefore and runningUnder say whether the build runs when
		// the plan shown is made, and under the lock.
		runningBefore, runningUnder bool
		change                      func(t *testing.T, tg apply.Target)
		saved                       bool
		wantStale                   bool
	}{
		"the build finished meanwhile":      {runningBefore: true},
		"unchanged, adopted":                {},
		"a saved plan whose build finished": {runningBefore: true, saved: true, wantStale: true},
		"an adopted index no longer valid":  {runningUnder: true, wantStale: true},
		"the build finished and an index by hand": {runningBefore: true, wantStale: true, change: func(t *testing.T, tg apply.Target) {
			mustExec(t, tg.DB, `CREATE INDEX by_hand ON profile (email)`)
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			tg, running := leftBuilt(t)
			*running = tt.runningBefore
			_, shown := preRead(t, tg, withKey())
			if len(shown.Steps) != 1 || shown.Steps[0].Existing == nil {
				t.Fatalf("plan shown: %+v; want one step that finds the index in place", shown.Steps)
			}
			if builds := len(shown.Steps[0].SQL)+len(shown.Steps[0].After) > 0; builds != tt.runningBefore {
				t.Fatalf("plan shown builds the index: %v; want %v", builds, tt.runningBefore)
			}
			*running = tt.runningUnder
			if tt.change != nil {
				tt.change(t, tg)
			}
			res, err := apply.Run(ctx, tg, withKey(), apply.Options{Expect: &shown.Fingerprint, Planned: shown, AsShown: !tt.saved})
			if tt.wantStale {
				if !errors.As(err, new(*apply.StaleError)) {
					t.Fatalf("Run = %v; want a *StaleError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run = %v; want the plan shown applied", err)
			}
			if s := res.Plan.Steps; len(s) != 1 || len(s[0].SQL)+len(s[0].After) != 0 {
				t.Errorf("plan applied: %+v; want the index adopted, built by nothing", s)
			}
			if err := apply.Converged(ctx, tg, withKey()); err != nil {
				t.Error(err)
			}
		})
	}
}
