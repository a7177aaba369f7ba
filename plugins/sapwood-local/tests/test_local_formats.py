"""Both repository formats on the local backend: format 2 keeps no sidecar for blobs and
snapshots (their bytes say whether they are zstd frames); format 1 repositories, written
by earlier sapwood versions with the encoding in each object's sidecar, still read and
write the way they always did, also after being copied."""

from __future__ import annotations

import hashlib
import random
import shutil
import tarfile
from pathlib import Path

import msgspec
import pytest
import zstandard

import sapwood
from sapwood.layer.compression import ENCODING_KEY, ZSTD_MAGIC

FIXTURE = Path(__file__).parent / "fixtures" / "format1-repository.tar.gz"
"""A repository written by sapwood before format 2 (commit 0be0832) on the local backend:
``text.csv`` compressible (stored compressed, encoding in its sidecar), ``archive.zst`` a
zstd frame of random bytes (stored raw: it starts with the zstd magic yet must never be
decoded), ``random.bin`` and a one-byte ``tiny.txt`` (kept inline in the manifest)."""
FIXTURE_FILES = {
    "text.csv": "1c61739cbb9ae9cc4e97029bf86c66404f959a87874076f7d5691ec22fb00581",
    "archive.zst": "ffb18031409b9e841c8222da14dacae673062f6d08cf270688bb544bfef0b839",
    "random.bin": "658f8c048233f4caef30a459ea9acd29d814660ac20188b2b1d8887ca2d42aa1",
    "tiny.txt": "e3b98a4da31a127d4bde6e43033f66ba274cab0eb7eb1c70ec41402bf6273dd8",
}
FIXTURE_HEAD = "a2d5a99d6dcc37474d68463c0bb3fa3820c118e7c0a135368633de8da79fd055"

TEXT = b"when,where,what\n" + b"".join(
    b"2026-01-%02d,site-%d,ok\n" % (i % 28, i) for i in range(400)
)
ZST_FILE = zstandard.ZstdCompressor().compress(random.Random(3).randbytes(2000))
"""A user's .zst file: it starts with the zstd magic, and compressing it again saves nothing."""


def sidecar_keys(root: Path) -> set[str]:
    """The keys that have a sidecar under the store's hidden folder."""
    found = set()
    for path in (root / ".sapwood-local" / "meta").rglob("*"):
        if path.is_file():
            found.add(msgspec.json.decode(path.read_bytes())["key"])
    return found


def extract_fixture(target: Path) -> Path:
    with tarfile.open(FIXTURE) as tar:
        tar.extractall(target, filter="data")
    return target


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_new_repository_keeps_no_sidecar_for_blobs_or_snapshots(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    with sapwood.repository(folder.as_uri()) as repo:
        assert repo.metadata()["format_version"] == "2"
        main = repo.branch("main")
        with main.transaction("files") as tx:
            tx.upload(TEXT, "text.csv")
            tx.upload(ZST_FILE, "archive.zst")
    stored = {sha(TEXT): TEXT, sha(ZST_FILE): ZST_FILE}
    for blob_id, data in stored.items():
        raw = (folder / "blobs" / blob_id[:2] / blob_id).read_bytes()
        assert raw.startswith(ZSTD_MAGIC), "compressed, or a .zst file framed once more"
        assert zstandard.ZstdDecompressor().decompress(raw) == data
    assert len((folder / "blobs" / sha(TEXT)[:2] / sha(TEXT)).read_bytes()) < len(TEXT) / 3
    kept = sidecar_keys(folder)
    assert not {key for key in kept if key.startswith(("blobs/", "snapshots/"))}, kept
    with sapwood.Repository.open(folder.as_uri()) as repo:
        main = repo.branch("main")
        assert main.download("text.csv") == TEXT
        assert main.download("archive.zst") == ZST_FILE
        assert repo.verify().problems == ()
    # Even a copy of the data files alone (no hidden folder, no sidecars) reads in full.
    bare = tmp_path / "bare"
    shutil.copytree(folder, bare, ignore=shutil.ignore_patterns(".sapwood-local"))
    with sapwood.Repository.open(bare.as_uri()) as repo:
        main = repo.branch("main")
        assert main.download("text.csv") == TEXT
        assert main.download("archive.zst") == ZST_FILE
        assert repo.verify().problems == ()


@pytest.mark.parametrize("copied", [False, True], ids=["in place", "copied with cp -r"])
def test_a_format_1_repository_reads_and_writes_as_before(tmp_path: Path, copied: bool) -> None:
    folder = extract_fixture(tmp_path / "repo")
    if copied:
        shutil.copytree(folder, tmp_path / "copy", copy_function=shutil.copyfile)
        folder = tmp_path / "copy"
    with sapwood.Repository.open(folder.as_uri()) as repo:
        assert repo.metadata()["format_version"] == "1"
        main = repo.branch("main")
        assert main.get_commit().id == FIXTURE_HEAD
        for path, digest in FIXTURE_FILES.items():
            assert sha(main.download(path)) == digest, path
        assert main.download("archive.zst").startswith(ZSTD_MAGIC), "raw, never decoded"
        assert repo.verify().problems == ()
        with main.transaction("more") as tx:
            tx.upload(TEXT, "more/text.csv")
            tx.upload(ZST_FILE, "more/archive.zst")
    # Format 1 is kept: a compressed blob records its encoding in its sidecar, and a
    # .zst file is stored as it is.
    text_key = f"blobs/{sha(TEXT)[:2]}/{sha(TEXT)}"
    zst_key = f"blobs/{sha(ZST_FILE)[:2]}/{sha(ZST_FILE)}"
    assert text_key in sidecar_keys(folder)
    assert (folder / zst_key).read_bytes() == ZST_FILE
    sidecar = next(
        msgspec.json.decode(p.read_bytes())
        for p in (folder / ".sapwood-local" / "meta").rglob("*")
        if p.is_file() and msgspec.json.decode(p.read_bytes())["key"] == text_key
    )
    assert sidecar["metadata"][ENCODING_KEY] == "zstd"
    with sapwood.Repository.open(folder.as_uri()) as repo:
        main = repo.branch("main")
        assert main.download("more/text.csv") == TEXT
        assert main.download("more/archive.zst") == ZST_FILE
        for path, digest in FIXTURE_FILES.items():
            assert sha(main.download(path)) == digest, path
        assert repo.verify().problems == ()
