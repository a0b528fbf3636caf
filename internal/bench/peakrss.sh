#!/usr/bin/env bash
# Compares the peak RSS, wall and CPU time of a no-op `ctxschema plan` on SQLite
# between ctxschema binaries, interleaved (each round runs every binary in
# turn), for each N of SIZES; prints the median of RUNS rounds. From the
# repository root:
#
#   go build -o /tmp/after . && (cd ../main && go build -o /tmp/before .)
#   bash internal/bench/peakrss.sh /tmp/before /tmp/after
#
# SIZES (default "100 500 1000 2000"), RUNS (default 5); WORK keeps the
# generated schemas and databases (default a temporary directory).
#
# Before each run the binary's pages are dropped from the page cache
# (`dd iflag=nocache`), so that every binary is read from disk the same
# way. Otherwise the kernel maps whatever the page cache holds of it: a
# binary the linker has just written sits there in large folios, each
# mapped whole at its first fault, and counts up to ~6 MiB more than the
# same file read back from disk, or than an older build whose folios were
# reclaimed since: a comparison of a fresh build against an older one
# measures their ages. EVICT=0 keeps the page cache as it is.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }
sizes="${SIZES:-100 500 1000 2000}"
runs="${RUNS:-5}"
work="${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/ctxschema-peakrss.XXXXXX")}"
mkdir -p "$work"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| N | binary | peak RSS, median (all) | wall, median | CPU (user+sys), median |"
echo "|---|---|---|---|---|"
for n in $sizes; do
	dir="$work/gen$n"
	[ -d "$dir" ] || go run ./internal/bench/cmd/gen -n "$n" -out "$dir" -db "sqlite://$dir.db" >/dev/null
	k=0
	for b in "$@"; do k=$((k + 1)); : >"$work/m.$n.$k"; done
	for _ in $(seq "$runs"); do
		k=0
		for b in "$@"; do
			k=$((k + 1))
			[ "${EVICT:-1}" = 0 ] || dd if="$b" iflag=nocache count=0 status=none
			/usr/bin/time -f "%M %e %U %S" -a -o "$work/m.$n.$k" "$b" plan --dir "$dir" --db "sqlite://$dir.db" >/dev/null
		done
	done
	k=0
	for b in "$@"; do
		k=$((k + 1))
		rss=$(awk '{print $1}' "$work/m.$n.$k" | median)
		all=$(awk '{printf "%s%.0f", (NR > 1 ? " " : ""), $1 / 1024}' "$work/m.$n.$k")
		wall=$(awk '{print $2}' "$work/m.$n.$k" | median)
		cpu=$(awk '{print $3 + $4}' "$work/m.$n.$k" | median)
		awk -v n="$n" -v b="$b" -v rss="$rss" -v all="$all" -v wall="$wall" -v cpu="$cpu" \
			'BEGIN {printf "| %s | %s | %.1f MiB (%s) | %.0f ms | %.0f ms |\n", n, b, rss / 1024, all, wall * 1000, cpu * 1000}'
	done
done
