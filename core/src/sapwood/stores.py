"""Opening a :class:`~sapwood.storage.Storage` from a config through the registry."""

from __future__ import annotations

import msgspec

from sapwood.config import ObjectStoreConfig, convert_config
from sapwood.credential_chain import choose_credentials
from sapwood.credentials import AnonymousCredentials, CredentialProvider, CredentialsSpec
from sapwood.errors import ConfigError
from sapwood.registry import registry
from sapwood.storage import Storage

__all__ = ["credential_provider", "open_storage", "validate_extra"]


def credential_provider(
    spec: CredentialsSpec | CredentialProvider | None,
) -> CredentialProvider | None:
    """The provider for a credentials value (a provider passes through unchanged)."""
    if spec is None:
        return None
    if isinstance(spec, CredentialProvider) and not isinstance(spec, type):
        return spec
    return registry().credential_provider_type(spec).factory(spec)


def validate_extra(config: ObjectStoreConfig) -> msgspec.Struct | None:
    """The backend's own view of ``config.extra``; ConfigError names an unknown or bad key."""
    backend = registry().storage_backend(config.object_store)
    if backend.extra_type is None:
        if config.extra:
            keys = ", ".join(sorted(config.extra))
            raise ConfigError(
                f"storage backend {config.object_store!r} takes no extra settings, got: {keys}",
                field="extra",
            )
        return None
    # Checked here too, so a backend whose Struct forgot forbid_unknown_fields still
    # rejects a misspelt key instead of silently ignoring it.
    known = backend.extra_type.__struct_encode_fields__
    unknown = sorted(set(config.extra) - set(known))
    if unknown:
        raise ConfigError(
            f"invalid config at ObjectStoreConfig.extra.{unknown[0]}: storage backend "
            f"{config.object_store!r} has no setting {unknown[0]!r}; "
            f"expected one of: {', '.join(known) or 'none'}",
            field=f"extra.{unknown[0]}",
        )
    return convert_config(config.extra, backend.extra_type, what="ObjectStoreConfig.extra")


def open_storage(
    config: ObjectStoreConfig | str,
    credentials: CredentialsSpec | CredentialProvider | None = None,
) -> Storage:
    """Build the store ``config`` describes (a URL string is parsed first). No I/O happens."""
    if isinstance(config, str):
        config = ObjectStoreConfig.from_url(config)
    backend = registry().storage_backend(config.object_store)
    validate_extra(config)
    chosen = choose_credentials(config, credentials)  # the chain, when none were given
    config = chosen.store
    provider = credential_provider(chosen.credentials)
    if provider is None and config.anonymous:
        provider = credential_provider(AnonymousCredentials())
    return backend.factory(config, provider)
