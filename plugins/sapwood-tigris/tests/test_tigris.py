"""Tigris defaults, consistency headers, registration and errors."""

from __future__ import annotations

import subprocess
import sys
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from sapwood.config import ObjectStoreConfig
from sapwood.errors import ConfigError, StorageError
from sapwood.registry import registry
from sapwood.storage import Update
from sapwood.stores import open_storage
from sapwood_s3.testing import TEST_CREDENTIALS, MotoServer
from sapwood_tigris.settings import TigrisExtra
from sapwood_tigris.storage import TIGRIS_ENDPOINT, TigrisStorage


class SentHeaders:
    """Records the headers of each request the store's client really sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, bool]] = []

    def __call__(self, request: Any, **_: Any) -> None:
        path = urlsplit(request.url).path
        self.sent.append((request.method, path, "X-Tigris-Consistent" in request.headers))

    def consistent(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path, has in self.sent if has]


async def _recording(store: TigrisStorage) -> SentHeaders:
    recorder = SentHeaders()
    client = await store._client("test", None)
    client.meta.events.register("before-send.s3", recorder)
    return recorder


def test_tigris_defaults() -> None:
    store = open_storage("tigris://bkt/data", TEST_CREDENTIALS)
    assert isinstance(store, TigrisStorage)
    assert store.settings.endpoint_url == TIGRIS_ENDPOINT
    assert store.settings.region == "auto"
    assert store.settings.addressing_style == "virtual"
    assert store.settings.root == "data/"
    assert store.consistency == "conditional"
    assert "Tigris" in store.settings.service


def test_an_overridden_endpoint_uses_path_addressing(moto_server: MotoServer) -> None:
    config = moto_server.store_config("bkt", object_store="tigris")
    store = TigrisStorage.from_config(config)
    assert store.settings.endpoint_url == moto_server.endpoint_url
    assert store.settings.addressing_style == "path"


async def test_conditional_writes_carry_the_consistency_header(
    tigris_store: TigrisStorage,
) -> None:
    recorder = await _recording(tigris_store)
    first = await tigris_store.put("ref", b"1", mode="create")
    assert first.etag is not None
    await tigris_store.put("ref", b"2", mode=Update(first.etag))
    await tigris_store.put("plain", b"x")
    await tigris_store.get("ref")
    await tigris_store.head("ref")
    path = f"/{tigris_store.settings.bucket}/ref"
    assert recorder.consistent() == [("PUT", path), ("PUT", path)]
    assert len(recorder.sent) == 5


@pytest.mark.parametrize(("mode", "expected"), [("all", 3), ("off", 0)])
async def test_consistency_modes(
    moto_server: MotoServer, s3_bucket: str, mode: str, expected: int
) -> None:
    store = open_storage(
        moto_server.store_config(s3_bucket, object_store="tigris", consistency=mode),
        TEST_CREDENTIALS,
    )
    assert isinstance(store, TigrisStorage)
    try:
        recorder = await _recording(store)
        await store.put("k", b"x", mode="create")
        await store.get("k")
        await store.delete("k")
        assert len(recorder.consistent()) == expected
        assert len(recorder.sent) == 3
    finally:
        await store.close()


async def test_presigned_urls_never_require_the_header(
    moto_server: MotoServer, s3_bucket: str
) -> None:
    store = open_storage(
        moto_server.store_config(s3_bucket, object_store="tigris", consistency="all"),
        TEST_CREDENTIALS,
    )
    try:
        await store.put("shared", b"data")
        url = await store.presign_get("shared")
        signed = parse_qs(urlsplit(url).query)["X-Amz-SignedHeaders"][0]
        assert "x-tigris-consistent" not in signed
    finally:
        await store.close()


async def test_errors_name_tigris_and_the_bucket(moto_server: MotoServer) -> None:
    store = open_storage(
        moto_server.store_config("no-such-tigris-bucket", object_store="tigris"), TEST_CREDENTIALS
    )
    try:
        with pytest.raises(StorageError, match="bucket 'no-such-tigris-bucket' does not exist"):
            await store.put("k", b"x")
        with pytest.raises(StorageError, match="Tigris"):
            await store.get("k")
    finally:
        await store.close()


def test_registration_and_extra() -> None:
    backend = registry().storage_backend("tigris")
    assert backend.url_schemes == ("tigris",)
    assert backend.extra_type is TigrisExtra
    assert registry().plugins["tigris"].dist == "sapwood-tigris"
    with pytest.raises(ConfigError, match="consistency"):
        open_storage("tigris://bkt?consistency=sometimes", TEST_CREDENTIALS)
    with pytest.raises(ConfigError, match="unknown"):
        open_storage(ObjectStoreConfig(object_store="tigris", bucket="b", extra={"unknown": 1}))


def test_sapwood_plugins_lists_tigris_and_the_module_is_light() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "sapwood.cli", "plugins"],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "200", "PATH": ""},
    ).stdout
    assert "sapwood-tigris" in shown
    assert "storage:tigris" in shown
    code = "import sys, sapwood_tigris.plugin; print('boto3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
