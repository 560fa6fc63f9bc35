"""An administrator's index built by an older version of the code, built again while it serves.

A deployment's fixed index directory (TTHC_INDEX_DIR) is what its administrator built, and the
bot serves it as it is. After an upgrade it holds documents normalised by the old lexicon and
rules, which questions normalised by the new ones no longer meet: answers drift, and nothing
says why. So the server keeps serving it, says so in the log, and builds it again in the
background from the catalogue copy the index holds itself; the hot swap (bot.app.hotswap)
serves the new version once it is published. With several workers on one directory, the first
to take the lock file rebuilds and the others only wait for the swap.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path

from indexer.build import active_version, build_index, built_by_current_code
from indexer.embed import Embedder
from indexer.search import Index

log = logging.getLogger(__name__)
LOCK_NAME = ".rebuild.lock"


def built_by_older_code(root: Path) -> bool:
    """Whether the active version under `root` was built by another version of the code."""
    active = active_version(root)
    return active is not None and not built_by_current_code(active)


def rebuild_in_background(index: Index, root: Path, embedder: Embedder, cache_dir: Path) -> threading.Thread | None:
    """Start rebuilding `root` from `index`'s own catalogue when it was built by older code; None
    when it is current or another process holds the rebuild lock."""
    if not built_by_older_code(root):
        return None
    try:
        handle = os.open(root / LOCK_NAME, os.O_CREAT | os.O_RDWR, 0o600)
    except OSError:  # a read-only copy of an index built elsewhere (docs/scaling.md)
        log.warning("the index at %s was built by another version of the code and cannot be built again "
                    "here; run `tthc index build` where it is built", root)
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        log.info("another process is building the index at %s again; this one waits for the swap", root)
        return None

    def run() -> None:
        try:
            if built_by_older_code(root):  # not already done by a process that held the lock before
                version = build_index(index.catalogue, embedder, root, cache_dir=cache_dir)
                log.info("index at %s built again by the current code: %s", root, version.name)
        except Exception:  # noqa: BLE001 - the old index keeps serving; the next start tries again
            log.exception("building the index at %s again failed; the old version keeps serving", root)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            os.close(handle)

    log.warning("the index at %s was built by another version of the code; it serves while it is built again "
                "in the background (or run `tthc index build`)", root)
    thread = threading.Thread(target=run, name="index-rebuild", daemon=True)
    thread.start()
    return thread
