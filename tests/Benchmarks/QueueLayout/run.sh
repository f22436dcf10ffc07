#!/usr/bin/env bash
# Database-only comparison of two job-queue layouts (issue 12): each pgbench transaction inserts 10 jobs, claims 10 and
# completes them, on 2 clients, for the current layout (the service's own Sql/ scripts) and a split one
# (split-schema.sql), alternating runs. Prints jobs/s of each run and the split/current ratio.
#   tests/Benchmarks/QueueLayout/run.sh [runs=2] [seconds=30]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
server="$("$root/scripts/postgres.sh")"
host="$(sed -E 's/.*Host=([^;]+).*/\1/' <<<"$server")"; port="$(sed -E 's/.*Port=([^;]+).*/\1/' <<<"$server")"
psql_() { psql -h "$host" -p "$port" -U postgres -q -v ON_ERROR_STOP=1 "$@"; }
pgbench_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/pgbench"
for db in queue_current queue_split; do psql_ -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"; done
cat "$root"/src/Grains/Jobs/Store/Sql/*.sql | psql_ -d queue_current
psql_ -d queue_split -f "$here/split-schema.sql"
for run in $(seq 1 "${1:-2}"); do
  for layout in current split; do
    psql_ -d "queue_$layout" -c "TRUNCATE $( [ $layout = current ] && echo jobs || echo job_defs, job_queue, job_done )"
    # 5 s unmeasured, then ANALYZE: plans made for empty tables (a seq scan for the claim) would be measured otherwise.
    "$pgbench_bin" -h "$host" -p "$port" -U postgres -n -M extended -c 2 -j 2 -T 5 -f "$here/lifecycle-$layout.sql" "queue_$layout" >/dev/null 2>&1
    psql_ -d "queue_$layout" -c "ANALYZE"
    tps="$("$pgbench_bin" -h "$host" -p "$port" -U postgres -n -M extended -c 2 -j 2 -T "${2:-30}" -f "$here/lifecycle-$layout.sql" "queue_$layout" 2>/dev/null | sed -nE 's/^tps = ([0-9.]+).*/\1/p')"
    awk -v l="$layout" -v r="$run" -v t="$tps" 'BEGIN { printf "%s run %s: %.0f jobs/s\n", l, r, t * 10 }'
    eval "last_$layout=$tps"
  done
  awk -v r="$run" -v s="$last_split" -v c="$last_current" 'BEGIN { printf "run %s: split / current = %.2f\n", r, s / c }'
done
