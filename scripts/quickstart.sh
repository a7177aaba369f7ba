#!/usr/bin/env bash
# Installs sapwood with the local-folder backend and runs the quickstart story.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/python examples/quickstart.py "$@"
