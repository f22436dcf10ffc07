#!/usr/bin/env bash
# Database-only comparison of job-queue layouts (issue 12): each pgbench transaction inserts 10 jobs, claims 10 and
# completes them, on 2 clients, alternating runs of:
#   current     the service's own Sql/ scripts and queries (claims leave status alone: HOT updates, fill factor 70);
#   statusflip  the layout before Sql/0011 (a claim sets status 'running', rewriting every index entry of the row);
#   split       split-schema.sql (definition, queue row and outcome in three tables; not used by the service).
# Prints jobs/s of each run and each layout's ratio to current.
#   tests/Benchmarks/QueueLayout/run.sh [runs=2] [seconds=30]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
server="$("$root/scripts/postgres.sh")"
host="$(sed -E 's/.*Host=([^;]+).*/\1/' <<<"$server")"; port="$(sed -E 's/.*Port=([^;]+).*/\1/' <<<"$server")"
psql_() { psql -h "$host" -p "$port" -U postgres -q -v ON_ERROR_STOP=1 "$@"; }
pgbench_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/pgbench"
layouts=(current statusflip split)
for layout in "${layouts[@]}"; do psql_ -c "DROP DATABASE IF EXISTS queue_$layout" -c "CREATE DATABASE queue_$layout"; done
cat "$root"/src/Grains/Jobs/Store/Sql/*.sql | psql_ -d queue_current
ls "$root"/src/Grains/Jobs/Store/Sql/*.sql | grep -v 0011_hot_claims | xargs cat | psql_ -d queue_statusflip
psql_ -d queue_split -f "$here/split-schema.sql"
for run in $(seq 1 "${1:-2}"); do
  declare -A tps=()
  for layout in "${layouts[@]}"; do
    psql_ -d "queue_$layout" -c "TRUNCATE $( [ $layout = split ] && echo job_defs, job_queue, job_done || echo jobs )"
    # 5 s unmeasured, then ANALYZE: plans made for empty tables would be measured otherwise.
    "$pgbench_bin" -h "$host" -p "$port" -U postgres -n -M extended -c 2 -j 2 -T 5 -f "$here/lifecycle-$layout.sql" "queue_$layout" >/dev/null 2>&1
    psql_ -d "queue_$layout" -c "ANALYZE"
    tps[$layout]="$("$pgbench_bin" -h "$host" -p "$port" -U postgres -n -M extended -c 2 -j 2 -T "${2:-30}" -f "$here/lifecycle-$layout.sql" "queue_$layout" 2>/dev/null | sed -nE 's/^tps = ([0-9.]+).*/\1/p')"
    awk -v l="$layout" -v r="$run" -v t="${tps[$layout]}" 'BEGIN { printf "%s run %s: %.0f jobs/s\n", l, r, t * 10 }'
  done
  awk -v r="$run" -v c="${tps[current]}" -v f="${tps[statusflip]}" -v s="${tps[split]}" \
    'BEGIN { printf "run %s: statusflip / current = %.2f, split / current = %.2f\n", r, f / c, s / c }'
done
