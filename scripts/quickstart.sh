#!/usr/bin/env bash
# Installs sapwood with the local-folder backend, runs the quickstart story, then shows the
# same repository from the `sapwood` command line. Safe to run again (pass a FOLDER to reuse).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
folder="${1:-$(mktemp -d -t sapwood-XXXXXX)/census}"
.venv/bin/python examples/quickstart.py "$folder"

echo "8. The same repository from the command line:"
export SAPWOOD_REPO="$folder"
sapwood=.venv/bin/sapwood
$sapwood log main --amount 3
$sapwood fs ls main:trees/
$sapwood fs upload README.md main:docs/ -m "Add the README"   # a second run changes nothing
$sapwood diff main~1 main
$sapwood fs download main: "$folder.checkout" -r            # the whole tree, as files
$sapwood --json fs stat main:trees/species.csv
