"""``sapwood fs ...``: objects at a ref, named ``REF:PATH``; each write is one commit."""

from __future__ import annotations

import argparse
import os
import posixpath
import sys
from typing import Any, Final, Protocol

import sapwood
from sapwood.aio.folders import folder_prefix
from sapwood.cli.context import Commands, Context, UsageError, add_json, add_message
from sapwood.cli.parsing import RefPath, parse_ref_path
from sapwood.progress import TransferProgress

__all__ = ["register"]

PIECE: Final = 8 * 1024 * 1024


def _commit(ctx: Context, branch: sapwood.Branch, message: str, **extra: Any) -> int:
    """Commit what the command staged, unless it changed nothing (then no commit)."""
    if not any(True for _ in branch.list_uncommitted(max_amount=1)):
        branch.reset()
        if ctx.json:
            ctx.emit_json({"commit": None, **extra})
        else:
            ctx.say(f"nothing changed on {branch.id}; no commit made")
        return 0
    commit = branch.commit_changes(message)
    if ctx.json:
        ctx.emit_json({"commit": commit, **extra})
    else:
        ctx.say(f"committed {commit.id[:12]} on {branch.id}: {commit.message}")
    return 0


def _target_path(path: str, name: str) -> str:
    """``path``, or ``path`` + ``name`` when it names a folder (empty or ending in ``/``)."""
    return path + name if not path or path.endswith("/") else path


def _ls(ctx: Context) -> int:
    where = parse_ref_path(ctx.args.target)
    ref = ctx.repository().ref(where.ref)
    items: list[sapwood.ObjectInfo | sapwood.CommonPrefix]
    if where.path and not where.path.endswith("/") and ref.exists(where.path):
        items = [ref.stat_object(where.path)]
    else:
        delimiter = "" if ctx.args.recursive else "/"
        items = list(ref.list_objects(prefix=folder_prefix(where.path), delimiter=delimiter))
    if ctx.json:
        ctx.emit_json(items)
        return 0
    ctx.table(
        None,
        ["path", "size_bytes", "modified_time", "checksum"],
        (
            (item.path, None, None, None)
            if isinstance(item, sapwood.CommonPrefix)
            else (
                item.path,
                item.size_bytes,
                item.modified_time.isoformat(timespec="seconds"),
                item.checksum[:12],
            )
            for item in items
        ),
    )
    return 0


