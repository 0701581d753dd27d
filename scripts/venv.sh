#!/usr/bin/env bash
# Create or refresh a virtualenv with the project installed in editable mode.
#   scripts/venv.sh DIR GROUPS DJANGO_SPEC [PYENV_VERSION]:PYTHON ...
# GROUPS: comma-separated dependency groups of pyproject.toml ([dependency-groups]: test,
# lint, docs), installed with pip's --group. The first interpreter that runs wins. A stamp
# (hash of pyproject.toml, groups and the Django spec) makes a second run a no-op.
set -euo pipefail

dir=$1 groups=$2 django=$3
shift 3

key=$( { cat pyproject.toml; echo "$groups $django $*"; } | sha256sum | cut -d' ' -f1)
stamp="$dir/.recur-stamp"
if [ -x "$dir/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
    echo "$dir: up to date ($("$dir/bin/python" -c 'import django, sys; print(f"Python {sys.version.split()[0]}, Django {django.__version__}")'))"
    exit 0
fi

python=""
for candidate in "$@"; do
    version=${candidate%%:*} exe=${candidate#*:}
    if env ${version:+PYENV_VERSION=$version} "$exe" -c 'import venv' >/dev/null 2>&1; then
        python=$candidate
        break
    fi
done
if [ -z "$python" ]; then
    echo "$dir: none of these interpreters works: $*" >&2
    exit 1
fi

echo "$dir: building with ${python#*:} ${python%%:*}"
rm -rf "$dir"
version=${python%%:*}
env ${version:+PYENV_VERSION=$version} "${python#*:}" -m venv "$dir"
"$dir/bin/python" -m pip install -qq --upgrade pip
group_args=()
IFS=, read -ra names <<<"$groups"
for name in "${names[@]}"; do
    [ -n "$name" ] && group_args+=(--group "$name")
done
"$dir/bin/python" -m pip install -qq -e . "${group_args[@]}" "$django"
echo "$key" >"$stamp"
"$dir/bin/python" -c 'import django, sys; print(f"Python {sys.version.split()[0]}, Django {django.__version__}")'
