"""How failures surface: missing buckets, unreachable endpoints, and each HTTP status GCS
can answer, served by a real HTTP server on 127.0.0.1 (the emulator cannot be made to
refuse or throttle)."""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sapwood.config import ObjectStoreConfig
from sapwood.credentials import AnonymousCredentials, StaticCredentials
from sapwood.errors import (
    CredentialsError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    StorageError,
)
from sapwood.storage import ByteRange
from sapwood.stores import open_storage
from sapwood.testing._support import collect
from sapwood_gcs.storage import GcsStorage
from sapwood_gcs.testing import LOOPBACK, emulator_config, free_port

SECRET = "ya29.do-not-leak-this-token"


@dataclass
class StatusServer:
    """Answers every request with ``status`` and a GCS-shaped JSON error; counts requests."""

    status: int = 500
    url: str = ""
    hits: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def status_server() -> Iterator[StatusServer]:
    state = StatusServer()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            with state.lock:
                state.hits += 1
            body = json.dumps(
                {"error": {"code": state.status, "message": f"stub says {state.status}"}}
            ).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _answer  # noqa: N815

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    server.daemon_threads = True
    state.url = f"http://{LOOPBACK}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def open_gcs(config: ObjectStoreConfig, credentials: Any = None) -> GcsStorage:
    opened = open_storage(config, credentials or AnonymousCredentials())
    assert isinstance(opened, GcsStorage)
    return opened


async def test_a_missing_bucket_is_named_not_reported_as_a_missing_key(
    gcs_emulator: str,
) -> None:
    store = open_gcs(emulator_config(gcs_emulator, "no-such-bucket-here"))
    try:
        calls: tuple[Callable[[], Awaitable[object]], ...] = (
            lambda: store.get("k"),
            lambda: store.head("k"),
            lambda: store.get("k", ByteRange(0, 4)),
            lambda: store.put("k", b"v"),
            lambda: store.put("k", b"v", mode="create"),
            lambda: collect(store.list()),
            lambda: collect(store.list("a/", "/", start_after="a/b")),
            lambda: store.delete("k"),
        )
        for call in calls:
            with pytest.raises(StorageError, match="bucket 'no-such-bucket-here' does not exist"):
                await call()
    finally:
        await store.close()


async def test_a_missing_bucket_error_is_not_retryable(gcs_emulator: str) -> None:
    store = open_gcs(emulator_config(gcs_emulator, "no-such-bucket-either"))
    try:
        with pytest.raises(StorageError) as caught:
            await store.get("k")
        assert not isinstance(caught.value, NotFoundError)
        assert caught.value.retryable is False
        assert gcs_emulator in str(caught.value)
    finally:
        await store.close()


async def test_an_unreachable_endpoint_fails_at_once_naming_it() -> None:
    endpoint = f"http://{LOOPBACK}:{free_port()}"  # nothing listens there
    store = open_gcs(emulator_config(endpoint, "b"))
    try:
        calls: tuple[Callable[[], Awaitable[object]], ...] = (
            lambda: store.get("k"),
            lambda: store.put("k", b"v"),
            lambda: collect(store.list()),
        )
        for call in calls:
            with pytest.raises(StorageError) as caught:
                await call()
            assert caught.value.retryable is True
            assert f"cannot reach the GCS endpoint {endpoint}" in str(caught.value)
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("status", "error_type", "retryable"),
    [
        (401, PermissionDeniedError, False),
        (403, PermissionDeniedError, False),
        (400, StorageError, False),
        (408, StorageError, True),
        (429, StorageError, True),
        (500, StorageError, True),
        (502, StorageError, True),
        (503, StorageError, True),
        (504, StorageError, True),
    ],
)
async def test_each_status_maps_to_its_error_after_one_request(
    status_server: StatusServer, status: int, error_type: type[StorageError], retryable: bool
) -> None:
    status_server.status = status
    store = open_gcs(
        emulator_config(status_server.url, "b"), StaticCredentials(bearer_token=SECRET)
    )
    try:
        calls = (
            lambda: store.get("k"),
            lambda: store.head("k"),
            lambda: store.put("k", b"v"),
            lambda: store.delete("k"),
        )
        for call in calls:
            before = status_server.hits
            with pytest.raises(error_type) as caught:
                await call()
            error = caught.value
            assert type(error) is error_type
            assert error.retryable is retryable
            assert not isinstance(error, PreconditionFailedError | NotFoundError)
            assert str(status) in str(error)
            assert SECRET not in str(error)
            assert SECRET not in repr(error)
            # 401 is retried once by google-auth after asking for a fresh token; no other
            # status is retried inside the backend (the object layer decides).
            assert status_server.hits - before == (2 if status == 401 else 1)
    finally:
        await store.close()


async def test_permission_denied_is_a_permission_error_and_names_the_identity(
    status_server: StatusServer,
) -> None:
    status_server.status = 403
    store = open_gcs(
        emulator_config(status_server.url, "b"), StaticCredentials(bearer_token=SECRET)
    )
    try:
        with pytest.raises(PermissionError) as caught:
            await store.put("k", b"v")
        message = str(caught.value)
        assert "access denied (403)" in message
        assert "bearer token from static" in message
        assert "gs://b/k" in message
        assert SECRET not in message
        assert SECRET not in repr(store)
    finally:
        await store.close()


async def test_expired_credentials_fail_before_any_request(status_server: StatusServer) -> None:
    from datetime import UTC, datetime, timedelta

    from sapwood.credentials import ExpiringCredentials

    expired = ExpiringCredentials(
        bearer_token=SECRET, expiration=datetime.now(UTC) - timedelta(minutes=1)
    )
    store = open_gcs(emulator_config(status_server.url, "b"), expired)
    try:
        with pytest.raises(CredentialsError, match="expired") as caught:
            await store.get("k")
        assert SECRET not in str(caught.value)
        assert status_server.hits == 0
    finally:
        await store.close()
