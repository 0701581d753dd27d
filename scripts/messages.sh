#!/usr/bin/env bash
# Extract and compile the en and zh_Hant catalogs of the app, the emulator (when it keeps
# its own catalog) and the example project.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PYTHONPATH=$root DJANGO_SETTINGS_MODULE=tests.settings
admin=$root/.venv/bin/django-admin

catalog() {  # catalog DIR [makemessages options]
    local dir=$1
    shift
    mkdir -p "$dir/locale"
    (cd "$dir" && "$admin" makemessages -l en -l zh_Hant --no-obsolete "$@" \
        && "$admin" compilemessages -l en -l zh_Hant)
}

if [ -d recur_django/emulator/locale ]; then
    catalog recur_django --ignore 'emulator/*'
    catalog recur_django/emulator
else
    catalog recur_django
fi
catalog example_project
