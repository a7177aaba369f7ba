"""The GCS backend's own settings: what ``ObjectStoreConfig.extra`` may hold for ``gcs``.

Only msgspec is imported here, so the plugin stays import-light.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from sapwood.config import ConfigStruct

__all__ = ["DEFAULT_UPLOAD_CHUNK_BYTES", "RESUMABLE_UNIT_BYTES", "GcsExtra"]

RESUMABLE_UNIT_BYTES = 256 * 1024
"""GCS requires every resumable-upload chunk but the last to be a multiple of 256 KiB."""

DEFAULT_UPLOAD_CHUNK_BYTES = 64 * 1024 * 1024

ChunkBytes = Annotated[int, msgspec.Meta(ge=RESUMABLE_UNIT_BYTES, multiple_of=RESUMABLE_UNIT_BYTES)]
Seconds = Annotated[float, msgspec.Meta(gt=0)]


class GcsExtra(ConfigStruct, frozen=True):
    """Settings only the GCS backend knows (``ObjectStoreConfig.extra``); unknown keys fail.

    - ``project``: the Google Cloud project; needed only to create buckets.
    - ``service_account_file``: a service account key (JSON) to authenticate with when no
      credentials are passed; it can also sign URLs.
    - ``user_project``: bill requests to this project (requester-pays buckets).
    - ``max_connections``: size of both the HTTP connection pool and the thread pool the
      synchronous SDK runs in; the most requests in flight at once.
    - ``upload_chunk_bytes``: objects larger than 8 MiB are sent as a resumable upload in
      chunks of this size (a multiple of 256 KiB); smaller ones in one request.
    - ``list_page_size``: objects asked for per listing request (GCS caps it at 1,000).
    - ``connect_timeout_seconds`` / ``read_timeout_seconds``: per HTTP request.
    """

    project: str | None = None
    service_account_file: str | None = None
    user_project: str | None = None
    max_connections: Annotated[int, msgspec.Meta(ge=1, le=1024)] = 32
    upload_chunk_bytes: ChunkBytes = DEFAULT_UPLOAD_CHUNK_BYTES
    list_page_size: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1000
    connect_timeout_seconds: Seconds = 5.0
    read_timeout_seconds: Seconds = 60.0
