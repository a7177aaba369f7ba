"""The former home of :func:`open_storage`, :func:`validate_extra` and
:func:`credential_provider`, which now live in :mod:`sapwood.composition` (the composition
root). Kept because earlier documentation imported them from here; new code should import
them from :mod:`sapwood.composition`."""

from __future__ import annotations

from sapwood.composition import credential_provider, open_storage, validate_extra

__all__ = ["credential_provider", "open_storage", "validate_extra"]
