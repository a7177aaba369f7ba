"""Creating and opening a repository: from a ready object layer to a ready Engine.

The engine's side of opening: the stored document and its format version, the ref mode a
store allows, and healing a repository whose creator stopped before writing ``main``. It
never builds a store or an object layer itself: the composition root passes a
:data:`LayerFactory` (the layer for a config over the one store) and a
:data:`~sapwood.engine.virtual.ContainerOpener`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeAlias

from sapwood.config import RepositoryConfig
from sapwood.engine.config_file import check_no_credentials, read_document, write_document
from sapwood.engine.format import EMPTY_TABLE, FORMAT_VERSION, RepositoryDocument
from sapwood.engine.keys import CONFIG_KEY
from sapwood.engine.listing import list_objects, take
from sapwood.engine.paths import validate_ref_name
from sapwood.engine.refs import choose_ref_mode, effective_ref_mode
from sapwood.engine.repo import DEFAULT_BRANCH, Engine, default_author
from sapwood.engine.tasks import gather_or_cancel
from sapwood.engine.virtual import ContainerOpener
from sapwood.errors import (
    ConfigError,
    NotFoundError,
    RefExistsError,
    RepositoryExistsError,
    RepositoryNotFoundError,
    SapwoodError,
)
from sapwood.layer import ObjectLayer

logger = logging.getLogger(__name__)

__all__ = [
    "LayerFactory",
    "create_engine",
    "delete_repository",
    "ensure_default_branch",
    "open_engine",
    "repository_exists",
    "stored_config",
]

LayerFactory: TypeAlias = Callable[[RepositoryConfig | None], ObjectLayer]
"""The object layer over the repository's store for a config (None: the defaults)."""


async def ensure_default_branch(engine: Engine) -> None:
    """Give a repository without refs its default branch at an empty root commit.

    A creator writes config.json first and main's ref second; one stopped in between (or
    still running while another process opens) leaves a repository with no refs. Openers
    heal it, create-only, so every racing creator and opener ends up on one ``main``.
    """
    root, _ = await engine.snapshots.write(
        parents=(),
        message="Repository created",
        author=default_author(),
        committed_at_us=engine.commit_time_us([]),
        metadata={},
        ranges=EMPTY_TABLE,
    )
    with contextlib.suppress(RefExistsError):
        await engine.refs.create_branch(engine.default_branch, root)


async def repository_exists(layer: ObjectLayer) -> bool:
    """True if a repository's config is stored under ``layer``."""
    try:
        await layer.head(CONFIG_KEY)
    except NotFoundError:
        return False
    return True


async def stored_config(layer: ObjectLayer) -> RepositoryConfig | None:
    """The config stored with the repository under ``layer`` (None if there is none)."""
    document = await read_document(layer)
    return None if document is None else document.config


async def create_engine(
    layer_for: LayerFactory,
    config: RepositoryConfig | None,
    *,
    location: str,
    open_container: ContainerOpener | None = None,
    default_branch: str = DEFAULT_BRANCH,
) -> Engine:
    """Write a new repository (its config, then ``default_branch`` at an empty root commit).

    RepositoryExistsError if one is at ``location`` already; ConfigError if other data is
    there, or if the store cannot move refs safely and ``config.unsafe_overwrite_refs`` is
    not set.
    """
    validate_ref_name(default_branch, "branch")
    given = config or RepositoryConfig()
    check_no_credentials(given)
    layer = layer_for(given)
    await _refuse_occupied(layer, location)
    unsafe = bool(given.resolved().unsafe_overwrite_refs)
    mode = choose_ref_mode(layer.capabilities, unsafe)
    document = RepositoryDocument(
        format_version=FORMAT_VERSION,
        ref_mode=mode,
        created_at=datetime.now(UTC),
        config=given,
        default_branch=default_branch,
    )
    engine = Engine(layer, document, given, ref_mode=mode, open_container=open_container)
    await write_document(layer, document, create=True)
    await ensure_default_branch(engine)
    logger.info("created repository at %s (ref mode %s)", location, mode)
    return engine


async def _refuse_occupied(layer: ObjectLayer, location: str) -> None:
    exists = RepositoryExistsError(
        f"a sapwood repository already exists at {location}; open it with "
        "open() or open_or_create(), or choose another location"
    )
    if await repository_exists(layer):
        raise exists
    found = await take(layer, "", 1)
    if found:
        if await repository_exists(layer):  # another creator won a race meanwhile
            raise exists
        raise ConfigError(
            f"{location} is not empty (it holds {found[0].key!r}, among others) and is not a "
            "sapwood repository; creating one would mix its internals with that data. Use an "
            "empty folder or prefix (e.g. a 'repo' subfolder), or bring the data in with "
            "branch.import_from() or upload_folder()",
            field="store",
        )


async def delete_repository(engine: Engine) -> int:
    """Delete every object of the repository (its config first, so no one opens it half
    deleted); how many objects were deleted."""
    await engine.layer.delete(CONFIG_KEY)
    keys = [meta.key for meta in await list_objects(engine.layer, "")]
    await engine.layer.delete_many(keys)
    return len(keys) + 1


async def open_engine(
    layer_for: LayerFactory,
    overrides: RepositoryConfig | None,
    *,
    location: str,
    open_container: ContainerOpener | None = None,
) -> Engine:
    """Open the repository at ``location``: the stored config with ``overrides`` applied.

    Reads the config and the refs concurrently; RepositoryNotFoundError if there is no
    repository, SapwoodError if it was written by a newer sapwood.
    """
    bootstrap = layer_for(overrides)
    document, refs = await gather_or_cancel(read_document(bootstrap), take(bootstrap, "refs/", 1))
    if document is None:
        detail = (
            "refs exist but config.json is missing: the repository is damaged or was partly deleted"
            if refs
            else "create one with create() or open_or_create()"
        )
        raise RepositoryNotFoundError(f"no sapwood repository at {location}; {detail}")
    if document.format_version > FORMAT_VERSION:
        raise SapwoodError(
            f"the repository at {location} uses format {document.format_version}, "
            f"newer than this sapwood understands ({FORMAT_VERSION}); upgrade sapwood"
        )
    effective = document.config.merge(overrides)
    check_no_credentials(effective)
    unsafe = bool(effective.resolved().unsafe_overwrite_refs)
    mode = effective_ref_mode(document.ref_mode, bootstrap.capabilities, unsafe)
    layer = bootstrap if overrides == effective else layer_for(effective)
    engine = Engine(layer, document, effective, ref_mode=mode, open_container=open_container)
    if not refs:
        await ensure_default_branch(engine)
    logger.info("opened repository at %s (ref mode %s)", location, mode)
    return engine
