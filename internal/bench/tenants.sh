#!/usr/bin/env bash
# Measures ctxschema over many tenants and prints the tables of
# BENCHMARKS.md ("Many tenants"): plan --all-tenants over N PostgreSQL
# tenant databases and over N SQLite files (the contact-center schema of
# schemas/, no changes) against N separate `ctxschema plan` processes run
# one after another; time against the number of tenants and against
# --parallel; apply --all-tenants of one new key against the sequential
# loop. From the repository root:
#
#   bash internal/bench/tenants.sh
#
# N (default 200) is the number of tenants. PGURL (default
# postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) is a server
# where the script may create databases: it creates N of them, named
# PREFIX_<i> (PREFIX defaults to ctxbench_tenants_<pid>), and drops them on
# exit, whatever happens. SQLITE_ONLY=1 leaves PostgreSQL out. BIN names a
# ctxschema binary to measure instead of one built from the working tree
# (to measure an older build in the same way).
set -euo pipefail
cd "$(dirname "$0")/../.."

n="${N:-200}"
pgurl="${PGURL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
sqlite_only="${SQLITE_ONLY:-}"
work="$(mktemp -d "${TMPDIR:-/tmp}/ctxschema-tenants.XXXXXX")"
prefix="${PREFIX:-ctxbench_tenants_$$}"
bin="${BIN:-$work/ctxschema}"
pgbase=$(echo "$pgurl" | sed -E 's|^([a-z]+://[^/]*)/.*$|\1|')
export CTXSCHEMA_DB= CTXSCHEMA_TENANTS= CTXSCHEMA_ENV=

cleanup() {
	if [ -z "$sqlite_only" ]; then
		for i in $(seq 1 "$n"); do echo "DROP DATABASE IF EXISTS ${prefix}_$i;"; done |
			psql -q "$pgurl" >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${BIN:-}" ]; then
	go build -o "$bin" .
fi
mkdir -p "$work/sqlite" "$work/newkey" "$work/newkey2"
cp -r schemas/. "$work/newkey/"
cp -r schemas/. "$work/newkey2/"
cat >>"$work/newkey/keys.yaml" <<'EOF'
  - name: idLastName
    attributes: [LastName]
EOF
cat >>"$work/newkey2/keys.yaml" <<'EOF'
  - name: idLastName
    attributes: [LastName]
  - name: idFirstName
    attributes: [FirstName]
EOF

# tenants FILE KIND COUNT writes a tenants file of COUNT tenants.
tenants() {
	{
		echo "tenants:"
		for i in $(seq 1 "$3"); do
			if [ "$2" = pg ]; then
				db="$pgbase/${prefix}_$i?sslmode=disable"
			else
				db="sqlite://sqlite/t$i.db"
			fi
			echo "  - {id: $i, name: t$i, db: \"$db\"}"
		done
	} >"$1"
}

# measure LABEL CMD...: runs CMD, prints "LABEL seconds peak-KiB".
measure() {
	local label="$1"
	shift
	/usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/err.txt" || {
		code=$?
		# plan --detailed-exitcode exits 0 here (no changes); anything else
		# (2: changes) means the tenants are not what they should be.
		echo "$label: exit $code" >&2
		tail -5 "$work/err.txt" >&2
		exit 1
	}
	read -r secs kib <"$work/time.txt"
	echo "$label $secs $kib"
}

# loop FILE-OF-URLS CMD...: runs CMD --db URL for every URL, one after
# another, and prints the total seconds.
loop() {
	local urls="$1"
	shift
	local start end
	start=$(date +%s.%N)
	while read -r url; do
		"$bin" "$@" --db "$url" >/dev/null 2>&1 || { echo "loop: $* --db $url failed" >&2; exit 1; }
	done <"$urls"
	end=$(date +%s.%N)
	echo "$end - $start" | bc
}

urls() { sed -n 's/.*db: "\(.*\)"}/\1/p' "$1"; }

