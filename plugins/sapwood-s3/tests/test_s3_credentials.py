"""sapwood's credential types map onto S3 signing, proven against a moto server that
checks every signature (and a plain one for anonymous access)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sapwood.credentials import (
    AnonymousCredentials,
    ExpiringCredentials,
    FromEnvCredentials,
    RefreshableCredentials,
    RefreshingProvider,
    StaticCredentials,
)
from sapwood.errors import ConfigError, CredentialsError, PermissionDeniedError
from sapwood.stores import open_storage
from sapwood_s3.testing import CheckingMotoServer, MotoServer


@pytest.fixture
def clean_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No AWS or SAPWOOD variables, empty AWS config files, and no instance metadata."""
    import os

    for name in list(os.environ):
        if name.startswith(("AWS_", "SAPWOOD_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


@pytest.fixture
def bucket(checking_server: CheckingMotoServer) -> str:
    name = f"creds-{id(checking_server)}"
    client = checking_server.admin_client()
    if name not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
        client.create_bucket(Bucket=name)
    return name


async def _round_trip(store: object, key: str = "probe") -> None:
    from sapwood.storage import Storage

    assert isinstance(store, Storage)
    try:
        await store.put(key, b"signed")
        assert await store.get(key) == b"signed"
    finally:
        await store.close()


async def test_static_key_pair_signs_requests(
    checking_server: CheckingMotoServer, bucket: str
) -> None:
    _, key = checking_server.new_user()
    await _round_trip(open_storage(checking_server.server.store_config(bucket), key))


def _allow_all_role(server: CheckingMotoServer) -> str:
    import json

    iam = server.iam()
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    name = f"role-{id(trust)}"
    arn = str(
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    )
    allow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName=name, PolicyName="all", PolicyDocument=json.dumps(allow))
    return arn


async def test_session_token_is_sent(checking_server: CheckingMotoServer, bucket: str) -> None:
    import boto3

    _, key = checking_server.new_user()
    sts = boto3.client(
        "sts",
        endpoint_url=checking_server.server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=key.access_key_id,
        aws_secret_access_key=key.secret_access_key,
    )
    role_arn = _allow_all_role(checking_server)
    temporary = sts.assume_role(RoleArn=role_arn, RoleSessionName="sapwood")["Credentials"]
    session = StaticCredentials(
        access_key_id=temporary["AccessKeyId"],
        secret_access_key=temporary["SecretAccessKey"],
        session_token=temporary["SessionToken"],
    )
    await _round_trip(open_storage(checking_server.server.store_config(bucket), session))

    forged = StaticCredentials(
        access_key_id=key.access_key_id,
        secret_access_key=key.secret_access_key,
        session_token="not-a-token-moto-issued",
    )
    store = open_storage(checking_server.server.store_config(bucket), forged)
    try:
        with pytest.raises(PermissionDeniedError, match="InvalidToken"):
            await store.put("t", b"x")
    finally:
        await store.close()


async def test_sapwood_env_variables_are_used(
    checking_server: CheckingMotoServer,
    bucket: str,
    clean_aws_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, key = checking_server.new_user()
    monkeypatch.setenv("SAPWOOD_ACCESS_KEY_ID", str(key.access_key_id))
    monkeypatch.setenv("SAPWOOD_SECRET_ACCESS_KEY", str(key.secret_access_key))
    config = checking_server.server.store_config(bucket)
    await _round_trip(open_storage(config, FromEnvCredentials()))

    monkeypatch.setenv("SAPWOOD_SECRET_ACCESS_KEY", "wrong")
    store = open_storage(config, FromEnvCredentials())
    try:
        with pytest.raises(PermissionDeniedError, match="SignatureDoesNotMatch"):
            await store.get("probe")
    finally:
        await store.close()


@pytest.mark.parametrize("credentials", [None, FromEnvCredentials()], ids=["none", "from-env"])
async def test_aws_env_variables_through_boto3_default_chain(
    checking_server: CheckingMotoServer,
    bucket: str,
    clean_aws_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    credentials: FromEnvCredentials | None,
) -> None:
    _, key = checking_server.new_user()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", str(key.access_key_id))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", str(key.secret_access_key))
    store = open_storage(checking_server.server.store_config(bucket), credentials)
    assert "default chain" in repr(store) or "env" in repr(store)
    await _round_trip(store)


async def test_profile_named_in_extra(
    checking_server: CheckingMotoServer, bucket: str, clean_aws_env: Path
) -> None:
    _, key = checking_server.new_user()
    (clean_aws_env / "credentials").write_text(
        f"[sapwood-test]\naws_access_key_id = {key.access_key_id}\n"
        f"aws_secret_access_key = {key.secret_access_key}\n"
    )
    config = checking_server.server.store_config(bucket, profile="sapwood-test")
    await _round_trip(open_storage(config))

    missing = open_storage(checking_server.server.store_config(bucket, profile="nope"))
    try:
        with pytest.raises(ConfigError, match="profile 'nope'") as caught:
            await missing.get("probe")
        assert caught.value.field == "extra.profile"
    finally:
        await missing.close()


async def test_no_credentials_anywhere_is_a_credentials_error(
    moto_server: MotoServer, s3_bucket: str, clean_aws_env: Path
) -> None:
    store = open_storage(moto_server.store_config(s3_bucket))
    try:
        with pytest.raises(CredentialsError, match="AWS_ACCESS_KEY_ID"):
            await store.get("k")
    finally:
        await store.close()


@pytest.mark.parametrize("how", ["anonymous-flag", "anonymous-credentials"])
async def test_anonymous_requests_are_unsigned(
    moto_server: MotoServer, s3_bucket: str, clean_aws_env: Path, how: str
) -> None:
    raw = moto_server.client()
    raw.put_object(Bucket=s3_bucket, Key="public", Body=b"for all", ACL="public-read")
    raw.put_object(Bucket=s3_bucket, Key="private", Body=b"not for all")
    if how == "anonymous-flag":
        config = moto_server.store_config(s3_bucket).merge(None)
        store = open_storage(config.__class__(**{**config.to_dict(), "anonymous": True}))
    else:
        store = open_storage(moto_server.store_config(s3_bucket), AnonymousCredentials())
    try:
        assert await store.get("public") == b"for all"
        with pytest.raises(PermissionDeniedError):
            await store.get("private")
        url = await store.presign_get("public")
        assert "Signature" not in url, "an anonymous store hands out plain URLs"
    finally:
        await store.close()


async def test_refreshing_credentials_are_renewed_during_a_long_run(
    checking_server: CheckingMotoServer, bucket: str
) -> None:
    """Each renewal hands out a new key and revokes the previous one on the server, so a
    request signed with a stale key would fail: every request succeeding proves the store
    signs with the renewed credentials. A fake clock stands in for an hour of work."""
    user, first = checking_server.new_user()
    checking_server.delete_key(user, first)  # IAM allows two keys per user: rotate within that
    now = [datetime(2030, 1, 1, tzinfo=UTC)]
    issued: list[ExpiringCredentials] = []

    def fetch() -> ExpiringCredentials:
        key = checking_server.new_key(user)
        if issued:
            checking_server.delete_key(user, issued[-1])
        issued.append(
            ExpiringCredentials(
                access_key_id=key.access_key_id,
                secret_access_key=key.secret_access_key,
                expiration=now[0] + timedelta(minutes=10),
            )
        )
        return issued[-1]

    provider = RefreshingProvider(
        RefreshableCredentials(fetch_with=fetch, refresh_margin=timedelta(minutes=2)),
        clock=lambda: now[0],
    )
    store = open_storage(checking_server.server.store_config(bucket), provider)
    try:
        for step in range(20):  # 20 steps of 3 minutes: an hour, expiring every 10 minutes
            await store.put(f"long-run/{step}", str(step).encode())
            assert await store.get(f"long-run/{step}") == str(step).encode()
            now[0] += timedelta(minutes=3)
    finally:
        await store.close()
    assert provider.refresh_count >= 6
    assert len({c.access_key_id for c in issued}) == len(issued) == provider.refresh_count


async def test_refreshable_credentials_through_open_storage(
    checking_server: CheckingMotoServer, bucket: str
) -> None:
    _, key = checking_server.new_user()
    calls: list[int] = []

    async def fetch() -> ExpiringCredentials:
        calls.append(1)
        return ExpiringCredentials(
            access_key_id=key.access_key_id,
            secret_access_key=key.secret_access_key,
            expiration=datetime.now(UTC) + timedelta(hours=1),
        )

    store = open_storage(
        checking_server.server.store_config(bucket), RefreshableCredentials(fetch_with=fetch)
    )
    await _round_trip(store, "refreshable")
    assert calls == [1], "credentials far from expiry are fetched once"


async def test_a_bearer_token_alone_is_refused(moto_server: MotoServer, s3_bucket: str) -> None:
    store = open_storage(moto_server.store_config(s3_bucket), StaticCredentials(bearer_token="t"))
    try:
        with pytest.raises(CredentialsError, match="access_key_id and secret_access_key"):
            await store.get("k")
    finally:
        await store.close()
