package postgres

import (
	"strings"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

func indexOf(st *plan.State, table, name string) (plan.PhysicalIndex, bool) {
	t, _ := st.Physical.Table(table)
	for _, ix := range t.Indexes {
		if ix.Name == name {
			return ix, true
		}
	}
	return plan.PhysicalIndex{}, false
}

// keyPlan is a plan that creates k on a profile table of n rows.
func keyPlan(s *model.Schema, k model.Key, n int64) *plan.Plan {
	return &plan.Plan{Current: s, Desired: s, Rows: map[string]int64{"profile": n},
		Steps: []plan.Step{{Change: plan.CreateKey{Key: k}}}}
}

func TestConcurrentIndexBuild(t *testing.T) {
	e := newEnv(t)
	s := &model.Schema{Profile: []model.Attribute{str("Email", 64)}}
	e.bootstrap(s)
	e.exec(`INSERT INTO profile SELECT 'c' || i, 'e' || i FROM generate_series(1, 200) i`)
	s.Keys = []model.Key{{Name: "idEmail", Source: "profile", Attributes: []string{"Email"}, Unique: true}}
	r := e.apply(keyPlan(s, s.Keys[0], 200), s)
	if len(r[0].SQL) != 0 || len(r[0].After) != 1 || !strings.Contains(r[0].After[0], "CONCURRENTLY") || r[0].Blocking {
		t.Fatalf("key on a table with rows: got %+v", r[0])
	}
	ix, ok := indexOf(e.inspect(), "profile", "ik_idemail")
	if !ok || !ix.Valid || ix.Definition != "unique (email)" {
		t.Errorf("index after a concurrent build: got %+v (found %t)", ix, ok)
	}
}

// TestFailedConcurrentBuild checks that a unique build over duplicates
// leaves an invalid index, that Inspect reports it, and that the cleanup
// drops it.
func TestFailedConcurrentBuild(t *testing.T) {
	e := newEnv(t)
	s := &model.Schema{Profile: []model.Attribute{str("Email", 64)}}
	e.bootstrap(s)
	e.exec(`INSERT INTO profile VALUES ('c1', 'same'), ('c2', 'same'), ('c3', 'other')`)
	s.Keys = []model.Key{{Name: "idEmail", Source: "profile", Attributes: []string{"Email"}, Unique: true}}
	if _, err := e.tryApply(keyPlan(s, s.Keys[0], 3), nil); err == nil || !isSQLState(err, "23505") {
		t.Fatalf("unique build over duplicates: got %v, want a unique violation", err)
	}
	ix, ok := indexOf(e.inspect(), "profile", "ik_idemail")
	if !ok || ix.Valid || ix.Definition != "unique (email)" {
		t.Fatalf("after the failed build: got %+v (found %t), want an invalid index", ix, ok)
	}
	// A valid index and a missing one are left alone.
	e.exec(`CREATE INDEX ik_other ON profile (email)`)
	for _, name := range []string{"ik_other", "ik_missing"} {
		if err := e.d.DropInvalidIndex(e.ctx, e.db, name); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.d.DropInvalidIndex(e.ctx, e.db, "ik_idemail"); err != nil {
		t.Fatal(err)
	}
	st := e.inspect()
	if _, ok := indexOf(st, "profile", "ik_idemail"); ok {
		t.Error("DropInvalidIndex left the invalid index")
	}
	if _, ok := indexOf(st, "profile", "ik_other"); !ok {
		t.Error("DropInvalidIndex dropped a valid index")
	}
	// DropInvalidIndexes finds them all, but only ctxschema's.
	e.exec(`UPDATE profile SET email = 'x' WHERE customer_id = 'c3'`)
	for _, name := range []string{"ik_a", "ux_b", "mine"} {
		if _, err := e.db.ExecContext(e.ctx, `CREATE UNIQUE INDEX CONCURRENTLY `+name+` ON profile (email)`); err == nil {
			t.Fatalf("building %s over duplicates succeeded", name)
		}
	}
	if err := e.d.DropInvalidIndexes(e.ctx, e.db); err != nil {
		t.Fatal(err)
	}
	st = e.inspect()
	for name, want := range map[string]bool{"ik_a": false, "ux_b": false, "mine": true} {
		if _, ok := indexOf(st, "profile", name); ok != want {
			t.Errorf("index %s present = %t after DropInvalidIndexes, want %t", name, ok, want)
		}
	}
}

// TestProgress watches a concurrent build that waits for a writer's
// transaction.
func TestProgress(t *testing.T) {
	e := newEnv(t)
	s := &model.Schema{Profile: []model.Attribute{str("Email", 64)}}
	e.bootstrap(s)
	if phase, _, _, err := e.d.Progress(e.ctx, e.db, ""); err != nil || phase != "" {
		t.Fatalf("no build running: got %q, %v", phase, err)
	}
	writer, err := e.db.BeginTxx(e.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Rollback() //nolint:errcheck
	if _, err := writer.ExecContext(e.ctx, `INSERT INTO profile VALUES ('c1', 'e1')`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := e.db.ExecContext(e.ctx, `CREATE INDEX CONCURRENTLY ik_email ON profile (email)`)
		done <- err
	}()
	var phase string
	var total int64
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		phase, _, total, err = e.d.Progress(e.ctx, e.db, "ik_email")
		if err != nil {
			t.Fatal(err)
		}
		if phase != "" {
			break
		}
	}
	if !strings.HasPrefix(phase, "waiting for") || total < 1 {
		t.Errorf("build blocked by a writer: got phase %q, total %d", phase, total)
	}
	if err := writer.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
