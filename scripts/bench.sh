#!/usr/bin/env bash
# Run the benchmarks in tests/benchmarks/ with the Django 5.2 venv (VENV, default .venv) and a
# throwaway PostgreSQL cluster in the environment (PGHOST/PGPORT/PGUSER; RECUR_BENCH_DB=postgres
# is also set so a script may choose it). Every bench_*.py runs once on a cluster without
# durability; the webhook load benchmark then runs on a fresh cluster with fsync on
# (production) and again on one with fsync off, and only the second counts queries at
# 1,000,000 existing transactions. Exit 1 if any script failed.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/pg.sh
. scripts/pg.sh
trap pg_stop EXIT
trap 'exit 130' INT TERM

py=${VENV:-.venv}/bin/python
export PYTHONPATH=. RECUR_BENCH_DB=postgres
failed=()

shopt -s nullglob
scripts=()
for script in tests/benchmarks/bench_*.py; do
    [ "$script" = tests/benchmarks/bench_webhook.py ] || scripts+=("$script")
done
if [ ${#scripts[@]} -gt 0 ]; then
    pg_start
    for script in "${scripts[@]}"; do
        printf '\n==> %s\n' "$script"
        "$py" "$script" || failed+=("$script")
    done
    pg_stop
fi

durable="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
for fsync in on off; do
    printf '\n==> tests/benchmarks/bench_webhook.py --fsync %s\n' "$fsync"
    extra=()
    if [ "$fsync" = on ]; then
        PG_OPTIONS=$durable pg_start
    else
        pg_start
        extra=(--large 1000000)
    fi
    "$py" tests/benchmarks/bench_webhook.py --fsync "$fsync" "${extra[@]}" \
        || failed+=("bench_webhook.py --fsync $fsync")
    pg_stop
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "failed: ${failed[*]}" >&2
    exit 1
fi
