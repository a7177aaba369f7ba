"""Configuration values: ObjectStoreConfig.from_url for every scheme, RepositoryConfig
default / merge, and JSON / TOML / YAML / msgpack round trips."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest

import sapwood

Codec = tuple[Callable[[Any], bytes], Callable[[bytes, type[Any]], Any]]


def _json_decode(data: bytes, kind: type[Any]) -> Any:
    return msgspec.json.decode(data, type=kind)


def _msgpack_decode(data: bytes, kind: type[Any]) -> Any:
    return msgspec.msgpack.decode(data, type=kind)


def _toml_decode(data: bytes, kind: type[Any]) -> Any:
    return msgspec.toml.decode(data, type=kind)


def _yaml_decode(data: bytes, kind: type[Any]) -> Any:
    return msgspec.yaml.decode(data, type=kind)


CODECS: dict[str, Codec] = {
    "json": (msgspec.json.encode, _json_decode),
    "msgpack": (msgspec.msgpack.encode, _msgpack_decode),
    "toml": (msgspec.toml.encode, _toml_decode),
    "yaml": (msgspec.yaml.encode, _yaml_decode),
}


@pytest.mark.parametrize(
    ("url", "object_store", "bucket", "prefix"),
    [
        ("s3://bucket/some/path", "s3", "bucket", "some/path"),
        ("gs://bucket/some/path", "gcs", "bucket", "some/path"),
        ("az://container/some/path", "azure", "container", "some/path"),
        ("tigris://bucket/some/path", "tigris", "bucket", "some/path"),
        ("s3://bucket", "s3", "bucket", ""),
    ],
)
def test_from_url_cloud_schemes(url: str, object_store: str, bucket: str, prefix: str) -> None:
    config = sapwood.ObjectStoreConfig.from_url(url)
    assert isinstance(config, sapwood.ObjectStoreConfig)
    assert config.object_store == object_store
    assert config.bucket == bucket
    assert (config.prefix or "").strip("/") == prefix


def test_from_url_memory() -> None:
    config = sapwood.ObjectStoreConfig.from_url("memory://my-store")
    assert config.object_store == "memory"
    assert "my-store" in f"{config.bucket}/{config.prefix}"


def test_from_url_file(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    config = sapwood.ObjectStoreConfig.from_url(folder.as_uri())
    assert config.object_store == "local"
    assert str(folder) in f"{config.bucket or ''}/{config.prefix or ''}".replace("//", "/")


def test_from_url_overrides() -> None:
    config = sapwood.ObjectStoreConfig.from_url(
        "s3://bucket/p",
        region="eu-west-1",
        endpoint_url="http://127.0.0.1:9000",
        allow_http=True,
        anonymous=True,
    )
    assert config.region == "eu-west-1"
    assert config.endpoint_url == "http://127.0.0.1:9000"
    assert config.allow_http is True
    assert config.anonymous is True
    assert config.bucket == "bucket"


def test_from_url_misspelled_override_is_refused_by_the_plugin(memory_url: str) -> None:
    config = sapwood.ObjectStoreConfig.from_url(memory_url, regoin="eu-west-1")
    with pytest.raises(sapwood.ConfigError) as info:
        sapwood.Repository.create(config)
    assert "regoin" in str(info.value)


def test_object_store_config_direct_construction() -> None:
    config = sapwood.ObjectStoreConfig(
        object_store="s3",
        bucket="b",
        prefix="p",
        region="us-east-1",
        endpoint_url=None,
        anonymous=False,
        allow_http=False,
        extra={},
    )
    assert config == sapwood.ObjectStoreConfig.from_url("s3://b/p", region="us-east-1")


@pytest.mark.parametrize("codec", sorted(CODECS))
@pytest.mark.parametrize(
    "url",
    ["memory://rt", "file:///tmp/rt", "s3://b/p", "gs://b/p", "az://c/p", "tigris://b/p"],
)
def test_object_store_config_round_trips(codec: str, url: str) -> None:
    encode, decode = CODECS[codec]
    config = sapwood.ObjectStoreConfig.from_url(url, region="r1")
    assert decode(encode(config), sapwood.ObjectStoreConfig) == config


@pytest.mark.parametrize("codec", sorted(CODECS))
def test_default_repository_config_round_trips(codec: str) -> None:
    encode, decode = CODECS[codec]
    config = sapwood.RepositoryConfig.default()
    assert decode(encode(config), sapwood.RepositoryConfig) == config


@pytest.mark.parametrize("codec", sorted(CODECS))
def test_partial_repository_config_round_trips(codec: str) -> None:
    encode, decode = CODECS[codec]
    container = sapwood.VirtualChunkContainer(
        name="archive", prefix="s3://archive/", store=sapwood.ObjectStoreConfig.from_url("s3://a")
    )
    config = sapwood.RepositoryConfig(
        inline_chunk_threshold_bytes=64,
        unsafe_overwrite_refs=True,
        virtual_chunk_containers={"archive": container},
    )
    assert decode(encode(config), sapwood.RepositoryConfig) == config


def test_default_has_every_field_set() -> None:
    config = sapwood.RepositoryConfig.default()
    for field in [
        "inline_chunk_threshold_bytes",
        "unsafe_overwrite_refs",
        "get_partial_values_concurrency",
        "compression",
        "caching",
        "limits",
        "retries",
        "timeouts",
    ]:
        assert getattr(config, field) is not None, field
    assert config.unsafe_overwrite_refs is False


def test_unset_fields_are_none() -> None:
    config = sapwood.RepositoryConfig()
    assert config.inline_chunk_threshold_bytes is None
    assert config.limits is None


def test_merge_prefers_the_other_side_and_keeps_unset_fields() -> None:
    base = sapwood.RepositoryConfig(inline_chunk_threshold_bytes=10, unsafe_overwrite_refs=True)
    other = sapwood.RepositoryConfig(inline_chunk_threshold_bytes=20)
    merged = base.merge(other)
    assert merged.inline_chunk_threshold_bytes == 20
    assert merged.unsafe_overwrite_refs is True
    assert base.inline_chunk_threshold_bytes == 10


def test_merge_over_default_fills_everything() -> None:
    merged = sapwood.RepositoryConfig.default().merge(
        sapwood.RepositoryConfig(get_partial_values_concurrency=4)
    )
    assert merged.get_partial_values_concurrency == 4
    assert merged.limits == sapwood.RepositoryConfig.default().limits


def test_merge_nested_sections_field_by_field() -> None:
    default = sapwood.RepositoryConfig.default()
    assert default.retries is not None
    retries_type = type(default.retries)
    fields = [f for f in retries_type.__struct_fields__]
    assert fields
    first = fields[0]
    value = getattr(default.retries, first)
    changed: Any
    if isinstance(value, bool):
        changed = not value
    elif isinstance(value, int):
        changed = value + 1
    elif isinstance(value, float | timedelta):
        changed = value * 2
    else:
        pytest.fail(f"unexpected retries field {first}={value!r}")
    override = sapwood.RepositoryConfig(retries=retries_type(**{first: changed}))
    merged = default.merge(override)
    assert merged.retries is not None
    assert getattr(merged.retries, first) == changed
    for other in fields[1:]:
        assert getattr(merged.retries, other) == getattr(default.retries, other), other


def test_config_survives_a_repository(memory_url: str) -> None:
    store = sapwood.ObjectStoreConfig.from_url(memory_url)
    config = sapwood.RepositoryConfig(inline_chunk_threshold_bytes=0)
    with sapwood.Repository.create(store, config=config) as repo:
        repo.branch("main").upload(b"tiny", "t")
        repo.branch("main").commit_changes("t")
        assert repo.config.inline_chunk_threshold_bytes == 0
    with sapwood.Repository.open(store) as again:
        assert again.config.inline_chunk_threshold_bytes == 0
        assert again.branch("main").download("t") == b"tiny"


def test_values_round_trip_as_json(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"x", "x")
    commit = main.commit_changes("x")
    assert msgspec.json.decode(msgspec.json.encode(commit), type=sapwood.Commit) == commit
    info = main.stat_object("x")
    assert msgspec.json.decode(msgspec.json.encode(info), type=sapwood.ObjectInfo) == info
    assert commit.committed_at.tzinfo is not None
    assert abs(commit.committed_at - datetime.now(UTC)) < timedelta(days=1)


def test_virtual_chunk_containers_may_be_given_as_a_list() -> None:
    container = sapwood.VirtualChunkContainer(
        name="archive", prefix="s3://archive/", store=sapwood.ObjectStoreConfig.from_url("s3://a")
    )
    listed = sapwood.RepositoryConfig(virtual_chunk_containers=[container])  # type: ignore[arg-type]
    assert listed == sapwood.RepositoryConfig(virtual_chunk_containers={"archive": container})
    assert sapwood.RepositoryConfig.from_dict(listed.to_dict()) == listed
    with pytest.raises(sapwood.ConfigError, match="two virtual chunk containers") as caught:
        sapwood.RepositoryConfig(virtual_chunk_containers=[container, container])  # type: ignore[arg-type]
    assert caught.value.field == "virtual_chunk_containers"
    with pytest.raises(sapwood.ConfigError) as wrong:
        sapwood.RepositoryConfig(virtual_chunk_containers=["archive"])  # type: ignore[arg-type]
    assert wrong.value.field == "virtual_chunk_containers.0"
