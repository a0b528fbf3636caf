package server

import (
	"context"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/bench/load"
)

// TestLoad is the short variant of the serve load benchmark
// (internal/bench/serve.sh runs 200 clients for 30 seconds): concurrent
// clients mixing reads and writes get no 5xx and lose no write, and the
// catalog and the physical layout agree afterwards.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("a load test")
	}
	dialects(t, func(t *testing.T, url string) {
		tg := open(t, url)
		applyYAML(t, tg, fixture)
		cfg := singleConfig(tg)
		cfg.LockTimeout = time.Minute
		base, _ := serve(t, cfg)
		res, err := load.Run(context.Background(), load.Config{URL: base, Clients: 24, Duration: time.Second, WriteEvery: 5, Attribute: "LastName"})
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK() || res.Writes == 0 {
			t.Errorf("the load went wrong:\n%s", res)
		}
		declared, _, err := apply.Declared(context.Background(), tg)
		if err != nil {
			t.Fatal(err)
		}
		p, err := apply.Prepare(context.Background(), tg, declared)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Empty() {
			t.Errorf("the plan after the load is not empty: %d steps", len(p.Steps))
		}
		t.Logf("%s", res)
	})
}
