"""What every command shares: the repository it works on, and how it prints results."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import msgspec
from rich.console import Console
from rich.table import Table
from rich.text import Text

import sapwood
from sapwood.credential_chain import config_file_path, load_config_file

__all__ = [
    "Commands",
    "Context",
    "Handler",
    "UsageError",
    "add_json",
    "add_message",
    "repository_url",
]


class UsageError(Exception):
    """The command line is wrong (exit status 2)."""


@dataclass
class Context:
    """One run of the command line: its options, its output, and the repository (opened
    on first use)."""

    args: argparse.Namespace
    console: Console = field(default_factory=lambda: _stdout_console())
    _repository: sapwood.Repository | None = None
    _written: list[sapwood.Branch] = field(default_factory=list)

    @property
    def json(self) -> bool:
        """True when the user asked for JSON output."""
        return bool(getattr(self.args, "json", False))

    def url(self) -> str:
        """The repository's URL (``--repo``, ``SAPWOOD_REPO`` or the profile's)."""
        return repository_url(self.args)

    def repository(self) -> sapwood.Repository:
        """The repository, opened (never created: ``sapwood init`` does that)."""
        if self._repository is None:
            self._repository = sapwood.Repository.open(self.url())
        return self._repository

    def branch(self, name: str) -> sapwood.Branch:
        """A branch this command stages changes on: whatever a failed command left staged
        is dropped at :meth:`close` (it was never committed, and never will be)."""
        branch = self.repository().branch(name)
        self._written.append(branch)
        return branch

    def close(self) -> None:
        """Drop what a failed command left staged, and release the repository."""
        for branch in self._written:
            branch.reset()
        self._written.clear()
        if self._repository is not None:
            self._repository.close()
            self._repository = None

    def emit_json(self, value: Any) -> None:
        """Print ``value`` (msgspec Structs, lists, dicts) as indented JSON on stdout."""
        encoded = msgspec.json.format(msgspec.json.encode(value), indent=2)
        sys.stdout.write(encoded.decode() + "\n")
        sys.stdout.flush()

    def failed(self, summary: str) -> int:
        """Exit status 1 for a command that ran but found a problem (a plugin that failed to
        load, a damaged object...): the output above holds the detail, stderr gets the one
        line every error gets."""
        sys.stderr.write(f"sapwood: error: {' '.join(summary.split())}\n")
        return 1

    def say(self, text: str) -> None:
        """A line for people (skipped under ``--json``, where the data is the output)."""
        if not self.json:
            self.console.print(Text(text), soft_wrap=True)

    def commit_line(self, verb: str, commit: sapwood.Commit, where: str) -> None:
        """Report a commit: JSON under ``--json``, a line otherwise."""
        if self.json:
            self.emit_json(commit)
        else:
            self.say(f"{verb} {commit.id[:12]} on {where}: {commit.message}")

    def table(
        self, title: str | None, columns: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> None:
        """Print a rich table; cells are shown as plain text (never as markup)."""
        if title:
            self.console.print(Text(title, style="bold"), soft_wrap=True)
        table = Table(show_lines=False, box=None, header_style="bold")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*(Text("-" if cell is None else str(cell)) for cell in row))
        self.console.print(table)


def _stdout_console() -> Console:
    """A console on stdout; piped, its tables are wide rather than wrapped at 80 columns."""
    console = Console()
    return console if console.is_terminal else Console(width=max(console.width, 200))


Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""Where a command group adds its sub-commands."""

Handler: TypeAlias = Callable[[Context], int]
"""What a sub-command runs: it reads ``ctx.args`` and returns the exit status."""


def repository_url(args: argparse.Namespace) -> str:
    """``--repo``, else ``$SAPWOOD_REPO``, else the ``repository`` of the chosen profile
    (``--profile``, ``$SAPWOOD_PROFILE``, or the config file's ``default_profile``)."""
    given = getattr(args, "repo", None) or os.environ.get("SAPWOOD_REPO")
    if given:
        return str(given)
    settings = load_config_file()
    name = getattr(args, "profile", None) or os.environ.get("SAPWOOD_PROFILE")
    name = name or settings.default_profile
    if name is not None:
        profile = settings.profiles.get(name)
        if profile is None:
            raise UsageError(
                f"{config_file_path()} has no [profiles.{name}] (profiles: "
                f"{', '.join(sorted(settings.profiles)) or 'none'})"
            )
        if profile.repository:
            return profile.repository
        raise UsageError(
            f"profile {name!r} in {config_file_path()} names no repository; add "
            f'repository = "s3://bucket/prefix" to it, or give --repo URL'
        )
    raise UsageError(
        "no repository given: pass --repo URL (a folder, file:///path, s3://bucket/prefix...), "
        "set SAPWOOD_REPO, or choose a config-file profile holding repository = ... "
        "with --profile NAME"
    )


def add_json(parser: argparse.ArgumentParser) -> None:
    """``--json``: print the result as JSON with the value types' field names."""
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print JSON (field names of Commit, ObjectInfo, Change, CommonPrefix)",
    )


def add_message(parser: argparse.ArgumentParser) -> None:
    """``-m MSG``: the message of the one commit a writing command makes."""
    parser.add_argument(
        "-m", "--message", help="commit message (default: one describing the command)"
    )
