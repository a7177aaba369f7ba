"""``python -m sapwood.cli``: the same as the ``sapwood`` command."""

from __future__ import annotations

import sys

from sapwood.cli.app import main

sys.exit(main())
