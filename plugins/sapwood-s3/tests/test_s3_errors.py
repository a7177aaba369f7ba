"""S3 answers map to sapwood's error types, with messages that say what to fix."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sapwood.config import ObjectStoreConfig
from sapwood.errors import (
    AlreadyExistsError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    StorageError,
)
from sapwood.storage import Storage
from sapwood.stores import open_storage
from sapwood_s3.errors import map_error
from sapwood_s3.settings import resolve_settings
from sapwood_s3.testing import TEST_CREDENTIALS, CheckingMotoServer, MotoServer


async def _all_operations_fail(store: Storage) -> list[StorageError]:
    errors: list[StorageError] = []
    calls: list[Any] = [
        lambda: store.get("k"),
        lambda: store.put("k", b"x"),
        lambda: store.delete("k"),
        lambda: store.delete_many(["a", "b"]),
        lambda: _drain(store),
    ]
    for call in calls:
        with pytest.raises(StorageError) as caught:
            await call()
        errors.append(caught.value)
    return errors


async def _drain(store: Storage) -> None:
    async for _ in store.list():
        pass


async def test_missing_bucket_says_so_and_is_not_retryable(moto_server: MotoServer) -> None:
    store = open_storage(moto_server.store_config("no-such-bucket-here"), TEST_CREDENTIALS)
    try:
        for error in await _all_operations_fail(store):
            assert not isinstance(error, NotFoundError), "a missing bucket is not a missing key"
            assert "bucket 'no-such-bucket-here' does not exist" in str(error)
            assert error.retryable is False
    finally:
        await store.close()


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when this returns: nothing listens


async def test_unreachable_endpoint_fails_at_once_naming_it() -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    config = ObjectStoreConfig(object_store="s3", bucket="bkt", endpoint_url=endpoint)
    store = open_storage(config, TEST_CREDENTIALS)
    try:
        with pytest.raises(StorageError) as caught:
            await store.get("k")
        assert endpoint in str(caught.value)
        assert caught.value.retryable, "the object layer decides whether to try again"
        # one attempt only: botocore's own retries would add back-off sleeps before failing
        state = store._clients.current
        assert state is not None
        client = state.client
        assert client.meta.config.retries["total_max_attempts"] == 1
        assert client.meta.config.connect_timeout == 5.0
    finally:
        await store.close()


async def test_unknown_access_key_is_permission_denied(
    checking_server: CheckingMotoServer,
) -> None:
    bucket = _bucket(checking_server)
    wrong = type(TEST_CREDENTIALS)(access_key_id="AKIANOTAKEY", secret_access_key="s3cr3t-value")
    store = open_storage(checking_server.server.store_config(bucket), wrong)
    try:
        with pytest.raises(PermissionDeniedError) as caught:
            await store.get("k")
        message = str(caught.value)
        assert "rejected the credentials (InvalidAccessKeyId)" in message
        assert "s3cr3t-value" not in message
        assert "s3cr3t-value" not in repr(store)
    finally:
        await store.close()


async def test_wrong_secret_is_permission_denied(checking_server: CheckingMotoServer) -> None:
    bucket = _bucket(checking_server)
    _, key = checking_server.new_user()
    wrong = type(key)(access_key_id=key.access_key_id, secret_access_key="not-the-secret")
    store = open_storage(checking_server.server.store_config(bucket), wrong)
    try:
        with pytest.raises(PermissionDeniedError, match="SignatureDoesNotMatch"):
            await store.put("k", b"x")
    finally:
        await store.close()


async def test_action_not_allowed_is_permission_denied(
    checking_server: CheckingMotoServer,
) -> None:
    bucket = _bucket(checking_server)
    checking_server.admin_client().put_object(Bucket=bucket, Key="readable", Body=b"ok")
    _, reader = checking_server.new_user(["s3:GetObject"])
    store = open_storage(checking_server.server.store_config(bucket), reader)
    try:
        assert await store.get("readable") == b"ok"
        with pytest.raises(PermissionDeniedError, match="access denied"):
            await store.put("k", b"x")
    finally:
        await store.close()


def _bucket(server: CheckingMotoServer) -> str:
    name = f"auth-{id(server)}"
    client = server.admin_client()
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if name not in existing:
        client.create_bucket(Bucket=name)
    return name


def _client_error(code: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "PutObject")


_SETTINGS = resolve_settings(ObjectStoreConfig(object_store="s3", bucket="bkt"))


@pytest.mark.parametrize(
    ("code", "status", "write", "expected", "retryable"),
    [
        ("PreconditionFailed", 412, "update", PreconditionFailedError, False),
        ("PreconditionFailed", 412, "create", AlreadyExistsError, False),
        ("ConditionalRequestConflict", 409, "update", PreconditionFailedError, False),
        ("ConditionalRequestConflict", 409, "create", AlreadyExistsError, False),
        ("NoSuchKey", 404, "other", NotFoundError, False),
        ("AccessDenied", 403, "other", PermissionDeniedError, False),
        ("ExpiredToken", 400, "other", PermissionDeniedError, False),
        ("SlowDown", 503, "other", StorageError, True),
        ("InternalError", 500, "other", StorageError, True),
        ("TooManyRequests", 429, "other", StorageError, True),
        ("InvalidArgument", 400, "other", StorageError, False),
    ],
)
def test_error_codes_map_to_sapwood_types(
    code: str, status: int, write: Any, expected: type[StorageError], retryable: bool
) -> None:
    error = map_error(_client_error(code, status), _SETTINGS, operation="put", key="k", write=write)
    assert type(error) is expected
    assert isinstance(error, StorageError)
    assert error.retryable is retryable
    assert "'k'" in str(error)
    assert "bucket 'bkt'" in str(error)


async def test_an_endpoint_that_is_not_s3_says_so() -> None:
    import http.server
    import threading

    class WebSite(http.server.BaseHTTPRequestHandler):
        def answer(self) -> None:
            page = b"<html><body>Not Found</body></html>"
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(page)

        do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = answer  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), WebSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    config = ObjectStoreConfig(
        object_store="s3", bucket="b", region="us-east-1", endpoint_url=endpoint
    )
    store = open_storage(config, TEST_CREDENTIALS)
    try:
        with pytest.raises(StorageError) as caught:
            await store.get("k")
        assert not isinstance(caught.value, NotFoundError)
        assert "does not look like an S3 API endpoint" in str(caught.value)
        assert endpoint in str(caught.value)
    finally:
        await store.close()
        server.shutdown()
        server.server_close()


async def test_missing_keys_on_moto_are_still_not_found(
    moto_server: MotoServer, s3_bucket: str
) -> None:
    store = open_storage(moto_server.store_config(s3_bucket), TEST_CREDENTIALS)
    try:
        for call in (lambda: store.get("missing"), lambda: store.head("missing")):
            with pytest.raises(NotFoundError, match="no such key"):
                await call()
    finally:
        await store.close()
