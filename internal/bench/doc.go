// Package bench holds ctxschema's benchmarks at scale (its _test.go files)
// and nothing else: `go test ./...` runs only the generator's small tests,
// and `go test -run '^$' -bench . ./internal/bench` the benchmarks.
//
// Every database-bound benchmark measures its floor in the same process and
// run, interleaved with it on the same data: the raw catalog queries for a
// plan, the same DDL for an apply, the same CREATE UNIQUE INDEX, the same
// GROUP BY … HAVING count(*) > 1. Each reports ns/op (ours), floor-ns/op
// and x-floor (their ratio). BENCHMARKS.md holds the figures, the targets
// and the commands; internal/bench/run.sh runs the whole set.
//
// Sizes: N = 10, 100 and 1000 extensions and R = 1,000,000 profile rows;
// with CTXSCHEMA_BENCH_SMALL=1, N = 10 and R = 10,000, which CI runs once
// (-benchtime=1x) so that the benchmarks cannot rot. PostgreSQL runs when
// CTXSCHEMA_TEST_POSTGRES holds a connection URL.
package bench
