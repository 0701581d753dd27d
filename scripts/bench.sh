#!/usr/bin/env bash
# Run every tests/benchmarks/bench_*.py with the Django 5.2 venv and a throwaway PostgreSQL
# cluster in the environment (PGHOST/PGPORT/PGUSER; RECUR_BENCH_DB=postgres is also set so a
# script may choose it). Prints each script's output; exit 1 if any script failed.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/pg.sh
. scripts/pg.sh
trap pg_stop EXIT
trap 'exit 130' INT TERM

shopt -s nullglob
scripts=(tests/benchmarks/bench_*.py)
if [ ${#scripts[@]} -eq 0 ]; then
    echo "no benchmarks in tests/benchmarks/"
    exit 0
fi
pg_start
export PYTHONPATH=. RECUR_BENCH_DB=postgres
failed=()
for script in "${scripts[@]}"; do
    printf '\n==> %s\n' "$script"
    .venv/bin/python "$script" || failed+=("$script")
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "failed: ${failed[*]}" >&2
    exit 1
fi
