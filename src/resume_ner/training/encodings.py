"""Read and tokenise a study's corpus once, not once per fold.

Every fold of every trial reads the same corpus snapshot and, for a given backbone and tokenisation settings,
makes the same windows of each document; only which documents train and which validate differs. The first run
stores what it made in a cache folder (``encoding_cache_dir`` of the run config; the workspace's ``encodings``
folder for runs the pipelines start) and later runs load it:

- ``corpus-<key>.pickle``: the validated corpus, keyed by the corpus file's bytes and format;
- ``windows-<key>.pickle``: every document encoded, keyed by the corpus file, the tokenizer's files, the label
  set, ``max_length``, ``stride``, the sub-token policy and ``ENCODING_VERSION``.

Entries are written whole or not at all (a crash leaves none, two workers writing one key write the same bytes),
and an entry that cannot be read is made again. Only the project's own runs write them, into its own workspace.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from resume_ner.files import write_bytes_atomically

logger = logging.getLogger(__name__)

# Bump when the encoding itself changes (tagging/alignment/windows), so old entries are never read as new.
ENCODING_VERSION = 2  # 2: encoded documents carry their text (boundary trimming reads it)
# Backbone files that are weights, not tokenizer: never part of the tokenizer's key.
_WEIGHT_SUFFIXES = {".safetensors", ".bin", ".pt", ".pth", ".h5", ".msgpack", ".onnx", ".ckpt"}

T = TypeVar("T")


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tokenizer_digest(backbone: Path) -> str:
    """A digest of a backbone folder's files other than weights: vocabulary, merges, tokenizer and model config."""
    digest = hashlib.sha256()
    for path in sorted(Path(backbone).rglob("*")):
        if path.is_file() and path.suffix not in _WEIGHT_SUFFIXES:
            digest.update(str(path.relative_to(backbone)).encode())
            digest.update(file_digest(path).encode())
    return digest.hexdigest()


def cache_key(*parts: object) -> str:
    return hashlib.sha256(json.dumps([ENCODING_VERSION, *parts], sort_keys=True, default=str).encode()).hexdigest()[:32]


def cached(cache_dir: Path, name: str, make: Callable[[], T]) -> tuple[T, bool]:
    """``make()``'s result, from ``cache_dir/name`` when an earlier run stored it there (then True), else made
    and stored (then False)."""
    path = Path(cache_dir) / name
    try:
        with open(path, "rb") as stream:
            return pickle.load(stream), True
    except FileNotFoundError:
        pass
    except Exception as error:  # a truncated or foreign file: make it again
        logger.warning("Encoding cache entry %s cannot be read (%s); making it again", path, error)
    value = make()
    _store(path, value)
    return value, False


def _store(path: Path, value: object) -> None:
    try:
        write_bytes_atomically(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError as error:  # a full disk costs the cache, not the run
        logger.warning("Encoding cache entry %s not written: %s", path, error)
