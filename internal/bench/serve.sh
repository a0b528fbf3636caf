#!/usr/bin/env bash
# The serve benchmarks of BENCHMARKS.md, from the repository root:
#
#   bash internal/bench/serve.sh
#
# 1. throughput: wrk against one `ctxschema serve` over a database with 30
#    identification keys, GET /healthz and GET /metadata/identification-keys
#    one after the other, ROUNDS times (default 5) for SECS seconds each
#    (default 10): the median of the rounds' ratios (target ≥ 0.5).
# 2. latency: the median of POST /metadata/identification-keys of a key on
#    an empty table against the same change applied in-process by the apply
#    engine (BenchmarkServePostKey; target ≤ 1.5×).
# 3. load: 200 concurrent clients mixing reads and writes for 30 seconds
#    (cmd/serveload): no 5xx, no lost write; then inspect and plan find no
#    drift.
#
# SQLite by default; DB=postgres://… runs on PostgreSQL (an empty database:
# it is changed). Loopback only. Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/../.."

command -v wrk >/dev/null || { echo "serve.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
out="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/ctxschema-serve.XXXXXX")}"
secs="${SECS:-10}"
rounds="${ROUNDS:-5}"
clients="${CLIENTS:-200}"
duration="${DURATION:-30s}"
db="${DB:-sqlite://$out/serve.db}"
port="${PORT:-18480}"
url="http://127.0.0.1:$port"

go build -o "$out/ctxschema" .

# A profile of 30 attributes with one key each, plus LastName for the load.
mkdir -p "$out/schema"
{
	echo "profile:"
	echo "  attributes:"
	echo "    - { name: LastName, type: string, length: 64 }"
	for i in $(seq -w 1 30); do echo "    - { name: a$i, type: string, length: 64 }"; done
	echo "identification_keys:"
	for i in $(seq -w 1 30); do echo "  - { name: id$i, attributes: [a$i] }"; done
} >"$out/schema/schema.yaml"
"$out/ctxschema" apply --db "$db" --dir "$out/schema" --auto-approve >/dev/null

"$out/ctxschema" serve --db "$db" --listen "127.0.0.1:$port" 2>"$out/serve.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "$url/healthz" >/dev/null && break; sleep 0.1; done

rps() { wrk -t2 -c32 -d"${secs}s" "$url$1" | awk '/^Requests\/sec/ { print $2 }'; }
ratios=()
for r in $(seq "$rounds"); do
	h=$(rps /healthz)
	k=$(rps /metadata/identification-keys)
	ratios+=("$(awk -v k="$k" -v h="$h" 'BEGIN { printf "%.2f", k / h }')")
	echo "round $r: GET /healthz $h req/s, GET /metadata/identification-keys (30 keys) $k req/s, ratio ${ratios[-1]}"
done
med() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "throughput ratio, median of $rounds rounds: $(med "${ratios[@]}") (target >= 0.5)"

echo "==> load: $clients clients for $duration" >&2
go run ./internal/bench/cmd/serveload -url "$url" -clients "$clients" -duration "$duration" -attribute LastName
"$out/ctxschema" inspect --db "$db" --out "$out/live" 2>&1 | grep -v '^Wrote' || true
"$out/ctxschema" plan --db "$db" --dir "$out/live" --detailed-exitcode >"$out/plan.txt" && echo "after the load: inspect and plan find no drift"

kill -TERM $pid
wait $pid && echo "serve exited 0 after SIGTERM"
trap - EXIT

echo "==> latency: POST of a key against in-process apply" >&2
go test -run '^$' -bench 'ServePostKey' -benchtime "${POSTS:-200}x" ./internal/bench | grep -E '^Benchmark'
echo "access log: $(wc -l <"$out/serve.log") lines in $out/serve.log"
