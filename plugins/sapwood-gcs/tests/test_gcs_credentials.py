"""How sapwood's credential types reach GCS: checked on the wire, through a recording proxy
in front of the emulator (which itself accepts any token)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sapwood.credentials import (
    AnonymousCredentials,
    ExpiringCredentials,
    FromEnvCredentials,
    RefreshableCredentials,
    StaticCredentials,
)
from sapwood.errors import CredentialsError
from sapwood.stores import open_storage
from sapwood_gcs.auth import ProviderTokenCredentials
from sapwood_gcs.storage import GcsStorage
from sapwood_gcs.testing import RecordingProxy, emulator_config

TOKEN = "ya29.sapwood-test-token"


def open_gcs(
    proxy: RecordingProxy, bucket: str, credentials: object, **fields: object
) -> GcsStorage:
    opened = open_storage(emulator_config(proxy.url, bucket, **fields), credentials)  # type: ignore[arg-type]
    assert isinstance(opened, GcsStorage)
    return opened


async def test_a_bearer_token_is_sent_as_is(
    gcs_bucket: str, recording_proxy: RecordingProxy
) -> None:
    store = open_gcs(recording_proxy, gcs_bucket, StaticCredentials(bearer_token=TOKEN))
    try:
        await store.put("k", b"v")
        assert await store.get("k") == b"v"
        assert recording_proxy.authorizations == [f"Bearer {TOKEN}"] * 2
        assert TOKEN not in repr(store)
        assert store.auth_source == "bearer token from static"
    finally:
        await store.close()


async def test_anonymous_sends_no_authorization(
    gcs_bucket: str, recording_proxy: RecordingProxy
) -> None:
    store = open_gcs(recording_proxy, gcs_bucket, AnonymousCredentials())
    try:
        await store.put("k", b"v")
        assert recording_proxy.authorizations == [None]
    finally:
        await store.close()


async def test_the_anonymous_flag_of_the_config_means_no_credentials(
    gcs_bucket: str, recording_proxy: RecordingProxy
) -> None:
    store = open_gcs(recording_proxy, gcs_bucket, None, anonymous=True)
    try:
        await store.put("k", b"v")
        assert recording_proxy.authorizations == [None]
        assert store.auth_source == "anonymous"
    finally:
        await store.close()


async def test_from_env_uses_sapwood_bearer_token(
    gcs_bucket: str, recording_proxy: RecordingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAPWOOD_BEARER_TOKEN", "from-the-environment")
    store = open_gcs(recording_proxy, gcs_bucket, FromEnvCredentials())
    try:
        await store.put("k", b"v")
        assert recording_proxy.seen_tokens() == ["from-the-environment"]
    finally:
        await store.close()


async def test_from_env_falls_back_to_google_application_credentials(
    gcs_bucket: str,
    recording_proxy: RecordingProxy,
    service_account_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("SAPWOOD_BEARER_TOKEN", "SAPWOOD_ACCESS_KEY_ID", "SAPWOOD_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(service_account_file))
    store = open_gcs(recording_proxy, gcs_bucket, FromEnvCredentials())
    try:
        await store.put("k", b"v")
        assert await store.get("k") == b"v"
        assert recording_proxy.token_requests == 1
        assert recording_proxy.seen_tokens() == ["sa-token-1"]
        assert store.auth_source == "application default credentials"
        assert store.capabilities.presigned_urls is True
    finally:
        await store.close()


async def test_a_service_account_file_in_extra_authenticates(
    gcs_bucket: str, recording_proxy: RecordingProxy, service_account_file: Path
) -> None:
    extra = {"project": "test", "service_account_file": str(service_account_file)}
    store = open_gcs(recording_proxy, gcs_bucket, None, extra=extra)
    try:
        assert store.capabilities.presigned_urls is True
        await store.put("k", b"v")
        await store.head("k")
        assert recording_proxy.token_requests == 1, "one token, reused while valid"
        assert recording_proxy.seen_tokens() == ["sa-token-1"]
        assert str(service_account_file) in store.auth_source
    finally:
        await store.close()


async def test_a_missing_service_account_file_is_named(
    gcs_bucket: str, recording_proxy: RecordingProxy, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.json"
    extra = {"service_account_file": str(missing)}
    store = open_gcs(recording_proxy, gcs_bucket, None, extra=extra)
    try:
        with pytest.raises(CredentialsError, match="does not exist") as caught:
            await store.get("k")
        assert str(missing) in str(caught.value)
        assert recording_proxy.requests_seen() == 0
    finally:
        await store.close()


async def test_a_broken_service_account_file_is_reported_without_its_content(
    gcs_bucket: str, recording_proxy: RecordingProxy, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "service_account", "private_key": "SECRET-KEY-MATERIAL"}')
    store = open_gcs(recording_proxy, gcs_bucket, None, extra={"service_account_file": str(broken)})
    try:
        with pytest.raises(CredentialsError, match="not a valid service account key") as caught:
            await store.get("k")
        assert "SECRET-KEY-MATERIAL" not in str(caught.value)
    finally:
        await store.close()


async def test_a_key_pair_is_refused_with_advice(
    gcs_bucket: str, recording_proxy: RecordingProxy
) -> None:
    pair = StaticCredentials(access_key_id="GOOG1EXAMPLE", secret_access_key="hmac-secret")
    store = open_gcs(recording_proxy, gcs_bucket, pair)
    try:
        with pytest.raises(CredentialsError, match="bearer_token") as caught:
            await store.get("k")
        assert "hmac-secret" not in str(caught.value)
        assert recording_proxy.requests_seen() == 0
    finally:
        await store.close()


async def test_refreshable_credentials_renew_the_token_during_a_long_run(
    gcs_bucket: str, recording_proxy: RecordingProxy
) -> None:
    """Tokens live 1.5 s; a run of a few seconds must move through several of them, each
    reaching the server in the order the fetcher issued them."""
    issued: list[str] = []
    numbers = itertools.count(1)

    def fetch() -> ExpiringCredentials:
        token = f"short-lived-{next(numbers)}"
        issued.append(token)
        return ExpiringCredentials(
            bearer_token=token, expiration=datetime.now(UTC) + timedelta(seconds=1.5)
        )

    spec = RefreshableCredentials(fetch_with=fetch, refresh_margin=timedelta(seconds=0.5))
    store = open_gcs(recording_proxy, gcs_bucket, spec)
    try:
        payload = b"x" * 1024
        for round_number in range(120):  # bounded: ~0.1 s a round
            await store.put(f"run/{round_number % 5}", payload)
            assert await store.get(f"run/{round_number % 5}") == payload
            if len(recording_proxy.seen_tokens()) >= 3:
                break
            await asyncio.sleep(0.1)
        seen = recording_proxy.seen_tokens()
        assert len(seen) >= 3, f"only {seen} reached the server"
        assert seen == issued[: len(seen)], "tokens must be used in the order issued"
        conn = store._clients.current
        assert conn is not None
        tokens = conn.auth.tokens
        assert isinstance(tokens, ProviderTokenCredentials)
        assert tokens.token_changes >= 2
        assert "short-lived" not in repr(tokens)
    finally:
        await store.close()


async def test_a_request_thread_fetches_a_new_token_when_its_own_has_expired(
    gcs_bucket: str, recording_proxy: RecordingProxy
) -> None:
    """A transfer outliving its token: the request thread asks the provider (on the event
    loop) for a new one instead of sending an expired token."""
    numbers = itertools.count(1)

    def fetch() -> ExpiringCredentials:
        # Expires within the thread-side margin (10 s), so every request re-asks.
        return ExpiringCredentials(
            bearer_token=f"thread-{next(numbers)}",
            expiration=datetime.now(UTC) + timedelta(seconds=2),
        )

    spec = RefreshableCredentials(fetch_with=fetch, refresh_margin=timedelta(seconds=1))
    store = open_gcs(
        recording_proxy, gcs_bucket, spec, extra={"project": "test", "upload_chunk_bytes": 262144}
    )
    try:
        payload = b"y" * (9 * 1024 * 1024)  # a resumable upload: 37 requests
        await store.put("big", payload)
        conn = store._clients.current
        assert conn is not None
        tokens = conn.auth.tokens
        assert isinstance(tokens, ProviderTokenCredentials)
        assert tokens.refreshes >= 30
        assert recording_proxy.seen_tokens()[0] == "thread-1"
        assert all(a and a.startswith("Bearer thread-") for a in recording_proxy.authorizations)
    finally:
        await store.close()
