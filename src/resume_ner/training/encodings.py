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
The study's calibration (``tuning.planning``) reads and encodes the first fold's documents through the same two
functions, so the study's first fold finds both entries made.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from resume_ner.files import write_bytes_atomically

if TYPE_CHECKING:
    from resume_ner.corpus.documents import Corpus, Document
    from resume_ner.corpus.labels import LabelSchema
    from resume_ner.tagging import EncodedDocument
    from resume_ner.training.config import TokenizationConfig

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
        with open(path, "rb") as stream, _collector_paused():
            return pickle.load(stream), True
    except FileNotFoundError:
        pass
    except Exception as error:  # a truncated or foreign file: make it again
        logger.warning("Encoding cache entry %s cannot be read (%s); making it again", path, error)
    value = make()
    _store(path, value)
    return value, False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while an entry is unpickled.

    Unpickling makes hundreds of thousands of tuples (every window's ids and labels), every 700 new containers
    start a collection, and the collections of older generations walk all they hold, the preloaded modules' objects
    included: a fold's windows loaded in 0.13-0.37 s with it on, 0.05 s with it off (shipped corpus, tiny-bert).
    Nothing unpickled is garbage, so nothing is left for the collector to find.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _store(path: Path, value: object) -> None:
    try:
        write_bytes_atomically(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError as error:  # a full disk costs the cache, not the run
        logger.warning("Encoding cache entry %s not written: %s", path, error)


def read_corpus_cached(corpus_file: Path, corpus_format: str, cache_dir: Path | None) -> tuple[Corpus, str | None]:
    """The corpus in ``corpus_file``, read and validated once per cache; and the key of the file's contents (None
    without a cache), which the windows' key is made from."""
    from resume_ner.corpus.reading import read_corpus

    corpus_file = Path(corpus_file)
    if cache_dir is None or not corpus_file.is_file():
        return read_corpus(corpus_file, corpus_format), None
    key = cache_key("corpus", file_digest(corpus_file), corpus_format)
    corpus, _ = cached(cache_dir, f"corpus-{key}.pickle", lambda: read_corpus(corpus_file, corpus_format))
    return corpus, key


def encode_cached(
    documents: list[Document],
    tokenizer,
    backbone: Path,
    schema: LabelSchema,
    tokenization: TokenizationConfig,
    stride: int,
    corpus_key: str | None,
    cache_dir: Path | None,
) -> tuple[dict[str, EncodedDocument], bool | None]:
    """Each of ``documents`` encoded with ``stride`` (by id), from the cache when a run with the same corpus file,
    documents, tokenizer, labels and settings made it (then True; False when made now, None without a cache)."""
    from resume_ner.tagging import encode_documents

    def make() -> dict[str, EncodedDocument]:
        return encode_documents(
            documents, tokenizer, schema, tokenization.max_length, stride, tokenization.subtoken_policy
        )

    if corpus_key is None or cache_dir is None:
        return make(), None
    key = cache_key(
        "windows",
        corpus_key,
        sorted(doc.id for doc in documents),
        tokenizer_digest(backbone),
        # The tags and their ids make the windows; the entity counts (kept with the study's schema, not with a
        # run's) do not, and must not keep the calibration's entry from the study's runs.
        {name: value for name, value in schema.to_dict().items() if name != "entity_counts"},
        {"max_length": tokenization.max_length, "stride": stride, "subtoken_policy": tokenization.subtoken_policy},
    )
    return cached(cache_dir, f"windows-{key}.pickle", make)
