"""Where credentials come from when a store is opened without any.

Every store sapwood opens (a repository's, a virtual chunk container's, an object client's)
goes through :func:`choose_credentials`, which walks this chain and stops at the first link
that answers:

1. credentials passed as an argument (``store_credentials=``, ``credentials=``);
2. the process defaults set by :func:`init` (one set for every store, or one per URL pattern);
3. the environment: ``SAPWOOD_ACCESS_KEY_ID`` and friends (see
   :class:`~sapwood.credentials.FromEnvCredentials`), then the backend's own variables
   (``AWS_ACCESS_KEY_ID``, ``AZURE_STORAGE_KEY``, ``GOOGLE_APPLICATION_CREDENTIALS``...),
   which the backend reads itself;
4. a profile in the config file, ``~/.config/sapwood/config.toml`` (or ``$SAPWOOD_CONFIG``),
   chosen by name (``init(profile=...)``, ``$SAPWOOD_PROFILE``) or by matching the store's URL;
5. the backend's default chain (instance roles, workload identity, ``~/.aws`` files...).

The config file holds named profiles::

    default_profile = "work"          # optional: used when no profile's patterns match

    [profiles.work]
    match = ["s3://analytics", "s3://raw-*"]
    access_key_id = "AKIA..."
    secret_access_key = "..."
    region = "eu-west-1"

    [profiles.minio]
    match = ["s3://lab-*"]
    repository = "s3://lab-data/repo"   # what `sapwood --profile minio ...` opens
    access_key_id = "minioadmin"
    secret_access_key = "minioadmin"
    endpoint_url = "http://127.0.0.1:9000"
    allow_http = true

    [profiles.public]
    match = ["gs://public-datasets"]
    anonymous = true

A pattern is a URL prefix (``s3://bucket`` covers the bucket, ``s3://bucket/team`` the
folder ``team`` in it) or a shell glob (``s3://raw-*``); the most specific matching pattern
wins. A profile's ``region``, ``endpoint_url`` and ``allow_http`` fill in what the store's
own config leaves unset, whichever link supplies the credentials.
"""

from __future__ import annotations

import fnmatch
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeAlias

import msgspec

from sapwood.config import ObjectStoreConfig, convert_config
from sapwood.credentials import (
    ENV_VARIABLES,
    AnonymousCredentials,
    CredentialProvider,
    CredentialsSpec,
    FromEnvCredentials,
    StaticCredentials,
    mask,
)
from sapwood.errors import ConfigError

__all__ = [
    "BACKEND_ENV_VARIABLES",
    "ConfigFile",
    "CredentialChoice",
    "Profile",
    "StoreCredentials",
    "choose_credentials",
    "config_file_path",
    "init",
    "load_config_file",
    "location_url",
]

StoreCredentials: TypeAlias = CredentialsSpec | CredentialProvider
"""Credentials for one store: a credentials value or a ready provider."""

BACKEND_ENV_VARIABLES: Final[Mapping[str, tuple[str, ...]]] = {
    "s3": ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"),
    "tigris": ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"),
    "gcs": ("GOOGLE_APPLICATION_CREDENTIALS",),
    "azure": (
        "AZURE_STORAGE_CONNECTION_STRING",
        "AZURE_STORAGE_KEY",
        "AZURE_STORAGE_ACCOUNT_KEY",
        "AZURE_STORAGE_SAS_TOKEN",
    ),
}
"""The environment variables each first-party backend reads by itself (link 3 of the chain):
when one is set, sapwood passes no credentials so the backend uses them."""

_GLOB_CHARACTERS: Final = frozenset("*?[")


class Profile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One named profile of the config file: which stores it covers, how to sign for them,
    and store settings to fill in."""

    match: list[str] = msgspec.field(default_factory=list)
    """URL prefixes or globs of the stores this profile covers."""
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    bearer_token: str | None = None
    anonymous: bool = False
    """Unsigned requests (a public bucket)."""
    region: str | None = None
    endpoint_url: str | None = None
    allow_http: bool | None = None
    repository: str | None = None
    """The repository URL the ``sapwood`` command line opens with this profile."""

    def __repr__(self) -> str:
        return (
            f"Profile(match={self.match!r}, access_key_id={self.access_key_id!r}, "
            f"secret_access_key={mask(self.secret_access_key)!r}, "
            f"session_token={mask(self.session_token)!r}, "
            f"bearer_token={mask(self.bearer_token)!r}, anonymous={self.anonymous!r}, "
            f"region={self.region!r}, endpoint_url={self.endpoint_url!r}, "
            f"allow_http={self.allow_http!r}, repository={self.repository!r})"
        )

    __str__ = __repr__

    def credentials(self) -> CredentialsSpec | None:
        """What this profile signs with; None when it names no credentials."""
        if self.anonymous:
            return AnonymousCredentials()
        values = (self.access_key_id, self.secret_access_key, self.session_token)
        if any(values) or self.bearer_token:
            return StaticCredentials(
                access_key_id=self.access_key_id,
                secret_access_key=self.secret_access_key,
                session_token=self.session_token,
                bearer_token=self.bearer_token,
            )
        return None


class ConfigFile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The whole config file: named profiles, and the one to use when none matches."""

    default_profile: str | None = None
    profiles: dict[str, Profile] = msgspec.field(default_factory=dict)


