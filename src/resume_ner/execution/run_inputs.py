"""A run's inputs, snapshotted into its run folder so the folder alone reproduces the run."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from resume_ner.corpus.documents import Corpus
from resume_ner.corpus.formats import write_json
from resume_ner.corpus.splits import check_fingerprint
from resume_ner.files import write_text_atomically

INPUTS_DIR = "inputs"


@dataclass(frozen=True)
class RunInputs:
    """Absolute paths of the corpus, splits and label schema a run reads, with their fingerprints."""

    corpus: Path
    splits: Path
    label_schema: Path
    corpus_fingerprint: str
    splits_fingerprint: str

    def as_data_config(self) -> dict:
        return {"corpus": str(self.corpus), "corpus_format": "json", "splits": str(self.splits)}


def splits_fingerprint(folds: dict) -> str:
    """A hash of the splits' content (canonical JSON): the same folds give the same fingerprint anywhere."""
    canonical = json.dumps(folds, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def write_run_inputs(folder: Path, corpus: Corpus, folds: dict, label_schema: dict) -> RunInputs:
    """Write ``corpus``, ``folds`` and ``label_schema`` into ``folder/inputs``; fail if the folds are from
    another corpus (before anything is trained on a mismatched pair)."""
    check_fingerprint(folds, corpus, "folds")
    inputs = Path(folder).resolve() / INPUTS_DIR
    inputs.mkdir(parents=True, exist_ok=True)
    write_json(corpus, inputs / "corpus.json")
    write_text_atomically(inputs / "folds.json", json.dumps(folds, ensure_ascii=False))
    write_text_atomically(inputs / "label_schema.json", json.dumps(label_schema, indent=2, ensure_ascii=False))
    return RunInputs(
        inputs / "corpus.json",
        inputs / "folds.json",
        inputs / "label_schema.json",
        corpus.fingerprint(),
        splits_fingerprint(folds),
    )
