"""Parsing the timestamps S3 answers with, fast.

botocore parses every ``Last-Modified`` header and listing ``LastModified`` with
``dateutil``'s general parser, about a tenth of the CPU of a small GET. S3 and its
look-alikes send two fixed formats: the HTTP date of headers (``Sun, 06 Nov 1994
08:49:37 GMT``) and ISO 8601 in UTC in XML bodies (``1994-11-06T08:49:37.000Z``). Those
are read here directly; anything else goes to botocore's own parser, so every value
botocore accepts still parses to the same instant.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from botocore.utils import parse_timestamp as botocore_parse_timestamp

__all__ = ["parse_timestamp"]

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}
_HTTP_DATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) ([A-Z][a-z][a-z]) (\d{4}) "
    r"(\d\d):(\d\d):(\d\d) GMT\Z"
)
_ISO_UTC = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z\Z")


def parse_timestamp(value: Any) -> datetime:
    """``value`` (an S3 timestamp) as an aware datetime in UTC; formats other than the
    two S3 sends are left to botocore's parser."""
    if isinstance(value, str):
        found = _HTTP_DATE.match(value)
        if found is not None:
            day, month, year, hour, minute, second = found.groups()
            number = _MONTHS.get(month)
            if number is not None:
                return _checked(value, year, number, day, hour, minute, second, None)
        found = _ISO_UTC.match(value)
        if found is not None:
            year, month, day, hour, minute, second, fraction = found.groups()
            return _checked(value, year, int(month), day, hour, minute, second, fraction)
    parsed: datetime = botocore_parse_timestamp(value)
    return parsed


def _checked(
    value: str,
    year: str,
    month: int,
    day: str,
    hour: str,
    minute: str,
    second: str,
    fraction: str | None,
) -> datetime:
    micros = int(fraction.ljust(6, "0")) if fraction else 0
    try:
        return datetime(
            int(year), month, int(day), int(hour), int(minute), int(second), micros, tzinfo=UTC
        )
    except ValueError:  # out of range (a 61st second...): botocore decides
        parsed: datetime = botocore_parse_timestamp(value)
        return parsed
