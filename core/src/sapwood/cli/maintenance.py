"""``sapwood init``, ``import``, ``gc``, ``expire``, ``fsck`` and ``doctor``."""

from __future__ import annotations

import argparse

import msgspec

import sapwood
from sapwood.cli.context import Commands, Context, add_json, add_message
from sapwood.cli.parsing import parse_older_than, parse_ref_path
from sapwood.config import _masked_url
from sapwood.storage import Capabilities

__all__ = ["register", "register_init"]

DEFAULT_GC_GRACE = "7d"
"""What ``gc`` spares without ``--older-than``: anything stored in the last week, so a
writer in flight (or a commit not yet made) never loses its blobs."""

_SAFE_REF_MODES = {
    "cas": "yes: branches move by compare-and-swap (conditional update)",
    "sequence": "yes: branches move by create-only sequence files (conditional create)",
    "overwrite": "NO: refs are overwritten (unsafe_overwrite_refs); concurrent commits can be lost",
}


def _init(ctx: Context) -> int:
    repo = sapwood.Repository.create(ctx.url())
    url = _masked_url(ctx.url())
    try:
        facts = repo.metadata()
    finally:
        repo.close()
    if ctx.json:
        ctx.emit_json({"repository": url, **facts})
    else:
        ctx.say(
            f"created a sapwood repository at {url} (default branch {facts['default_branch']}, "
            f"ref mode {facts['ref_mode']})"
        )
    return 0


def _import(ctx: Context) -> int:
    args = ctx.args
    where = parse_ref_path(args.destination)
    message = args.message or f"Import {args.uri} to {where}"
    branch = ctx.branch(where.ref)
    status = branch.import_from(args.uri, where.path, message).run()
    if ctx.json:
        ctx.emit_json(status)
    elif status.commit is None:
        ctx.say(f"nothing to import from {args.uri}; no commit made")
    else:
        ctx.say(
            f"imported {status.ingested_objects} objects as {status.commit.id[:12]} on "
            f"{where.ref}: {status.commit.message}"
        )
    return 0


def _gc(ctx: Context) -> int:
    older_than = parse_older_than(ctx.args.older_than)
    summary = ctx.repository().garbage_collect(older_than, dry_run=ctx.args.dry_run)
    if ctx.json:
        ctx.emit_json(summary)
        return 0
    verb = "would delete" if summary.dry_run else "deleted"
    since = f"{older_than:%Y-%m-%d %H:%M} UTC"
    ctx.table(
        f"garbage collection ({verb}; spared what was stored after {since})",
        ["kind", "count"],
        [
            ("snapshots", summary.snapshots_deleted),
            ("manifests", summary.manifests_deleted),
            ("blobs", summary.blobs_deleted),
            ("refs", summary.refs_deleted),
            ("bytes", summary.bytes_deleted),
            ("spared (too recent)", summary.objects_spared),
        ],
    )
    return 0


def _expire(ctx: Context) -> int:
    older_than = parse_older_than(ctx.args.older_than)
    expired = sorted(ctx.repository().expire_snapshots(older_than))
    if ctx.json:
        ctx.emit_json({"expired": expired})
    else:
        ctx.say(
            f"expired {len(expired)} commit(s) older than {older_than:%Y-%m-%d %H:%M} UTC; "
            "`sapwood gc` deletes what they alone kept"
        )
    return 0


def _fsck(ctx: Context) -> int:
    report = ctx.repository().verify(check_content=not ctx.args.quick)
    if ctx.json:
        ctx.emit_json(report)
        return 0 if report.ok else _damaged(ctx, len(report.problems))
    if report.ok:
        ctx.say(
            f"ok: {report.commits_checked} commit(s) and {report.objects_checked} object(s) "
            f"({report.bytes_checked} bytes) checked; nothing missing or damaged"
        )
        return 0
    ctx.table(
        f"sapwood fsck: {len(report.problems)} problem(s) in {report.objects_checked} object(s)",
        ["problem", "object", "key", "reached from", "detail"],
        [
            (
                p.kind,
                p.object_type,
                p.key,
                ", ".join(p.refs) or "(no ref)",
                p.detail,
            )
            for p in report.problems
        ],
    )
    return _damaged(ctx, len(report.problems))


def _damaged(ctx: Context, problems: int) -> int:
    return ctx.failed(f"fsck found {problems} problem(s): objects missing or damaged")


def _unsafe_refs(ctx: Context, mode: str) -> int:
    return ctx.failed(
        f"branches do not move safely on this backend (ref mode {mode}): concurrent "
        "writers may lose commits"
    )