class _Source(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class _Target(Protocol):
    def write(self, data: bytes, /) -> int: ...


def _copy_stream(source: _Source, target: _Target, report: TransferProgress | None) -> None:
    while piece := source.read(PIECE):
        target.write(piece)
        if report is not None:
            report.advance(len(piece))


def _object(text: str) -> RefPath:
    """``REF:PATH`` naming one object: UsageError for a folder (``v1:``, ``main:data/``)."""
    where = parse_ref_path(text)
    if not where.path or where.path.endswith("/"):
        raise UsageError(
            f"{where} names a folder, not an object: write REF:PATH (fs ls lists a folder)"
        )
    return where


def _cat(ctx: Context) -> int:
    if ctx.json:
        raise UsageError("fs cat writes the object's bytes; use fs stat --json for its info")
    where = _object(ctx.args.target)
    with ctx.repository().ref(where.ref).open(where.path, "rb") as source:
        _copy_stream(source, sys.stdout.buffer, None)
    sys.stdout.buffer.flush()
    return 0


def _stat(ctx: Context) -> int:
    where = _object(ctx.args.target)
    info = ctx.repository().ref(where.ref).stat_object(where.path)
    if ctx.json:
        ctx.emit_json(info)
        return 0
    ctx.table(
        None,
        ["field", "value"],
        [
            ("path", info.path),
            ("size_bytes", info.size_bytes),
            ("checksum", info.checksum),
            ("content_type", info.content_type),
            ("metadata", ", ".join(f"{k}={v}" for k, v in sorted(info.metadata.items()))),
            ("modified_time", info.modified_time.isoformat()),
            ("physical_address", info.physical_address),
        ],
    )
    return 0


def _branch_of(ctx: Context, where: RefPath) -> sapwood.Branch:
    return ctx.branch(where.ref)


def _upload(ctx: Context) -> int:
    args = ctx.args
    where = parse_ref_path(args.destination)
    branch = _branch_of(ctx, where)
    message = args.message or f"Upload {args.local} to {where}"
    if args.recursive:
        summary = branch.upload_folder(args.local, where.path, delete=args.delete, progress=True)
        if not ctx.json:
            ctx.say(
                f"{summary.transferred_objects} uploaded ({summary.transferred_bytes} bytes), "
                f"{summary.unchanged_objects} unchanged, {summary.deleted_objects} deleted"
            )
        return _commit(ctx, branch, message, summary=summary)
    if args.delete:
        raise UsageError("--delete syncs a folder: use it with -r")
    if args.local != "-" and os.path.isdir(args.local):
        raise UsageError(f"{args.local!r} is a folder: add -r to upload everything in it")
    if args.local == "-":
        if not where.path or where.path.endswith("/"):
            raise UsageError("reading stdin ('-') needs a full object path: BRANCH:PATH")
        path, total = where.path, 0
    else:
        path = _target_path(where.path, os.path.basename(args.local))
        total = os.path.getsize(args.local)
    with TransferProgress(True, f"upload {where.ref}:{path}") as report:
        report.set_total(total, 1)
        with branch.open(path, "wb") as writer:
            if args.local == "-":
                _copy_stream(sys.stdin.buffer, writer, report)
            else:
                with open(args.local, "rb") as source:
                    _copy_stream(source, writer, report)
        report.advance(0, 1)
    return _commit(ctx, branch, message, object=branch.stat_object(path))


def _download(ctx: Context) -> int:
    args = ctx.args
    where = parse_ref_path(args.source)
    ref = ctx.repository().ref(where.ref)
    if args.recursive:
        summary = ref.download_folder(args.local, where.path, progress=True)
        if ctx.json:
            ctx.emit_json(summary)
        else:
            ctx.say(
                f"{summary.transferred_objects} downloaded ({summary.transferred_bytes} bytes), "
                f"{summary.unchanged_objects} unchanged"
            )
        return 0
    if not where.path or where.path.endswith("/"):
        raise UsageError(f"{where} names a folder: add -r to download everything under it")
    local = args.local
    if local == "-":
        if ctx.json:
            raise UsageError("downloading to stdout ('-') writes bytes; drop --json")
        with ref.open(where.path, "rb") as source:
            _copy_stream(source, sys.stdout.buffer, None)
        return 0
    if os.path.isdir(local) or local.endswith(("/", os.sep)):
        local = os.path.join(local, posixpath.basename(where.path))
    # As `aws s3 cp` does: the folders leading to LOCAL are made, not an error.
    os.makedirs(os.path.dirname(local) or ".", exist_ok=True)
    partial = local + ".sapwood-partial"
    with ref.open(where.path, "rb") as source:
        with TransferProgress(True, f"download {where}") as report:
            report.set_total(source.size, 1)
            try:
                with open(partial, "wb") as target:
                    _copy_stream(source, target, report)
            except BaseException:
                if os.path.exists(partial):
                    os.unlink(partial)
                raise
            os.replace(partial, local)
            report.advance(0, 1)
        info = source.info
    if ctx.json:
        ctx.emit_json(info)
    else:
        ctx.say(f"wrote {where} to {local}")
    return 0


def _rm(ctx: Context) -> int:
    args = ctx.args
    where = parse_ref_path(args.target)
    branch = _branch_of(ctx, where)
    if args.recursive:
        prefix = folder_prefix(where.path)
        paths = [
            item.path
            for item in branch.list_objects(prefix=prefix)
            if isinstance(item, sapwood.ObjectInfo)
        ]
        if not paths:
            raise sapwood.ObjectNotFoundError(
                f"no objects under {where.ref}:{prefix}; `sapwood fs ls` shows what exists"
            )
    else:
        if not where.path:
            raise UsageError(f"{where} names the whole tree: add -r to remove everything")
        if where.path.endswith("/"):
            raise UsageError(f"{where} names a folder: add -r to remove everything under it")
        branch.stat_object(where.path)  # ObjectNotFoundError if absent
        paths = [where.path]
    branch.delete_objects(paths)
    message = args.message or f"Delete {where}" + (
        f" ({len(paths)} objects)" if args.recursive else ""
    )
    return _commit(ctx, branch, message, deleted=paths)


def _cp(ctx: Context) -> int:
    args = ctx.args
    source = _object(args.source)
    target = parse_ref_path(args.destination)
    branch = _branch_of(ctx, target)
    path = _target_path(target.path, posixpath.basename(source.path))
    info = branch.copy_object(source.ref, source.path, path)
    message = args.message or f"Copy {source} to {target.ref}:{path}"
    return _commit(ctx, branch, message, object=info)


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Add ``fs`` and its actions."""
    fs = commands.add_parser(
        "fs",
        help="list, read, upload, download, remove and copy objects (REF:PATH)",
        description="Objects named REF:PATH (main:data/a.csv, v1:, main~2:x). Every action "
        "that writes makes one commit on the branch (-m MSG, or a generated message).",
    )
    actions = fs.add_subparsers(dest="fs_command", required=True, metavar="ACTION")

    ls = actions.add_parser("ls", parents=[common], help="list objects under REF:PREFIX")
    ls.add_argument("target", metavar="REF:PREFIX")
    ls.add_argument("-r", "--recursive", action="store_true", help="everything, not one level")
    add_json(ls)
    ls.set_defaults(handler=_ls)

    cat = actions.add_parser("cat", parents=[common], help="write an object to stdout")
    cat.add_argument("target", metavar="REF:PATH")
    cat.set_defaults(handler=_cat)

    stat = actions.add_parser("stat", parents=[common], help="what is known about an object")
    stat.add_argument("target", metavar="REF:PATH")
    add_json(stat)
    stat.set_defaults(handler=_stat)

    upload = actions.add_parser(
        "upload",
        parents=[common],
        help="upload a file ('-' for stdin) or, with -r, a folder, as one commit",
    )
    upload.add_argument("local", metavar="LOCAL")
    upload.add_argument(
        "destination", metavar="BRANCH:PATH", help="a path ending in / keeps the file's name"
    )
    upload.add_argument(
        "-r", "--recursive", action="store_true", help="upload the folder LOCAL under PATH"
    )
    upload.add_argument(
        "--delete",
        action="store_true",
        help="with -r: also remove objects under PATH that LOCAL lacks (a sync)",
    )
    add_message(upload)
    add_json(upload)
    upload.set_defaults(handler=_upload)

    download = actions.add_parser(
        "download",
        parents=[common],
        help="download an object ('-' for stdout) or, with -r, everything under a prefix",
    )
    download.add_argument("source", metavar="REF:PATH")
    download.add_argument("local", metavar="LOCAL")
    download.add_argument(
        "-r", "--recursive", action="store_true", help="write everything under PATH into LOCAL"
    )
    add_json(download)
    download.set_defaults(handler=_download)

    rm = actions.add_parser(
        "rm", parents=[common], help="remove an object (or, with -r, a prefix) as one commit"
    )
    rm.add_argument("target", metavar="BRANCH:PATH")
    rm.add_argument("-r", "--recursive", action="store_true", help="everything under PATH")
    add_message(rm)
    add_json(rm)
    rm.set_defaults(handler=_rm)

    cp = actions.add_parser(
        "cp", parents=[common], help="copy an object to a branch (no bytes copied), one commit"
    )
    cp.add_argument("source", metavar="REF:PATH")
    cp.add_argument("destination", metavar="BRANCH:PATH")
    add_message(cp)
    add_json(cp)
    cp.set_defaults(handler=_cp)
