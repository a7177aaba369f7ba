"""What an object client stores beside each object, and what :meth:`get` returns."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Literal, TypeAlias

from sapwood.errors import IntegrityError, SapwoodError
from sapwood.objectstore.expiration import (
    ExpirationPolicy,
    expires_at,
    format_policy,
    parse_policy,
)

__all__ = ["HEADER_KEY", "Compression", "GetResult", "Metadata", "StoredHeader"]

HEADER_KEY = "sapwood-object"
"""The storage metadata key holding an object client's header (ASCII JSON)."""

Compression: TypeAlias = Literal["zstd", "none"]


@dataclass(frozen=True)
class Metadata:
    """What :meth:`ObjectSession.get` tells about an object.

    ``time_expires`` is when the object expires as of this read (before a TimeToIdle
    extension this read may cause); ``compression`` is what the writer asked for (the
    object layer stores data uncompressed when compressing would not shrink it).
    """

    content_type: str | None
    compression: Compression
    expiration_policy: ExpirationPolicy | None
    time_created: datetime
    time_expires: datetime | None
    custom: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GetResult:
    """An object read by :meth:`ObjectSession.get`: ``payload`` is a binary file-like object."""

    metadata: Metadata
    payload: IO[bytes]


@dataclass(frozen=True)
class StoredHeader:
    """The client's own metadata of one object, kept under :data:`HEADER_KEY`."""

    created: datetime
    accessed: datetime
    compression: Compression
    policy: ExpirationPolicy | None
    custom: dict[str, str]

    def encode(self) -> str:
        """ASCII JSON (every backend accepts it as a metadata value)."""
        body = {
            "v": 1,
            "created": self.created.isoformat(),
            "accessed": self.accessed.isoformat(),
            "compression": self.compression,
            "expiration": format_policy(self.policy),
            "custom": self.custom,
        }
        return json.dumps(body, ensure_ascii=True, separators=(",", ":"), sort_keys=True)

    @classmethod
    def decode(cls, text: str, what: str = "an object") -> StoredHeader:
        """Parse what :meth:`encode` wrote; IntegrityError naming ``what`` if it is not
        that."""
        try:
            body = json.loads(text)
            if not isinstance(body, dict):
                raise TypeError(f"expected a JSON object, got {type(body).__name__}")
            created = _aware(datetime.fromisoformat(body["created"]))
            accessed = _aware(datetime.fromisoformat(body.get("accessed") or body["created"]))
            stored = body.get("compression") or "none"
            if stored not in ("zstd", "none"):
                raise ValueError(f"unknown compression {stored!r}")
            compression: Compression = "zstd" if stored == "zstd" else "none"
            custom = {str(k): str(v) for k, v in (body.get("custom") or {}).items()}
            header = cls(
                created, accessed, compression, parse_policy(body.get("expiration")), custom
            )
            header.expires()  # a policy too long for the calendar fails here, not on read
            return header
        except (
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            OverflowError,
            RecursionError,
            SapwoodError,
        ) as exc:
            raise IntegrityError(
                f"{what} has malformed object client metadata ({exc}); it was damaged or "
                "written by something else: delete it or write it again"
            ) from None

    def expires(self) -> datetime | None:
        """When this object expires (None: never)."""
        return expires_at(self.policy, self.created, self.accessed)

    def expired(self, now: datetime) -> bool:
        """Whether the object has expired at ``now``."""
        when = self.expires()
        return when is not None and now >= when


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
