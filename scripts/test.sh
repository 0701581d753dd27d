#!/usr/bin/env bash
# The full check: both Django versions x SQLite and PostgreSQL, then lint, types,
# migrations and docs. Every step runs; the summary says which failed; any failure -> exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."
here=scripts
# shellcheck source=scripts/pg.sh
. "$here/pg.sh"

logs=$(mktemp -d "${TMPDIR:-/tmp}/recur-test-XXXXXX")
cleanup() { pg_stop; rm -rf "$logs"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

names=() codes=() secs=()
step() {
    local name=$1 start rc=0
    shift
    printf '\n==> %s\n' "$name"
    start=$(date +%s)
    "$@" || rc=$?
    names+=("$name") codes+=("$rc") secs+=($(($(date +%s) - start)))
    return 0
}

pytest_run() {  # pytest_run LOGNAME VENV [postgres|sqlite] [pytest args…]
    local log="$logs/$1" venv=$2 db=${3:-sqlite}
    shift $(($# < 3 ? $# : 3))
    if [ "$db" = postgres ]; then
        [ -n "${PGPORT:-}" ] || { echo "no PostgreSQL cluster"; return 1; }
        RECUR_TEST_DB=postgres "$venv/bin/python" -m pytest -q -rs "$@" 2>&1 | tee "$log"
    else
        env -u RECUR_TEST_DB "$venv/bin/python" -m pytest -q -rs "$@" 2>&1 | tee "$log"
    fi
}

teams_run() {  # teams_run LOGNAME VENV [postgres]: the billing-teams suite, its own settings
    DJANGO_SETTINGS_MODULE=tests.teams.settings pytest_run "$1" "$2" "${3:-sqlite}" tests/teams
}

example_project() {  # system checks, migrations and tests of the example shop
    local manage=(.venv/bin/python example_project/manage.py)
    "${manage[@]}" check --fail-level WARNING \
        && "${manage[@]}" makemigrations --check --dry-run shop \
        && "${manage[@]}" test example_project.shop
}

export PYTHONPATH=. NO_MKDOCS_2_WARNING=1
PY311=(":python3.11")
PY312=("3.12.1:python3.12" "3.13.0:python3.13" ":python3.12" ":python3.13")

step "system packages" bash "$here/system-deps.sh"
step "venv .venv (Django 5.2)" bash "$here/venv.sh" .venv "test,lint,docs" "django>=5.2,<5.3" "${PY311[@]}"
step "venv .venv-dj6 (Django 6)" bash "$here/venv.sh" .venv-dj6 "test" "django>=6.0,<7" "${PY312[@]}"
step "start PostgreSQL 15" pg_start

step "pytest Django 5.2 / SQLite" pytest_run dj52-sqlite .venv
step "pytest Django 5.2 / PostgreSQL" pytest_run dj52-postgres .venv postgres
step "pytest Django 6 / SQLite" pytest_run dj6-sqlite .venv-dj6
step "pytest Django 6 / PostgreSQL" pytest_run dj6-postgres .venv-dj6 postgres
step "pytest teams Django 5.2 / SQLite" teams_run dj52-teams-sqlite .venv
step "pytest teams Django 5.2 / PostgreSQL" teams_run dj52-teams-postgres .venv postgres
step "pytest teams Django 6 / SQLite" teams_run dj6-teams-sqlite .venv-dj6
step "pytest teams Django 6 / PostgreSQL" teams_run dj6-teams-postgres .venv-dj6 postgres
step "ruff check" .venv/bin/ruff check .
step "ruff format --check" .venv/bin/ruff format --check .
step "mypy recur_django" .venv/bin/mypy recur_django
step "makemigrations --check" env DJANGO_SETTINGS_MODULE=tests.settings \
    .venv/bin/django-admin makemigrations --check --dry-run
step "makemigrations --check (teams)" env DJANGO_SETTINGS_MODULE=tests.teams.settings \
    .venv/bin/django-admin makemigrations --check --dry-run
step "example_project" example_project
step "mkdocs build --strict" .venv/bin/mkdocs build --strict --site-dir "$logs/site"

pg_stop

printf '\n%-34s %-8s %s\n' "STEP" "RESULT" "TIME"
failed=0
for i in "${!names[@]}"; do
    result=pass
    if [ "${codes[$i]}" != 0 ]; then result="FAIL($((codes[i])))"; failed=1; fi
    printf '%-34s %-8s %ss\n' "${names[$i]}" "$result" "${secs[$i]}"
done

# One closing line over the pytest runs: "total: N passed, N failed, N skipped".
passed=0 failures=0 skipped=0
for log in "$logs"/dj*; do
    [ -f "$log" ] || continue
    line=$(grep -E '^=* ?[0-9]+ (passed|failed|error|errors|skipped|deselected)|no tests ran' "$log" | tail -n1 || true)
    for kind in passed failed skipped error errors; do
        n=$(grep -oE "[0-9]+ $kind\b" <<<"$line" | grep -oE '^[0-9]+' || true)
        case $kind in
            passed) passed=$((passed + ${n:-0})) ;;
            skipped) skipped=$((skipped + ${n:-0})) ;;
            *) failures=$((failures + ${n:-0})) ;;
        esac
    done
done
echo
echo "total: $passed passed, $failures failed, $skipped skipped"
exit "$failed"
