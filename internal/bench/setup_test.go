package bench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/bench/gen"
	"github.com/ctxschema/ctxschema/internal/model"
)

// small reports whether CTXSCHEMA_BENCH_SMALL asks for the smallest sizes.
var small = os.Getenv("CTXSCHEMA_BENCH_SMALL") != "" && os.Getenv("CTXSCHEMA_BENCH_SMALL") != "0"

// sizes are the numbers of extensions the plan and apply benchmarks run at:
// CTXSCHEMA_BENCH_SIZES (numbers separated by commas, e.g. 500) when set,
// else 10 when small and 10, 100 and 1000 otherwise.
func sizes() []int {
	if v := os.Getenv("CTXSCHEMA_BENCH_SIZES"); v != "" {
		var out []int
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				panic(fmt.Sprintf("CTXSCHEMA_BENCH_SIZES=%q: want positive numbers separated by commas", v))
			}
			out = append(out, n)
		}
		return out
	}
	if small {
		return []int{10}
	}
	return []int{10, 100, 1000}
}

// loadSize is the number of extensions of the load benchmark.
func loadSize() int {
	if small {
		return 10
	}
	return 1000
}

// rowsSize is the number of profile rows of the data benchmarks:
// CTXSCHEMA_BENCH_ROWS, else 10,000 when small and 1,000,000 otherwise.
func rowsSize() int {
	if v, err := strconv.Atoi(os.Getenv("CTXSCHEMA_BENCH_ROWS")); err == nil && v > 0 {
		return v
	}
	if small {
		return 10_000
	}
	return 1_000_000
}

// dataExtensions is the number of extensions of the schema whose profile
// table the data benchmarks fill.
const dataExtensions = 10

// tmpDir holds every file the benchmarks make; TestMain removes it.
var tmpDir string

// cleanups run when the process ends (dropping PostgreSQL databases).
var (
	cleanupMu sync.Mutex
	cleanups  []func()
)

func atExit(f func()) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	cleanups = append(cleanups, f)
}

func TestMain(m *testing.M) {
	var err error
	tmpDir, err = os.MkdirTemp("", "ctxschema-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.RemoveAll(tmpDir)
	os.Exit(code)
}

// cache holds what is expensive to build (applied databases, filled
// tables) for the whole process: go test calls a benchmark function more
// than once (b.N = 1 first, and once per -count).
var (
	cacheMu sync.Mutex
	cache   = map[string]any{}
)

func cached[T any](b *testing.B, key string, build func() (T, error)) T {
	b.Helper()
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if v, ok := cache[key]; ok {
		return v.(T)
	}
	b.StopTimer()
	defer b.StartTimer()
	v, err := build()
	if err != nil {
		b.Fatalf("setting up %s: %v", key, err)
	}
	cache[key] = v
	return v
}

// schemaFor is the generated schema of n extensions.
func schemaFor(n int) *model.Schema { return gen.Schema(n, gen.DefaultSeed) }

// paired runs ours and floor b.N times each, alternating which goes first,
// and reports ns/op for ours, floor-ns/op and x-floor, their ratio. Each
// function does its own untimed preparation and returns the duration of
// the work it measures, between b.StartTimer and b.StopTimer calls.
func paired(b *testing.B, ours, floor func(b *testing.B) time.Duration) {
	b.Helper()
	b.StopTimer()
	var o, f time.Duration
	for i := range b.N {
		if i%2 == 0 {
			o += ours(b)
			f += floor(b)
		} else {
			f += floor(b)
			o += ours(b)
		}
	}
	report(b, o, f)
}

func report(b *testing.B, ours, floor time.Duration) {
	n := float64(b.N)
	b.ReportMetric(float64(ours.Nanoseconds())/n, "ns/op")
	b.ReportMetric(float64(floor.Nanoseconds())/n, "floor-ns/op")
	if floor > 0 {
		b.ReportMetric(float64(ours)/float64(floor), "x-floor")
	}
}

// timed runs f between StartTimer and StopTimer and returns its duration.
func timed(b *testing.B, f func() error) time.Duration {
	b.Helper()
	b.StartTimer()
	start := time.Now()
	err := f()
	d := time.Since(start)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// replay runs read queries through database/sql and reads every row as raw
// bytes: the database's work and the driver's, without ctxschema's.
func replay(ctx context.Context, db *sql.DB, qs []Query) error {
	for _, q := range qs {
		if err := readAll(ctx, db, q.SQL, q.Args...); err != nil {
			return err
		}
	}
	return nil
}

func readAll(ctx context.Context, db *sql.DB, q string, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
	}
	return rows.Err()
}

// execAll runs statements in one transaction, as an apply would, through
// database/sql.
func execAll(ctx context.Context, db *sql.DB, stmts []string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return tx.Commit()
}

// planSQL lists the SQL of a plan's steps: in the transaction, then after.
func planSQL(res *apply.Result) (in, after []string) {
	for _, s := range res.Plan.Steps {
		in = append(in, s.SQL...)
		after = append(after, s.After...)
	}
	return in, after
}

// fileName makes a name safe for a file or database name.
func fileName(parts ...any) string {
	s := fmt.Sprint(parts...)
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
			out = append(out, c)
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		default:
			out = append(out, '_')
		}
	}
	return string(out)
}
