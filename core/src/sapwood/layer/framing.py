"""Which keys are stored self-describing: their bytes, not their metadata, say how they are
encoded.

An object layer starts with none: every object records its compression in its metadata
(``sapwood-encoding``), the form every repository of format 1 uses. The engine names the
prefixes of a repository's content-addressed, immutable keys (blobs and snapshots) once it
knows the repository's format allows it; from then on objects under them are written and
read in the self-describing form of :mod:`sapwood.layer.compression`: a stored object that
starts with the zstd frame magic is a frame, anything else is raw.

What that saves: a compressed object needs no metadata, so a backend that keeps metadata
beside the data (the local backend's sidecar file) writes one file per object instead of
two, and a copy of the objects made by a tool that drops metadata (``cp -r``, ``tar``,
``rclone`` between providers) still reads. Keys under these prefixes should be
immutable: a ranged read of an object whose encoding is not yet known reads its first bytes
and the range separately, which a concurrent overwrite could fall between.
"""

from __future__ import annotations

from collections.abc import Iterable

from sapwood.errors import ConfigError

__all__ = ["SelfDescribingKeys"]


class SelfDescribingKeys:
    """The key prefixes whose objects are stored self-describing; one instance is shared
    by all the stacks of an object layer, so setting it once applies to every read and
    write."""

    __slots__ = ("_prefixes",)

    def __init__(self, prefixes: Iterable[str] = ()) -> None:
        self._prefixes: tuple[str, ...] = ()
        self.set(prefixes)

    @property
    def prefixes(self) -> tuple[str, ...]:
        """The prefixes, in the order given."""
        return self._prefixes

    def set(self, prefixes: Iterable[str]) -> None:
        """Use the self-describing form for keys under ``prefixes`` (replacing any earlier
        choice; ``""`` covers every key)."""
        chosen = tuple(prefixes)
        for prefix in chosen:
            if not isinstance(prefix, str):
                raise ConfigError(
                    f"self-describing prefix {prefix!r} must be a string naming where "
                    "immutable keys live, such as 'blobs/'"
                )
        self._prefixes = chosen

    def covers(self, key: str) -> bool:
        """Whether ``key`` is stored self-describing."""
        prefixes = self._prefixes
        return bool(prefixes) and key.startswith(prefixes)

    def __repr__(self) -> str:
        return f"SelfDescribingKeys({list(self._prefixes)!r})"
