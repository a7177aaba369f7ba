"""The vault provider passes sapwood's credential-provider conformance suite."""

from __future__ import annotations

import pytest
from sapwood_dict.credentials import VaultProvider
from sapwood_dict.settings import VaultCredentials

from sapwood.credentials import CredentialProvider
from sapwood.testing import CredentialProviderConformance


class TestVaultProviderConformance(CredentialProviderConformance):
    @pytest.fixture
    def provider(self) -> CredentialProvider:
        return VaultProvider(VaultCredentials(path="teams/data"))

    @pytest.fixture
    def secret_values(self) -> tuple[str, ...]:
        return ("vault-secret-access-key",)
