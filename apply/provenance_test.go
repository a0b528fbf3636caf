package apply_test

import (
	"context"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/model"
)

// TestHistoryProvenanceFromCaller: the history records the revision and
// run the caller gives, and nothing of the process's own environment: an
// API server's checkout or CI variables say nothing of its requests, and no
// git process runs under the apply's locks.
func TestHistoryProvenanceFromCaller(t *testing.T) {
	t.Setenv("GITHUB_SHA", "1111111111111111111111111111111111111111")
	t.Setenv("GITHUB_RUN_ID", "42")
	tg := newTarget(t)
	ctx := context.Background()
	if _, err := apply.Run(ctx, tg, schema(), apply.Options{LockTimeout: time.Second, Actor: "api"}); err != nil {
		t.Fatal(err)
	}
	if _, err := apply.SetMode(ctx, tg, model.Production, apply.Options{LockTimeout: time.Second, Actor: "api", Revision: "abc", Run: "r1"}); err != nil {
		t.Fatal(err)
	}
	h, err := catalog.History(ctx, tg.DB)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 {
		t.Fatalf("history has %d entries, want 2", len(h))
	}
	if h[0].Revision != "" || h[0].Run != "" {
		t.Errorf("the apply recorded revision %q, run %q from the environment, want none", h[0].Revision, h[0].Run)
	}
	if h[1].Revision != "abc" || h[1].Run != "r1" {
		t.Errorf("the mode switch recorded revision %q, run %q, want the caller's abc, r1", h[1].Revision, h[1].Run)
	}
}