@dataclass(frozen=True)
class CredentialChoice:
    """What the chain chose for one store, and why (``source`` names the link)."""

    credentials: StoreCredentials | None
    """What to give the backend; None lets it use its own environment and default chain."""
    source: str
    """The link that answered, for messages: ``"argument"``, ``"sapwood.init()"``..."""
    store: ObjectStoreConfig
    """The store's config, with the settings of a matching profile filled in."""

    def __repr__(self) -> str:
        shown = "None" if self.credentials is None else type(self.credentials).__name__
        return f"CredentialChoice(credentials={shown}, source={self.source!r}, store={self.store})"


@dataclass(frozen=True)
class _Defaults:
    store_credentials: StoreCredentials | Mapping[str, StoreCredentials] | None = None
    profile: str | None = None
    config_file: Path | None = None


@dataclass
class _FileCache:
    lock: threading.Lock = field(default_factory=threading.Lock)
    key: tuple[str, int, int] | None = None
    parsed: ConfigFile | None = None


_defaults = _Defaults()
_file_cache = _FileCache()


def init(
    store_credentials: StoreCredentials | Mapping[str, StoreCredentials] | None = None,
    *,
    profile: str | None = None,
    config_file: str | os.PathLike[str] | None = None,
) -> None:
    """Set this process's defaults for stores opened without credentials.

    ``store_credentials`` serves every such store, or, given as a mapping from URL pattern
    (as in the config file's ``match``) to credentials, the stores whose URL matches.
    ``profile`` picks a profile of the config file by name instead of by URL, and
    ``config_file`` reads profiles from another file. Each call replaces every default set
    before; ``sapwood.init()`` with no arguments clears them.
    """
    global _defaults
    if store_credentials is not None and isinstance(store_credentials, Mapping):
        for pattern in store_credentials:
            _check_pattern(pattern, "sapwood.init(store_credentials=...)")
    _defaults = _Defaults(
        store_credentials=store_credentials,
        profile=profile,
        config_file=Path(config_file).expanduser() if config_file is not None else None,
    )


def config_file_path() -> Path:
    """The config file in effect: ``init(config_file=...)``, else ``$SAPWOOD_CONFIG``, else
    ``$XDG_CONFIG_HOME/sapwood/config.toml`` (``~/.config/sapwood/config.toml``)."""
    if _defaults.config_file is not None:
        return _defaults.config_file
    chosen = os.environ.get("SAPWOOD_CONFIG")
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "sapwood" / "config.toml"


def load_config_file(path: Path | None = None) -> ConfigFile:
    """The parsed config file (empty if there is none); ConfigError names the file and the
    bad field. Parsed once per change of the file."""
    path = path or config_file_path()
    try:
        status = path.stat()
    except FileNotFoundError:
        return ConfigFile()
    except OSError as exc:
        raise ConfigError(f"cannot read the sapwood config file {path}: {exc}") from None
    key = (str(path), status.st_mtime_ns, status.st_size)
    with _file_cache.lock:
        if _file_cache.key == key and _file_cache.parsed is not None:
            return _file_cache.parsed
    parsed = _parse(path)
    with _file_cache.lock:
        _file_cache.key, _file_cache.parsed = key, parsed
    return parsed


def _parse(path: Path) -> ConfigFile:
    try:
        data: Any = msgspec.toml.decode(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read the sapwood config file {path}: {exc}") from None
    except (msgspec.DecodeError, RecursionError) as exc:
        raise ConfigError(f"the sapwood config file {path} is not valid TOML: {exc}") from None
    try:
        parsed = convert_config(data, ConfigFile, what="config")
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}", field=exc.field) from None
    for name, profile in parsed.profiles.items():
        for pattern in profile.match:
            _check_pattern(pattern, f"{path}: profiles.{name}.match")
    if parsed.default_profile is not None and parsed.default_profile not in parsed.profiles:
        raise ConfigError(
            f"{path}: default_profile names {parsed.default_profile!r}, which is not a profile; "
            f"define [profiles.{parsed.default_profile}] or fix the name "
            f"(profiles: {', '.join(sorted(parsed.profiles)) or 'none'})",
            field="default_profile",
        )
    return parsed


