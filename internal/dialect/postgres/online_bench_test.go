package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/postgres"
	"github.com/ctxschema/ctxschema/internal/pgtest"
)

// benchRows is the size of the profile table of BenchmarkOnlineUniqueKey:
// CTXSCHEMA_BENCH_ROWS, or 1,000,000.
func benchRows(b *testing.B) int {
	if s := os.Getenv("CTXSCHEMA_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("CTXSCHEMA_BENCH_ROWS=%q: %v", s, err)
		}
		return n
	}
	return 1_000_000
}

// writer inserts one profile at a time until stopped and records the
// slowest insert: what a customer-facing writer suffers during a build.
type writer struct {
	db   *sqlx.DB
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	max  time.Duration
	n    int
}

func startWriter(b *testing.B, db *sqlx.DB, tag string) *writer {
	w := &writer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			default:
			}
			id := fmt.Sprintf("%s%d", tag, i)
			start := time.Now()
			if _, err := db.Exec(`INSERT INTO "profile" ("customer_id", "emailaddress") VALUES ($1, $2)`, id, id+"@writer.example.com"); err != nil {
				b.Errorf("writer: %v", err)
				return
			}
			d := time.Since(start)
			w.mu.Lock()
			w.n++
			if d > w.max {
				w.max = d
			}
			w.mu.Unlock()
			time.Sleep(time.Millisecond)
		}
	}()
	// Let it reach its steady state before the build starts.
	time.Sleep(50 * time.Millisecond)
	return w
}

func (w *writer) finish() (time.Duration, int) {
	close(w.stop)
	<-w.done
	return w.max, w.n
}

// BenchmarkOnlineUniqueKey measures, on a profile table of benchRows rows,
// `apply` adding a unique key (an online build) against the floor, a plain
// CREATE UNIQUE INDEX CONCURRENTLY on the same data, and the slowest insert
// of a concurrent writer during the apply against the same during a plain
// (blocking) CREATE UNIQUE INDEX. Every figure comes from the same run.
func BenchmarkOnlineUniqueKey(b *testing.B) {
	url := pgtest.NewDatabase(b)
	ctx := context.Background()
	d := postgres.New()
	db, err := d.Open(ctx, url, dialect.ReadWrite)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tg := apply.Target{Dialect: d, DB: db, URL: url}
	opts := apply.Options{LockTimeout: time.Minute}
	if _, err := apply.Run(ctx, tg, emailSchema(false), opts); err != nil {
		b.Fatal(err)
	}
	rows := benchRows(b)
	db.MustExec(fmt.Sprintf(`INSERT INTO "profile" ("customer_id", "emailaddress")
		SELECT 'c' || g, 'user' || g || '@example.com' FROM generate_series(1, %d) g`, rows))
	db.MustExec(`VACUUM ANALYZE "profile"`)

	var applyTime, floorTime, plainTime time.Duration
	var applyMax, plainMax time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tag := fmt.Sprintf("w%d_", i)

		w := startWriter(b, db, tag+"a")
		start := time.Now()
		if _, err := apply.Run(ctx, tg, emailSchema(true), opts); err != nil {
			b.Fatal(err)
		}
		applyTime += time.Since(start)
		m, _ := w.finish()
		applyMax = max(applyMax, m)
		b.StopTimer()
		if _, err := apply.Run(ctx, tg, emailSchema(false), apply.Options{LockTimeout: time.Minute, AllowDestructive: true}); err != nil {
			b.Fatal(err)
		}

		// The floor suffers the same writer as the apply.
		w = startWriter(b, db, tag+"f")
		start = time.Now()
		db.MustExec(`CREATE UNIQUE INDEX CONCURRENTLY "floor_idx" ON "profile" ("emailaddress")`)
		floorTime += time.Since(start)
		w.finish()
		db.MustExec(`DROP INDEX "floor_idx"`)

		w = startWriter(b, db, tag+"p")
		start = time.Now()
		db.MustExec(`CREATE UNIQUE INDEX "plain_idx" ON "profile" ("emailaddress")`)
		plainTime += time.Since(start)
		m, _ = w.finish()
		plainMax = max(plainMax, m)
		db.MustExec(`DROP INDEX "plain_idx"`)
		b.StartTimer()
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(applyTime.Seconds()/n, "apply-s")
	b.ReportMetric(floorTime.Seconds()/n, "floor-concurrently-s")
	b.ReportMetric(applyTime.Seconds()/floorTime.Seconds(), "x-floor")
	b.ReportMetric(plainTime.Seconds()/n, "plain-s")
	b.ReportMetric(float64(applyMax.Microseconds())/1000, "max-insert-ms-apply")
	b.ReportMetric(float64(plainMax.Microseconds())/1000, "max-insert-ms-plain")
	b.ReportMetric(float64(rows), "rows")
}
