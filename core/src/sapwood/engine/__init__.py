"""The versioning engine: how a repository is laid out on storage and how it changes.

One module per idea: :mod:`~sapwood.engine.format` (what is stored),
:mod:`~sapwood.engine.keys` (where), :mod:`~sapwood.engine.blobs`,
:mod:`~sapwood.engine.chunking` and :mod:`~sapwood.engine.content` (file bytes),
:mod:`~sapwood.engine.manifests` and :mod:`~sapwood.engine.diff` (path -> entry ranges),
:mod:`~sapwood.engine.snapshots` (commits), :mod:`~sapwood.engine.refs` (branches and tags),
:mod:`~sapwood.engine.config_file` (the stored config), :mod:`~sapwood.engine.history`,
:mod:`~sapwood.engine.refexpr`, :mod:`~sapwood.engine.merge`,
:mod:`~sapwood.engine.commits` and :mod:`~sapwood.engine.gc`. The public face is
:mod:`sapwood.aio`; everything here goes through :class:`~sapwood.layer.ObjectLayer`.
"""

from sapwood.engine.repo import DEFAULT_BRANCH, Engine, default_author

__all__ = ["DEFAULT_BRANCH", "Engine", "default_author"]
