#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL 15 cluster, removed afterwards:
#   scripts/with-postgres.sh .venv/bin/python -m pytest tests/test_x.py
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/pg.sh
. "$here/pg.sh"
trap pg_stop EXIT
trap 'exit 130' INT TERM
pg_start
RECUR_TEST_DB=postgres "$@"
