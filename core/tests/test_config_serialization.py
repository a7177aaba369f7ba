"""Every config round-trips through JSON, TOML, YAML and msgpack (property tests).

Strategies are derived from the Structs' own type information, so a field added later is
covered without touching this file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sapwood.config import (
    ConfigStruct,
    Format,
    ObjectStoreConfig,
    RepositoryConfig,
    VirtualChunkContainer,
)
from sapwood.errors import ConfigError

if TYPE_CHECKING:
    from core.tests.conftest import ConfigStrategy

FORMATS: tuple[Format, ...] = get_args(Format)

ROUND_TRIP = settings(
    max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("cls", [RepositoryConfig, ObjectStoreConfig, VirtualChunkContainer])
@given(data=st.data())
@ROUND_TRIP
def test_configs_round_trip(
    cls: type[ConfigStruct], fmt: Format, data: st.DataObject, config_strategy: ConfigStrategy
) -> None:
    config = data.draw(config_strategy(cls, nulls=fmt != "toml"))

    encoded = config.encode(fmt)

    assert type(config).decode(encoded, fmt) == config
    if fmt != "msgpack":
        assert type(config).decode(encoded.decode("utf-8"), fmt) == config


@given(data=st.data())
@ROUND_TRIP
def test_dict_form_round_trips(data: st.DataObject, config_strategy: ConfigStrategy) -> None:
    config = data.draw(config_strategy(RepositoryConfig, nulls=True))
    assert RepositoryConfig.from_dict(config.to_dict()) == config
    assert RepositoryConfig.from_json(config.to_json()) == config


def test_unset_fields_are_left_out_of_every_format() -> None:
    config = RepositoryConfig(unsafe_overwrite_refs=True)
    assert config.to_dict() == {"unsafe_overwrite_refs": True}
    assert config.encode("json") == b'{"unsafe_overwrite_refs":true}'
    assert config.encode("toml") == b"unsafe_overwrite_refs = true\n"
    assert config.encode("yaml") == b"unsafe_overwrite_refs: true\n"


def test_the_default_config_round_trips_in_every_format() -> None:
    config = RepositoryConfig.default()
    for fmt in FORMATS:
        assert RepositoryConfig.decode(config.encode(fmt), fmt) == config


def test_toml_refuses_a_null_naming_where_it_is() -> None:
    config = ObjectStoreConfig(object_store="s3", extra={"nested": {"gone": None}})

    with pytest.raises(ConfigError) as caught:
        config.encode("toml")

    assert "ObjectStoreConfig.extra.nested.gone is null, which TOML cannot hold" in str(
        caught.value
    )
    assert caught.value.field == "extra.nested.gone"
    assert ObjectStoreConfig.decode(config.encode("yaml"), "yaml") == config


@pytest.mark.parametrize("fmt", FORMATS)
def test_garbage_is_a_config_error_naming_the_format(fmt: Format) -> None:
    with pytest.raises(ConfigError, match=f"RepositoryConfig is not valid {fmt}"):
        RepositoryConfig.decode(b"\xc1 [[[ not a config", fmt)


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown format 'ini'"):
        RepositoryConfig().encode("ini")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="unknown format 'ini'"):
        RepositoryConfig.decode(b"", "ini")  # type: ignore[arg-type]


def test_an_empty_document_is_an_empty_config() -> None:
    assert RepositoryConfig.decode(b"", "yaml") == RepositoryConfig()
    assert RepositoryConfig.decode(b"", "toml") == RepositoryConfig()
