"""Parsing, dispatch, logging and exit codes of the ``sapwood`` command line.

Exit codes: 0 done, 1 error (one line on stderr; ``--debug`` adds the traceback), 2 usage,
3 conflict (:class:`~sapwood.ConflictError`: a merge, revert, cherry-pick or commit that
collided with other changes).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Iterator, Sequence
from typing import Final, TextIO

import sapwood
from sapwood.cli import fs, history, maintenance, plugins, refs
from sapwood.cli.context import Context, Handler, UsageError, add_json

__all__ = ["EXIT_CONFLICT", "EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_CONFLICT: Final = 3

_DESCRIPTION: Final = (
    "git for object storage: branches, commits, diffs and merges over one repository. "
    "Objects are named REF:PATH as in git (main:data/a.csv, v1:, main~2:x). Every command "
    "that writes objects makes one commit. Exit codes: 0 done, 1 error, 2 usage, 3 conflict."
)
_EPILOG: Final = (
    "The repository is --repo URL, else $SAPWOOD_REPO, else the 'repository' of a profile in "
    "~/.config/sapwood/config.toml ($SAPWOOD_CONFIG) chosen by --profile, $SAPWOOD_PROFILE "
    "or default_profile."
)


def _common_options() -> argparse.ArgumentParser:
    """Options accepted before and after the command (``sapwood --json branch list`` and
    ``sapwood branch list --json`` alike)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--repo",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="the repository: a folder, file:///path, s3://bucket/prefix, gs://..., az://...",
    )
    common.add_argument(
        "--profile",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="a profile of the config file: its credentials, and its repository if no --repo",
    )
    common.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log sapwood's operations (open, commit, merge, GC, retries) to stderr",
    )
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show tracebacks of errors, and debug logs with --verbose",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, exposed so docs and tests can inspect it."""
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="sapwood", description=_DESCRIPTION, epilog=_EPILOG, parents=[common]
    )
    add_json(parser)
    parser.add_argument("--version", action="version", version=f"sapwood {sapwood.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    maintenance.register_init(commands, common)
    refs.register(commands, common)
    history.register(commands, common)
    fs.register(commands, common)
    maintenance.register(commands, common)
    plugins.register(commands, common)
    return parser


@contextlib.contextmanager
def _process_settings(args: argparse.Namespace, debug: bool) -> Iterator[None]:
    """Logging to stderr (``--verbose``), one-line warnings and the chosen profile, for the
    length of one command (undone after, for callers that run ``main`` in-process)."""
    logger = logging.getLogger("sapwood")
    handler: logging.Handler | None = None
    level = logger.level
    if getattr(args, "verbose", False):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if debug else logging.INFO)
    shown = warnings.showwarning
    if not debug:
        warnings.showwarning = _show_warning
    profile = getattr(args, "profile", None)
    try:
        if profile is not None:
            sapwood.init(profile=profile)
        yield
    finally:
        if profile is not None:
            sapwood.init()
        warnings.showwarning = shown
        if handler is not None:
            logger.removeHandler(handler)
            logger.setLevel(level)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    sys.stderr.write(f"sapwood: warning: {_one_line(str(message))}\n")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    with _process_settings(args, debug):
        return _run(parser, args, debug)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace, debug: bool) -> int:
    handler: Handler = args.handler
    context = Context(args)
    try:
        return handler(context)
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        sys.stderr.write(f"sapwood: error: {_one_line(str(exc))}\n")
        return EXIT_USAGE
    except sapwood.ConflictError as exc:
        _report(exc, debug)
        return EXIT_CONFLICT
    except KeyboardInterrupt:
        sys.stderr.write("sapwood: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (``sapwood fs cat ... | head``): not an error. Point stdout
        # at nothing so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        _report(exc, debug)
        return EXIT_ERROR
    finally:
        try:
            context.close()
        except Exception as exc:
            _report(exc, debug)


def _report(exc: BaseException, debug: bool) -> None:
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    kind = type(exc).__name__
    sys.stderr.write(f"sapwood: error: {kind}: {_one_line(str(exc)) or kind}\n")
