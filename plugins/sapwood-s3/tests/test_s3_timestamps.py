"""The S3 clients parse timestamps with sapwood's fast parser, to the same instants
botocore's own parser gives, for every format it accepts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.utils import parse_timestamp as botocore_parse_timestamp

from sapwood.config import ObjectStoreConfig
from sapwood_s3.auth import build_client
from sapwood_s3.settings import resolve_settings
from sapwood_s3.timestamps import parse_timestamp


@pytest.mark.parametrize(
    "value",
    [
        "Mon, 07 Dec 2026 03:50:44 GMT",
        "Thu, 29 Feb 2024 23:59:59 GMT",
        "2026-12-07T03:50:44.000Z",
        "2026-12-07T03:50:44Z",
        "2026-12-07T03:50:44.123456Z",
        "2026-12-07T03:50:44.5Z",
        "2026-12-07T03:50:44+01:00",
        "Monday, 07-Dec-26 03:50:44 GMT",
        1_700_000_000,
        "1700000000",
    ],
)
def test_the_same_instant_as_botocore(value: object) -> None:
    assert parse_timestamp(value) == botocore_parse_timestamp(value)


def test_s3_formats_parse_to_utc() -> None:
    expected = datetime(2026, 12, 7, 3, 50, 44, tzinfo=UTC)
    assert parse_timestamp("Mon, 07 Dec 2026 03:50:44 GMT") == expected
    assert parse_timestamp("2026-12-07T03:50:44.000Z").utcoffset() is not None


def test_an_impossible_date_is_refused_as_botocore_refuses_it() -> None:
    with pytest.raises(ValueError):
        botocore_parse_timestamp("Thu, 30 Feb 2024 23:59:59 GMT")
    with pytest.raises(ValueError):
        parse_timestamp("Thu, 30 Feb 2024 23:59:59 GMT")


def test_clients_are_built_with_it() -> None:
    config = ObjectStoreConfig(object_store="s3", bucket="b", region="us-east-1")
    settings = resolve_settings(config)
    client = build_client(settings, None).client
    parser = client._endpoint._response_parser_factory._defaults["timestamp_parser"]
    assert parser is parse_timestamp
