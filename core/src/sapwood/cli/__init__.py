"""The ``sapwood`` command line: lakectl's verbs over one repository.

``sapwood [--repo URL] COMMAND ...``; objects are named ``REF:PATH`` as in git. One module
per command group registers its sub-commands; :mod:`sapwood.cli.app` parses, dispatches and
turns errors into exit codes (0 done, 1 error, 2 usage, 3 conflict).
"""

from __future__ import annotations

from sapwood.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
