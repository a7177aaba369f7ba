"""``sapwood branch ...`` and ``sapwood tag ...``: listing, creating, deleting and moving refs."""

from __future__ import annotations

import argparse

from sapwood.cli.context import Commands, Context, add_json

__all__ = ["register"]


def _ref_rows(ctx: Context, names: list[str], kind: str) -> int:
    repo = ctx.repository()
    commits = [repo.ref(name).get_commit() for name in names]
    if ctx.json:
        ctx.emit_json([{"id": n, "commit": c} for n, c in zip(names, commits, strict=True)])
        return 0
    ctx.table(
        None,
        [kind, "commit", "committed_at", "message"],
        (
            (n, c.id[:12], c.committed_at.isoformat(timespec="seconds"), c.message)
            for n, c in zip(names, commits, strict=True)
        ),
    )
    return 0


def _branch_list(ctx: Context) -> int:
    names = [b.id for b in ctx.repository().list_branches(prefix=ctx.args.prefix)]
    return _ref_rows(ctx, names, "branch")


def _branch_create(ctx: Context) -> int:
    branch = ctx.repository().branch(ctx.args.name).create(ctx.args.source)
    commit = branch.get_commit()
    if ctx.json:
        ctx.emit_json({"id": branch.id, "commit": commit})
    else:
        ctx.say(f"created branch {branch.id} at {commit.id[:12]} (from {ctx.args.source})")
    return 0


def _branch_delete(ctx: Context) -> int:
    ctx.repository().branch(ctx.args.name).delete()
    if ctx.json:
        ctx.emit_json({"deleted": ctx.args.name})
    ctx.say(f"deleted branch {ctx.args.name}")
    return 0


def _branch_reset(ctx: Context) -> int:
    branch = ctx.repository().branch(ctx.args.name)
    branch.reset_to(ctx.args.ref)
    commit = branch.get_commit()
    if ctx.json:
        ctx.emit_json({"id": branch.id, "commit": commit})
    else:
        ctx.say(f"branch {branch.id} now at {commit.id[:12]} ({ctx.args.ref})")
    return 0


def _tag_list(ctx: Context) -> int:
    names = [t.id for t in ctx.repository().list_tags(prefix=ctx.args.prefix)]
    return _ref_rows(ctx, names, "tag")


def _tag_create(ctx: Context) -> int:
    tag = ctx.repository().tag(ctx.args.name).create(ctx.args.ref)
    commit = tag.get_commit()
    if ctx.json:
        ctx.emit_json({"id": tag.id, "commit": commit})
    else:
        ctx.say(f"created tag {tag.id} at {commit.id[:12]} ({ctx.args.ref})")
    return 0


def _tag_delete(ctx: Context) -> int:
    ctx.repository().tag(ctx.args.name).delete()
    if ctx.json:
        ctx.emit_json({"deleted": ctx.args.name})
    ctx.say(f"deleted tag {ctx.args.name}")
    return 0


def _group(commands: Commands, name: str, help_text: str) -> Commands:
    parser = commands.add_parser(name, help=help_text, description=help_text)
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="ACTION")


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Add ``branch`` and ``tag``."""
    branches = _group(commands, "branch", "list, create, delete and move branches")
    listing = branches.add_parser(
        "list", parents=[common], help="list branches and their head commits"
    )
    listing.add_argument("--prefix", default="", help="only branches whose names start so")
    add_json(listing)
    listing.set_defaults(handler=_branch_list)
    create = branches.add_parser("create", parents=[common], help="create a branch")
    create.add_argument("name", metavar="NAME")
    create.add_argument(
        "--source", default="main", metavar="REF", help="where it starts (default: main)"
    )
    add_json(create)
    create.set_defaults(handler=_branch_create)
    delete = branches.add_parser("delete", parents=[common], help="delete a branch")
    delete.add_argument("name", metavar="NAME")
    add_json(delete)
    delete.set_defaults(handler=_branch_delete)
    reset = branches.add_parser(
        "reset", parents=[common], help="move a branch to the commit REF names"
    )
    reset.add_argument("name", metavar="NAME")
    reset.add_argument("ref", metavar="REF")
    add_json(reset)
    reset.set_defaults(handler=_branch_reset)

    tags = _group(commands, "tag", "list, create and delete tags (tags never move)")
    listing = tags.add_parser("list", parents=[common], help="list tags and their commits")
    listing.add_argument("--prefix", default="", help="only tags whose names start so")
    add_json(listing)
    listing.set_defaults(handler=_tag_list)
    create = tags.add_parser("create", parents=[common], help="tag the commit REF names")
    create.add_argument("name", metavar="NAME")
    create.add_argument("ref", metavar="REF")
    add_json(create)
    create.set_defaults(handler=_tag_create)
    delete = tags.add_parser("delete", parents=[common], help="delete a tag")
    delete.add_argument("name", metavar="NAME")
    add_json(delete)
    delete.set_defaults(handler=_tag_delete)
