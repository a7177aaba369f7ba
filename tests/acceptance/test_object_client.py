"""The plain object client: Usecase, scoped sessions, put / get / delete, and expiration
policies (TimeToLive, TimeToIdle)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import sapwood
from sapwood.aio import AsyncObjectClient


@pytest.fixture
def client(memory_url: str) -> sapwood.ObjectClient:
    """An object client over a fresh memory store."""
    return sapwood.ObjectClient(sapwood.ObjectStoreConfig.from_url(memory_url))


def missing(session: object, key: str) -> bool:
    """True when ``get(key)`` reports the object as absent (None or ObjectNotFoundError)."""
    try:
        return session.get(key) is None  # type: ignore[attr-defined]
    except sapwood.ObjectNotFoundError:
        return True


def test_put_get_delete_round_trip(client: sapwood.ObjectClient) -> None:
    usecase = sapwood.Usecase("attachments")
    session = client.session(usecase, org="17", project="p-1")
    key = session.put(b"payload bytes", metadata={"owner": "me"})
    assert isinstance(key, str)
    assert key
    result = session.get(key)
    assert result is not None
    assert result.payload.read() == b"payload bytes"
    assert result.metadata.custom == {"owner": "me"}
    assert isinstance(result.metadata.time_created, datetime)
    session.delete(key)
    assert missing(session, key)


def test_put_with_an_explicit_key(client: sapwood.ObjectClient) -> None:
    session = client.session(sapwood.Usecase("avatars"), org="1")
    assert session.put(b"x", key="user-42") == "user-42"
    result = session.get("user-42")
    assert result is not None
    assert result.payload.read() == b"x"
    session.put(b"y", key="user-42")
    again = session.get("user-42")
    assert again is not None
    assert again.payload.read() == b"y"


def test_generated_keys_are_unique(client: sapwood.ObjectClient) -> None:
    session = client.session(sapwood.Usecase("u"), org="1")
    keys = {session.put(b"same") for _ in range(5)}
    assert len(keys) == 5


def test_put_accepts_a_file_object(client: sapwood.ObjectClient) -> None:
    import io

    session = client.session(sapwood.Usecase("files"), org="1")
    key = session.put(io.BytesIO(b"from a file"))
    result = session.get(key)
    assert result is not None
    assert result.payload.read() == b"from a file"


def test_scopes_isolate_objects(client: sapwood.ObjectClient) -> None:
    usecase = sapwood.Usecase("attachments")
    first = client.session(usecase, org="1", project="a")
    second = client.session(usecase, org="1", project="b")
    key = first.put(b"only in a", key="k")
    assert missing(second, key)
    other_usecase = client.session(sapwood.Usecase("other"), org="1", project="a")
    assert missing(other_usecase, key)


def test_scope_order_matters(client: sapwood.ObjectClient) -> None:
    usecase = sapwood.Usecase("ordered")
    first = client.session(usecase, org="1", project="2")
    swapped = client.session(usecase, project="2", org="1")
    first.put(b"x", key="k")
    assert missing(swapped, "k")


def test_scope_charset(client: sapwood.ObjectClient) -> None:
    usecase = sapwood.Usecase("charset")
    allowed = client.session(usecase, org="Az09_-()$!+*'")
    allowed.put(b"ok", key="k")
    for bad in ["a/b", "a b", "ä", ""]:
        with pytest.raises((sapwood.SapwoodError, ValueError)):
            client.session(usecase, org=bad).put(b"x", key="k")


def test_content_type_metadata(client: sapwood.ObjectClient) -> None:
    session = client.session(sapwood.Usecase("typed"), org="1")
    key = session.put(b"{}")
    result = session.get(key)
    assert result is not None
    assert result.metadata.content_type is None or isinstance(result.metadata.content_type, str)


def test_expiration_policies(client: sapwood.ObjectClient) -> None:
    ttl = sapwood.TimeToLive(timedelta(days=1))
    tti = sapwood.TimeToIdle(timedelta(hours=2))
    usecase = sapwood.Usecase("expiring", expiration_policy=ttl)
    session = client.session(usecase, org="1")
    default_key = session.put(b"default policy")
    idle_key = session.put(b"idle policy", expiration_policy=tti)
    default = session.get(default_key)
    idle = session.get(idle_key)
    assert default is not None
    assert idle is not None
    assert default.metadata.expiration_policy == ttl
    assert idle.metadata.expiration_policy == tti


def test_usecase_defaults() -> None:
    usecase = sapwood.Usecase("plain")
    assert usecase.name == "plain"
    assert usecase.expiration_policy is None
    assert usecase.compression == "zstd"


def test_compressed_usecase_round_trips_large_data(client: sapwood.ObjectClient) -> None:
    session = client.session(sapwood.Usecase("compressed", compression="zstd"), org="1")
    data = b"compressible " * 100_000
    key = session.put(data)
    result = session.get(key)
    assert result is not None
    assert result.payload.read() == data


def test_client_accepts_a_url_string(memory_url: str) -> None:
    client = sapwood.ObjectClient(memory_url, timeout_ms=5_000, retries=2)
    session = client.session(sapwood.Usecase("u"), org="1")
    key = session.put(b"z")
    result = session.get(key)
    assert result is not None
    assert result.payload.read() == b"z"


async def test_async_object_client(memory_url: str) -> None:
    client = AsyncObjectClient(memory_url)
    session = client.session(sapwood.Usecase("async"), org="1")
    key = await session.put(b"async bytes", metadata={"a": "b"})
    result = await session.get(key)
    assert result is not None
    assert result.payload.read() == b"async bytes"
    assert result.metadata.custom == {"a": "b"}
    await session.delete(key)


def test_time_to_live_expires(client: sapwood.ObjectClient) -> None:
    session = client.session(sapwood.Usecase("short-lived"), org="1")
    kept = session.put(b"kept", expiration_policy=sapwood.TimeToLive(timedelta(days=1)))
    gone = session.put(b"gone", expiration_policy=sapwood.TimeToLive(timedelta(milliseconds=1)))
    time.sleep(0.05)
    assert missing(session, gone)
    assert not missing(session, kept)


def test_time_to_idle_expires_when_idle(client: sapwood.ObjectClient) -> None:
    session = client.session(sapwood.Usecase("idle"), org="1")
    gone = session.put(b"gone", expiration_policy=sapwood.TimeToIdle(timedelta(milliseconds=1)))
    time.sleep(0.05)
    assert missing(session, gone)


def test_delete_then_put_again(client: sapwood.ObjectClient) -> None:
    session = client.session(sapwood.Usecase("again"), org="1")
    session.put(b"one", key="k")
    session.delete("k")
    session.put(b"two", key="k")
    result = session.get("k")
    assert result is not None
    assert result.payload.read() == b"two"


@pytest.mark.parametrize("metrics_backend", ["noop", "memory", "logging"])
def test_client_takes_a_metrics_backend_by_name(memory_url: str, metrics_backend: str) -> None:
    client = sapwood.ObjectClient(memory_url, metrics_backend=metrics_backend)
    session = client.session(sapwood.Usecase("metered"), org="1")
    result = session.get(session.put(b"m"))
    assert result is not None
    assert result.payload.read() == b"m"


@pytest.mark.parametrize("as_path", [False, True], ids=["str", "Path"])
def test_client_takes_a_folder_path_as_a_repository_does(tmp_path: Path, as_path: bool) -> None:
    folder = tmp_path / "objects"
    with sapwood.ObjectClient(folder if as_path else str(folder)) as client:
        session = client.session(sapwood.Usecase("files"), org="1")
        result = session.get(session.put(b"on disk"))
        assert result is not None
        assert result.payload.read() == b"on disk"
    assert any(path.is_file() for path in folder.rglob("*"))


def test_client_refuses_a_store_it_cannot_use() -> None:
    with pytest.raises(TypeError, match="a folder path or a Storage, not int"):
        sapwood.ObjectClient(42)  # type: ignore[arg-type]
    with pytest.raises(sapwood.ConfigError, match="looks like a URL"):
        sapwood.ObjectClient("s3:bucket")