def _backend_only(ctx: Context) -> tuple[Capabilities, str]:
    """What the backend at the URL supports, and the ref mode ``sapwood init`` would pick
    there, when no repository exists yet (doctor is how one checks a backend first)."""
    client = sapwood.ObjectClient(ctx.url())
    try:
        capabilities = client.aio.layer.capabilities
    finally:
        client.close()
    if capabilities.conditional_create and capabilities.conditional_update:
        return capabilities, "cas"
    return capabilities, "sequence" if capabilities.conditional_create else "overwrite"


def _doctor(ctx: Context) -> int:
    url = _masked_url(ctx.url())
    try:
        repo = ctx.repository()
    except sapwood.RepositoryNotFoundError:
        exists = False
        capabilities, mode = _backend_only(ctx)
        version: str | None = None
    else:
        exists = True
        capabilities = repo.storage_capabilities
        facts = repo.metadata()
        mode = str(facts["ref_mode"])
        version = str(facts["format_version"])
    safe = mode in ("cas", "sequence")
    if ctx.json:
        ctx.emit_json(
            {
                "repository": url,
                "exists": exists,
                "capabilities": msgspec.structs.asdict(capabilities),
                "ref_mode": mode,
                "refs_move_safely": safe,
                "format_version": version,
            }
        )
        return 0 if safe else _unsafe_refs(ctx, mode)

    def yes(flag: bool) -> str:
        return "yes" if flag else "no"

    ctx.table(
        f"sapwood doctor: {url}",
        ["check", "result"],
        [
            ("conditional create (If-None-Match)", yes(capabilities.conditional_create)),
            ("conditional update (If-Match)", yes(capabilities.conditional_update)),
            ("byte ranges", yes(capabilities.byte_ranges)),
            ("delimiter listing", yes(capabilities.delimiter_listing)),
            ("presigned URLs", yes(capabilities.presigned_urls)),
            ("refs move safely", _SAFE_REF_MODES.get(mode, mode)),
            ("format version", version or "no repository here yet (sapwood init makes one)"),
        ],
    )
    return 0 if safe else _unsafe_refs(ctx, mode)


def register_init(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Add ``init`` (first in the help, as it comes first in use)."""
    init = commands.add_parser(
        "init",
        parents=[common],
        help="create a repository (with a main branch) at --repo",
        description="Create a repository at --repo URL; refused if one is there already, or "
        "if the folder or prefix holds other files.",
    )
    add_json(init)
    init.set_defaults(handler=_init)


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Add ``import``, ``gc``, ``expire``, ``fsck`` and ``doctor``."""
    importer = commands.add_parser(
        "import",
        parents=[common],
        help="import every object under URI into BRANCH:PREFIX as one commit",
    )
    importer.add_argument("uri", metavar="URI", help="s3://bucket/raw, file:///data/raw, ...")
    importer.add_argument("destination", metavar="BRANCH:PREFIX")
    add_message(importer)
    add_json(importer)
    importer.set_defaults(handler=_import)

    gc = commands.add_parser(
        "gc",
        parents=[common],
        help="delete what no branch or tag can reach",
        description="Delete snapshots, manifests and blobs that no branch or tag can reach, "
        "sparing anything stored after --older-than (default 7d) so writers in flight are safe.",
    )
    gc.add_argument(
        "--older-than",
        default=DEFAULT_GC_GRACE,
        metavar="D",
        help="grace period: 7d, 12h, 30m, 2w, 0 (now) or an ISO date (default: 7d)",
    )
    gc.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    add_json(gc)
    gc.set_defaults(handler=_gc)

    expire = commands.add_parser(
        "expire",
        parents=[common],
        help="cut commits older than D that no ref points at out of history",
    )
    expire.add_argument(
        "--older-than",
        required=True,
        metavar="D",
        help="7d, 12h, 30m, 2w, 0 (now) or an ISO date",
    )
    add_json(expire)
    expire.set_defaults(handler=_expire)

    fsck = commands.add_parser(
        "fsck",
        parents=[common],
        help="check every object the branches and tags reach",
        description="Walk every ref, commit, manifest and blob the branches and tags reach, "
        "check hashes and references, and list what is missing or damaged with the refs "
        "that reach it; exit status 1 if anything is.",
    )
    fsck.add_argument(
        "--quick", action="store_true", help="check that blobs exist without reading them"
    )
    add_json(fsck)
    fsck.set_defaults(handler=_fsck)

    doctor = commands.add_parser(
        "doctor",
        parents=[common],
        help="what the backend supports, and whether refs move safely",
        description="Report what the repository's store supports (conditional create and "
        "update, byte ranges, delimiter listing, presigned URLs) and whether branches move "
        "safely; exit status 1 if they do not. Before `sapwood init` it checks the backend "
        "at --repo and reports the ref mode init would use (--json: exists is false).",
    )
    add_json(doctor)
    doctor.set_defaults(handler=_doctor)
