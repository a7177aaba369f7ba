"""Configuration as msgspec Structs: where a repository lives and how it behaves.

:class:`ObjectStoreConfig` says where (a backend plugin name plus bucket, prefix and
connection settings); :class:`RepositoryConfig` says how (chunking, caching, limits,
retries...). Every config round-trips through JSON, TOML, YAML and msgpack, and a bad
value raises :class:`~sapwood.errors.ConfigError` naming the field path.

In a :class:`RepositoryConfig` every field may be ``None``, meaning "inherit": the stored
config, then :meth:`RepositoryConfig.default`, fill it in (see :meth:`RepositoryConfig.merge`).
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from types import UnionType
from typing import (
    Annotated,
    Any,
    ClassVar,
    Literal,
    Self,
    TypeAlias,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlencode, urlsplit

import msgspec
import tomli_w
import yaml

from sapwood.errors import ConfigError
from sapwood.schemes import URL_SCHEMES

__all__ = [
    "EXTRA_MAX_DEPTH",
    "EXTRA_MAX_VALUES",
    "YAML_MAX_NESTING",
    "CachingConfig",
    "ChunkingConfig",
    "CompressionConfig",
    "ConfigStruct",
    "LimitsConfig",
    "ObjectStoreConfig",
    "RepositoryConfig",
    "RetriesConfig",
    "TimeoutsConfig",
    "VirtualChunkContainer",
    "convert_config",
    "looks_secret",
    "mask_secrets",
    "mask_text",
]

Format = Literal["json", "toml", "yaml", "msgpack"]
T = TypeVar("T")

_PATH_IN_MESSAGE = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_PATH_PART = re.compile(r"\.(?P<field>[^.\[]+)|\[(?P<index>\d+)\]|\[(?P<key>\.\.\.)\]")
_UNKNOWN_FIELD = re.compile(r"^Object contains unknown field `(?P<name>[^`]*)`$")
_MISSING_FIELD = re.compile(r"^Object missing required field `(?P<name>[^`]*)`$")
_FLOW_BRACKET = re.compile(rb"[\[\]{}]")
YAML_MAX_NESTING = 100
"""How deeply ``[`` and ``{`` may nest in a YAML config. PyYAML's scanner takes time in
proportion to the nesting depth for every token (five thousand levels in 10 KB took
seconds), and no config nests more than a few levels."""
EXTRA_MAX_DEPTH = 32
"""How deeply a value of ``ObjectStoreConfig.extra`` may nest (reading it recurses)."""
EXTRA_MAX_VALUES = 10_000
"""How many values ``ObjectStoreConfig.extra`` may hold, shared ones counted at each use
(a YAML document of 30 aliases expands to a billion: encoding it would never end)."""
_SECRET_HINT = re.compile(
    r"key|secret|token|passw|pwd|credential|sas|private|connection_?string|signature|"
    r"authori[sz]ation|cookie|(?:^|[^a-z])sig(?:$|[^a-z])",
    re.IGNORECASE,
)
_SECRET_IN_TEXT = (
    # user info in a URL: scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#@\s]+@"), r"\1***@"),
    # Authorization header values
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s,;'\"]+"), r"\1 ***"),
    # name=value pairs of query strings (SAS sig=...) and connection strings (AccountKey=...)
    (
        re.compile(
            r"(?i)((?:^|[?&;\s])(?:sig|key|[a-z0-9_.\-]*(?:secret|token|passw|pwd|credential|"
            r"signature|account_?key|access_?key|shared_?access_?key|private_?key|api_?key)"
            r"[a-z0-9_.\-]*)=)[^&;\s'\"]+"
        ),
        r"\1***",
    ),
)

_CONVERTING: ContextVar[bool] = ContextVar("sapwood_config_converting", default=False)
"""Set while msgspec builds configs from data it has validated already: their
``__post_init__`` then skips validating again."""

PathPart: TypeAlias = str | int


def looks_secret(name: str) -> bool:
    """Whether a field or key name suggests a secret (its value is never shown)."""
    return bool(_SECRET_HINT.search(name))


def mask_text(text: str) -> str:
    """``text`` with the secrets it may carry hidden: user info in URLs, ``Bearer``/``Basic``
    header values, and secret-looking ``name=value`` pairs (a SAS ``sig=``, a connection
    string's ``AccountKey=``)."""
    for pattern, replacement in _SECRET_IN_TEXT:
        text = pattern.sub(replacement, text)
    return text


def mask_secrets(value: object) -> object:
    """A copy of nested dicts and lists with the value of every secret-looking key as
    ``***``, and secrets inside other strings hidden (see :func:`mask_text`)."""
    if isinstance(value, Mapping):
        return {
            key: "***" if looks_secret(str(key)) else mask_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(mask_secrets(item) for item in value)
    if isinstance(value, str):
        return mask_text(value)
    return value


def convert_config(data: object, into: type[T], *, what: str | None = None) -> T:
    """Validate ``data`` (plain dicts and lists) into ``into``, or raise ConfigError.

    The error names the field path, the type of the value found, and what was expected.
    ``what`` is the name the path starts from in messages (``ObjectStoreConfig.extra``);
    the error's ``field`` is the path below the leading class name.
    """
    token = _CONVERTING.set(True)
    try:
        return msgspec.convert(data, into, strict=False)
    except msgspec.ValidationError as exc:
        raise _config_error(exc, data, into, what or into.__name__) from None
    finally:
        _CONVERTING.reset(token)


def _config_error(
    exc: msgspec.ValidationError, data: object, into: object, what: str
) -> ConfigError:
    message = str(exc)
    match = _PATH_IN_MESSAGE.search(message)
    reason = message[: match.start()] if match else message
    parts = _resolve_keys(_path_parts(match["path"] if match else ""), data, into)
    unknown = _UNKNOWN_FIELD.match(reason)
    missing = _MISSING_FIELD.match(reason)
    if unknown:
        known = _struct_fields(_type_at(into, parts))
        parts.append(unknown["name"])
        reason = f"unknown field {unknown['name']!r}; expected one of: {', '.join(known)}"
    elif missing:
        parts.append(missing["name"])
        reason = "this required field is missing"
    path = ".".join(str(part) for part in parts)
    found = _lookup(data, parts)
    secret = any(looks_secret(str(part)) for part in parts)
    if found is _MISSING:
        shown = ""
    elif secret:
        if isinstance(found, str | int | float):
            reason = reason.replace(repr(found), "***")
        shown = f"; found a value of type {type(found).__name__} (hidden)"
    else:
        sample = mask_secrets(_sample(found))
        shown = f"; found {_short_repr(sample)} (type {type(found).__name__})"
    reason = mask_text(reason)
    where = f"{what}.{path}" if path else what
    _, _, below_class = what.partition(".")
    field_path = ".".join(part for part in (below_class, path) if part)
    return ConfigError(f"invalid config at {where}: {reason}{shown}", field=field_path or None)


def _sample(value: object, depth: int = 3) -> object:
    """The start of ``value``, enough for a short repr: a few items of each container, a
    few levels deep (the value can be as large as its source was hostile: a YAML alias
    bomb expands to a billion items)."""
    if isinstance(value, Mapping):
        items = list(itertools.islice(value.items(), 4))
        return {k: _sample(v, depth - 1) if depth else ... for k, v in items}
    if isinstance(value, list | tuple):
        return [_sample(v, depth - 1) if depth else ... for v in value[:4]]
    return value


def _short_repr(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _path_parts(raw: str) -> list[PathPart | None]:
    """msgspec's ``$.a[0].b[...]`` as ``["a", 0, "b", None]`` (``None``: an unnamed dict key)."""
    parts: list[PathPart | None] = []
    for piece in _PATH_PART.finditer(raw):
        if piece["field"] is not None:
            parts.append(piece["field"])
        elif piece["index"] is not None:
            parts.append(int(piece["index"]))
        else:
            parts.append(None)
    return parts


def _resolve_keys(parts: list[PathPart | None], data: object, into: object) -> list[PathPart]:
    """Name the dict keys msgspec leaves as ``[...]``: the first entry that fails to convert."""
    resolved: list[PathPart] = []
    for index, part in enumerate(parts):
        if part is not None:
            resolved.append(part)
            continue
        container = _lookup(data, resolved)
        value_type = _type_at(into, [*resolved, "..."])
        key: PathPart = "..."
        if isinstance(container, Mapping):
            for candidate, value in container.items():
                try:
                    msgspec.convert(value, value_type, strict=False)
                except msgspec.ValidationError:
                    key = str(candidate)
                    break
        resolved.append(key)
        if key == "...":
            resolved.extend(str(p) if p is not None else "..." for p in parts[index + 1 :])
            break
    return resolved


def _unwrap(tp: Any) -> Any:
    """The type under ``Annotated[...]`` and ``X | None``."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, UnionType):
            members = [arg for arg in get_args(tp) if arg is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp


def _type_at(into: object, parts: list[PathPart]) -> Any:
    """The declared type at a path below ``into`` (``Any`` where it cannot be known)."""
    current: Any = into
    for part in parts:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, msgspec.Struct):
            current = get_type_hints(current, include_extras=True).get(str(part), Any)
        elif get_origin(current) in (dict, Mapping) and len(get_args(current)) == 2:
            current = get_args(current)[1]
        elif get_origin(current) in (list, tuple) and get_args(current):
            current = get_args(current)[0]
        else:
            return Any
    return _unwrap(current)


def _struct_fields(tp: object) -> tuple[str, ...]:
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return tp.__struct_fields__
    return ()


_MISSING = object()


def _lookup(data: object, parts: list[PathPart]) -> object:
    current = data
    for part in parts:
        in_mapping = isinstance(current, Mapping) and part in current
        in_sequence = (
            isinstance(current, list | tuple) and isinstance(part, int) and part < len(current)
        )
        if in_mapping or in_sequence:
            current = current[part]  # type: ignore[index]
        elif isinstance(part, str) and hasattr(current, part):
            current = getattr(current, part)
        else:
            return _MISSING
    return current


def _refuse_toml_nulls(value: object, path: str) -> None:
    """TOML has no null: name the first one instead of failing deep inside the encoder."""
    if value is None:
        raise ConfigError(
            f"{path} is null, which TOML cannot hold; remove it or write json, yaml or msgpack",
            field=path.partition(".")[2] or None,
        )
    if isinstance(value, Mapping):
        for key, item in value.items():
            _refuse_toml_nulls(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _refuse_toml_nulls(item, f"{path}.{index}")


def _validate(config: ConfigStruct) -> None:
    """Check a config built in code as strictly as one decoded from a file."""
    token = _CONVERTING.set(True)
    try:
        try:
            builtins = msgspec.to_builtins(config)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"invalid config {type(config).__name__}: a value cannot be stored in a config "
                f"({exc}); use strings, numbers, booleans, lists and dicts"
            ) from None
        try:
            msgspec.convert(builtins, type(config), strict=True)
        except msgspec.ValidationError as exc:
            raise _config_error(exc, builtins, type(config), type(config).__name__) from None
    finally:
        _CONVERTING.reset(token)


class ConfigStruct(
    msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, forbid_unknown_fields=True
):
    """Base of every config: typed, immutable, and convertible to and from four formats.

    Building one in code validates it as decoding does, so a bad value fails where it is
    written, with a ConfigError naming the field.
    """

    def __post_init__(self) -> None:
        if not _CONVERTING.get():
            _validate(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain builtins, leaving out unset fields."""
        result: dict[str, Any] = msgspec.to_builtins(self)
        return result

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Validate plain builtins into this config (ConfigError names a bad field)."""
        return convert_config(dict(data), cls)

    def encode(self, fmt: Format = "json") -> bytes:
        """Serialize as ``json``, ``toml``, ``yaml`` or ``msgpack``."""
        try:
            if fmt == "json":
                return msgspec.json.encode(self)
            if fmt == "msgpack":
                return msgspec.msgpack.encode(self)
            if fmt == "toml":
                builtins = self.to_dict()
                _refuse_toml_nulls(builtins, type(self).__name__)
                return tomli_w.dumps(builtins).encode()
            if fmt == "yaml":
                return yaml.safe_dump(self.to_dict(), sort_keys=False).encode()
        except (TypeError, ValueError, OverflowError, yaml.YAMLError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(
                f"{type(self).__name__} cannot be written as {fmt}: {exc}", field=None
            ) from None
        raise ConfigError(f"unknown format {fmt!r}; use json, toml, yaml or msgpack", field=None)

    @classmethod
    def decode(cls, data: bytes | str, fmt: Format = "json") -> Self:
        """Parse ``data`` written in ``fmt``; ConfigError names a bad field."""
        if fmt not in ("json", "msgpack", "toml", "yaml"):
            raise ConfigError(f"unknown format {fmt!r}; use json, toml, yaml or msgpack")
        try:
            raw = data.encode() if isinstance(data, str) else data
            if fmt == "json":
                builtins: object = msgspec.json.decode(raw)
            elif fmt == "msgpack":
                builtins = msgspec.msgpack.decode(raw)
            elif fmt == "toml":
                builtins = msgspec.toml.decode(raw)
            else:
                _check_yaml_nesting(raw)
                builtins = yaml.safe_load(raw) or {}
        # PyYAML's constructors raise what int(), datetime() and base64 raise (a tag such as
        # !!timestamp 2024-13-45), and every parser recurses on nesting
        except (
            msgspec.DecodeError,
            yaml.YAMLError,
            ValueError,
            TypeError,
            OverflowError,
            RecursionError,
        ) as exc:
            raise ConfigError(f"{cls.__name__} is not valid {fmt}: {exc}") from None
        try:
            return convert_config(builtins, cls)
        except RecursionError:
            raise ConfigError(
                f"{cls.__name__} is nested deeper than any config; it is not a sapwood config"
            ) from None

    def to_json(self) -> str:
        """This config as a JSON string."""
        return self.encode("json").decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Parse a JSON string."""
        return cls.decode(text, "json")

    def merge(self, other: Self | None) -> Self:
        """A copy where every field set in ``other`` replaces this one's; nested configs merge
        field by field, and ``None`` in ``other`` means "keep mine"."""
        if other is None:
            return self
        changes: dict[str, Any] = {}
        for name in self.__struct_fields__:
            theirs = getattr(other, name)
            if theirs is None:
                continue
            mine = getattr(self, name)
            if isinstance(mine, ConfigStruct) and isinstance(theirs, ConfigStruct):
                changes[name] = mine.merge(theirs)
            elif isinstance(mine, dict) and isinstance(theirs, dict):
                changes[name] = {**mine, **theirs}
            else:
                changes[name] = theirs
        return msgspec.structs.replace(self, **changes)


_INT64_MAX = 2**63 - 1
_FLOAT_MAX = sys.float_info.max
# Upper bounds keep every value storable in all four formats (msgpack and TOML hold 64-bit
# integers; JSON has no infinity) and reject NaN, which fails every comparison.
NonNegative = Annotated[int, msgspec.Meta(ge=0, le=_INT64_MAX)]
Positive = Annotated[int, msgspec.Meta(gt=0, le=_INT64_MAX)]
PositiveFloat = Annotated[float, msgspec.Meta(gt=0, le=_FLOAT_MAX)]
NonNegativeFloat = Annotated[float, msgspec.Meta(ge=0, le=_FLOAT_MAX)]


class CompressionConfig(ConfigStruct, frozen=True):
    """Transparent compression in the object layer. ``algorithm="none"`` turns it off."""

    algorithm: Literal["zstd", "none"] | None = None
    level: Annotated[int, msgspec.Meta(ge=-7, le=22)] | None = None
    min_size_bytes: NonNegative | None = None


class CachingConfig(ConfigStruct, frozen=True):
    """The object layer's cache of immutable objects, bounded in bytes.

    ``cache`` names a cache plugin (default: the built-in ``lru``). Mutable refs are cached
    for ``ref_ttl_seconds`` at most (``0``, the default, never caches them).
    """

    cache: str | None = None
    max_bytes: NonNegative | None = None
    ref_ttl_seconds: NonNegativeFloat | None = None
    branch_head_ttl_seconds: NonNegativeFloat | None = None
    """Reads that follow a branch (``branch.download`` and the like) reuse the head the
    repository handle last read or moved for this long (default ``0.1``) instead of reading
    the ref again each call. Commits made by any handle of this process show at once (a
    branch move anywhere in the process drops the remembered heads); commits by other
    processes within this bound. ``0`` reads the ref on every call. Commits, merges and
    resets always read it afresh."""
    max_object_bytes: NonNegative | None = None
    """Objects larger than this are never cached, so one big read cannot flush the rest."""
    read_ahead_max_objects: NonNegative | None = None
    """When a handle's downloads walk a snapshot's paths in order (each the successor of
    the previous one), the objects of up to this many next paths are fetched concurrently
    ahead of the loop (default ``16``, never more than ``limits.max_concurrent_requests``);
    the window starts at 2 and doubles with each sequential download. Any other access
    cancels what is in flight. ``0`` turns read-ahead off."""
    read_ahead_max_bytes: NonNegative | None = None
    """The most bytes fetched ahead and not yet read, per handle (default 16 MiB); larger
    objects are not fetched ahead. ``0`` turns read-ahead off."""


class LimitsConfig(ConfigStruct, frozen=True):
    """Flow control; ``0`` means unlimited. ``limiter`` names a limiter plugin."""

    limiter: str | None = None
    max_concurrent_requests: NonNegative | None = None
    requests_per_second: NonNegativeFloat | None = None
    read_bytes_per_second: NonNegative | None = None
    write_bytes_per_second: NonNegative | None = None
    total_bytes_per_second: NonNegative | None = None
    burst_seconds: NonNegativeFloat | None = None
    """How many seconds' worth of each rate may be spent at once after an idle spell."""


class RetriesConfig(ConfigStruct, frozen=True):
    """Retries of retryable storage errors with exponential backoff and full jitter."""

    max_attempts: Positive | None = None
    initial_backoff_ms: NonNegative | None = None
    max_backoff_ms: NonNegative | None = None
    backoff_multiplier: Annotated[float, msgspec.Meta(ge=1, le=_FLOAT_MAX)] | None = None


class TimeoutsConfig(ConfigStruct, frozen=True):
    """A limit per attempt (inside the retry loop); ``0`` disables it."""

    attempt_timeout_ms: NonNegative | None = None
    connect_timeout_ms: NonNegative | None = None


class ChunkingConfig(ConfigStruct, frozen=True):
    """How file contents are split into content-defined chunks and manifests into ranges."""

    chunk_threshold_bytes: Positive | None = None
    average_chunk_bytes: Annotated[int, msgspec.Meta(ge=256, le=_INT64_MAX)] | None = None
    manifest_range_entries: Annotated[int, msgspec.Meta(ge=16, le=_INT64_MAX)] | None = None


_BOOL_WORDS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


class ObjectStoreConfig(ConfigStruct, frozen=True):
    """Where a repository lives: a storage plugin name and its location.

    ``object_store`` is a plugin name (``memory``, ``local``, ``s3``, ``gcs``, ``azure``,
    ``tigris`` or a third party's); ``extra`` holds settings only that plugin knows, which it
    validates with its own Struct. For ``local``, ``prefix`` is the folder.
    """

    object_store: str
    bucket: str | None = None
    prefix: str = ""
    region: str | None = None
    endpoint_url: str | None = None
    anonymous: bool = False
    allow_http: bool = False
    extra: dict[str, Any] = msgspec.field(default_factory=dict)

    SCHEMES: ClassVar[Mapping[str, str]] = URL_SCHEMES
    """URL scheme -> backend name, filled from the plugins' registrations (a live view of
    :data:`sapwood.schemes.URL_SCHEMES`)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_extra_shape(self.extra)
        if self.endpoint_url and "@" in _netloc(self.endpoint_url):
            raise ConfigError(
                f"endpoint_url {_masked_url(self.endpoint_url)!r} carries user info; pass "
                "credentials as store credentials (StaticCredentials), never in a URL, which "
                "ends up in logs and error messages",
                field="endpoint_url",
            )

    def __repr__(self) -> str:
        shown = mask_secrets(self.extra)
        parts = [f"object_store={self.object_store!r}"]
        for name in ("bucket", "prefix", "region", "endpoint_url"):
            value = getattr(self, name)
            if value:
                parts.append(f"{name}={mask_text(str(value))!r}")
        for name in ("anonymous", "allow_http"):
            if getattr(self, name):
                parts.append(f"{name}=True")
        if shown:
            parts.append(f"extra={shown!r}")
        return f"ObjectStoreConfig({', '.join(parts)})"

    __str__ = __repr__

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        """What rich's pretty printer shows: set fields, secrets in ``extra`` masked."""
        shown: list[tuple[str, Any]] = [("object_store", self.object_store)]
        for name in ("bucket", "prefix", "region", "endpoint_url", "anonymous", "allow_http"):
            value = getattr(self, name)
            if value:
                shown.append((name, mask_text(value) if isinstance(value, str) else value))
        if self.extra:
            shown.append(("extra", mask_secrets(self.extra)))
        return shown

    @classmethod
    def from_url(cls, url: str, **overrides: Any) -> ObjectStoreConfig:
        """Parse ``memory://name``, ``file:///path``, ``s3://bucket/prefix``, ``gs://...``,
        ``az://container/prefix``, ``tigris://bucket/prefix`` (or a scheme a plugin registered).

        Query parameters and keyword overrides set fields (``?region=auto&allow_http=true``);
        names that are not fields go to ``extra``.
        """
        try:
            url.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ConfigError(
                f"{_masked_url(url)!r} is not a storage URL: it contains {url[exc.start]!r}, "
                "a lone surrogate, which is not text (os.fsdecode makes them of bytes that are "
                "not UTF-8); decode the URL with the encoding it was written in",
                field="url",
            ) from None
        parts = _split_url(url, "a storage URL", "bucket", "url", "; write scheme://BUCKET/prefix")
        scheme = parts.scheme.lower()
        if not scheme:
            raise ConfigError(
                f"{_masked_url(url)!r} is not a storage URL: it needs a scheme such as file://, "
                "memory://, s3://, gs://, az:// or tigris://",
                field="url",
            )
        # A scheme nothing knows is kept as the backend name: opening says what is known.
        object_store = URL_SCHEMES.backend_for(scheme) or scheme
        fields: dict[str, Any] = {"object_store": object_store}
        if object_store == "local":
            location = unquote(parts.netloc + parts.path)
            if not location:
                raise ConfigError(
                    f"{_masked_url(url)!r} names no folder; write file:///absolute/path",
                    field="url",
                )
            fields["prefix"] = location
        else:
            # abfs://CONTAINER@ACCOUNT.dfs... puts a container, not user info, before "@".
            if parts.password is not None or ("@" in parts.netloc and object_store != "azure"):
                raise ConfigError(
                    f"{_masked_url(url)!r} carries user info before its bucket; pass "
                    "credentials as store credentials (StaticCredentials), never in a URL, "
                    "which ends up in logs and error messages",
                    field="url",
                )
            if not parts.netloc:
                raise ConfigError(
                    f"{_masked_url(url)!r} names no bucket; "
                    f"write {scheme}://BUCKET/optional/prefix",
                    field="url",
                )
            fields["bucket"] = unquote(parts.netloc)
            fields["prefix"] = unquote(parts.path).strip("/")
        extra: dict[str, Any] = {}
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        for key, value in [*query.items(), *overrides.items()]:
            if key in cls.__struct_fields__ and key != "extra":
                fields[key] = _coerce(key, value)
            elif key == "extra" and isinstance(value, Mapping):
                extra.update(value)
            else:
                extra[key] = value
        fields["extra"] = extra
        return convert_config(fields, cls)

    def to_url(self) -> str:
        """The URL that :meth:`from_url` turns back into this config."""
        scheme = URL_SCHEMES.scheme_for(self.object_store)
        if self.object_store == "local":
            base = f"file://{quote(self.prefix)}"
        else:
            path = f"/{quote(self.prefix)}" if self.prefix else ""
            base = f"{scheme}://{quote(self.bucket or '')}{path}"
        query: dict[str, str] = {}
        for name in ("region", "endpoint_url"):
            value = getattr(self, name)
            if value is not None:
                query[name] = value
        for name in ("anonymous", "allow_http"):
            if getattr(self, name):
                query[name] = "true"
        for key, value in self.extra.items():
            query[key] = value if isinstance(value, str) else msgspec.json.encode(value).decode()
        return f"{base}?{urlencode(query)}" if query else base


def _split_url(url: str, kind: str, part: str, field: str, fix: str = "") -> SplitResult:
    """``url`` split; a ConfigError naming ``field`` if its ``part`` does not parse (never
    urlsplit's own ValueError, whose message shows the user info a URL may carry)."""
    try:
        return urlsplit(url)
    except ValueError:
        raise ConfigError(
            f"{_masked_url(url)!r} is not {kind}: its {part} part does not parse (an unclosed "
            "'[', or characters that Unicode normalization turns into '/', '?', '#', '@' "
            f"or ':'){fix}",
            field=field,
        ) from None


def _netloc(url: str) -> str:
    """The host part of ``url``; ConfigError if it does not parse."""
    return _split_url(url, "a URL", "host", "endpoint_url").netloc


def _check_extra_shape(extra: Mapping[str, Any]) -> None:
    """ConfigError if ``extra`` nests deeper than :data:`EXTRA_MAX_DEPTH` or holds more
    than :data:`EXTRA_MAX_VALUES` values. Walked without recursion; a value shared at
    several places (a YAML alias) counts at each, as every reader of the config expands it."""
    pending: list[tuple[object, int]] = [(value, 1) for value in extra.values()]
    seen = 0
    while pending:
        value, depth = pending.pop()
        seen += 1
        if seen > EXTRA_MAX_VALUES:
            raise ConfigError(
                f"ObjectStoreConfig.extra holds more than {EXTRA_MAX_VALUES:,} values (a "
                "YAML alias counts once per use); a backend's settings are a few names",
                field="extra",
            )
        if depth > EXTRA_MAX_DEPTH:
            raise ConfigError(
                f"ObjectStoreConfig.extra nests more than {EXTRA_MAX_DEPTH} levels deep; a "
                "backend's settings are a few names",
                field="extra",
            )
        if isinstance(value, Mapping):
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list | tuple):
            pending.extend((item, depth + 1) for item in value)


def _check_yaml_nesting(raw: bytes) -> None:
    """ValueError if brackets in ``raw`` open more than :data:`YAML_MAX_NESTING` deep
    (counting brackets in quoted text too: only a document built to be deep gets there)."""
    depth = 0
    for bracket in _FLOW_BRACKET.findall(raw):
        depth = depth + 1 if bracket in (b"[", b"{") else max(0, depth - 1)
        if depth > YAML_MAX_NESTING:
            raise ValueError(
                f"brackets nest more than {YAML_MAX_NESTING} levels deep; no config does"
            )


def _masked_url(url: str) -> str:
    """``url`` for an error message: user info and secret-looking query values hidden."""
    url = url.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates
    try:
        parts = urlsplit(url)
    except ValueError:  # what cannot be split cannot be masked part by part: show its scheme
        scheme, separator, _ = url.partition("://")
        return f"{mask_text(scheme)}://..." if separator else "..."
    netloc = parts.netloc.rpartition("@")[2] if "@" in parts.netloc else parts.netloc
    query = [
        (key, "***" if looks_secret(key) else mask_text(value))
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    if "@" in parts.netloc:
        netloc = f"***@{netloc}"
    shown = f"{parts.scheme}://{netloc}{mask_text(parts.path)}" if parts.scheme else parts.path
    return f"{shown}?{urlencode(query, safe='*')}" if query else shown


def _coerce(key: str, value: Any) -> Any:
    if key in ("anonymous", "allow_http") and isinstance(value, str):
        word = value.strip().lower()
        if word not in _BOOL_WORDS:
            raise ConfigError(
                f"invalid config at ObjectStoreConfig.{key}: expected true or false, got {value!r}",
                field=key,
            )
        return _BOOL_WORDS[word]
    return value


class VirtualChunkContainer(ConfigStruct, frozen=True):
    """A place outside the repository whose objects manifests may point at ("virtual" files).

    ``prefix`` is the URL prefix references must start with (``s3://public-data/``); ``store``
    says how to reach it. Credentials for it are passed when opening the repository.
    """

    name: str
    prefix: str
    store: ObjectStoreConfig


def _containers_by_name(containers: list[object] | tuple[object, ...]) -> dict[str, object]:
    """A list of virtual chunk containers as the mapping the config holds: name to
    container (ConfigError for a duplicate name; validation reports anything else)."""
    by_name: dict[str, object] = {}
    for index, container in enumerate(containers):
        if not isinstance(container, VirtualChunkContainer):
            return {str(index): container}  # validation names what was found instead
        if container.name in by_name:
            raise ConfigError(
                f"two virtual chunk containers are named {container.name!r}; give each its "
                "own name",
                field="virtual_chunk_containers",
            )
        by_name[container.name] = container
    return by_name


class RepositoryConfig(ConfigStruct, frozen=True):
    """How a repository behaves. ``None`` fields inherit (see :meth:`merge`).

    ``virtual_chunk_containers`` maps each container's name to it; a list of containers
    may be given instead, and is keyed by their names.
    """

    inline_chunk_threshold_bytes: NonNegative | None = None
    unsafe_overwrite_refs: bool | None = None
    virtual_chunk_containers: dict[str, VirtualChunkContainer] | None = None
    get_partial_values_concurrency: Positive | None = None
    compression: CompressionConfig | None = None
    caching: CachingConfig | None = None
    limits: LimitsConfig | None = None
    retries: RetriesConfig | None = None
    timeouts: TimeoutsConfig | None = None
    chunking: ChunkingConfig | None = None

    def __post_init__(self) -> None:
        given: object = self.virtual_chunk_containers
        if isinstance(given, list | tuple):
            msgspec.structs.force_setattr(
                self, "virtual_chunk_containers", _containers_by_name(given)
            )
        super().__post_init__()

    @classmethod
    def default(cls) -> RepositoryConfig:
        """Every field set to sapwood's default."""
        return cls(
            inline_chunk_threshold_bytes=512,
            unsafe_overwrite_refs=False,
            virtual_chunk_containers={},
            get_partial_values_concurrency=10,
            compression=CompressionConfig(algorithm="zstd", level=3, min_size_bytes=64),
            caching=CachingConfig(
                cache="lru",
                max_bytes=256 * 1024 * 1024,
                ref_ttl_seconds=0.0,
                branch_head_ttl_seconds=0.1,
                max_object_bytes=8 * 1024 * 1024,
                read_ahead_max_objects=16,
                read_ahead_max_bytes=16 * 1024 * 1024,
            ),
            limits=LimitsConfig(
                limiter="token-bucket",
                max_concurrent_requests=64,
                requests_per_second=0,
                read_bytes_per_second=0,
                write_bytes_per_second=0,
                total_bytes_per_second=0,
                burst_seconds=0.1,
            ),
            retries=RetriesConfig(
                max_attempts=5, initial_backoff_ms=50, max_backoff_ms=5000, backoff_multiplier=2.0
            ),
            timeouts=TimeoutsConfig(attempt_timeout_ms=60_000, connect_timeout_ms=5_000),
            chunking=ChunkingConfig(
                chunk_threshold_bytes=4 * 1024 * 1024,
                average_chunk_bytes=1024 * 1024,
                manifest_range_entries=128,
            ),
        )

    def resolved(self) -> RepositoryConfig:
        """This config with every unset field filled from :meth:`default`."""
        return RepositoryConfig.default().merge(self)
