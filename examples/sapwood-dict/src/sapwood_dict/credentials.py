"""The ``vault`` credential provider: key pairs read from a (stand-in) secrets service."""

from __future__ import annotations

from dataclasses import dataclass, field

from sapwood.credentials import ResolvedCredentials, StaticCredentials
from sapwood.errors import CredentialsError
from sapwood_dict.settings import VaultCredentials

__all__ = ["VAULT", "VaultProvider"]

VAULT: dict[str, tuple[str, str]] = {
    "teams/data": ("AKIDVAULTEXAMPLE", "vault-secret-access-key"),
}
"""Stands in for a secrets service: path -> (access key id, secret access key)."""


@dataclass
class VaultProvider:
    """Reads the key pair at ``spec.path`` once, then hands out the same credentials."""

    spec: VaultCredentials
    name: str = "vault"
    _cached: StaticCredentials | None = field(default=None, repr=False)

    async def credentials(self) -> ResolvedCredentials | None:
        if self._cached is None:
            try:
                key_id, secret = VAULT[self.spec.path]
            except KeyError:
                raise CredentialsError(
                    f"the vault holds nothing at {self.spec.path!r}; paths: {sorted(VAULT)}"
                ) from None
            self._cached = StaticCredentials(access_key_id=key_id, secret_access_key=secret)
        return self._cached
