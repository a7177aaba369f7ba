"""Azure-specific behaviour: block uploads, batch deletes, paged listings, SAS URLs,
metadata encoding and prefixes, checked against Azurite and the raw SDK."""

from __future__ import annotations

import asyncio
import random
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from azure.storage.blob.aio import ContainerClient

from sapwood.config import ObjectStoreConfig
from sapwood.credentials import StaticCredentials, StaticProvider
from sapwood.errors import AlreadyExistsError, PreconditionFailedError
from sapwood.storage import ByteRange, CommonPrefix, ListEntry, ObjectMeta, Update
from sapwood_azure.metadata import RESERVED_KEY
from sapwood_azure.storage import AzureStorage
from sapwood_azure.testing import Azurite

MIB = 1024 * 1024


def _names(entries: list[ListEntry]) -> list[str]:
    return [e.key if isinstance(e, ObjectMeta) else e.path for e in entries]


def reference_listing(
    keys: list[str], prefix: str, delimiter: str | None, start_after: str | None
) -> list[str]:
    """What a listing must return, computed from the key set (S3 semantics)."""
    out: list[str] = []
    for key in sorted(keys):
        if not key.startswith(prefix) or (start_after and key <= start_after):
            continue
        if delimiter:
            cut = key.find(delimiter, len(prefix))
            if cut >= 0:
                folder = key[: cut + len(delimiter)]
                if not out or out[-1] != folder:
                    out.append(folder)
                continue
        out.append(key)
    return out


@pytest_asyncio.fixture(loop_scope="function")
async def tuned_store(
    azure_config: ObjectStoreConfig, dev_credentials: StaticCredentials
) -> AsyncIterator[AzureStorage]:
    """A store with tiny pages and blocks, so paging and block uploads happen on small data."""
    config = ObjectStoreConfig(
        object_store="azure",
        bucket=azure_config.bucket,
        endpoint_url=azure_config.endpoint_url,
        extra={
            "list_page_size": 3,
            "max_single_put_bytes": 1 * MIB,
            "block_bytes": 256 * 1024,
            "max_single_get_bytes": 1 * MIB,
            "get_chunk_bytes": 256 * 1024,
            "max_concurrency": 4,
        },
    )
    storage = AzureStorage(config, StaticProvider(dev_credentials))
    await storage.create_container()
    try:
        yield storage
    finally:
        await storage.delete_container()
        await storage.close()


async def raw_container(azurite: Azurite, name: str) -> ContainerClient:
    return ContainerClient.from_connection_string(azurite.connection_string, name)


async def test_large_objects_go_up_in_parallel_blocks(
    tuned_store: AzureStorage, azurite: Azurite, container_name: str
) -> None:
    payload = random.Random(5).randbytes(3 * MIB + 123)
    written = await tuned_store.put("big.bin", payload, mode="create")
    async with await raw_container(azurite, container_name) as raw:
        committed, _uncommitted = await raw.get_blob_client("big.bin").get_block_list()
    assert len(committed) == 13, "3 MiB + 123 B in 256 KiB blocks"
    data, meta = await tuned_store.get_with_meta("big.bin")
    assert data == payload
    assert meta.etag == written.etag
    tail = await tuned_store.get("big.bin", ByteRange.suffix(300_000))
    assert tail == payload[-300_000:]
    middle = await tuned_store.get("big.bin", ByteRange(MIB - 5, 2 * MIB + 5))
    assert middle == payload[MIB - 5 : 2 * MIB + 5]


async def test_conditions_hold_for_block_uploads(tuned_store: AzureStorage) -> None:
    payload = random.Random(6).randbytes(2 * MIB)
    first = await tuned_store.put("big.bin", payload, mode="create")
    with pytest.raises(AlreadyExistsError):
        await tuned_store.put("big.bin", payload[::-1], mode="create")
    assert first.etag is not None
    second = await tuned_store.put("big.bin", payload[::-1], mode=Update(first.etag))
    with pytest.raises(PreconditionFailedError):
        await tuned_store.put("big.bin", payload, mode=Update(first.etag))
    assert (await tuned_store.head("big.bin")).etag == second.etag
    assert await tuned_store.get("big.bin") == payload[::-1]


@pytest.mark.parametrize("server_start_from", [True, False])
async def test_paged_listings_match_the_reference(
    azure_config: ObjectStoreConfig,
    dev_credentials: StaticCredentials,
    tuned_store: AzureStorage,
    server_start_from: bool,
) -> None:
    keys = [
        "a",
        "a/1",
        "a/2/x",
        "a/2/y",
        "a/3",
        "a0",
        "b/c/d",
        "b/c/e",
        "b/f",
        "b0",
        "c",
        "d/1",
        "d/2",
        "d/3/4",
    ]
    await asyncio.gather(*(tuned_store.put(k, k.encode()) for k in keys))
    config = ObjectStoreConfig(
        object_store="azure",
        bucket=azure_config.bucket,
        endpoint_url=azure_config.endpoint_url,
        extra={"list_page_size": 2, "server_start_from": server_start_from},
    )
    lister = AzureStorage(config, StaticProvider(dev_credentials))
    starts = [None, "", "a", "a/", "a/2", "a/2/x", "a/2/y", "a/3", "b", "b/c/d", "b/c/e", "c", "z"]
    try:
        for prefix in ["", "a/", "b/c", "zz"]:
            for delimiter in [None, "/"]:
                for start in starts:
                    got = _names([e async for e in lister.list(prefix, delimiter, start)])
                    want = reference_listing(keys, prefix, delimiter, start)
                    assert got == want, (prefix, delimiter, start)
    finally:
        await lister.close()


