"""Nodes of inference: texts to entities (what the pyfunc model runs), and the batch job over a folder of resumes:
read each file's text, predict, write one JSON Lines record per file and a summary."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)


def predict_entities(serving_model, texts: Any) -> list[list[dict]]:
    """``{start, end, label, text, confidence}`` per entity, one list per text; ``texts`` is a string, a list of
    strings or a table with a ``text`` column (what a pyfunc caller sends)."""
    from resume_ner.serving.model import as_texts, entities

    return entities(serving_model, as_texts(texts))


def read_resumes(resumes: dict[str, Callable[[], str]]) -> tuple[dict[str, str], list[dict]]:
    """Each file's text (``resume_ner.datasets.ResumeFileDataset``: .txt, .pdf, .docx), by file name, and the files
    that could not be read, each with its reason: they are skipped, never the end of the batch."""
    texts: dict[str, str] = {}
    unreadable: list[dict] = []
    for name in sorted(resumes):
        try:
            texts[name] = resumes[name]()
        except Exception as error:  # one bad file must not stop the batch; its reason is reported
            reason = str(error.__cause__ or error).splitlines()[0] if str(error.__cause__ or error) else repr(error)
            unreadable.append({"file": name, "reason": reason})
            logger.warning("Skipping %s: %s", name, reason)
    logger.info("Read %d resume(s); %d unreadable", len(texts), len(unreadable))
    return texts, unreadable


def predict_resumes(champion_model, texts: dict[str, str]) -> list[dict]:
    """One record per readable file: ``{file, characters, entities}``, by ``champion_model`` (the registry's
    champion, a pyfunc model whose ``predict`` takes a list of texts)."""
    names = sorted(texts)
    predicted = champion_model.predict([texts[name] for name in names]) if names else []
    return [
        {"file": name, "characters": len(texts[name]), "entities": found}
        for name, found in zip(names, predicted, strict=True)
    ]


def write_results(records: list[dict], unreadable: list[dict]) -> tuple[str, dict]:
    """The records as JSON Lines (one file per line) and a summary: files read and skipped (with reasons),
    entities in all and per type."""
    per_type: dict[str, int] = {}
    for record in records:
        for entity in record["entities"]:
            per_type[entity["label"]] = per_type.get(entity["label"], 0) + 1
    lines = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    summary = {
        "files": len(records) + len(unreadable),
        "predicted": len(records),
        "unreadable": unreadable,
        "entities": sum(per_type.values()),
        "entities_per_type": dict(sorted(per_type.items())),
    }
    return lines, summary
