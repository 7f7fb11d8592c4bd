"""Files and folders that appear whole or not at all: each is written aside and renamed into place, so a crash, a
kill or a full disk never leaves half of one where a reader (a parent process, a later run) would find it.

Only the standard library, so any module of the project (the training program included) may use it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` next to ``path`` and rename it into place, so a crash never leaves half a file."""
    write_bytes_atomically(path, text.encode("utf-8"))


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` next to ``path`` and rename it into place, so a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "xb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """A fresh folder beside ``target`` to fill in the ``with`` block; on leaving it without an error the folder
    replaces ``target`` (``replace_folder``), on an error it is removed and ``target`` is left as it was."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    staging.mkdir()
    try:
        yield staging
        replace_folder(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def replace_folder(staging: Path, target: Path) -> None:
    """Swap ``staging`` in as ``target``. ``target`` is always the old folder, the new one, or absent (for the
    instant between the two renames); it is never a partly written one."""
    if not target.exists():
        os.rename(staging, target)
        return
    retired = target.with_name(f".{target.name}.{uuid.uuid4().hex}.old")
    os.rename(target, retired)
    os.rename(staging, target)
    shutil.rmtree(retired, ignore_errors=True)
