"""Search spaces that fit the backbone: ``hpo.search_space_preset: auto`` picks the preset of ``training.base``'s
backbone family from ``hpo.search_space_presets``; ``hpo.search_space`` changes or adds dimensions on top.

A 2-layer MiniLM learns fast at learning rates that wreck a 12-layer RoBERTa, and needs fewer epochs than a
large model on the same resumes; one space for all wastes a study's trials. Each preset is a space and the
configuration recommended for that family, which the study trains first (``hpo.enqueue_base``), so its best is
never worse than the recommendation. Presets of larger backbones fix the epochs at a long cap: every trial then
trains as many epochs, so the pruner judges them after every epoch (``pruner.interval: auto``) and stops poor
ones early: epochs are the resource, and a long cap stays affordable.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from resume_ner.backbones import BackboneSpec
from resume_ner.backbones.spec import MINILM, MINILM_LAYERS, TINY_BERT
from resume_ner.errors import UserInputError

logger = logging.getLogger(__name__)

AUTO = "auto"
NO_PRESET = "none"
# Families whose attention and embeddings are RoBERTa's or DeBERTa's: they want smaller learning rates.
_ROBERTA_LIKE = ("roberta", "xlm-roberta", "camembert", "deberta", "deberta-v2", "longformer")


class SearchSpacePreset(BaseModel):
    """One family's search space and the configuration recommended for it (values of the space's dimensions)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    space: dict[str, Any]
    recommended: dict[str, Any] = {}


def backbone_family(spec: BackboneSpec, folder: Path | None = None) -> str:
    """``tiny``, ``minilm-2l`` (MiniLM cut to 3 layers or fewer), ``minilm-4l`` (4 or 5), ``minilm``,
    ``bert-base``, ``roberta-base`` or ``large``: from the built-in name, else from the model's config.json in
    ``folder`` (hidden size, model type), else from the hub id's words."""
    if spec.kind == TINY_BERT:
        return "tiny"
    if spec.kind == MINILM:
        layers = spec.num_layers or MINILM_LAYERS
        return "minilm-2l" if layers <= 3 else "minilm-4l" if layers < MINILM_LAYERS else "minilm"
    config = _model_config(folder)
    model_type = str(config.get("model_type", "")).lower()
    hidden = config.get("hidden_size") or config.get("dim")
    name = spec.name.lower()
    if hidden is None:
        hidden = 1024 if "large" in name else 384 if "minilm" in name or "small" in name else 768
        model_type = model_type or next((kind for kind in _ROBERTA_LIKE if kind in name), "bert")
    if int(hidden) >= 1024:
        return "large"
    if int(hidden) <= 384:
        return "minilm"
    return "roberta-base" if model_type in _ROBERTA_LIKE else "bert-base"


def _model_config(folder: Path | None) -> dict:
    if folder is None:
        return {}
    try:
        return json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def choose_search_space(
    search_space: dict[str, Any], preset_choice: str, presets: dict[str, SearchSpacePreset], family: str
) -> tuple[dict[str, Any], dict[str, Any], str | None]:
    """(space, recommended values, preset name).

    ``preset_choice`` is ``auto`` (the preset of ``family``), a preset's name, or ``none`` (``search_space`` alone,
    nothing recommended beyond ``training.base``). ``search_space``'s dimensions go over the preset's: one with a
    ``type`` replaces the preset's dimension of that name, one without changes only the keys it gives (so
    ``--params hpo.search_space.epochs.high=2`` narrows the preset's epochs), a new name is added.
    """
    if preset_choice == NO_PRESET:
        if not search_space:
            raise UserInputError(
                "hpo.search_space is empty and hpo.search_space_preset is none: give dimensions to search, or a preset"
            )
        return search_space, {}, None
    name = family if preset_choice == AUTO else preset_choice
    preset = presets.get(name)
    if preset is None:
        chosen = f"the backbone family {name!r}" if preset_choice == AUTO else f"{name!r}"
        raise UserInputError(
            f"hpo.search_space_presets has no preset for {chosen} (it has {sorted(presets)}): add one, set "
            f"hpo.search_space_preset to one of them, or set it to none and give hpo.search_space"
        )
    space = dict(preset.space)
    for dimension, given in search_space.items():
        if isinstance(given, dict) and "type" not in given and isinstance(space.get(dimension), dict):
            space[dimension] = {**space[dimension], **given}
        else:
            space[dimension] = given
    logger.info(
        "Search space: the %r preset%s%s",
        name,
        " for training.base's backbone" if preset_choice == AUTO else "",
        f", with hpo.search_space over it ({', '.join(search_space)})" if search_space else "",
    )
    return space, dict(preset.recommended), name
