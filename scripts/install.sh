#!/usr/bin/env bash
# Creates .venv and installs sapwood with its plugins (editable).
#   scripts/install.sh         core, memory and local: enough for the quickstart
#   scripts/install.sh --all   every plugin, the example plugin of examples/, the test tools
#                              and the Azurite emulator
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip

if [ "${1:-}" = "--all" ]; then
  editable=(-e core)
  for dist in plugins/*/ examples/*/; do
    [ -f "$dist/pyproject.toml" ] && editable+=(-e "$dist")
  done
  .venv/bin/python -m pip install --quiet "${editable[@]}" -r requirements-dev.txt
  if [ -f tools/azurite/package.json ]; then
    npm ci --prefix tools/azurite --no-audit --no-fund --loglevel=error
  fi
else
  .venv/bin/python -m pip install --quiet -e core -e plugins/sapwood-memory -e plugins/sapwood-local
fi
