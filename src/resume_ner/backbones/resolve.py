"""Turn a backbone spec into a local folder that transformers can load."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from resume_ner.backbones.errors import BackboneNotFoundError
from resume_ner.backbones.hub import resolve_hub_id
from resume_ner.backbones.minilm import resolve_minilm
from resume_ner.backbones.spec import MINILM, TINY_BERT, BackboneSpec
from resume_ner.backbones.tiny_bert import resolve_tiny_bert

logger = logging.getLogger(__name__)

DEFAULT_CACHE_DIR = "data/06_models/backbones"
_SEPARATORS = tuple(sep for sep in (os.sep, os.altsep) if sep)


def resolve_backbone(
    spec: BackboneSpec | str,
    texts: Iterable[str] | None = None,
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
) -> Path:
    """Return a local model folder for ``spec``, building or downloading it if needed.

    The folder loads with ``AutoTokenizer.from_pretrained`` (fast, with offsets) and
    ``AutoModelForTokenClassification.from_pretrained``. ``texts`` (the corpus) is needed only by
    ``tiny-bert``; ``cache_dir`` holds the backbones this module builds.

    Raises ValueError for an unusable spec (missing texts, a bad path), and
    BackboneUnavailableError when a hub model is neither cached nor downloadable.
    """
    if isinstance(spec, str):
        spec = BackboneSpec(name=spec)
    cache = Path(cache_dir).expanduser()
    if spec.kind == MINILM:
        return resolve_minilm(spec.num_layers, cache)
    if spec.kind == TINY_BERT:
        return resolve_tiny_bert(texts, spec.tiny, cache)

    name = spec.name.strip()
    local = Path(name).expanduser()
    if (local / "config.json").is_file():
        folder = local.resolve()
        logger.info("Backbone %r resolved to local folder %s", name, folder)
        return folder
    if _looks_like_path(name):
        raise BackboneNotFoundError(_bad_path_message(name, local))
    return resolve_hub_id(name)


def check_backbone_available(spec: BackboneSpec | dict | str, cache_dir: str | Path = DEFAULT_CACHE_DIR) -> None:
    """Fail now, in the process that plans training runs, when a backbone cannot be had (a hub model that is
    neither cached nor reachable, a folder that is not a model), instead of in every child run it starts. The
    built-in backbones are always available; a hub model is downloaded into the cache here, once."""
    if isinstance(spec, str):
        spec = BackboneSpec(name=spec)
    elif isinstance(spec, dict):
        spec = BackboneSpec.model_validate(spec)
    if spec.kind not in (MINILM, TINY_BERT):
        resolve_backbone(spec, cache_dir=cache_dir)


def _looks_like_path(name: str) -> bool:
    if name.startswith((".", "~", *_SEPARATORS)) or Path(name).drive:
        return True
    if not any(sep in name for sep in _SEPARATORS):
        return False
    # "org/model" is a hub id unless its first part exists here; hub ids never have two slashes.
    first = Path(name).parts[0]
    return Path(first).exists() or name.count("/") > 1


def _bad_path_message(name: str, path: Path) -> str:
    where = path.absolute()
    if not path.exists():
        problem = "does not exist"
    elif not path.is_dir():
        problem = "is not a folder"
    else:
        problem = "has no config.json (not a saved transformers model)"
    return (
        f"Backbone path {name!r} ({where}) {problem}. Use 'minilm', 'tiny-bert', a folder written by "
        "save_pretrained, or a Hugging Face hub id"
    )
