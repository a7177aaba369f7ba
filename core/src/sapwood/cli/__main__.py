"""``python -m sapwood.cli``: the same as the ``sapwood`` command."""

from __future__ import annotations

import sys

from sapwood.cli.app import main

# Guarded so that tools importing every module (the API docs' inspection) never run it.
if __name__ == "__main__":
    sys.exit(main())