def _check_pattern(pattern: object, where: str) -> None:
    if not isinstance(pattern, str) or "://" not in pattern:
        raise ConfigError(
            f"{where}: {pattern!r} is not a URL pattern; write one such as 's3://bucket', "
            "'s3://bucket/folder' or 's3://raw-*'",
            field="match",
        )


def location_url(store: ObjectStoreConfig) -> str:
    """The store's location as patterns see it: ``scheme://bucket/prefix``, no query."""
    url = store.to_url()
    return url.partition("?")[0].rstrip("/")


def _specificity(pattern: str, url: str) -> int | None:
    """How specific ``pattern`` is if it covers ``url`` (longer is more specific)."""
    cleaned = pattern.rstrip("/")
    if _GLOB_CHARACTERS & set(cleaned):
        if fnmatch.fnmatchcase(url, cleaned) or fnmatch.fnmatchcase(url, cleaned + "/*"):
            return sum(1 for c in cleaned if c not in _GLOB_CHARACTERS)
        return None
    if url == cleaned or url.startswith(cleaned + "/"):
        return len(cleaned) + 1  # a literal prefix beats a glob of the same length
    return None


def _best_match(patterns: Mapping[str, Any] | list[tuple[str, Any]], url: str) -> Any | None:
    items = list(patterns.items()) if isinstance(patterns, Mapping) else patterns
    best: tuple[int, Any] | None = None
    for pattern, value in items:
        score = _specificity(pattern, url)
        if score is not None and (best is None or score > best[0]):
            best = (score, value)
    return None if best is None else best[1]


def _choose_profile(url: str) -> tuple[str, Profile, Path] | None:
    path = config_file_path()
    settings = load_config_file(path)
    named = _defaults.profile or os.environ.get("SAPWOOD_PROFILE") or None
    if named is not None:
        profile = settings.profiles.get(named)
        if profile is None:
            origin = "sapwood.init(profile=...)" if _defaults.profile else "SAPWOOD_PROFILE"
            raise ConfigError(
                f"{origin} names the profile {named!r}, but {path} has no [profiles.{named}] "
                f"(profiles: {', '.join(sorted(settings.profiles)) or 'none'})",
                field="profile",
            )
        return named, profile, path
    candidates = [
        (pattern, name) for name, profile in settings.profiles.items() for pattern in profile.match
    ]
    matched = _best_match(candidates, url)
    if matched is None:
        matched = settings.default_profile
    if matched is None:
        return None
    return matched, settings.profiles[matched], path


def _with_profile_settings(store: ObjectStoreConfig, profile: Profile) -> ObjectStoreConfig:
    changes: dict[str, Any] = {}
    if store.region is None and profile.region is not None:
        changes["region"] = profile.region
    if store.endpoint_url is None and profile.endpoint_url is not None:
        changes["endpoint_url"] = profile.endpoint_url
    if not store.allow_http and profile.allow_http:
        changes["allow_http"] = True
    return msgspec.structs.replace(store, **changes) if changes else store


def choose_credentials(
    store: ObjectStoreConfig | str, credentials: StoreCredentials | None = None
) -> CredentialChoice:
    """Walk the chain for ``store`` (see the module's documentation) and say what it chose.

    ``sapwood.composition.open_storage`` calls this for every store; call it yourself to see
    which link would serve a URL.
    """
    if isinstance(store, str):
        store = ObjectStoreConfig.from_url(store)
    url = location_url(store)
    chosen_profile = _choose_profile(url)
    if chosen_profile is not None:
        store = _with_profile_settings(store, chosen_profile[1])
    if credentials is not None:
        return CredentialChoice(credentials, "argument", store)
    if store.anonymous:
        return CredentialChoice(None, "ObjectStoreConfig.anonymous", store)
    defaults = _defaults.store_credentials
    if defaults is not None:
        if isinstance(defaults, Mapping):
            matched = _best_match(defaults, url)
            if matched is not None:
                return CredentialChoice(matched, "sapwood.init()", store)
        else:
            return CredentialChoice(defaults, "sapwood.init()", store)
    if any(os.environ.get(name) for name in ENV_VARIABLES.values()):
        return CredentialChoice(FromEnvCredentials(), "SAPWOOD_* environment variables", store)
    own = [
        name for name in BACKEND_ENV_VARIABLES.get(store.object_store, ()) if os.environ.get(name)
    ]
    if own:
        return CredentialChoice(None, f"{own[0]} and the backend's own environment", store)
    if chosen_profile is not None:
        name, profile, path = chosen_profile
        spec = profile.credentials()
        if spec is not None:
            return CredentialChoice(spec, f"profile {name!r} in {path}", store)
    return CredentialChoice(None, "the backend's default chain", store)
