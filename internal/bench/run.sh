#!/usr/bin/env bash
# Runs every benchmark of internal/bench, measures the peak memory of
# `ctxschema plan` at N=1000 on the real binary, prints the table of
# BENCHMARKS.md, then the table of issue 15: whole ctxschema processes at
# N=500 against their floors (the database's own client, yaml.v3 alone, a
# Go binary's start-up; internal/bench/cmd/sidebyside), with peak memory
# and its growth over N = 100, 500, 1000, 2000. From the repository root:
#
#   bash internal/bench/run.sh
#
# COUNT (default 5) repeats each benchmark; CTXSCHEMA_BENCH_SMALL=1 runs the
# smallest sizes (N=10, R=10,000; issue 15's table at N=10); CTXSCHEMA_TEST_POSTGRES adds PostgreSQL;
# OUT keeps the raw results in a directory of your choice. The sqlite3
# client is needed (apt-get install sqlite3), and psql for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/../.."

count="${COUNT:-5}"
out="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/ctxschema-bench.XXXXXX")}"
mkdir -p "$out"
benchstat="golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da"
small="${CTXSCHEMA_BENCH_SMALL:-}"
if [ -n "$small" ] && [ "$small" != 0 ]; then
	n=10 rows=10,000 side_n=10 growth=10,20
else
	n=1000 rows=1,000,000 side_n=500 growth=100,500,1000,2000
fi
start=$(date +%s)

go test -c -o "$out/bench.test" ./internal/bench
go build -o "$out/ctxschema" .
go build -o "$out/floor" ./internal/bench/cmd/floor
go build -o "$out/sidebyside" ./internal/bench/cmd/sidebyside

run() { # name pattern benchtime
	echo "==> $1: -bench '$2' -benchtime $3 -count $count" >&2
	"$out/bench.test" -test.run '^$' -test.bench "$2" -test.benchtime "$3" -test.count "$count" | tee "$out/$1.txt" >&2
}
run plan 'Load|PlanNoChange|PlanChanged' 10x
run apply 'ApplyEmpty' 2x
run data 'AddUniqueKey|Duplicates|DeleteCustomer' 3x

echo "==> peak memory: ctxschema plan at N=$n (SQLite)" >&2
go run ./internal/bench/cmd/gen -n "$n" -out "$out/schema" -db "sqlite://$out/plan.db" >&2
peaks=()
for _ in 1 2 3; do
	/usr/bin/time -v "$out/ctxschema" plan --dir "$out/schema" --db "sqlite://$out/plan.db" >/dev/null 2>"$out/time.txt"
	peaks+=("$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$out/time.txt")")
	grep -E 'Elapsed|Maximum resident' "$out/time.txt" >&2
done
peak_kib=$(printf '%s\n' "${peaks[@]}" | sort -n | tail -1)
peak_mib=$(awk -v k="$peak_kib" 'BEGIN { printf "%.1f", k / 1024 }')

echo "==> benchstat (ratios and spreads over $count runs)" >&2
cat "$out/plan.txt" "$out/apply.txt" "$out/data.txt" >"$out/all.txt"
go run "$benchstat" "$out/all.txt" >&2 || true

pg="not run"
if [ -n "${CTXSCHEMA_TEST_POSTGRES:-}" ] && command -v psql >/dev/null; then
	pg=$(psql "$CTXSCHEMA_TEST_POSTGRES" -Atc 'SHOW server_version' 2>/dev/null || echo unknown)
fi
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(go env GOVERSION), SQLite $(go run ./internal/bench/cmd/gen -sqlite-version), PostgreSQL $pg; $count runs each; results in $out"
echo
go run ./internal/bench/cmd/table -peak-mib "$peak_mib" -peak-n "$n" -rows "$rows" "$out/all.txt"
echo

echo "==> issue 15: whole processes at N=$side_n against their floors, $count rounds" >&2
side_pg=()
if [ "$pg" != "not run" ]; then side_pg=(-pg "$CTXSCHEMA_TEST_POSTGRES"); fi
mkdir -p "$out/side"
"$out/sidebyside" -bin "$out/ctxschema" -floor "$out/floor" -n "$side_n" -runs "$count" \
	-growth "$growth" -work "$out/side" "${side_pg[@]}" >"$out/side.md"
echo "Issue 15 (whole processes, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end):"
echo
cat "$out/side.md"
echo
echo "Took $(( $(date +%s) - start )) s." >&2
