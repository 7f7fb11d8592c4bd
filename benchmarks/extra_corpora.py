"""Do extra training corpora help on real resumes? dotin alone against dotin plus other openly licensed corpora.

Each variant goes through ``data_processing``'s own nodes (``resume_ner.corpus.overlap.pipeline_splits``) with the
extra corpora and label mappings below, so the hold-out set is the dotin one in every variant (checked), trains one
model on every training document (fold ``all``: dotin's training documents plus the extra ones) with
``training.base`` from ``conf/base/parameters.yml``, and scores the dotin hold-out resumes from their raw text:
character-span strict and relaxed micro F1 and per type, as ``benchmarks/dotin_quality.py`` scores.

The extra corpora (../shared/data, each folder's README has its licence):
- ``green2022``: 336 job-description sentences (Green, Maynard and Lin 2022); Skill -> Job Specific Skills,
  Occupation -> Designation, Qualification -> Degree, Experience -> Years of Experience; Domain dropped.
- ``crossner_ai``: CrossNER's AI domain, train + dev + test (881 Wikipedia sentences); programlang and product ->
  Tech Tools, organisation -> Companies worked at, university -> College Name, researcher and person -> Name,
  country and location -> Location; the rest (algorithm, task, field, metrics, ...) dropped.

Usage (from the project root, with the project's virtualenv; nothing else heavy running; ~15 min on 2 cores):

    .venv/bin/python benchmarks/extra_corpora.py                       # none, green2022, crossner_ai
    .venv/bin/python benchmarks/extra_corpora.py --variant green2022 --variant green2022,crossner_ai

Writes the figures as JSON (``--json``, default ``data/08_reporting/benchmarks/extra_corpora.json``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from dotin_quality import (  # benchmarks/dotin_quality.py
    DEFAULT_CORPUS,
    ROOT,
    base_settings,
    score,
    train,
    write_training_inputs,
)
from machine import machine_info, write_figures  # benchmarks/machine.py

from resume_ner.corpus.documents import Corpus, Document
from resume_ner.corpus.overlap import pipeline_splits, read_parameters
from resume_ner.corpus.reading import read_corpus

SHARED = ROOT.parent / "shared" / "data"
DECODING = "viterbi"


def crossner_ai() -> Corpus:
    """CrossNER's AI domain, its three files as one corpus (ids made unique per file)."""
    folder = SHARED / "crossner" / "ai"
    documents = []
    for part in ("train", "dev", "test"):
        corpus = read_corpus(folder / f"{part}.txt", "conll")
        documents += [Document(f"{part}-{doc.id}", doc.text, doc.spans, doc.where) for doc in corpus]
    return Corpus(tuple(documents), source=str(folder))


EXTRA = {
    "green2022": (
        lambda: read_corpus(SHARED / "job_descriptions_green2022" / "testset.conll", "conll"),
        {
            "label_mapping": {
                "rename": {
                    "Skill": "Job Specific Skills",
                    "Occupation": "Designation",
                    "Qualification": "Degree",
                    "Experience": "Years of Experience",
                },
                "drop": ["Domain"],
            }
        },
    ),
    "crossner_ai": (
        crossner_ai,
        {
            "label_mapping": {
                "rename": {
                    "programlang": "Tech Tools",
                    "product": "Tech Tools",
                    "organisation": "Companies worked at",
                    "university": "College Name",
                    "researcher": "Name",
                    "person": "Name",
                    "country": "Location",
                    "location": "Location",
                }
            },
            "other_labels": "drop",
        },
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--variant", action="append", default=[], help="comma-separated extra corpora, or none (repeatable)"
    )
    parser.add_argument(
        "--json", type=Path, default=ROOT / "data" / "08_reporting" / "benchmarks" / "extra_corpora.json"
    )
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        raise SystemExit(f"{args.corpus} does not exist; pass --corpus")
    variants = args.variant or ["none", "green2022", "crossner_ai"]
    raw = read_corpus(args.corpus)
    parameters = read_parameters()
    settings = base_settings()
    figures: dict = {"machine": machine_info(), "corpus": str(args.corpus), "decoding": DECODING, "variants": {}}
    holdout_ids = None
    for variant in variants:
        names = [] if variant == "none" else variant.split(",")
        unknown = sorted(set(names) - set(EXTRA))
        if unknown:
            raise SystemExit(f"--variant {variant}: unknown extra corpora {unknown} (known: {', '.join(EXTRA)})")
        corpora = {name: EXTRA[name][0]() for name in names}
        mappings = {name: EXTRA[name][1] for name in names}
        splits = pipeline_splits(raw, {**parameters, "extra_corpora": mappings}, corpora)
        if holdout_ids is None:
            holdout_ids = splits.holdout_split["holdout"]
        if splits.holdout_split["holdout"] != holdout_ids:
            raise SystemExit(f"--variant {variant}: the hold-out set changed; extra corpora must never move it")
        holdout = splits.corpus.subset(holdout_ids)
        extra_ids = splits.holdout_split["training_only"]
        extra_counts = splits.corpus.subset(extra_ids).label_counts()
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            inputs = write_training_inputs(splits.corpus, splits.folds, folder)
            checkpoint, wall, metrics = train(settings, inputs, folder / "run")
            chosen = score(checkpoint, holdout)[DECODING]
        figures["variants"][variant] = {
            "extra_documents": len(extra_ids),
            "extra_entities_per_type": dict(sorted(extra_counts.items())),
            "train_documents": metrics["train_documents"],
            "train_wall_seconds": wall,
            "strict_f1": chosen["strict"]["micro_f1"],
            "relaxed_f1": chosen["relaxed"]["micro_f1"],
            "per_type_strict_f1": {label: row["f1"] for label, row in chosen["strict"]["per_entity"].items()},
        }
        row = figures["variants"][variant]
        print(
            f"{variant:<24} +{row['extra_documents']:>4} docs  trained {wall:>5.0f} s  hold-out strict "
            f"{row['strict_f1']:.3f} relaxed {row['relaxed_f1']:.3f}",
            flush=True,
        )
    first = next(iter(figures["variants"].values()))
    print("\nper type, strict F1:", "  ".join(f"{v[:12]:>12}" for v in figures["variants"]))
    for label in sorted(first["per_type_strict_f1"]):
        cells = "  ".join(f"{v['per_type_strict_f1'].get(label, 0):>12.3f}" for v in figures["variants"].values())
        print(f"  {label:<22} {cells}")
    write_figures(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
