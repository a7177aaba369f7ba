"""The on-storage format: what blobs, manifests, snapshots and refs contain.

Immutable objects (range manifests, range indexes, snapshots) are msgpack-encoded
``array_like`` Structs behind a four-byte header: ``b"SW"``, a kind byte and the format
version. They are stored under the SHA-256 of those bytes, so a read can verify them.
Mutable documents (refs, the repository config) are small JSON files a person can read.

Identifiers are raw 32-byte SHA-256 digests inside these structures and lowercase hex in
keys and in the public API.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Final, Literal, TypeAlias, TypeVar

import msgspec

from sapwood.config import RepositoryConfig
from sapwood.errors import IntegrityError, SapwoodError

__all__ = [
    "EMPTY_TABLE",
    "FORMAT_VERSION",
    "KIND_INDEX",
    "KIND_RANGE",
    "KIND_SNAPSHOT",
    "NO_RECORD",
    "OBJECT_VERSION",
    "SELF_DESCRIBING_SINCE",
    "ChunkRef",
    "Entry",
    "RangeRef",
    "RangeTable",
    "RecordedChange",
    "RefMode",
    "RefPointer",
    "RepositoryDocument",
    "Snapshot",
    "VirtualRef",
    "decode_document",
    "decode_encoded_range",
    "decode_entry",
    "decode_object",
    "encode_document",
    "encode_object",
    "from_micros",
    "to_micros",
]

FORMAT_VERSION: Final = 2
"""The repository format this sapwood writes (``config.json``'s ``format_version``).

1. Compression is recorded in each object's metadata (``sapwood-encoding``).
2. Blobs and snapshots are *self-describing* (:mod:`sapwood.layer.framing`): a stored
   object that starts with the zstd frame magic is a zstd frame, anything else is raw, and
   no metadata is written for them (on the local backend: no sidecar file per object).
   Everything else is as in format 1.

A repository keeps the format it was created with; this sapwood reads and writes both.
"""
SELF_DESCRIBING_SINCE: Final = 2
"""The first repository format whose blobs and snapshots are self-describing."""
OBJECT_VERSION: Final = 1
"""The version byte in the header of manifests, indexes and snapshots (unchanged by the
repository formats so far)."""
_MAGIC: Final = b"SW"
KIND_SNAPSHOT: Final = b"S"
KIND_RANGE: Final = b"R"
KIND_INDEX: Final = b"I"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_KIND_NAMES: Final = {KIND_SNAPSHOT: "snapshot", KIND_RANGE: "manifest range", KIND_INDEX: "index"}

RefMode: TypeAlias = Literal["cas", "sequence", "overwrite"]
"""How branches move: compare-and-swap on one object (``cas``), create-only sequence
files (``sequence``), or unprotected overwrites (``overwrite``, only with
``unsafe_overwrite_refs``)."""


class ChunkRef(msgspec.Struct, array_like=True, frozen=True):
    """One blob of a file's content and its length, in file order."""

    id: bytes
    size: int


class VirtualRef(msgspec.Struct, array_like=True, frozen=True):
    """Bytes kept outside the repository: ``length`` bytes at ``offset`` of ``location``
    (a URL under one of the repository's virtual chunk containers)."""

    location: str
    offset: int
    length: int
    etag: str | None = None


class Entry(msgspec.Struct, array_like=True, frozen=True, omit_defaults=True):
    """One object in a manifest: exactly one of ``inline``, ``chunks`` and ``virtual``
    says where its bytes are (an empty file has ``inline=b""``)."""

    path: str
    size: int
    checksum: bytes
    modified_us: int
    content_type: str | None = None
    metadata: dict[str, str] | None = None
    inline: bytes | None = None
    chunks: tuple[ChunkRef, ...] | None = None
    virtual: VirtualRef | None = None

    def same_content(self, other: Entry | None) -> bool:
        """True when ``other`` holds the same bytes, type and metadata (times may differ)."""
        if other is None:
            return False
        return (
            self.size == other.size
            and self.checksum == other.checksum
            and self.content_type == other.content_type
            and (self.metadata or {}) == (other.metadata or {})
            and self.virtual == other.virtual
            and (self.checksum != b"" or self.inline == other.inline)
        )


class RangeRef(msgspec.Struct, array_like=True, frozen=True):
    """A snapshot's pointer to one manifest range: the paths it spans, its id (the SHA-256
    of its encoded entries), its size, and where it is stored: ``length`` bytes at
    ``offset`` of the pack object ``pack`` (a commit writes all its new ranges in one pack).
    """

    first: str
    last: str
    id: bytes
    count: int
    pack: bytes
    offset: int
    length: int


class RangeTable(msgspec.Struct, array_like=True, frozen=True):
    """A snapshot's list of ranges, stored column by column (decoding a few lists of
    strings and integers is far cheaper than one struct per range).

    Range ``i`` spans ``firsts[i]..lasts[i]``, has id ``ids[32*i : 32*i + 32]``, holds
    ``counts[i]`` entries and is stored at ``offsets[i]`` (``lengths[i]`` bytes) of the
    pack ``packs[pack_of[i]]``.
    """

    firsts: list[str]
    lasts: list[str]
    ids: bytes
    counts: list[int]
    packs: list[bytes]
    pack_of: list[int]
    offsets: list[int]
    lengths: list[int]

    def __len__(self) -> int:
        return len(self.firsts)

    def id_at(self, index: int) -> bytes:
        """The id of range ``index``."""
        return self.ids[32 * index : 32 * index + 32]

    def ref(self, index: int) -> RangeRef:
        """Range ``index`` as a :class:`RangeRef`."""
        return RangeRef(
            self.firsts[index],
            self.lasts[index],
            self.ids[32 * index : 32 * index + 32],
            self.counts[index],
            self.packs[self.pack_of[index]],
            self.offsets[index],
            self.lengths[index],
        )

    def refs(self) -> list[RangeRef]:
        """Every range as a :class:`RangeRef`."""
        return [self.ref(i) for i in range(len(self.firsts))]

    def id_list(self) -> list[bytes]:
        """Every range's id, in order."""
        ids = self.ids
        return [ids[k : k + 32] for k in range(0, len(ids), 32)]

    @classmethod
    def from_refs(cls, refs: list[RangeRef]) -> RangeTable:
        """A table of ``refs`` (in order)."""
        packs: dict[bytes, int] = {}
        pack_of = [packs.setdefault(r.pack, len(packs)) for r in refs]
        return cls(
            [r.first for r in refs],
            [r.last for r in refs],
            b"".join(r.id for r in refs),
            [r.count for r in refs],
            list(packs),
            pack_of,
            [r.offset for r in refs],
            [r.length for r in refs],
        )


EMPTY_TABLE: Final = RangeTable([], [], b"", [], [], [], [], [])


NO_RECORD: Final = msgspec.Raw(b"\xc0")
"""A snapshot's ``changes`` when it records none (msgpack nil)."""


class Snapshot(msgspec.Struct, array_like=True, frozen=True):
    """A commit: its history, its description and the ranges of its manifest.

    Small trees list their ranges here (``ranges``); large ones keep the table in a
    separate index object (``index``) so that walking history never decodes it.

    ``changes`` records what the commit changed against its first parent (see
    :mod:`sapwood.engine.changelog`): the msgpack bytes of a path-sorted list of
    :class:`RecordedChange`, kept undecoded so that walking history does not pay for it;
    msgpack nil (:data:`NO_RECORD`) when unknown: too many changes, a root commit, or a
    snapshot written before the record existed (it decodes without this trailing field).
    """

    parents: tuple[bytes, ...]
    message: str
    author: str
    committed_at_us: int
    metadata: dict[str, str]
    count: int
    ranges: RangeTable | None = None
    index: bytes | None = None
    changes: msgspec.Raw = NO_RECORD

    @property
    def record(self) -> msgspec.Raw | None:
        """The encoded change record, or None if it is unknown."""
        return None if self.changes == NO_RECORD else self.changes


class RecordedChange(msgspec.Struct, array_like=True, frozen=True):
    """One path a commit changed against its first parent: the entry before (None if the
    path was added) and after (None if it was removed); never both None, never equal."""

    old: Entry | None
    new: Entry | None

    @property
    def path(self) -> str:
        """The changed path."""
        entry = self.new if self.new is not None else self.old
        assert entry is not None
        return entry.path


class RefPointer(msgspec.Struct, frozen=True, omit_defaults=True):
    """The content of a ref file: the snapshot it points at, or a deletion marker."""

    snapshot: Annotated[str, msgspec.Meta(pattern=r"^(?:[0-9a-f]{64})?\Z")] = ""
    """A snapshot id in lowercase hex (empty only in a deletion marker)."""
    deleted: bool = False

    def snapshot_id(self, what: str) -> bytes:
        """The raw id this pointer names; IntegrityError naming ``what`` if it names none."""
        if not self.snapshot:
            raise IntegrityError(
                f"{what} names no snapshot and is not a deletion marker; the ref is damaged: "
                "reset it to a known commit or delete it"
            )
        return bytes.fromhex(self.snapshot)


class RepositoryDocument(msgspec.Struct, frozen=True, kw_only=True):
    """``config.json``: the format, how refs move, and the stored :class:`RepositoryConfig`
    (never a credential)."""

    format_version: Annotated[int, msgspec.Meta(ge=1)]
    ref_mode: RefMode
    created_at: datetime
    config: RepositoryConfig = msgspec.field(default_factory=RepositoryConfig)
    default_branch: str = "main"


_ENCODER: Final = msgspec.msgpack.Encoder()
_SNAPSHOT_DECODER: Final = msgspec.msgpack.Decoder(Snapshot)
_RANGE_DECODER: Final = msgspec.msgpack.Decoder(list[Entry])
_ENCODED_RANGE_DECODER: Final = msgspec.msgpack.Decoder(list[msgspec.Raw])
_ENTRY_DECODER: Final = msgspec.msgpack.Decoder(Entry)
_INDEX_DECODER: Final = msgspec.msgpack.Decoder(RangeTable)

T = TypeVar("T")


def encode_object(kind: bytes, value: Snapshot | list[Entry] | RangeTable) -> bytes:
    """The stored bytes of an immutable object: header, then msgpack."""
    buffer = bytearray(_MAGIC + kind + bytes([OBJECT_VERSION]))
    _ENCODER.encode_into(value, buffer, 4)
    return bytes(buffer)


def _body(kind: bytes, data: bytes, what: str) -> memoryview:
    if len(data) < 4 or data[:2] != _MAGIC or data[2:3] != kind:
        raise IntegrityError(
            f"{what} is not a sapwood {_KIND_NAMES[kind]} (bad header {data[:4]!r}); "
            "the repository is damaged or another program wrote under its prefix"
        )
    version = data[3]
    if version > OBJECT_VERSION:
        raise SapwoodError(
            f"{what} uses object format {version}, newer than this sapwood understands "
            f"({OBJECT_VERSION}); upgrade sapwood to read it"
        )
    return memoryview(data)[4:]


def decode_object(kind: bytes, data: bytes, what: str) -> Snapshot | list[Entry] | RangeTable:
    """Decode bytes written by :func:`encode_object`; IntegrityError if they are not that."""
    body = _body(kind, data, what)
    try:
        if kind == KIND_SNAPSHOT:
            snapshot = _SNAPSHOT_DECODER.decode(body)
            if snapshot.ranges is not None:
                _check_table(snapshot.ranges, what)
            return snapshot
        if kind == KIND_RANGE:
            return _RANGE_DECODER.decode(body)
        return _check_table(_INDEX_DECODER.decode(body), what)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise IntegrityError(f"{what} could not be decoded: {exc}") from None


def decode_encoded_range(data: bytes, what: str) -> list[msgspec.Raw]:
    """A range written by :func:`encode_object` as the msgpack bytes of each entry, not
    decoded (equal entries written alike have equal bytes; see :func:`decode_entry`)."""
    body = _body(KIND_RANGE, data, what)
    try:
        return _ENCODED_RANGE_DECODER.decode(body)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise IntegrityError(f"{what} could not be decoded: {exc}") from None


def decode_entry(encoded: msgspec.Raw, what: str) -> Entry:
    """One entry from :func:`decode_encoded_range`."""
    try:
        return _ENTRY_DECODER.decode(encoded)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise IntegrityError(
            f"an entry of {what} could not be decoded ({exc}); the repository is damaged: "
            "restore the manifest pack from a backup"
        ) from None


def _check_table(table: RangeTable, what: str) -> RangeTable:
    """``table`` if its columns agree with each other; IntegrityError otherwise (a
    well-formed object that only a faulty or hostile writer could have made)."""
    count = len(table.firsts)
    columns = (table.lasts, table.counts, table.pack_of, table.offsets, table.lengths)
    # min and max rather than a test per element: this runs on every index a reader loads
    consistent = (
        all(len(column) == count for column in columns)
        and len(table.ids) == 32 * count
        and all(len(pack) == 32 for pack in table.packs)
        and (not count or (min(table.pack_of) >= 0 and max(table.pack_of) < len(table.packs)))
        and min(
            min(table.counts, default=0),
            min(table.offsets, default=0),
            min(table.lengths, default=0),
        )
        >= 0
    )
    if not consistent:
        raise IntegrityError(
            f"{what} holds an inconsistent range table (its columns disagree); the "
            "repository is damaged: restore the object from a backup"
        )
    return table


def encode_document(value: RefPointer | RepositoryDocument) -> bytes:
    """A mutable document as JSON."""
    return msgspec.json.encode(value)


def decode_document(data: bytes, into: type[T], what: str) -> T:
    """Parse a JSON document; a malformed one is an IntegrityError naming it."""
    try:
        return msgspec.json.decode(data, type=into)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        raise IntegrityError(f"{what} is not valid: {exc}") from None
    except SapwoodError as exc:  # a stored config that no longer validates
        raise IntegrityError(f"{what} is not valid: {exc}") from None


def to_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    """The aware UTC datetime of :func:`to_micros`."""
    return _EPOCH + timedelta(microseconds=micros)
