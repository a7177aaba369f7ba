"""Where each part of a repository lives in its store (the key layout).

::

    config.json                          format version, ref mode, stored RepositoryConfig
    refs/branches/<name>/ref.json        a branch, moved by compare-and-swap
    refs/branches/<name>/<inverted n>.json  a branch on stores without conditional update
    refs/branches/<name>/deleted.json    left by deleting a branch (the name may be reused)
    refs/tags/<name>/ref.json            a tag (create-only)
    refs/tags/<name>/deleted.json        a tag's tombstone: the name can never be reused
    snapshots/<id>                       commits
    manifests/<id[:2]>/<id>              manifest ranges and range indexes
    blobs/<id[:2]>/<id>                  file contents and chunks
    expired/<id>                         markers of snapshots cut from history
    leases/<token>/...                   what a session's staged changes refer to (leases.py)
    gc-runs/<time>-<id>                  garbage collections running or recently done

``/`` inside a ref name is stored as ``~`` (which ref names may not contain), so each ref
owns exactly one folder.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BLOBS",
    "BRANCHES",
    "CONFIG_KEY",
    "EXPIRED",
    "MANIFESTS",
    "POINTER_FILE",
    "SEQUENCE_TOP",
    "SNAPSHOTS",
    "TAGS",
    "TOMBSTONE_FILE",
    "blob_key",
    "branch_dir",
    "branch_pointer_key",
    "branch_sequence_key",
    "branch_tombstone_key",
    "decode_ref_name",
    "encode_ref_name",
    "expired_key",
    "id_from_key",
    "manifest_key",
    "sequence_number",
    "snapshot_key",
    "tag_dir",
    "tag_pointer_key",
    "tag_tombstone_key",
]

CONFIG_KEY: Final = "config.json"
BLOBS: Final = "blobs/"
MANIFESTS: Final = "manifests/"
SNAPSHOTS: Final = "snapshots/"
BRANCHES: Final = "refs/branches/"
TAGS: Final = "refs/tags/"
EXPIRED: Final = "expired/"
POINTER_FILE: Final = "ref.json"
TOMBSTONE_FILE: Final = "deleted.json"
SEQUENCE_TOP: Final = 10**20 - 1
"""Sequence files are named ``SEQUENCE_TOP - n`` so the newest one lists first."""


def blob_key(raw: bytes) -> str:
    """The key of a blob."""
    digest = raw.hex()
    return f"{BLOBS}{digest[:2]}/{digest}"


def manifest_key(raw: bytes) -> str:
    """The key of a manifest range or range index."""
    digest = raw.hex()
    return f"{MANIFESTS}{digest[:2]}/{digest}"


def snapshot_key(raw: bytes) -> str:
    """The key of a snapshot."""
    return f"{SNAPSHOTS}{raw.hex()}"


def expired_key(raw: bytes) -> str:
    """The key of the marker that cuts a snapshot out of history."""
    return f"{EXPIRED}{raw.hex()}"


def id_from_key(key: str) -> bytes | None:
    """The raw id at the end of a content-addressed key, or None if it is not one."""
    name = key.rsplit("/", 1)[-1]
    if len(name) != 64:
        return None
    try:
        return bytes.fromhex(name)
    except ValueError:
        return None


def encode_ref_name(name: str) -> str:
    """A ref name as one key segment."""
    return name.replace("/", "~")


def decode_ref_name(segment: str) -> str:
    """The inverse of :func:`encode_ref_name`."""
    return segment.replace("~", "/")


def branch_dir(name: str) -> str:
    """The folder holding a branch's ref files."""
    return f"{BRANCHES}{encode_ref_name(name)}/"


def branch_pointer_key(name: str) -> str:
    """A compare-and-swap branch's single ref file."""
    return branch_dir(name) + POINTER_FILE


def branch_sequence_key(name: str, number: int) -> str:
    """The ``number``-th ref file of a sequence-mode branch."""
    return f"{branch_dir(name)}{SEQUENCE_TOP - number:020d}.json"


def sequence_number(key: str) -> int | None:
    """The sequence number a sequence-mode ref file's key encodes, or None."""
    name = key.rsplit("/", 1)[-1]
    stem = name.removesuffix(".json")
    if len(stem) != 20 or not stem.isdigit():
        return None
    return SEQUENCE_TOP - int(stem)


def branch_tombstone_key(name: str) -> str:
    """The marker left by deleting a compare-and-swap branch (the name may be reused)."""
    return branch_dir(name) + TOMBSTONE_FILE


def tag_dir(name: str) -> str:
    """The folder holding a tag's ref file and tombstone."""
    return f"{TAGS}{encode_ref_name(name)}/"


def tag_pointer_key(name: str) -> str:
    """A tag's ref file."""
    return tag_dir(name) + POINTER_FILE


def tag_tombstone_key(name: str) -> str:
    """The marker left by deleting a tag."""
    return tag_dir(name) + TOMBSTONE_FILE
