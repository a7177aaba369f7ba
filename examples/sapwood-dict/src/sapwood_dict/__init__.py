"""sapwood-dict: an example third-party sapwood plugin.

A storage backend keeping objects in a dict (``dict://NAME``), plus one example of every
other extension point: the ``vault`` credential provider, the ``fifo`` cache, the
``concurrency`` limiter, the ``catalog`` importer and the ``collect`` metrics backend.
The entry point (``sapwood_dict.plugin``) registers them all; each lives in its own module,
imported only when it is first used.
"""

from __future__ import annotations

__version__ = "0.1.0"
