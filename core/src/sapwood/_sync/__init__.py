"""The sync API: each class wraps its async twin from :mod:`sapwood.aio` and runs every call
on sapwood's background event loop (:mod:`sapwood._loop`). The public names are exported
from :mod:`sapwood`."""
