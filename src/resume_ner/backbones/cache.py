"""Build-once cache entries: build into a temporary folder, then atomically rename into place."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

# The last file every builder writes; an entry without it was not made by this module.
COMPLETE_MARKER = "config.json"


def cached_build(target: Path, build: Callable[[Path], None]) -> tuple[Path, bool]:
    """Return ``(target, built)``, calling ``build(tmp_folder)`` only when ``target`` is absent.

    The folder appears under its final name in one ``os.rename``, so an interrupted build never
    leaves a half-written entry behind, and when another process finishes the same entry first its
    folder is used and ours is discarded.
    """
    target = Path(target).absolute()
    if _is_complete(target):
        return target, False
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        _discard_broken(target)

    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        build(tmp)
        if not _is_complete(tmp):
            raise RuntimeError(f"backbone build for {target} did not write {COMPLETE_MARKER}")
        try:
            os.rename(tmp, target)
        except OSError:
            if not _is_complete(target):
                raise
            logger.info("Another process built %s first; using its folder", target)
            return target, False
    finally:
        # After a successful rename tmp no longer exists; otherwise it is debris.
        shutil.rmtree(tmp, ignore_errors=True)
    return target, True


def _is_complete(folder: Path) -> bool:
    return (folder / COMPLETE_MARKER).is_file()


def _discard_broken(target: Path) -> None:
    # Only reachable if something other than cached_build wrote there; move it aside first so a
    # concurrent reader never sees it half-deleted.
    logger.warning("Cache entry %s is incomplete; rebuilding it", target)
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.broken-", dir=target.parent))
    with contextlib.suppress(FileNotFoundError):
        os.rename(target, aside / target.name)
    shutil.rmtree(aside, ignore_errors=True)
