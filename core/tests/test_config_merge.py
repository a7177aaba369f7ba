"""RepositoryConfig: unset fields inherit, nested configs merge field by field."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sapwood.config import (
    CachingConfig,
    ConfigStruct,
    LimitsConfig,
    ObjectStoreConfig,
    RepositoryConfig,
    RetriesConfig,
    VirtualChunkContainer,
)

if TYPE_CHECKING:
    from core.tests.conftest import ConfigStrategy

PROPERTY = settings(max_examples=25, deadline=None, database=None)


def unset_paths(config: ConfigStruct, prefix: str = "") -> list[str]:
    """Every field (recursively) still ``None``."""
    missing: list[str] = []
    for name in config.__struct_fields__:
        value = getattr(config, name)
        if value is None:
            missing.append(f"{prefix}{name}")
        elif isinstance(value, ConfigStruct):
            missing.extend(unset_paths(value, f"{prefix}{name}."))
    return missing


def test_default_sets_every_field() -> None:
    assert unset_paths(RepositoryConfig.default()) == []


def test_default_values_are_the_documented_ones() -> None:
    default = RepositoryConfig.default()
    assert default.inline_chunk_threshold_bytes == 512
    assert default.unsafe_overwrite_refs is False
    assert default.virtual_chunk_containers == {}
    assert default.get_partial_values_concurrency == 10
    assert default.compression is not None
    assert default.compression.algorithm == "zstd"
    assert default.caching is not None
    assert default.caching.cache == "lru"
    assert default.limits is not None
    assert default.limits.max_concurrent_requests == 64
    assert default.retries is not None
    assert default.retries.max_attempts == 5


def test_an_empty_config_sets_nothing() -> None:
    assert unset_paths(RepositoryConfig()) == list(RepositoryConfig.__struct_fields__)


def test_one_nested_field_overrides_only_itself() -> None:
    override = RepositoryConfig(limits=LimitsConfig(requests_per_second=10.0))

    merged = RepositoryConfig.default().merge(override)

    default = RepositoryConfig.default()
    assert merged.limits is not None
    assert default.limits is not None
    assert merged.limits.requests_per_second == 10.0
    assert merged.limits.max_concurrent_requests == default.limits.max_concurrent_requests
    assert merged.limits.limiter == default.limits.limiter
    for name in RepositoryConfig.__struct_fields__:
        if name != "limits":
            assert getattr(merged, name) == getattr(default, name), name


def test_a_set_scalar_replaces_and_none_keeps() -> None:
    base = RepositoryConfig(inline_chunk_threshold_bytes=100, unsafe_overwrite_refs=True)
    merged = base.merge(RepositoryConfig(inline_chunk_threshold_bytes=0))
    assert merged.inline_chunk_threshold_bytes == 0, "0 is a value, not 'unset'"
    assert merged.unsafe_overwrite_refs is True


def test_false_overrides_true() -> None:
    merged = RepositoryConfig(unsafe_overwrite_refs=True).merge(
        RepositoryConfig(unsafe_overwrite_refs=False)
    )
    assert merged.unsafe_overwrite_refs is False


def test_merge_with_none_is_identity() -> None:
    config = RepositoryConfig(retries=RetriesConfig(max_attempts=2))
    assert config.merge(None) is config


def test_a_nested_config_fills_an_unset_section() -> None:
    merged = RepositoryConfig().merge(RepositoryConfig(caching=CachingConfig(max_bytes=1)))
    assert merged.caching == CachingConfig(max_bytes=1)


def test_virtual_chunk_containers_merge_by_name() -> None:
    def container(name: str, bucket: str) -> VirtualChunkContainer:
        store = ObjectStoreConfig(object_store="s3", bucket=bucket)
        return VirtualChunkContainer(name=name, prefix=f"s3://{bucket}/", store=store)

    base = RepositoryConfig(
        virtual_chunk_containers={"a": container("a", "one"), "b": container("b", "two")}
    )
    override = RepositoryConfig(virtual_chunk_containers={"b": container("b", "three")})

    merged = base.merge(override)

    assert merged.virtual_chunk_containers == {
        "a": container("a", "one"),
        "b": container("b", "three"),
    }


def test_resolved_fills_everything_from_default() -> None:
    config = RepositoryConfig(retries=RetriesConfig(max_attempts=9))
    resolved = config.resolved()
    assert unset_paths(resolved) == []
    assert resolved.retries is not None
    assert resolved.retries.max_attempts == 9
    assert RepositoryConfig().resolved() == RepositoryConfig.default()


def set_leaves(config: ConfigStruct, prefix: str = "") -> dict[str, Any]:
    """Every non-``None`` leaf value (dicts of containers count as leaves)."""
    leaves: dict[str, Any] = {}
    for name in config.__struct_fields__:
        value = getattr(config, name)
        if isinstance(value, ConfigStruct):
            leaves.update(set_leaves(value, f"{prefix}{name}."))
        elif value is not None:
            leaves[f"{prefix}{name}"] = value
    return leaves


@given(data=st.data())
@PROPERTY
def test_every_set_field_survives_resolution(
    data: st.DataObject, config_strategy: ConfigStrategy
) -> None:
    config: RepositoryConfig = data.draw(config_strategy(RepositoryConfig, nulls=True))
    resolved = config.resolved()
    assert unset_paths(resolved) == []
    resolved_leaves = set_leaves(resolved)
    for path, value in set_leaves(config).items():
        assert resolved_leaves[path] == value, path


@given(data=st.data())
@PROPERTY
def test_merge_is_associative(data: st.DataObject, config_strategy: ConfigStrategy) -> None:
    a, b, c = (data.draw(config_strategy(RepositoryConfig, nulls=True)) for _ in range(3))
    assert a.merge(b).merge(c) == a.merge(b.merge(c))


@given(data=st.data())
@PROPERTY
def test_merging_an_empty_config_changes_nothing(
    data: st.DataObject, config_strategy: ConfigStrategy
) -> None:
    config: RepositoryConfig = data.draw(config_strategy(RepositoryConfig, nulls=True))
    assert config.merge(RepositoryConfig()) == config
    assert RepositoryConfig().merge(config) == config
