#!/usr/bin/env bash
# Installs everything the tests need (Python packages, the Azurite emulator) into the
# project's own folders, then runs every check: lint, format, types, tests, docs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh --all

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy --strict"
.venv/bin/mypy core/src plugins/*/src examples/*/src
echo "== import layers (import-linter)"
.venv/bin/lint-imports --no-cache
export NO_MKDOCS_2_WARNING=1
echo "== docs (mkdocs --strict)"
.venv/bin/mkdocs build --strict --quiet --site-dir "$(mktemp -d)"
echo "== pytest"
.venv/bin/pytest "$@"
