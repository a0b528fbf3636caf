package bench

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkInspect is the dialect's reading of a database that holds the
// applied generated schema (Dialect.Inspect alone: the catalog, the
// columns, indexes and foreign keys, and the layout the catalog expects),
// the part of BenchmarkPlanNoChange that reads the live state.
func BenchmarkInspect(b *testing.B) {
	forBackends(b, func(b *testing.B, be backend) {
		for _, n := range sizes() {
			b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
				ctx := context.Background()
				t := applied(b, be, n)
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					st, err := t.Dialect.Inspect(ctx, t.DB)
					if err != nil {
						b.Fatal(err)
					}
					if len(st.Expected.Tables) != n+1 {
						b.Fatalf("inspected %d expected tables, want %d", len(st.Expected.Tables), n+1)
					}
				}
			})
		}
	})
}
