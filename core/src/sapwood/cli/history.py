"""``sapwood log``, ``diff``, ``merge``, ``revert`` and ``cherry-pick``."""

from __future__ import annotations

import argparse

from sapwood.cli.context import Commands, Context, UsageError, add_json, add_message

__all__ = ["register"]


def _log(ctx: Context) -> int:
    args = ctx.args
    if args.amount is not None and args.amount < 1:
        raise UsageError(f"--amount is a count of commits (1 or more), not {args.amount}")
    commits = list(ctx.repository().ref(args.ref).log(args.amount, args.path or None))
    if ctx.json:
        ctx.emit_json(commits)
        return 0
    ctx.table(
        None,
        ["commit", "committed_at", "author", "message"],
        (
            (c.id[:12], c.committed_at.isoformat(timespec="seconds"), c.author, c.message)
            for c in commits
        ),
    )
    return 0


def _diff(ctx: Context) -> int:
    args = ctx.args
    changes = list(ctx.repository().ref(args.left).diff(args.right, prefix=args.prefix))
    if ctx.json:
        ctx.emit_json(changes)
        return 0
    if not changes:
        ctx.say(f"no differences between {args.left} and {args.right}")
        return 0
    ctx.table(
        None,
        ["type", "path", "size_bytes"],
        ((c.type, c.path, c.size_bytes) for c in changes),
    )
    return 0


def _merge(ctx: Context) -> int:
    args = ctx.args
    repo = ctx.repository()
    before = repo.branch(args.dest).get_commit()
    commit = repo.ref(args.source).merge_into(args.dest, args.strategy, args.message)
    if commit.id == before.id and not ctx.json:
        ctx.say(f"{args.dest} already contains {args.source}; no commit made")
    else:
        ctx.commit_line("merged into", commit, args.dest)
    return 0


def _revert(ctx: Context) -> int:
    commit = ctx.repository().branch(ctx.args.branch).revert(ctx.args.ref, message=ctx.args.message)
    ctx.commit_line("reverted with", commit, ctx.args.branch)
    return 0


def _cherry_pick(ctx: Context) -> int:
    commit = (
        ctx.repository().branch(ctx.args.branch).cherry_pick(ctx.args.ref, message=ctx.args.message)
    )
    ctx.commit_line("picked as", commit, ctx.args.branch)
    return 0


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Add ``log``, ``diff``, ``merge``, ``revert`` and ``cherry-pick``."""
    log = commands.add_parser(
        "log", parents=[common], help="commits in a ref's history, newest first"
    )
    log.add_argument("ref", metavar="REF", help="branch, tag, commit id, main~2, v1^...")
    log.add_argument("--amount", type=int, metavar="N", help="at most N commits")
    log.add_argument(
        "--path",
        action="append",
        metavar="P",
        help="only commits that changed P (an object or a folder; repeatable)",
    )
    add_json(log)
    log.set_defaults(handler=_log)

    diff = commands.add_parser(
        "diff", parents=[common], help="the changes that turn LEFT's tree into RIGHT's"
    )
    diff.add_argument("left", metavar="LEFT")
    diff.add_argument("right", metavar="RIGHT")
    diff.add_argument("--prefix", default="", metavar="P", help="only paths under P")
    add_json(diff)
    diff.set_defaults(handler=_diff)

    merge = commands.add_parser(
        "merge",
        parents=[common],
        help="merge SOURCE into the branch DEST (exit status 3 on conflict)",
    )
    merge.add_argument("source", metavar="SOURCE")
    merge.add_argument("dest", metavar="DEST")
    merge.add_argument(
        "--strategy",
        choices=["source-wins", "dest-wins"],
        help="settle paths both sides changed (default: fail with a conflict)",
    )
    add_message(merge)
    add_json(merge)
    merge.set_defaults(handler=_merge)

    revert = commands.add_parser(
        "revert", parents=[common], help="a commit on BRANCH undoing what REF's commit changed"
    )
    revert.add_argument("branch", metavar="BRANCH")
    revert.add_argument("ref", metavar="REF")
    add_message(revert)
    add_json(revert)
    revert.set_defaults(handler=_revert)

    pick = commands.add_parser(
        "cherry-pick",
        parents=[common],
        help="a commit on BRANCH repeating what REF's commit changed",
    )
    pick.add_argument("branch", metavar="BRANCH")
    pick.add_argument("ref", metavar="REF")
    add_message(pick)
    add_json(pick)
    pick.set_defaults(handler=_cherry_pick)