async def test_listing_entries_carry_full_metadata(tuned_store: AzureStorage) -> None:
    await tuned_store.put(
        "dir/file.json", b"{}", content_type="application/json", metadata={"a": "1"}
    )
    await tuned_store.put("dir/sub/inner", b"x")
    entries = [e async for e in tuned_store.list("dir/", "/")]
    assert entries[1] == CommonPrefix("dir/sub/")
    listed = entries[0]
    assert isinstance(listed, ObjectMeta)
    head = await tuned_store.head("dir/file.json")
    assert listed == head


async def test_delete_many_uses_blob_batches(store: AzureStorage) -> None:
    keys = [f"many/{i:04d}" for i in range(300)]
    await asyncio.gather(*(store.put(k, b"x") for k in keys))
    await store.delete_many([*keys[:280], "many/not-there"])  # batches of 256 and 25
    assert store._batch_delete is True, "Azurite answers blob batches; no fallback expected"
    remaining = [e.key async for e in store.list("many/") if isinstance(e, ObjectMeta)]
    assert remaining == keys[280:]


async def test_delete_many_without_batches(
    azure_config: ObjectStoreConfig, dev_credentials: StaticCredentials, store: AzureStorage
) -> None:
    config = ObjectStoreConfig(
        object_store="azure",
        bucket=azure_config.bucket,
        endpoint_url=azure_config.endpoint_url,
        extra={"batch_delete": False, "delete_concurrency": 4},
    )
    singles = AzureStorage(config, StaticProvider(dev_credentials))
    try:
        await asyncio.gather(*(singles.put(f"k{i}", b"x") for i in range(20)))
        await singles.delete_many([f"k{i}" for i in range(0, 20, 2)])
        left = [e.key async for e in singles.list() if isinstance(e, ObjectMeta)]
        assert left == sorted(f"k{i}" for i in range(1, 20, 2))
    finally:
        await singles.close()


async def test_presigned_url_reads_but_cannot_write(store: AzureStorage) -> None:
    await store.put("folder/shared file.txt", b"for your eyes")
    url = await store.presign_get("folder/shared file.txt", expires_in_seconds=120)
    assert "sig=" in url
    assert "sp=r" in url

    def fetch(method: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"x-ms-blob-type": "BlockBlob"} if body is not None else {}
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, b""

    assert await asyncio.to_thread(fetch, "GET") == (200, b"for your eyes")
    status, _ = await asyncio.to_thread(fetch, "PUT", b"overwritten")
    assert status == 403
    assert await store.get("folder/shared file.txt") == b"for your eyes"


async def test_odd_metadata_round_trips_and_plain_metadata_stays_native(
    store: AzureStorage, azurite: Azurite, container_name: str
) -> None:
    metadata = {
        "author": "ada",
        "run-id": "7",
        "Ünïcode": "välue",
        "padded": "  spaced  ",
        "Author": "case twin",
        RESERVED_KEY: "user's own",
    }
    await store.put("meta", b"x", metadata=metadata)
    assert (await store.head("meta")).metadata == metadata
    listed = [e async for e in store.list()]
    assert isinstance(listed[0], ObjectMeta)
    assert listed[0].metadata == metadata
    async with await raw_container(azurite, container_name) as raw:
        native = (await raw.get_blob_client("meta").get_blob_properties()).metadata
    assert native["author"] == "ada"
    assert "run-id" not in native


async def test_prefix_keeps_stores_apart(
    azure_config: ObjectStoreConfig, dev_credentials: StaticCredentials, store: AzureStorage
) -> None:
    inner_config = ObjectStoreConfig(
        object_store="azure",
        bucket=azure_config.bucket,
        prefix="team/set",
        endpoint_url=azure_config.endpoint_url,
    )
    inner = AzureStorage(inner_config, StaticProvider(dev_credentials))
    try:
        await inner.put("a/b", b"inside")
        await store.put("outside", b"o")
        assert await store.get("team/set/a/b") == b"inside"
        assert [e async for e in inner.list("", "/")] == [CommonPrefix("a/")]
        listed = [e async for e in inner.list()]
        assert [e.key for e in listed if isinstance(e, ObjectMeta)] == ["a/b"]
        assert (await inner.head("a/b")).key == "a/b"
        await inner.delete_many(["a/b"])
        assert [e.key async for e in store.list() if isinstance(e, ObjectMeta)] == ["outside"]
    finally:
        await inner.close()


async def test_one_store_serves_several_event_loops(store: AzureStorage) -> None:
    await store.put("shared", b"from the test loop")
    results: list[bytes] = []

    def other_loop() -> None:
        async def work() -> bytes:
            data = await store.get("shared")
            await store.close()  # closes only this loop's client
            return data

        results.append(asyncio.run(work()))

    thread = threading.Thread(target=other_loop)
    thread.start()
    thread.join(timeout=60)
    assert results == [b"from the test loop"]
    assert await store.get("shared") == b"from the test loop"