echo "== $(date -u +%FT%TZ) on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), N=$n" >&2
results="$work/results.txt"
: >"$results"

run_kind() { # pg|sqlite
	local kind="$1" file="$work/$1.yaml"
	tenants "$file" "$kind" "$n"
	urls "$file" | sed "s|sqlite://sqlite/|sqlite://$work/sqlite/|" >"$work/$kind.urls"
	"$bin" apply --tenants "$file" --all-tenants --dir schemas --auto-approve --parallel 4 >"$work/setup.txt" 2>&1 ||
		{ tail -20 "$work/setup.txt" >&2; exit 1; }

	measure "$kind plan --all-tenants --parallel 4" "$bin" plan --tenants "$file" --all-tenants --dir schemas --detailed-exitcode --parallel 4 | tee -a "$results"
	echo "$kind loop-plan $(loop "$work/$kind.urls" plan --dir schemas --detailed-exitcode)" | tee -a "$results"
	measure "$kind single plan" "$bin" plan --db "$(head -1 "$work/$kind.urls")" --dir schemas --detailed-exitcode | tee -a "$results"
	for p in 1 2 4 8; do
		measure "$kind plan --all-tenants --parallel $p" "$bin" plan --tenants "$file" --all-tenants --dir schemas --detailed-exitcode --parallel "$p" | tee -a "$results"
	done
	for m in $((n / 4)) $((n / 2)) "$n"; do
		tenants "$work/$kind-$m.yaml" "$kind" "$m"
		measure "$kind plan --all-tenants tenants=$m" "$bin" plan --tenants "$work/$kind-$m.yaml" --all-tenants --dir schemas --detailed-exitcode --parallel 4 | tee -a "$results"
	done
	# One new key: the fan-out adds idLastName, the loop then adds
	# idFirstName (the same work on every tenant: one index on the profile).
	measure "$kind apply --all-tenants --parallel 4" "$bin" apply --tenants "$file" --all-tenants --dir "$work/newkey" --auto-approve --parallel 4 | tee -a "$results"
	echo "$kind loop-apply $(loop "$work/$kind.urls" apply --dir "$work/newkey2" --auto-approve)" | tee -a "$results"
}

if [ -z "$sqlite_only" ]; then
	for i in $(seq 1 "$n"); do echo "CREATE DATABASE ${prefix}_$i;"; done | psql -q "$pgurl" >/dev/null
	run_kind pg
fi
# SQLite paths in the tenants file are relative to its folder ($work).
run_kind sqlite

echo
echo "| measure | seconds | peak RSS (MiB) |"
echo "|---|---|---|"
awk '{ label=$0; sub(/ [0-9.]+( [0-9]+)?$/, "", label);
       if (NF >= 2 && $(NF) ~ /^[0-9]+$/ && $(NF-1) ~ /^[0-9.]+$/) printf "| %s | %s | %.0f |\n", label, $(NF-1), $(NF)/1024;
       else printf "| %s | %s | |\n", label, $(NF) }' "$results"
echo
for kind in pg sqlite; do
	fan=$(awk -v k="$kind" '$0 ~ "^"k" plan --all-tenants --parallel 4 " {print $(NF-1); exit}' "$results")
	seq=$(awk -v k="$kind" '$1==k && $2=="loop-plan" {print $3}' "$results")
	afan=$(awk -v k="$kind" '$0 ~ "^"k" apply --all-tenants" {print $(NF-1)}' "$results")
	aseq=$(awk -v k="$kind" '$1==k && $2=="loop-apply" {print $3}' "$results")
	[ -n "$fan" ] && [ -n "$seq" ] && echo "$kind: plan --all-tenants / loop of plans = $(echo "scale=3; $fan / $seq" | bc)"
	[ -n "$afan" ] && [ -n "$aseq" ] && echo "$kind: apply --all-tenants / loop of applies = $(echo "scale=3; $afan / $aseq" | bc)"
done
