package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/httptarget"
	"github.com/ctxschema/ctxschema/internal/server"
)

// BenchmarkPlanThroughAPI plans the applied schema against itself through
// the Context Services API (the HTTP target against `serve` over the
// database, on loopback), with a no-op plan straight on that database as
// its floor, the two measured in turns in one run: x-floor is what the API
// costs, its goal at most 2 at N=100.
func BenchmarkPlanThroughAPI(b *testing.B) {
	forBackends(b, func(b *testing.B, be backend) {
		n := 100
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			t := applied(b, be, n)
			srv, err := server.New(server.Config{
				Resolver:    server.Single{DB: server.NewDatabase(t)},
				Ready:       t.DB.PingContext,
				BasePath:    "/cms",
				LockTimeout: 30 * time.Second,
				Version:     "bench",
				Log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
			})
			if err != nil {
				b.Fatal(err)
			}
			hs := httptest.NewServer(srv)
			defer hs.Close()
			api, err := httptarget.Open(hs.URL+"/cms", httptarget.Options{})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			desired := schemaFor(n)
			plan := func(be apply.Backend) func(b *testing.B) time.Duration {
				return func(b *testing.B) time.Duration {
					return timed(b, func() error {
						p, err := apply.Prepare(ctx, be, desired)
						if err == nil && !p.Empty() {
							err = fmt.Errorf("the no-op plan has %d steps", len(p.Steps))
						}
						return err
					})
				}
			}
			paired(b, plan(api), plan(t))
		})
	})
}
